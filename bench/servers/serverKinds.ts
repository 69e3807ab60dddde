/** The four servers compared, in the order the table shows them. */
export const SERVER_KINDS = ['ws-forward', 'ws-parse', 'peerjs', 'pbx-peers'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const SERVER_LABELS: Record<ServerKind, string> = {
  'ws-forward': 'ws relay (forward)',
  'ws-parse': 'ws relay (parse)',
  peerjs: 'PeerJS server',
  'pbx-peers': 'pbx-peers',
};

/** The reference every figure is also given against: the bare relay that parses and re-serialises. */
export const REFERENCE_KIND: ServerKind = 'ws-parse';

/** What the load generator speaks: the PeerJS wire format (also the bare relays') or pbx-webrtc-peers. */
export type WireProtocol = 'peerjs' | 'pbx';

export function protocolOf(kind: ServerKind): WireProtocol {
  return kind === 'pbx-peers' ? 'pbx' : 'peerjs';
}

/** Where and how the load generator reaches one running server; plain data, sent over IPC. */
export type Target =
  | { protocol: 'peerjs'; kind: ServerKind; host: string; port: number; serverPid: number }
  | {
      protocol: 'pbx';
      kind: ServerKind;
      host: string;
      port: number;
      serverPid: number;
      extensionId: string;
      password: string;
    };
