import { existsSync } from 'node:fs';
import { databaseLocation, unsupportedDatabaseProblem } from './databaseLocation.js';
import type { ExtensionStore } from './ExtensionStore.js';
import { PostgresExtensionStore } from './PostgresExtensionStore.js';
import { SqliteExtensionStore } from './SqliteExtensionStore.js';

export interface OpenExtensionStoreOptions {
  /**
   * Whether a missing database may be created: the SQLite file and its folder, or the PostgreSQL schema
   * and tables. Pending migrations of an existing one are applied either way.
   */
  create: boolean;
}

/** Opening failed; the message is one sentence fit for an operator, never holding a password. */
export class ExtensionStoreOpenError extends Error {
  override name = 'ExtensionStoreOpenError';
}

/**
 * The store a `--db` value names: a `postgres://` or `postgresql://` URL opens PostgreSQL, any other
 * `scheme://` is refused, and anything else is a SQLite file path.
 */
export async function openExtensionStore(
  db: string,
  { create }: OpenExtensionStoreOptions,
): Promise<ExtensionStore> {
  const location = databaseLocation(db);
  switch (location.kind) {
    case 'postgres':
      try {
        return await PostgresExtensionStore.open(location.url, { create });
      } catch (error) {
        throw new ExtensionStoreOpenError(messageOf(error));
      }
    case 'unsupported':
      throw new ExtensionStoreOpenError(`--db ${unsupportedDatabaseProblem(db)}`);
    case 'sqlite': {
      const { path } = location;
      const inMemory = path === ':memory:' || path === '';
      if (!create && !inMemory && !existsSync(path)) {
        throw new ExtensionStoreOpenError(`There is no extension database at "${path}".`);
      }
      try {
        return SqliteExtensionStore.open(path);
      } catch (error) {
        throw new ExtensionStoreOpenError(
          `Cannot open the extension database "${path}": ${messageOf(error)}`,
        );
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
