import type { ResponseFor } from '@pbx-peers/protocol';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoffDelay.js';
import type { ConnectionClose, PbxClient } from './PbxClient.js';
import { ProtocolError } from './ProtocolError.js';
import { TypedEmitter } from './TypedEmitter.js';

/**
 * Where a `ResumingClient`'s connection is:
 * - `idle`: not started yet;
 * - `connecting`: the first attempt to connect and `init`;
 * - `online`: connected and initialized; requests can be sent;
 * - `reconnecting`: the connection dropped (or an attempt failed); trying again with backoff. The peer
 *   lives on at the server for its resume grace period;
 * - `gone`: the server closed the connection with 4404, the extension was removed: no more attempts;
 * - `closed`: `close()` was called (or the client's own `close()`): the server ended the peer at once.
 */
export type ResumingState = 'idle' | 'connecting' | 'online' | 'reconnecting' | 'gone' | 'closed';

/**
 * Which peer a successful `init` made this connection, as the `peer` event tells it:
 * - `new`: the first peer since `start()`;
 * - `resumed`: the same peer as before the drop (`peerId` unchanged). Its registration, its ringing or
 *   connected call and everything else go on; the messages it was sent while away arrive next, in order;
 * - `replaced`: a new peer; the previous one is over at the server (the grace period ran out, the server
 *   restarted without it, or it does not resume). An agent must `register` again, and the app must treat
 *   the previous peer's calls as over at the server (the media of a connected call, browser to browser,
 *   may well still run).
 */
export type PeerChange =
  | { kind: 'new'; peerId: string; init: ResponseFor<'init'> }
  | { kind: 'resumed'; peerId: string; init: ResponseFor<'init'> }
  | { kind: 'replaced'; peerId: string; previousPeerId: string; init: ResponseFor<'init'> };

export interface ResumingClientEvents {
  /** The state changed (never emitted twice in a row with the same state). */
  state: ResumingState;
  /** A connection was initialized: whether it is the same peer as before. Emitted right after `state` `online`. */
  peer: PeerChange;
  /** The online connection dropped; `reconnecting` follows (or `gone`, for 4404). */
  dropped: ConnectionClose;
}

/**
 * Tells the client that the network is back, so that it retries at once instead of waiting out its
 * backoff: called once by `start()` with the function to call, it returns a function that stops it. In a
 * browser: `(retry) => { addEventListener('online', retry); return () => removeEventListener('online', retry); }`.
 */
export type NetworkBackSignal = (retry: () => void) => () => void;

/**
 * How the client notices a connection that went silent without closing (a dead network path, a stalled
 * proxy: the WebSocket still looks open, for minutes). Every `intervalMs` while online it sends `status`;
 * with no answer within `timeoutMs` it abandons the connection (without a close frame, so that the server
 * keeps the peer) and reconnects to resume.
 */
export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
}

/**
 * 15 s between heartbeats, 10 s to answer: generous, since a `status` waits behind the same peer's
 * `register` while its password is checked (slow on purpose, and queued per client address).
 */
export const DEFAULT_HEARTBEAT: Readonly<HeartbeatOptions> = { intervalMs: 15_000, timeoutMs: 10_000 };

export interface ResumingClientOptions {
  /** The client to keep connected. The same object serves every connection: subscribe to its events once. */
  client: PbxClient;
  /** Delays between attempts; default 0.5 s doubling to 5 s, with jitter. */
  backoff?: BackoffOptions;
  /** The jitter's source of randomness, a number in [0, 1); default `Math.random`. */
  random?: () => number;
  /** How long one attempt may take to open the WebSocket before it is abandoned; default 10000 ms. */
  connectTimeoutMs?: number;
  networkBack?: NetworkBackSignal;
  /** Default `DEFAULT_HEARTBEAT` (15 s between heartbeats, 10 s for each answer); `false` sends none. */
  heartbeat?: HeartbeatOptions | false;
}

