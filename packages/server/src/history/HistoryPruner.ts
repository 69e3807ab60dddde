import type { Logger } from 'pino';
import type { CallHistoryStore } from '../store/CallHistoryStore.js';

const DAY_MS = 86_400_000;
/** Pruning is cheap (indexed deletes) and retention is counted in days: hourly is plenty. */
const PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Deletes the history older than the retention (`--history-retention`), at start and then hourly. In a
 * cluster every process does it; the deletes are idempotent, so they cannot conflict.
 */
export class HistoryPruner {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly store: CallHistoryStore,
    private readonly retentionDays: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.#running = this.pruneOnce();
    this.#timer = setInterval(() => {
      this.#running ??= this.pruneOnce();
    }, PRUNE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** One pass; a failure is logged, and the next pass tries again. */
  async pruneOnce(): Promise<void> {
    const before = new Date(this.now() - this.retentionDays * DAY_MS);
    try {
      const removed = await this.store.pruneHistory(before);
      if (removed > 0) this.log.info({ removed, before: before.toISOString() }, 'pruned the call history');
    } catch (err) {
      this.log.error({ err }, 'could not prune the call history');
    } finally {
      this.#running = undefined;
    }
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
