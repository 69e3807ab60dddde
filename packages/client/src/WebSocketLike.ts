/**
 * The part of the WebSocket API the client uses, as implemented by browsers' `WebSocket` and by the
 * `ws` package. Typing against this shape instead of either library keeps `ws` out of browser bundles
 * and lets tests pass any compatible implementation.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the values the WebSocket standard fixes). */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  /** `data` is a string for text frames; anything else is a binary frame. */
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Browsers give a bare `Event`; `ws` adds a `message`. */
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** `readyState` of an open socket. */
export const WEBSOCKET_OPEN = 1;
