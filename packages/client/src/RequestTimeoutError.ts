import type { RequestType } from '@pbx-peers/protocol';

/** No `response` or `error` arrived for a request within the client's `requestTimeoutMs`. */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';

  constructor(
    readonly request: RequestType,
    readonly id: number,
    readonly timeoutMs: number,
  ) {
    super(`No answer to "${request}" (id ${id}) within ${timeoutMs} ms.`);
  }
}