/** Close code the server uses when the connection's extension was removed from the store. */
export const EXTENSION_REMOVED_CLOSE_CODE = 4404;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Keeps one `PbxClient` connected across dropped connections, as protocol 1.1 allows: connects and
 * `init`s, remembers the latest `resumeToken`, and when the WebSocket drops (any close the client did not
 * ask for: a network loss, a server restart with 1001 or 1012) reconnects with exponential backoff and
 * jitter, sending `init` with `resume`. The `peer` event then says whether the server resumed the peer
 * (calls go on) or made a new one (`replaced`: register again, the old calls are over at the server).
 *
 * A connection that goes silent without closing is noticed by a heartbeat (a `status` every 15 s that must
 * be answered within 10 s) and abandoned without a close frame, so the server keeps the peer to resume.
 *
 * Final: a 4404 close (the extension was removed; state `gone`) and the client's own `close()` (state
 * `closed`; the server ends the peer at once). `start()` may be called again after either.
 *
 * ```ts
 * const client = new PbxClient({ url });
 * const connection = new ResumingClient({ client, networkBack });
 * client.on('session', (event) => ...);           // the protocol's events, as usual
 * connection.on('peer', (change) => {
 *   if (change.kind === 'replaced') void client.register(password, name);
 * });
 * connection.start();
 * ```
 *
 * Requests made while not `online` reject with `ConnectionClosedError`, as `PbxClient`'s do; a request
 * pending when the connection drops rejects too, although a resuming server may have carried it out.
 */
export class ResumingClient extends TypedEmitter<ResumingClientEvents> {
  readonly client: PbxClient;
  readonly #backoff: BackoffOptions;
  readonly #random: () => number;
  readonly #connectTimeoutMs: number;
  readonly #networkBack: NetworkBackSignal | undefined;
  readonly #heartbeat: HeartbeatOptions | false;
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  #stopNetworkBack: (() => void) | undefined;
  #state: ResumingState = 'idle';
  /** The peer this client is, or was until the drop; undefined until the first `init` after `start()`. */
  #peerId: string | undefined;
  #resumeToken: string | undefined;
  /** Attempts that failed since the client was last online; picks the next backoff delay. */
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** True while an attempt runs (from `connect()` until its `init` settles). */
  #attempting = false;
  /** True while this client's own `init` is on its way, so that `initialized` events of others are ignored. */
  #initPending = false;
  /** True while the client closes a connection whose `init` failed, to try again: that close is not final. */
  #closingToRetry = false;

