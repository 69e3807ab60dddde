import { pino } from 'pino';
import { RedisBackend } from '../../src/backend/RedisBackend.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import { switchboardBackendContract } from './switchboardBackendContract.js';

/** Two processes' backends (two nodes) on the machine's Redis, under a prefix of the test's own. */
switchboardBackendContract('redis, two nodes', async () => {
  const prefix = uniqueRedisPrefix();
  const log = pino({ level: 'silent' });
  const start = (nodeId: string) =>
    RedisBackend.start({ url: TEST_REDIS_URL, prefix, nodeId, leaseMs: 5000, log });
  const nodes = [await start('node-a'), await start('node-b')];
  return {
    nodes,
    async cleanup() {
      await Promise.all(nodes.map((node) => node.close()));
      await deleteRedisKeys(prefix);
    },
  };
});
