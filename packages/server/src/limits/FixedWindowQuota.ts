import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RedisClientType } from 'redis';
import type { RedisClient } from '../backend/redis/RedisClient.js';

/**
 * So many uses per key per fixed window, counted by rate-limiter-flexible: in this process, or in Redis so
 * that every process of a cluster counts against the same quota (N processes must not give an address N
 * times the uses). In Redis each take and give-back is one atomic script, so uses made at the same moment
 * on different processes cannot slip past it.
 */
export class FixedWindowQuota {
  private constructor(private readonly counter: RateLimiterAbstract) {}

  static inMemory(uses: number, windowSeconds: number): FixedWindowQuota {
    return new FixedWindowQuota(new RateLimiterMemory({ points: uses, duration: windowSeconds }));
  }

  /** Keys are `<keyPrefix>:<key>` (the library adds the colon). */
  static inRedis(
    client: RedisClient | RedisClientType,
    keyPrefix: string,
    uses: number,
    windowSeconds: number,
  ): FixedWindowQuota {
    return new FixedWindowQuota(
      new RateLimiterRedis({
        storeClient: client,
        useRedisPackage: true,
        keyPrefix,
        points: uses,
        duration: windowSeconds,
      }),
    );
  }

  /** Counts one use; false when the key's quota for this window is used up. Rejects when Redis fails. */
  async take(key: string): Promise<boolean> {
    try {
      await this.counter.consume(key);
      return true;
    } catch (outcome) {
      // The library rejects with its result object when the points are used up, with an Error otherwise.
      if (outcome instanceof RateLimiterRes) return false;
      throw outcome;
    }
  }

  /** One use taken no longer counts. */
  async giveBack(key: string): Promise<void> {
    await this.counter.reward(key, 1);
  }
}
