/**
 * There is no open connection for a request: it was closed (by `close()`, the server or the network)
 * before an answer arrived, or it was never opened.
 */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';

  constructor(
    message: string,
    /** The WebSocket close code, when the socket reported one. */
    readonly code?: number,
  ) {
    super(message);
  }
}
