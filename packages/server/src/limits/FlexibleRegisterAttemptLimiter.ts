import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';
import type { RedisClient } from '../backend/redis/RedisClient.js';
import type { RegisterAttemptLimiter } from '../core/RegisterAttemptLimiter.js';

/**
 * Register attempts counted on rate-limiter-flexible's fixed windows: in this process, or in Redis so
 * that every process of a cluster counts against the same limit. Either way an attempt is consumed before
 * its password is checked and rewarded back when it was right (see `RegisterAttemptLimiter`); in Redis
 * each of those is one atomic script, so parallel attempts on different processes cannot slip past it.
 */
export class FlexibleRegisterAttemptLimiter implements RegisterAttemptLimiter {
  private constructor(private readonly attempts: RateLimiterAbstract) {}

  static inMemory(limit: number, windowSeconds: number): FlexibleRegisterAttemptLimiter {
    return new FlexibleRegisterAttemptLimiter(
      new RateLimiterMemory({ points: limit, duration: windowSeconds }),
    );
  }

  /** Keys are `<keyPrefix>register:<address>|<extension>`. */
  static inRedis(
    client: RedisClient | RedisClientType,
    keyPrefix: string,
    limit: number,
    windowSeconds: number,
  ): FlexibleRegisterAttemptLimiter {
    return new FlexibleRegisterAttemptLimiter(
      new RateLimiterRedis({
        storeClient: client,
        useRedisPackage: true,
        keyPrefix: `${keyPrefix}register`,
        points: limit,
        duration: windowSeconds,
      }),
    );
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
