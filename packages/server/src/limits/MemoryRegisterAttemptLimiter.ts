import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { RegisterAttemptLimiter } from '../core/RegisterAttemptLimiter.js';

/** Failed-register counting in this process, on rate-limiter-flexible's fixed windows. */
export class MemoryRegisterAttemptLimiter implements RegisterAttemptLimiter {
  private readonly failures: RateLimiterMemory;

  constructor(
    private readonly limit: number,
    windowSeconds: number,
  ) {
    this.failures = new RateLimiterMemory({ points: limit, duration: windowSeconds });
  }

  async isBlocked(key: string): Promise<boolean> {
    const state = await this.failures.get(key);
    return state !== null && state.consumedPoints >= this.limit;
  }

  async recordFailure(key: string): Promise<void> {
    await this.failures.penalty(key, 1);
  }
}
