import { type RunningServer, type StartServerOptions, startServer } from '../../src/startServer.js';
import { hashPassword } from '../../src/store/passwordHash.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';

export interface TestExtension {
  id: string;
  /** Defaults to the id. */
  name?: string;
  password: string;
}

const hashes = new Map<string, Promise<string>>();

/** scrypt is slow on purpose; in tests each password is hashed once per process and reused. */
function cachedPasswordHash(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (hash === undefined) {
    hash = hashPassword(password);
    hashes.set(password, hash);
  }
  return hash;
}

/**
 * The real server on a free port, logging nothing, with its own in-memory SQLite store holding
 * `extensions`. The caller closes both (the server does not close a store it was given).
 */
export async function startServerWithExtensions(
  extensions: readonly TestExtension[],
  options: Omit<StartServerOptions, 'store'> = {},
): Promise<{ server: RunningServer; store: SqliteExtensionStore }> {
  const store = SqliteExtensionStore.open(':memory:');
  try {
    for (const extension of extensions) {
      await store.add({
        id: extension.id,
        name: extension.name ?? extension.id,
        passwordHash: await cachedPasswordHash(extension.password),
      });
    }
    const server = await startServer({ port: 0, logLevel: 'silent', ...options, store });
    return { server, store };
  } catch (error) {
    await store.close();
    throw error;
  }
}
