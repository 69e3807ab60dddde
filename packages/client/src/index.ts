/**
 * The browser entry (also the `types` of both entries). `node.ts` exports the same names, with a
 * `PbxClient` that defaults to the `ws` package.
 *
 * - `PbxClient`: one connection, typed requests, events and signals.
 * - `ResumingClient`: keeps a `PbxClient` connected across drops, resuming the same peer (protocol 1.1)
 *   with backoff and jitter, and says whether the peer was resumed or replaced.
 */
export type * from '@pbx-peers/protocol';
export { parseServerMessage, type ServerMessageParse } from '@pbx-peers/protocol';
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoffDelay.js';
export { ConnectionClosedError } from './ConnectionClosedError.js';
export { ConnectionFailedError } from './ConnectionFailedError.js';
export {
  type ConnectionClose,
  type InitOptions,
  type InvalidMessage,
  PbxClient,
  type PbxClientEvents,
  type PbxClientOptions,
} from './PbxClient.js';
export { ProtocolError } from './ProtocolError.js';
export { RequestTimeoutError } from './RequestTimeoutError.js';
export {
  DEFAULT_HEARTBEAT,
  EXTENSION_REMOVED_CLOSE_CODE,
  type HeartbeatOptions,
  type NetworkBackSignal,
  type PeerChange,
  ResumingClient,
  type ResumingClientEvents,
  type ResumingClientOptions,
  type ResumingState,
} from './ResumingClient.js';
export { TypedEmitter } from './TypedEmitter.js';
export type { WebSocketConstructorLike, WebSocketLike } from './WebSocketLike.js';