  constructor(options: ResumingClientOptions) {
    super();
    this.client = options.client;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#networkBack = options.networkBack;
    this.#heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    this.client.on('close', (close) => this.#closed(close));
    this.client.on('initialized', (init) => this.#initialized(init));
  }

  get state(): ResumingState {
    return this.#state;
  }

  /** True while requests can be sent. */
  get online(): boolean {
    return this.#state === 'online' && this.client.connected;
  }

  /** The peer this client is (or was, while reconnecting); undefined before the first `init`. */
  get peerId(): string | undefined {
    return this.#peerId;
  }

  /** Connects and `init`s; does nothing unless `idle`, `gone` or `closed`. After those two, a new peer. */
  start(): void {
    if (this.#state !== 'idle' && this.#state !== 'gone' && this.#state !== 'closed') return;
    this.#peerId = undefined;
    this.#resumeToken = undefined;
    this.#failures = 0;
    this.#stopNetworkBack = this.#networkBack?.(() => this.retryNow());
    this.#setState('connecting');
    void this.#attempt();
  }

  /** Skips the rest of the backoff wait (the network came back); does nothing unless a retry is waiting. */
  retryNow(): void {
    if (this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#attempt();
  }

  /**
   * Stops for good: no more attempts, and the open connection (if any) closes with 1000, which ends the
   * peer at the server at once. Resolves once the socket has closed.
   */
  close(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'closed') return Promise.resolve();
    this.#finish('closed');
    return this.client.close();
  }

  async #attempt(): Promise<void> {
    if (this.#attempting || this.#isFinal()) return;
    this.#attempting = true;
    const abandon = setTimeout(() => {
      if (!this.client.connected) void this.client.close();
    }, this.#connectTimeoutMs);
    try {
      await this.client.connect();
    } catch {
      this.#attempting = false;
      this.#scheduleRetry();
      return;
    } finally {
      clearTimeout(abandon);
    }
    if (this.#isFinal()) {
      // close() was called while the socket was opening.
      this.#attempting = false;
      void this.client.close();
      return;
    }
    const initialized = await this.#init();
    this.#attempting = false;
    if (this.#isFinal()) return;
    if (!this.client.connected) {
      // The connection closed while init was on its way (or right after its answer): its close handler
      // left the retry to this attempt.
      this.#scheduleRetry();
    } else if (!initialized) {
      // Opened, but init failed (it timed out, say): this connection is of no use.
      this.#closingToRetry = true;
      void this.client.close();
    }
  }

  /**
   * Sends `init`, with `resume` when there is a token; the `initialized` handler does the rest. A server
   * that refuses the token as malformed (`bad-request`) gets a plain `init` on the same connection.
   */
  async #init(): Promise<boolean> {
    for (;;) {
      const resume = this.#resumeToken;
      this.#initPending = true;
      try {
        await this.client.init(resume === undefined ? {} : { resume });
        return true;
      } catch (error) {
        if (resume === undefined || !(error instanceof ProtocolError) || error.code !== 'bad-request') {
          return false;
        }
        this.#resumeToken = undefined;
      } finally {
        this.#initPending = false;
      }
    }
  }

  /** Runs as the `init` response arrives, before any frame after it (a resumed peer's kept messages). */
  #initialized(init: ResponseFor<'init'>): void {
    if (!this.#initPending || this.#isFinal()) return;
    this.#initPending = false;
    const previousPeerId = this.#peerId;
    this.#peerId = init.peerId;
    this.#resumeToken = init.resumeToken;
    this.#failures = 0;
    const { peerId } = init;
    const change: PeerChange =
      previousPeerId === undefined
        ? { kind: 'new', peerId, init }
        : init.resumed === true && peerId === previousPeerId
          ? { kind: 'resumed', peerId, init }
          : { kind: 'replaced', peerId, previousPeerId, init };
    this.#setState('online');
    this.#scheduleHeartbeat();
    this.emit('peer', change);
  }

  #scheduleHeartbeat(): void {
    const heartbeat = this.#heartbeat;
    clearTimeout(this.#heartbeatTimer);
    if (heartbeat === false) return;
    this.#heartbeatTimer = setTimeout(() => this.#beat(heartbeat), heartbeat.intervalMs);
  }

  /** One heartbeat: a `status` that must be answered within `timeoutMs`, else the connection is abandoned. */
  #beat(heartbeat: HeartbeatOptions): void {
    if (!this.online) return;
    this.#heartbeatTimer = setTimeout(
      () => this.client.abandon(`no answer to a heartbeat within ${heartbeat.timeoutMs} ms`),
      heartbeat.timeoutMs,
    );
    this.client.status().then(
      () => this.#scheduleHeartbeat(),
      () => undefined, // the connection closed or was abandoned: the close handler takes over
    );
  }

  #closed(close: ConnectionClose): void {
    clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    const toRetry = this.#closingToRetry;
    this.#closingToRetry = false;
    if (this.#isFinal()) return;
    if (close.byClient && !toRetry) {
      // The app closed the client itself: the server ended the peer, there is nothing to resume.
      this.#finish('closed');
      return;
    }
    const wasOnline = this.#state === 'online';
    if (close.code === EXTENSION_REMOVED_CLOSE_CODE) {
      this.#finish('gone');
      if (wasOnline) this.emit('dropped', close);
      return;
    }
    if (wasOnline) {
      this.#setState('reconnecting');
      this.emit('dropped', close);
    }
    // An attempt still waiting for its init schedules the retry itself when that init fails.
    if (!this.#attempting) this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#isFinal() || this.#retryTimer !== undefined) return;
    this.#setState('reconnecting');
    const delay = backoffDelay(this.#failures++, this.#backoff, this.#random);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#attempt();
    }, delay);
  }

  #finish(state: 'gone' | 'closed'): void {
    clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#stopNetworkBack?.();
    this.#stopNetworkBack = undefined;
    this.#resumeToken = undefined;
    this.#setState(state);
  }

  #isFinal(): boolean {
    return this.#state === 'gone' || this.#state === 'closed' || this.#state === 'idle';
  }

  #setState(state: ResumingState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
