/**
 * When a call's media path breaks, what to do about it: the decisions of ICE restart, as a model with
 * states in and effects out (timers are the global ones, so tests drive them with `mock.timers`).
 *
 * - Until the path first connects, a failure ends the call (`give-up`, `never-connected`): there was never
 *   a working path, and a restart would gather the same candidates.
 * - Once connected, `failed` makes the caller (the offerer) restart ICE at once, and `disconnected` does
 *   once it has lasted `disconnectedGraceMs` (the path often comes back by itself within a second or two).
 * - Nothing received for `silenceMs` (`inbound()`, the transport's byte count, polled) counts as failed:
 *   both sides always send audio, so a silent transport is a broken path, and Chromium only calls it
 *   `disconnected` after about 5 s of silence.
 * - A restart that has not brought the path back within `firstRetryMs` is made again, waiting twice as long
 *   each time up to `maxRetryMs`; `routeAvailable()` (a way to the other side came back) retries at once.
 * - The answerer never restarts (the caller does, and the answerer answers its offer); it only waits.
 * - Either side gives up when the path has been down for `giveUpMs` in a row: the call then ends.
 * - `recovered` says the path is up again after trouble, and after how long.
 */
export type MediaPathState =
  /** Not connected yet. */
  | 'new'
  | 'connected'
  /** Down (disconnected, or failed on the answerer's side), not restarting (yet). */
  | 'unstable'
  /** Down; the caller has restarted ICE and waits for it to work. */
  | 'restarting'
  /** Given up: the call cannot go on. */
  | 'failed'
  | 'closed';

export type IceRestartEffect =
  | { type: 'restart'; attempt: number }
  | { type: 'recovered'; downForMs: number; attempts: number }
  | { type: 'give-up'; reason: 'never-connected' | 'timeout' };

export interface IceRestartPolicyOptions {
  role: 'offerer' | 'answerer';
  onEffect(effect: IceRestartEffect): void;
  /** How long `disconnected` may last before the caller restarts ICE. */
  disconnectedGraceMs?: number;
  /** How long the first restart gets to work before the next one. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** How long the path may stay down before the call ends. */
  giveUpMs?: number;
  /** How long the transport may receive nothing before the path counts as failed. */
  silenceMs?: number;
}

export const ICE_RESTART_DEFAULTS = {
  disconnectedGraceMs: 2_000,
  firstRetryMs: 4_000,
  maxRetryMs: 16_000,
  giveUpMs: 60_000,
  silenceMs: 2_000,
} as const;

/** The one thing the policy needs to know about `iceConnectionState` and `connectionState` together. */
export type PathHealth = 'up' | 'soft-down' | 'hard-down' | 'pending' | 'closed';

export function pathHealth(ice: RTCIceConnectionState, connection: RTCPeerConnectionState): PathHealth {
  if (ice === 'closed' || connection === 'closed') return 'closed';
  if (ice === 'failed' || connection === 'failed') return 'hard-down';
  if (ice === 'disconnected' || connection === 'disconnected') return 'soft-down';
  if ((ice === 'connected' || ice === 'completed') && connection === 'connected') return 'up';
  return 'pending';
}

