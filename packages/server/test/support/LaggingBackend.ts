import { MemoryBackend } from '../../src/backend/MemoryBackend.js';
import type { Audience, Notice, NoticeHandler } from '../../src/core/Notice.js';
import type { SwitchboardBackend } from '../../src/core/SwitchboardBackend.js';
import { delay } from './delay.js';

export interface LaggingBackendOptions {
  /** Seeds the pseudo-random lags, so a run can be repeated. Default 1. */
  seed?: number;
  /** Default 0. */
  minLag?: number;
  /** Default 3. */
  maxLag?: number;
  /**
   * What one unit of lag is: an event-loop turn (for the core driven directly, fast and exact) or a
   * millisecond (through a real server, where sockets need real time). Default `turns`.
   */
  unit?: 'turns' | 'ms';
}

/**
 * The memory backend behind network-like latency, as a networked backend (Redis) has: every operation
 * answers after a pseudo-random lag, and notices arrive late but in publish order (as with pub/sub). It
 * widens every race window the protocol's ordering rules have to survive.
 */
export class LaggingBackend implements SwitchboardBackend {
  private readonly inner = new MemoryBackend();
  private readonly handlers: NoticeHandler[] = [];
  private delivery: Promise<void> = Promise.resolve();
  private seed: number;
  private readonly minLag: number;
  private readonly maxLag: number;
  private readonly wait: (lag: number) => Promise<void>;

  constructor(options: LaggingBackendOptions = {}) {
    this.seed = options.seed ?? 1;
    this.minLag = options.minLag ?? 0;
    this.maxLag = options.maxLag ?? 3;
    this.wait = options.unit === 'ms' ? delay : turnsPass;
  }

  addRegistered = this.lagged(this.inner.addRegistered.bind(this.inner));
  removeRegistered = this.lagged(this.inner.removeRegistered.bind(this.inner));
  registeredCount = this.lagged(this.inner.registeredCount.bind(this.inner));
  createCall = this.lagged(this.inner.createCall.bind(this.inner));
  claimCall = this.lagged(this.inner.claimCall.bind(this.inner));
  endCall = this.lagged(this.inner.endCall.bind(this.inner));
  callCounts = this.lagged(this.inner.callCounts.bind(this.inner));

  publish(extensionId: string, audience: Audience, notice: Notice): void {
    const lag = this.nextLag();
    this.delivery = this.delivery.then(async () => {
      await this.wait(lag);
      for (const handler of this.handlers) handler(extensionId, audience, notice);
    });
  }

  onNotice(handler: NoticeHandler): void {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {
    await this.delivery;
    await this.inner.close();
  }

  private lagged<A extends unknown[], R>(operation: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      await this.wait(this.nextLag());
      const result = await operation(...args);
      await this.wait(this.nextLag());
      return result;
    };
  }

  private nextLag(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.minLag + (this.seed % (this.maxLag - this.minLag + 1));
  }
}

async function turnsPass(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
