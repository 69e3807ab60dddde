import type { ClientMessageType, ErrorCode, ErrorMessage, RequestId } from '@pbx-peers/protocol';

/**
 * An `error` message from the server, as a throwable. Rejects the request whose `id` it echoes;
 * otherwise (a failed `signal`, a rate-limited message without id) it is emitted as the client's
 * `error` event. Programs branch on `code`; `message` is human text.
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  readonly code: ErrorCode;
  /** The type of the client message that failed, when the server recognised it. */
  readonly request: ClientMessageType | undefined;
  /** The failed message's `id`, when it had one. */
  readonly id: RequestId | undefined;

  constructor(error: ErrorMessage) {
    super(`${error.code}: ${error.message}`);
    this.code = error.code;
    this.request = error.request;
    this.id = error.id;
  }
}
