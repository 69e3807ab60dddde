import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type RedisClientType } from 'redis';
import { FixedWindowQuota } from '../../src/limits/FixedWindowQuota.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';

/** A fixed-window quota: the limits behind `register`, admin sign-ins and callback requests. */

const connected = async (url = TEST_REDIS_URL): Promise<RedisClientType> => {
  const client: RedisClientType = createClient({
    url,
    socket: { connectTimeout: 2_000, reconnectStrategy: false },
  });
  await client.connect();
  return client;
};

describe('FixedWindowQuota', () => {
  it('in memory: so many uses per key, then no; a use given back does not count', async () => {
    const quota = FixedWindowQuota.inMemory(2, 3_600);
    assert.equal(await quota.take('a'), true);
    await quota.giveBack('a');
    assert.deepEqual(
      [await quota.take('a'), await quota.take('a'), await quota.take('a')],
      [true, true, false],
    );
    assert.equal(await quota.take('b'), true, 'each key has its own quota');
  });

  describe('in Redis', () => {
    const prefix = uniqueRedisPrefix();
    const clients: RedisClientType[] = [];
    before(async () => {
      clients.push(await connected(), await connected());
    });
    after(async () => {
      for (const client of clients) client.destroy();
      await deleteRedisKeys(prefix);
    });

    it('two processes (two clients) count against one quota, under the prefix', async () => {
      const [first, second] = clients.map((client) =>
        FixedWindowQuota.inRedis(client, `${prefix}callbacks`, 3, 3_600),
      );
      const taken = [];
      for (let use = 0; use < 4; use++) taken.push(await (use % 2 === 0 ? first : second)?.take('10.0.0.1'));
      assert.deepEqual(taken, [true, true, true, false]);
      assert.deepEqual(await clients[0]?.keys(`${prefix}*`), [`${prefix}callbacks:10.0.0.1`]);
    });

    it('rejects (never says yes or no) when Redis cannot be reached', async () => {
      const gone = await connected();
      gone.destroy();
      const quota = FixedWindowQuota.inRedis(gone, `${prefix}gone`, 3, 3_600);
      await assert.rejects(quota.take('10.0.0.1'));
    });
  });
});
