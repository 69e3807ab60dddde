import type { ServerMessage } from '@pbx-peers/protocol';

/** What the core needs of one client connection; the transport adapts a WebSocket to it. */
export interface PeerLink {
  /** The client's network address: the failed-register limit and fair password checks are keyed on it. */
  readonly clientAddress: string;
  send(message: ServerMessage): void;
  /** Sends a signal delivery whose `data` is `dataJson`, the JSON text it arrived in, written as is. */
  relaySignal(callId: string, dataJson: string): void;
  close(code: number, reason: string): void;
}
