import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { RegisterAttemptLimiter } from '../core/RegisterAttemptLimiter.js';

/** Register attempts counted in this process, on rate-limiter-flexible's fixed windows. */
export class MemoryRegisterAttemptLimiter implements RegisterAttemptLimiter {
  private readonly attempts: RateLimiterMemory;

  constructor(limit: number, windowSeconds: number) {
    this.attempts = new RateLimiterMemory({ points: limit, duration: windowSeconds });
  }

  async beginAttempt(key: string): Promise<boolean> {
    try {
      await this.attempts.consume(key);
      return true;
    } catch (outcome) {
      // The library rejects with its result object when the points are used up, with an Error otherwise.
      if (outcome instanceof RateLimiterRes) return false;
      throw outcome;
    }
  }

  async refund(key: string): Promise<void> {
    await this.attempts.reward(key, 1);
  }
}
