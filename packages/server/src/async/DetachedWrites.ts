import { setTimeout as sleep } from 'node:timers/promises';

/** A write's failed attempt, for the owner's log and metrics. */
export interface FailedAttempt {
  error: unknown;
  /** 1 for the first attempt. */
  attempt: number;
  /** When it is tried again; undefined when it was given up. */
  retryInMs: number | undefined;
}

export interface DetachedWritesOptions {
  /** How long after it was handed over a refused write is still tried again. */
  retryForMs: number;
  /** Writes held at most (running or waiting to be tried again); `run` refuses more. */
  maxHeld: number;
}

/** A refused write is tried again after 1 s, 2 s, 4 s … at most this long apart. */
const MAX_RETRY_MS = 30_000;

/**
 * Store writes run beside the call path (the call history, the webhook outbox): never awaited by a
 * message, and tried again with backoff while the store refuses them, so a store that is down for a
 * while loses nothing. A write must be safe to repeat (one that landed but failed to say so is tried
 * again). At shutdown `flush` gives each write waiting to be tried again one last try, then settles.
 */
export class DetachedWrites {
  readonly #held = new Set<Promise<void>>();
  /** Aborted by `flush`: writes waiting to be tried again make one last try instead of waiting. */
  readonly #flushing = new AbortController();

  constructor(private readonly options: DetachedWritesOptions) {}

  get held(): number {
    return this.#held.size;
  }

  /**
   * Runs `write` (after `after`, when given: writes of one key stay in order), trying again while it
   * rejects; `onFailure` hears of each failed attempt. Returns a promise that settles (never rejects)
   * once it is written or given up, or undefined when `maxHeld` writes are held already.
   */
  run(
    write: () => Promise<unknown>,
    onFailure: (failed: FailedAttempt) => void,
    after?: Promise<void>,
  ): Promise<void> | undefined {
    if (this.#held.size >= this.options.maxHeld) return undefined;
    const giveUpAt = Date.now() + this.options.retryForMs;
    const running = (after ?? Promise.resolve()).then(() => this.#attempt(write, onFailure, giveUpAt));
    this.#held.add(running);
    void running.finally(() => this.#held.delete(running));
    return running;
  }

  /** Settles once every write held has been written or given up (at shutdown, before the store closes). */
  async flush(): Promise<void> {
    this.#flushing.abort();
    await Promise.all([...this.#held]);
  }

  async #attempt(
    write: () => Promise<unknown>,
    onFailure: (failed: FailedAttempt) => void,
    giveUpAt: number,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return;
      } catch (error) {
        const wait = Math.min(1_000 * 2 ** (attempt - 1), MAX_RETRY_MS);
        const givenUp = this.#flushing.signal.aborted || Date.now() + wait > giveUpAt;
        onFailure({ error, attempt, retryInMs: givenUp ? undefined : wait });
        if (givenUp) return;
        // The timer keeps the process up: a write still to be tried is work to do, until `flush` says stop.
        await sleep(wait, undefined, { signal: this.#flushing.signal }).catch(() => {});
      }
    }
  }
}
