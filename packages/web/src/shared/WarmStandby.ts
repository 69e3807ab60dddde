export interface WarmStandbyOptions<T> {
  /** Makes one value (opens the camera, fetches ICE servers). */
  create(): Promise<T>;
  /** Releases a value nobody took (stops its tracks: the camera light goes off). */
  dispose(value: T): void;
  /** A value older than this (from the start of its creation) is made again when taken. */
  maxAgeMs?: number;
  now?: () => number;
}

interface Standby<T> {
  promise: Promise<T>;
  startedAt: number;
  /** Set once made; the standby owns it until it is taken. */
  value: T | undefined;
  /** Let go of while still being made: disposed of as soon as it exists. */
  dropped: boolean;
}

/**
 * Keeps one value ready while it is wanted, so that the moment it is needed does not wait for it: the
 * agent console opens the camera and fetches ICE servers while a call rings, and Answer takes them.
 *
 * Invariant: every value made is either taken (then the taker owns it) or disposed of, including one that
 * is still being made when it stops being wanted. A failed creation is not retried by `want` until the
 * next `take`, so that a blocked camera is not asked again at every ring.
 */
export class WarmStandby<T> {
  readonly #options: WarmStandbyOptions<T>;
  readonly #now: () => number;
  #standby: Standby<T> | undefined;
  #wanted = false;
  #failed = false;

  constructor(options: WarmStandbyOptions<T>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** `idle` (nothing held), `making` or `ready`. */
  get state(): 'idle' | 'making' | 'ready' {
    const standby = this.#standby;
    return standby === undefined ? 'idle' : standby.value === undefined ? 'making' : 'ready';
  }

  /** Whether a value should be kept ready from now on; idempotent, so pages call it on every render. */
  want(wanted: boolean): void {
    this.#wanted = wanted;
    if (wanted) {
      if (this.#standby === undefined && !this.#failed) this.#standby = this.#make();
    } else {
      this.#drop();
    }
  }

  /** The ready value (or the one being made), or a new one; the caller owns it from now on. */
  take(): Promise<T> {
    this.#failed = false;
    const standby = this.#standby;
    this.#standby = undefined;
    if (standby !== undefined && !this.#stale(standby)) return standby.promise;
    if (standby !== undefined) this.#release(standby);
    return this.#make(true).promise;
  }

  /** A taken value that was not used after all (the call went to someone else): kept if wanted. */
  giveBack(value: T): void {
    if (this.#wanted && this.#standby === undefined) {
      this.#standby = { promise: Promise.resolve(value), startedAt: this.#now(), value, dropped: false };
    } else {
      this.#options.dispose(value);
    }
  }

  /** `taken`: made for a caller of `take`, who owns it (and its failure) from the start. */
  #make(taken = false): Standby<T> {
    const promise = this.#options.create();
    const standby: Standby<T> = { promise, startedAt: this.#now(), value: undefined, dropped: false };
    if (taken) return standby;
    promise.then(
      (value) => {
        if (standby.dropped) this.#options.dispose(value);
        else standby.value = value;
      },
      () => {
        if (this.#standby === standby) {
          this.#standby = undefined;
          this.#failed = true;
        }
      },
    );
    return standby;
  }

  #drop(): void {
    const standby = this.#standby;
    this.#standby = undefined;
    if (standby !== undefined) this.#release(standby);
  }

  #release(standby: Standby<T>): void {
    if (standby.value !== undefined) this.#options.dispose(standby.value);
    else standby.dropped = true;
  }

  #stale(standby: Standby<T>): boolean {
    const maxAgeMs = this.#options.maxAgeMs;
    return maxAgeMs !== undefined && this.#now() - standby.startedAt > maxAgeMs;
  }
}
