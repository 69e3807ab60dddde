/** The server answered the WebSocket upgrade with an HTTP status instead of `101 Switching Protocols`. */
export class UpgradeRefusedError extends Error {
  override name = 'UpgradeRefusedError';

  constructor(
    readonly url: string,
    readonly statusCode: number,
  ) {
    super(`The upgrade to ${url} was refused with HTTP ${statusCode}.`);
  }
}
