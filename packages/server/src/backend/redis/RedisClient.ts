import type { Logger } from 'pino';
import { createClient } from 'redis';

function newClient(url: string) {
  return createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000), connectTimeout: 5000 },
    // No per-command timeout (node-redis arms a 5 s timer per command by default): under load it costs a
    // timer per signal, and a command it rejects closes a healthy peer with 1011. `ClusterMembership`
    // tells when Redis is out of reach.
    commandOptions: { timeout: 0 },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

const FIRST_CONNECT_TIMEOUT_MS = 5000;

/**
 * A connected node-redis client. Commands issued while the connection is down wait in node-redis's
 * offline queue and go out, in order, once it is back; `ClusterMembership` notices the outage meanwhile.
 * Connection errors are logged (at most one line per outage), never with the URL, which may hold a
 * password.
 */
export async function connectRedis(url: string, log: Logger, role: string): Promise<RedisClient> {
  const client = newClient(url);
  let failing = false;
  let lastError = 'no answer';
  client.on('error', (err: Error) => {
    lastError = err.message;
    if (!failing) log.warn({ role, error: err.message }, 'redis connection failing');
    failing = true;
  });
  client.on('ready', () => {
    if (failing) log.info({ role }, 'redis connection back');
    failing = false;
  });
  // At start an unreachable Redis is an error, not a wait: the process should not look up while it is not.
  let timer: NodeJS.Timeout | undefined;
  const givingUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(lastError)), FIRST_CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([client.connect(), givingUp]);
  } catch (err) {
    client.destroy();
    throw new Error(`Cannot reach Redis at ${redactedUrl(url)} (--redis-url): ${(err as Error).message}.`);
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** The URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unreadable URL)';
  }
}
