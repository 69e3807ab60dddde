import { randomBytes } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { FlexibleRegisterAttemptLimiter } from '../../src/limits/FlexibleRegisterAttemptLimiter.js';
import { LIMIT, registerAttemptLimiterContract } from './registerAttemptLimiterContract.js';

registerAttemptLimiterContract('in memory', async () => ({
  limiter: FlexibleRegisterAttemptLimiter.inMemory(LIMIT, 900),
  cleanup: async () => {},
}));

/** The machine's Redis, each test under its own key prefix, its keys deleted afterwards. */
registerAttemptLimiterContract('in Redis', async () => {
  const client: RedisClientType = createClient({
    url: process.env.PBX_PEERS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    socket: { connectTimeout: 2_000, reconnectStrategy: false },
  });
  await client.connect();
  const prefix = `pbx-peers-test:${randomBytes(6).toString('hex')}:`;
  return {
    limiter: FlexibleRegisterAttemptLimiter.inRedis(client, prefix, LIMIT, 900),
    async cleanup() {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(keys);
      await client.quit();
    },
  };
});
