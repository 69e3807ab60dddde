import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  DuplicateExtensionError,
  type ExtensionRecord,
  type ExtensionStore,
  type NewExtension,
} from './ExtensionStore.js';

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Only ever append:
 * an edited or reordered entry would never reach databases that already ran it.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE extensions (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   )`,
];

const COLUMNS = 'id, name, password_hash, created_at, updated_at';

/** The CLI writes while a server reads the same file; a writer waits this long for the other's lock. */
const BUSY_TIMEOUT_MS = 5_000;

interface ExtensionRow {
  id: string;
  name: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export class SqliteExtensionStore implements ExtensionStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<
    [{ id: string; name: string; passwordHash: string; now: number }],
    ExtensionRow
  >;
  readonly #selectById: Database.Statement<[string], ExtensionRow>;
  readonly #selectExists: Database.Statement<[string], number>;
  readonly #selectAll: Database.Statement<[], ExtensionRow>;
  readonly #deleteById: Database.Statement<[string]>;
  readonly #updatePasswordHash: Database.Statement<[{ id: string; passwordHash: string; now: number }]>;

  /** Opens (creating the file and its folder when missing) and brings the schema up to date. */
  static open(path: string): SqliteExtensionStore {
    if (!isInMemory(path)) mkdirSync(dirname(resolve(path)), { recursive: true });
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      // WAL lets a running server keep reading while the CLI writes.
      db.pragma('journal_mode = WAL');
      migrate(db);
      return new SqliteExtensionStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO extensions (id, name, password_hash, created_at, updated_at)
       VALUES (@id, @name, @passwordHash, @now, @now)
       RETURNING ${COLUMNS}`,
    );
    this.#selectById = db.prepare(`SELECT ${COLUMNS} FROM extensions WHERE id = ?`);
    this.#selectExists = db.prepare<[string], number>('SELECT 1 FROM extensions WHERE id = ?').pluck();
    this.#selectAll = db.prepare(`SELECT ${COLUMNS} FROM extensions ORDER BY created_at, id`);
    this.#deleteById = db.prepare('DELETE FROM extensions WHERE id = ?');
    this.#updatePasswordHash = db.prepare(
      'UPDATE extensions SET password_hash = @passwordHash, updated_at = @now WHERE id = @id',
    );
  }

  async add(extension: NewExtension): Promise<ExtensionRecord> {
    const { id, name, passwordHash } = extension;
    let row: ExtensionRow | undefined;
    try {
      row = this.#insert.get({ id, name, passwordHash, now: Date.now() });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateExtensionError(id);
      throw error;
    }
    if (row === undefined) throw new Error(`Inserting extension "${id}" returned no row.`);
    return toRecord(row);
  }

  async get(id: string): Promise<ExtensionRecord | undefined> {
    const row = this.#selectById.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  async exists(id: string): Promise<boolean> {
    return this.#selectExists.get(id) !== undefined;
  }

  async list(): Promise<ExtensionRecord[]> {
    return this.#selectAll.all().map(toRecord);
  }

  async remove(id: string): Promise<boolean> {
    return this.#deleteById.run(id).changes > 0;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    return this.#updatePasswordHash.run({ id, passwordHash, now: Date.now() }).changes > 0;
  }

  /** Safe to call more than once. */
  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function isInMemory(path: string): boolean {
  // better-sqlite3 treats an empty path as a private temporary database, like ':memory:'.
  return path === ':memory:' || path === '';
}

function migrate(db: Database.Database): void {
  const readVersion = () => db.pragma('user_version', { simple: true }) as number;
  if (readVersion() === MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock before re-reading the version, so two processes opening a new file
  // at once cannot both apply the same migration.
  const applyPending = db.transaction(() => {
    const version = readVersion();
    if (version > MIGRATIONS.length) {
      throw new Error(
        `The database schema is version ${version}, newer than this pbx-peers understands (${MIGRATIONS.length}); upgrade pbx-peers.`,
      );
    }
    for (const migration of MIGRATIONS.slice(version)) db.exec(migration);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  applyPending.immediate();
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || error.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}

function toRecord(row: ExtensionRow): ExtensionRecord {
  return {
    id: row.id,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
