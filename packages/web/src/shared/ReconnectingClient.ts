import { type ConnectionClose, PbxClient, type ResponseFor, TypedEmitter } from '@pbx-peers/client';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoffDelay.js';

/**
 * - `connecting`: the first connection is being made.
 * - `online`: connected and initialized (and, for an agent, re-registered).
 * - `reconnecting`: the connection was lost (or never made); trying again with backoff.
 * - `gone`: the server closed the connection because the extension was removed; no more tries.
 */
export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'gone';

export interface ReconnectingClientEvents {
  state: ConnectionState;
  /** The connection that was online closed; anything tied to it (a call, a registration) is over. */
  lost: ConnectionClose;
}

export interface ReconnectingClientOptions {
  url: string;
  /**
   * Runs after every successful `init`, before the state becomes `online`: the agent console re-registers
   * here. If it throws, the connection is closed and retried.
   */
  onInit?: (init: ResponseFor<'init'>) => Promise<void> | void;
  backoff?: BackoffOptions;
}

/** Close code the server uses when the connection's extension was removed from the store. */
const EXTENSION_REMOVED = 4404;

/**
 * Keeps one `PbxClient` connected: connects and `init`s, and when the WebSocket drops, reconnects with
 * exponential backoff and jitter (0.5 s doubling to 10 s) and `init`s again. Subscribe to the protocol's
 * events on `client` once; the same client object is reused for every connection.
 */
export class ReconnectingClient extends TypedEmitter<ReconnectingClientEvents> {
  readonly client: PbxClient;
  readonly #onInit: ReconnectingClientOptions['onInit'];
  readonly #backoff: BackoffOptions;
  #state: ConnectionState = 'connecting';
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #connecting = false;

  constructor(options: ReconnectingClientOptions) {
    super();
    this.client = new PbxClient({ url: options.url });
    this.#onInit = options.onInit;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.client.on('close', (close) => this.#closed(close));
    window.addEventListener('online', () => this.retryNow());
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** True while requests can be sent. */
  get online(): boolean {
    return this.#state === 'online' && this.client.connected;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#connect();
  }

  /** Skips the rest of the backoff wait (the network came back). */
  retryNow(): void {
    if (!this.#running || this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#connecting || !this.#running) return;
    this.#connecting = true;
    let opened = false;
    try {
      await this.client.connect();
      opened = true;
      const init = await this.client.init();
      await this.#onInit?.(init);
      this.#attempt = 0;
      this.#setState('online');
    } catch {
      if (!opened) this.#scheduleRetry();
      // Opened but init (or onInit) failed: closing makes the close handler schedule the retry.
      else if (this.client.connected) void this.client.close();
    } finally {
      this.#connecting = false;
    }
  }

  #closed(close: ConnectionClose): void {
    const wasOnline = this.#state === 'online';
    if (close.code === EXTENSION_REMOVED) {
      this.#running = false;
      this.#setState('gone');
    }
    if (wasOnline) this.emit('lost', close);
    // If #connect is still running (init was pending), it leaves the retry to this handler.
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (!this.#running || this.#retryTimer !== undefined) return;
    this.#setState(this.#state === 'connecting' && this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const delay = backoffDelay(this.#attempt++, this.#backoff);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
