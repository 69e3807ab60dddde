/**
 * The browser entry (also the `types` of both entries). `node.ts` exports the same names, with a
 * `PbxClient` that defaults to the `ws` package.
 */
export type * from '@pbx-peers/protocol';
export { parseServerMessage, type ServerMessageParse } from '@pbx-peers/protocol';
export { ConnectionClosedError } from './ConnectionClosedError.js';
export { ConnectionFailedError } from './ConnectionFailedError.js';
export {
  type ConnectionClose,
  type InvalidMessage,
  PbxClient,
  type PbxClientEvents,
  type PbxClientOptions,
} from './PbxClient.js';
export { ProtocolError } from './ProtocolError.js';
export { RequestTimeoutError } from './RequestTimeoutError.js';
export { TypedEmitter } from './TypedEmitter.js';
export type { WebSocketConstructorLike, WebSocketLike } from './WebSocketLike.js';
