import type { ServerMessage } from '@pbx-peers/protocol';

/** What the core needs of one client connection; the transport adapts a WebSocket to it. */
export interface PeerLink {
  /** The client's network address: the failed-register limit and fair password checks are keyed on it. */
  readonly clientAddress: string;
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}
