import { createHash } from 'node:crypto';
import type { RedisClient } from './RedisClient.js';

/**
 * One Lua script, run by its SHA-1 digest (EVALSHA), sent whole only the first time a Redis does not
 * know it (after a restart, or on a new Redis).
 */
export class RedisScript {
  private readonly sha1: string;

  constructor(private readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(this.sha1, options);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, options);
    }
  }
}
