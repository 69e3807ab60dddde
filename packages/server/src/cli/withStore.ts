import type { ExtensionStore } from '../store/ExtensionStore.js';
import { openExtensionStore } from '../store/openExtensionStore.js';
import { CommandFailedError } from './cliErrors.js';
import { resolveDbPath } from './dbOption.js';

/**
 * Opens the store `--db` names (flag, environment, default) for one command, and closes it after `use`.
 * Only commands that add something `create` a missing store; the others fail with one sentence.
 */
export async function withStore<T>(
  dbFlag: string | undefined,
  { create }: { create: boolean },
  use: (store: ExtensionStore) => Promise<T>,
): Promise<T> {
  const db = resolveDbPath(dbFlag);
  let store: ExtensionStore;
  try {
    store = await openExtensionStore(db, { create });
  } catch (error) {
    // Already one sentence naming the database (a PostgreSQL URL without its password).
    throw new CommandFailedError(error instanceof Error ? error.message : String(error));
  }
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
