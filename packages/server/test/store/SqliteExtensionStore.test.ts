import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { extensionStoreContract } from './extensionStoreContract.js';

async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pbx-peers-sqlite-store-'));
}

/** Reads the file directly, bypassing the store, to check what it left on disk. */
function inspectDatabase(path: string): { userVersion: number; journalMode: string; tables: string[] } {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((row) => row.name);
    return {
      userVersion: db.pragma('user_version', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      tables,
    };
  } finally {
    db.close();
  }
}

extensionStoreContract('SqliteExtensionStore (temporary file)', async () => {
  const dir = await makeTempDir();
  const path = join(dir, 'extensions.db');
  const store = SqliteExtensionStore.open(path);
  let freshFiles = 0;
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
    openAnother: async () => SqliteExtensionStore.open(path),
    fresh() {
      freshFiles += 1;
      const freshPath = join(dir, `fresh-${freshFiles}.db`);
      return {
        open: async () => SqliteExtensionStore.open(freshPath),
        async appliedVersions() {
          const { userVersion } = inspectDatabase(freshPath);
          return Array.from({ length: userVersion }, (_version, index) => index + 1);
        },
      };
    },
  };
});

extensionStoreContract('SqliteExtensionStore (:memory:)', async () => {
  const store = SqliteExtensionStore.open(':memory:');
  return { store, cleanup: () => store.close() };
});

describe('SqliteExtensionStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates missing parent folders on first use', async () => {
    const path = join(dir, 'nested', 'deeper', 'extensions.db');

    const store = SqliteExtensionStore.open(path);
    await store.close();

    assert.ok(existsSync(path));
  });

  it('applies the migrations once, records them in user_version and uses WAL', async () => {
    const path = join(dir, 'extensions.db');

    await SqliteExtensionStore.open(path).close();

    const inspected = inspectDatabase(path);
    assert.equal(inspected.userVersion, 4);
    assert.equal(inspected.journalMode, 'wal');
    assert.deepEqual(inspected.tables, [
      'admin_sessions',
      'admins',
      'callback_requests',
      'calls',
      'extensions',
      'sqlite_sequence',
      'webhook_outbox',
    ]);
  });

  it('keeps data across reopening without re-applying migrations', async () => {
    const path = join(dir, 'extensions.db');
    const first = SqliteExtensionStore.open(path);
    const added = await first.add({ id: 'door', name: 'Door', passwordHash: 'hash' });
    await first.close();

    // Re-running migration 1 would fail with "table extensions already exists".
    const reopened = SqliteExtensionStore.open(path);
    try {
      assert.deepEqual(await reopened.get('door'), added);
      assert.equal(inspectDatabase(path).userVersion, 4);
    } finally {
      await reopened.close();
    }
  });

  it('creates the database file and its WAL files readable by their owner only (0600)', async () => {
    const path = join(dir, 'private', 'extensions.db');
    const store = SqliteExtensionStore.open(path);
    try {
      await store.add({ id: 'door', name: 'Door', passwordHash: 'hash' });
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        assert.equal(statSync(file).mode & 0o777, 0o600, `${file} mode`);
      }
    } finally {
      await store.close();
    }
  });

  it('brings a database of the first version up to date, keeping its extensions', async () => {
    const path = join(dir, 'extensions.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE extensions (id TEXT PRIMARY KEY, name TEXT NOT NULL, password_hash TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
    old.prepare("INSERT INTO extensions VALUES ('door', 'Door', 'hash', 1, 1)").run();
    old.pragma('user_version = 1');
    old.close();
    const store = SqliteExtensionStore.open(path);
    try {
      assert.equal((await store.get('door'))?.name, 'Door');
      assert.equal(inspectDatabase(path).userVersion, 4);
      assert.deepEqual(await store.listCalls(), []);
    } finally {
      await store.close();
    }
  });

  it('refuses a database whose schema is newer than it knows', async () => {
    const path = join(dir, 'extensions.db');
    await SqliteExtensionStore.open(path).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();

    assert.throws(() => SqliteExtensionStore.open(path), /newer than this pbx-peers understands/);
  });

  it('sees writes made through another connection to the same file, as the CLI and server do', async () => {
    const path = join(dir, 'extensions.db');
    const server = SqliteExtensionStore.open(path);
    const cli = SqliteExtensionStore.open(path);
    try {
      await cli.add({ id: 'door', name: 'Door', passwordHash: 'hash' });
      assert.equal((await server.get('door'))?.name, 'Door');

      await cli.remove('door');
      assert.equal(await server.get('door'), undefined);
    } finally {
      await cli.close();
      await server.close();
    }
  });

  it('works in memory without touching the file system', async () => {
    const store = SqliteExtensionStore.open(':memory:');
    try {
      await store.add({ id: 'door', name: 'Door', passwordHash: 'hash' });
      assert.equal((await store.list()).length, 1);
      assert.equal(existsSync(':memory:'), false);
    } finally {
      await store.close();
    }
  });

  it('close can be called twice', async () => {
    const store = SqliteExtensionStore.open(':memory:');
    await store.close();
    await store.close();
  });
});
