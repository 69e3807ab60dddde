import type { WebSocketConstructorLike, WebSocketLike } from '../../src/WebSocketLike.js';

type Listeners = {
  open: (() => void)[];
  message: ((event: { data: unknown }) => void)[];
  error: ((event: unknown) => void)[];
  close: ((event: { code: number; reason: string }) => void)[];
};

/**
 * A WebSocket the test plays the server of: it opens, answers, drops or closes only when told, and
 * records what the client sent. Every event is delivered synchronously, so that a test with mocked
 * timers decides exactly what happens when.
 */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  /** Every frame the client sent, parsed. */
  readonly sent: Record<string, unknown>[] = [];
  /** The code of the client's `close()`, once it called it. */
  closedByClientWith: number | undefined;
  readonly #listeners: Listeners = { open: [], message: [], error: [], close: [] };

  constructor(
    readonly url: string,
    readonly protocols: string | string[] | undefined,
  ) {}

  addEventListener(type: keyof Listeners, listener: never): void {
    (this.#listeners[type] as unknown[]).push(listener);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send() on a socket that is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  /** The client's close: a close frame, answered at once (1000), or a failed connection while connecting. */
  close(code = 1000): void {
    if (this.readyState >= 2) return;
    this.closedByClientWith = code;
    const opened = this.readyState === 1;
    this.readyState = 3;
    this.#emitClose(opened ? code : 1006, '');
  }

  // ---------------------------------------------------------------- the test's side

  open(): void {
    this.readyState = 1;
    for (const listener of this.#listeners.open) listener();
  }

  /** The connection cannot be made (refused, unreachable). */
  fail(): void {
    this.readyState = 3;
    for (const listener of this.#listeners.error) listener({});
    this.#emitClose(1006, '');
  }

  /** A frame from the server. */
  receive(message: object): void {
    for (const listener of this.#listeners.message) listener({ data: JSON.stringify(message) });
  }

  /** The network drops the connection (no close frame): 1006. */
  drop(): void {
    this.serverClose(1006);
  }

  /** The server closes the connection with `code` (1001 shutdown, 1012 restart, 4404 removed, ...). */
  serverClose(code: number, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.#emitClose(code, reason);
  }

  /** The last request of `type` the client sent. */
  lastRequest(type: string): Record<string, unknown> | undefined {
    return this.sent.findLast((frame) => frame.type === type);
  }

  /** Answers the last request of `type` with `fields` (echoing its `id`). */
  respond(type: string, fields: object): void {
    const request = this.lastRequest(type);
    if (request === undefined) throw new Error(`no ${type} request to answer`);
    this.receive({ type: 'response', request: type, id: request.id, ...fields });
  }

  #emitClose(code: number, reason: string): void {
    for (const listener of this.#listeners.close) listener({ code, reason });
  }
}

/** A WebSocket class for `PbxClient`'s `WebSocket` option, and every socket made with it, oldest first. */
export function fakeWebSockets(): { WebSocket: WebSocketConstructorLike; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  class WebSocket extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { WebSocket, sockets };
}
