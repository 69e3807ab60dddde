import type { AdminStore } from './AdminStore.js';
import type { CallHistoryStore } from './CallHistoryStore.js';
import type { WebhookOutbox } from './WebhookOutbox.js';

/**
 * Where extensions (and their call history, see `CallHistoryStore`) live: SQLite (`SqliteExtensionStore`) or PostgreSQL (`PostgresExtensionStore`), opened
 * by `openExtensionStore` from the `--db` value. One contract test suite
 * (`test/store/extensionStoreContract.ts`) runs against each. Methods are async so that a networked store
 * fits without changing callers.
 */

export interface ExtensionRecord {
  /** URL-safe, 3 to 64 of [A-Za-z0-9_-]. */
  id: string;
  name: string;
  /** Encoded salted hash (see `passwordHash.ts`); never the password. */
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewExtension {
  id: string;
  name: string;
  passwordHash: string;
}

export class DuplicateExtensionError extends Error {
  override name = 'DuplicateExtensionError';
  constructor(readonly extensionId: string) {
    super(`An extension with id "${extensionId}" already exists.`);
  }
}

export interface ExtensionStore extends CallHistoryStore, WebhookOutbox, AdminStore {
  /** Adds an extension; rejects with DuplicateExtensionError when the id is taken. */
  add(extension: NewExtension): Promise<ExtensionRecord>;
  get(id: string): Promise<ExtensionRecord | undefined>;
  /** Whether the id is taken; cheaper than `get`, as every WebSocket upgrade asks it. */
  exists(id: string): Promise<boolean>;
  /** All extensions, oldest first. */
  list(): Promise<ExtensionRecord[]>;
  /** Returns false when there was no such extension. */
  remove(id: string): Promise<boolean>;
  /** Renames it and bumps `updatedAt`; false when there is no such extension. */
  rename(id: string, name: string): Promise<boolean>;
  /** Replaces the password hash and bumps `updatedAt`; false when there is no such extension. */
  setPasswordHash(id: string, passwordHash: string): Promise<boolean>;
  /**
   * Optional: hears removals made by any process using the same store, as they happen, so a server need
   * not poll `exists()`. Resolves once listening; the function it resolves to stops the watch. A store
   * without it is polled.
   */
  watchRemovals?(watch: RemovalWatch): Promise<() => Promise<void>>;
  /** Also stops every watch. */
  close(): Promise<void>;
}

export interface RemovalWatch {
  /** An extension was removed, by this process or another. */
  onRemoved(extensionId: string): void;
  /**
   * The watch lost its connection and has it back: removals made meanwhile were not heard, so the owner
   * should check the extensions it cares about with `exists()`.
   */
  onResync(): void;
  /** The watch lost its connection, or failed to restore it; it keeps trying until stopped. */
  onError?(error: Error): void;
}
