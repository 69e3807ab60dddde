/**
 * Runs expensive tasks (password checks) a few at a time, taking turns between keys (client addresses),
 * so one key that queues hundreds of tasks delays another key's task by at most one turn per other key,
 * not by its whole backlog.
 *
 * - at most `concurrency` tasks run at once in all;
 * - at most `perKey` of them for one key;
 * - at most `maxWaitingPerKey` tasks of one key wait; more are refused at once (`run` answers `QUEUE_FULL`),
 *   so memory stays bounded whatever one key sends.
 */

export const QUEUE_FULL = Symbol('queue full');

export interface FairQueueLimits {
  concurrency: number;
  perKey: number;
  maxWaitingPerKey: number;
}

export class FairQueue {
  private running = 0;
  private readonly runningByKey = new Map<string, number>();
  /** Waiting starts per key, oldest first. The map's order is the turn order: a key served moves last. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limits: FairQueueLimits) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T | typeof QUEUE_FULL> {
    if (this.mayStart(key)) {
      this.countIn(key);
    } else {
      let queue = this.waiting.get(key);
      if (queue === undefined) {
        queue = [];
        this.waiting.set(key, queue);
      }
      if (queue.length >= this.limits.maxWaitingPerKey) return QUEUE_FULL;
      await new Promise<void>((start) => queue.push(start)); // `startNext` counts it in before waking it
    }
    try {
      return await task();
    } finally {
      this.countOut(key);
      this.startNext();
    }
  }

  private mayStart(key: string): boolean {
    return (
      this.running < this.limits.concurrency &&
      (this.runningByKey.get(key) ?? 0) < this.limits.perKey &&
      !this.waiting.has(key)
    );
  }

  private countIn(key: string): void {
    this.running++;
    this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
  }

  private countOut(key: string): void {
    this.running--;
    const left = (this.runningByKey.get(key) ?? 1) - 1;
    if (left === 0) this.runningByKey.delete(key);
    else this.runningByKey.set(key, left);
  }

  private startNext(): void {
    while (this.running < this.limits.concurrency) {
      const next = this.nextKeyToServe();
      if (next === undefined) return;
      const [key, queue] = next;
      const start = queue.shift() as () => void;
      this.waiting.delete(key);
      if (queue.length > 0) this.waiting.set(key, queue); // its next turn comes after every other key's
      this.countIn(key);
      start();
    }
  }

  private nextKeyToServe(): [string, Array<() => void>] | undefined {
    for (const entry of this.waiting) {
      if ((this.runningByKey.get(entry[0]) ?? 0) < this.limits.perKey) return entry;
    }
    return undefined;
  }
}
