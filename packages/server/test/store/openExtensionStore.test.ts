import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { databaseLocation, redactDatabaseUrl } from '../../src/store/databaseLocation.js';
import { openExtensionStore } from '../../src/store/openExtensionStore.js';
import { PostgresExtensionStore } from '../../src/store/PostgresExtensionStore.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { newTestSchema } from '../support/postgres.js';

describe('databaseLocation', () => {
  it('postgres:// and postgresql:// are PostgreSQL, other schemes are refused, the rest is a path', () => {
    assert.deepEqual(databaseLocation('postgres://h/db'), { kind: 'postgres', url: 'postgres://h/db' });
    assert.deepEqual(databaseLocation('PostgreSQL://h/db'), { kind: 'postgres', url: 'PostgreSQL://h/db' });
    assert.deepEqual(databaseLocation('mysql://h/db'), { kind: 'unsupported', scheme: 'mysql' });
    assert.deepEqual(databaseLocation('file:///tmp/x.db'), { kind: 'unsupported', scheme: 'file' });
    for (const path of [
      './data/pbx-peers.db',
      '/var/lib/pbx.db',
      ':memory:',
      'C:\\data\\pbx.db',
      'postgres',
    ]) {
      assert.deepEqual(databaseLocation(path), { kind: 'sqlite', path });
    }
  });
});

describe('redactDatabaseUrl', () => {
  it('masks the password in the user part and in password parameters, keeps the rest', () => {
    assert.equal(redactDatabaseUrl('postgres://u:p@h:5432/db'), 'postgres://u:***@h:5432/db');
    assert.equal(redactDatabaseUrl('postgres://u@h/db?schema=s'), 'postgres://u@h/db?schema=s');
    assert.equal(redactDatabaseUrl('postgres://h/db'), 'postgres://h/db');
    assert.equal(redactDatabaseUrl('postgres://u:pa/s@s@h/db'), 'postgres://u:***@h/db');
    assert.equal(
      redactDatabaseUrl('postgres://h/db?password=x&schema=s&sslpassword=y'),
      'postgres://h/db?password=***&schema=s&sslpassword=***',
    );
  });
});

describe('openExtensionStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pbx-peers-open-store-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens SQLite for a path, creating the file when allowed', async () => {
    const path = join(dir, 'sub', 'pbx.db');
    const store = await openExtensionStore(path, { create: true });
    try {
      assert.ok(store instanceof SqliteExtensionStore);
      assert.ok(existsSync(path));
    } finally {
      await store.close();
    }
  });

  it('refuses a missing SQLite file when creating is not allowed, and creates nothing', async () => {
    const path = join(dir, 'pbx.db');
    await assert.rejects(openExtensionStore(path, { create: false }), /There is no extension database at/);
    assert.deepEqual(await readdir(dir), []);
  });

  it('opens PostgreSQL for a postgres:// URL', async () => {
    const schema = newTestSchema();
    try {
      const store = await openExtensionStore(schema.url, { create: true });
      try {
        assert.ok(store instanceof PostgresExtensionStore);
        assert.deepEqual(await store.list(), []);
      } finally {
        await store.close();
      }
    } finally {
      await schema.drop();
    }
  });

  it('refuses another scheme with a sentence naming --db and the accepted forms, touching nothing', async () => {
    const previous = process.cwd();
    process.chdir(dir);
    try {
      await assert.rejects(
        openExtensionStore('mysql://root:secret@db/pbx', { create: true }),
        (error: Error) => {
          assert.match(
            error.message,
            /^--db must be a SQLite file path or a postgres:\/\/ \(or postgresql:\/\/\) URL/,
          );
          assert.match(error.message, /mysql:\/\/ is not supported/);
          assert.ok(!error.message.includes('secret'));
          return true;
        },
      );
    } finally {
      process.chdir(previous);
    }
    assert.deepEqual(await readdir(dir), []);
  });
});
