import type { ServerMessage } from '@pbx-peers/protocol';

/** What the core needs of one client connection; the transport adapts a WebSocket to it. */
export interface PeerLink {
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}
