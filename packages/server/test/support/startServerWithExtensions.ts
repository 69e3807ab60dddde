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

/** A SQLite store at `path` (a file, or `:memory:`) holding `extensions`; the caller closes it. */
export async function storeWithExtensions(
  path: string,
  extensions: readonly TestExtension[],
): Promise<SqliteExtensionStore> {
  const store = SqliteExtensionStore.open(path);
  try {
    for (const extension of extensions) {
      await store.add({
        id: extension.id,
        name: extension.name ?? extension.id,
        passwordHash: await cachedPasswordHash(extension.password),
      });
    }
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The real server on a free port, logging nothing, with its own in-memory SQLite store holding
 * `extensions`. The caller closes both (the server does not close a store it was given).
 */
export async function startServerWithExtensions(
  extensions: readonly TestExtension[],
  options: Omit<StartServerOptions, 'store'> = {},
): Promise<{ server: RunningServer; store: SqliteExtensionStore }> {
  const store = await storeWithExtensions(':memory:', extensions);
  try {
    const server = await startServer({ port: 0, logLevel: 'silent', ...options, store });
    return { server, store };
  } catch (error) {
    await store.close();
    throw error;
  }
}
