/**
 * `connect()` could not open the WebSocket. Browsers do not say why; typical causes are an unknown
 * extension id (HTTP 404), a refused origin (HTTP 403) or an unreachable server.
 */
export class ConnectionFailedError extends Error {
  override name = 'ConnectionFailedError';

  constructor(
    readonly url: string,
    /** What the WebSocket implementation reported, when it reported anything (`ws` does, browsers do not). */
    readonly detail: string | undefined,
  ) {
    super(`Could not open a WebSocket to ${url}${detail === undefined ? '' : `: ${detail}`}.`);
  }
}
