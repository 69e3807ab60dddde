import { MemoryBackend } from '../../src/backend/MemoryBackend.js';
import type { Audience, Notice, NoticeHandler } from '../../src/core/Notice.js';
import type { SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';

/**
 * The memory backend behind network-like latency: every operation answers after a pseudo-random number
 * of event-loop turns, and notices arrive late but in publish order (as with Redis pub/sub). It lets the
 * core's ordering guarantees be tested against the interleavings a networked backend produces.
 */
export class LaggingBackend implements SwitchboardBackend {
  private readonly inner = new MemoryBackend();
  private readonly handlers: NoticeHandler[] = [];
  private delivery: Promise<void> = Promise.resolve();
  private seed: number;

  constructor(seed = 1) {
    this.seed = seed;
  }

  addRegistered = this.lagged(this.inner.addRegistered.bind(this.inner));
  removeRegistered = this.lagged(this.inner.removeRegistered.bind(this.inner));
  registeredCount = this.lagged(this.inner.registeredCount.bind(this.inner));
  createCall = this.lagged(this.inner.createCall.bind(this.inner));
  claimCall = this.lagged(this.inner.claimCall.bind(this.inner));
  endCall = this.lagged(this.inner.endCall.bind(this.inner));
  callCounts = this.lagged(this.inner.callCounts.bind(this.inner));

  publish(extensionId: string, audience: Audience, notice: Notice): void {
    const turns = this.nextTurns();
    this.delivery = this.delivery.then(async () => {
      await turnsPass(turns);
      for (const handler of this.handlers) handler(extensionId, audience, notice);
    });
  }

  onNotice(handler: NoticeHandler): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    await this.delivery;
  }

  private lagged<A extends unknown[], R>(operation: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      await turnsPass(this.nextTurns());
      const result = await operation(...args);
      await turnsPass(this.nextTurns());
      return result;
    };
  }

  private nextTurns(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.seed % 4;
  }
}

async function turnsPass(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
