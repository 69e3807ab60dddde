import type { RedisClientType } from 'redis';
import type { RedisClient } from '../backend/redis/RedisClient.js';
import type { RegisterAttemptLimiter } from '../core/RegisterAttemptLimiter.js';
import { FixedWindowQuota } from './FixedWindowQuota.js';

/**
 * Register attempts counted on a fixed-window quota, in this process or in Redis (see `FixedWindowQuota`).
 * An attempt is taken before its password is checked and given back when it was right (see
 * `RegisterAttemptLimiter`).
 */
export class FlexibleRegisterAttemptLimiter implements RegisterAttemptLimiter {
  constructor(private readonly attempts: FixedWindowQuota) {}

  static inMemory(limit: number, windowSeconds: number): FlexibleRegisterAttemptLimiter {
    return new FlexibleRegisterAttemptLimiter(FixedWindowQuota.inMemory(limit, windowSeconds));
  }

  /** Keys are `<keyPrefix>register:<address>|<extension>`. */
  static inRedis(
    client: RedisClient | RedisClientType,
    keyPrefix: string,
    limit: number,
    windowSeconds: number,
  ): FlexibleRegisterAttemptLimiter {
    return new FlexibleRegisterAttemptLimiter(
      FixedWindowQuota.inRedis(client, `${keyPrefix}register`, limit, windowSeconds),
    );
  }

  beginAttempt(key: string): Promise<boolean> {
    return this.attempts.take(key);
  }

  refund(key: string): Promise<void> {
    return this.attempts.giveBack(key);
  }
}