export class IceRestartPolicy {
  readonly #options: Required<Omit<IceRestartPolicyOptions, 'onEffect'>> &
    Pick<IceRestartPolicyOptions, 'onEffect'>;
  #state: MediaPathState = 'new';
  #iceHealth: PathHealth = 'pending';
  #silent = false;
  #lastBytes = -1;
  #lastBytesAt = 0;
  #downSince = 0;
  #attempts = 0;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #giveUpTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: IceRestartPolicyOptions) {
    this.#options = { ...ICE_RESTART_DEFAULTS, ...options };
  }

  get state(): MediaPathState {
    return this.#state;
  }

  /** Restarts made since the path went down (0 while it is up). */
  get attempts(): number {
    return this.#attempts;
  }

  /** The connection's states, after every change of either. */
  observe(ice: RTCIceConnectionState, connection: RTCPeerConnectionState): void {
    this.#iceHealth = pathHealth(ice, connection);
    this.#evaluate();
  }

  /**
   * The bytes the connection's transport has received so far, polled (every 500 ms): the path is silent
   * when that has not grown for `silenceMs`, and back when it grows again.
   */
  inbound(bytesReceived: number): void {
    const now = Date.now();
    if (bytesReceived !== this.#lastBytes) {
      this.#lastBytes = bytesReceived;
      this.#lastBytesAt = now;
      if (this.#silent) {
        this.#silent = false;
        this.#evaluate();
      }
      return;
    }
    if (this.#silent || this.#state === 'new') return;
    if (now - this.#lastBytesAt >= this.#options.silenceMs) {
      this.#silent = true;
      this.#evaluate();
    }
  }

  /** The signalling connection or the data channel came back: a pending restart is made again now. */
  routeAvailable(): void {
    if (this.#state === 'restarting') this.#restart();
  }

  close(): void {
    this.#clearTimers();
    if (this.#state !== 'failed') this.#state = 'closed';
  }

  /** ICE's view, overruled by silence: a path ICE still calls up that receives nothing is broken. */
  #evaluate(): void {
    const ice = this.#iceHealth;
    this.#health(this.#silent && ice !== 'hard-down' && ice !== 'closed' ? 'silent' : ice);
  }

  #health(health: PathHealth | 'silent'): void {
    const state = this.#state;
    if (state === 'failed' || state === 'closed') return;
    if (health === 'closed') {
      this.close();
      return;
    }
    if (state === 'new') {
      if (health === 'up') {
        this.#state = 'connected';
        this.#lastBytesAt = Date.now();
      } else if (health === 'hard-down') this.#giveUp('never-connected');
      return;
    }
    if (health === 'up') {
      if (state === 'connected') return;
      this.#clearTimers();
      const effect: IceRestartEffect = {
        type: 'recovered',
        downForMs: Date.now() - this.#downSince,
        attempts: this.#attempts,
      };
      this.#state = 'connected';
      this.#attempts = 0;
      this.#options.onEffect(effect);
      return;
    }
    if (health === 'pending') return; // checking (a restart under way): no news either way
    // A silent path went down when it last received something.
    if (state === 'connected') this.#wentDown(health === 'silent' ? this.#lastBytesAt : Date.now());
    if (this.#options.role !== 'offerer') return;
    if ((health === 'hard-down' || health === 'silent') && this.#state === 'unstable') this.#restart();
  }

  #wentDown(since: number): void {
    this.#state = 'unstable';
    this.#downSince = since;
    const giveUpIn = this.#options.giveUpMs - (Date.now() - since);
    this.#giveUpTimer = setTimeout(() => this.#giveUp('timeout'), giveUpIn);
    if (this.#options.role === 'offerer') {
      this.#graceTimer = setTimeout(() => {
        this.#graceTimer = undefined;
        if (this.#state === 'unstable') this.#restart();
      }, this.#options.disconnectedGraceMs);
    }
  }

  #restart(): void {
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    clearTimeout(this.#retryTimer);
    this.#state = 'restarting';
    this.#attempts++;
    const { firstRetryMs, maxRetryMs } = this.#options;
    const wait = Math.min(firstRetryMs * 2 ** (this.#attempts - 1), maxRetryMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#state === 'restarting') this.#restart();
    }, wait);
    this.#options.onEffect({ type: 'restart', attempt: this.#attempts });
  }

  #giveUp(reason: 'never-connected' | 'timeout'): void {
    this.#clearTimers();
    this.#state = 'failed';
    this.#options.onEffect({ type: 'give-up', reason });
  }

  #clearTimers(): void {
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#giveUpTimer);
    this.#graceTimer = undefined;
    this.#retryTimer = undefined;
    this.#giveUpTimer = undefined;
  }
}
