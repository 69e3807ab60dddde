import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

/** The machine's Redis (`PBX_PEERS_TEST_REDIS_URL` to use another). */
export const TEST_REDIS_URL = process.env.PBX_PEERS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses. */
export function uniqueRedisPrefix(): string {
  return `pbx-peers-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under a test's prefix. */
export async function deleteRedisKeys(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const client = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}
