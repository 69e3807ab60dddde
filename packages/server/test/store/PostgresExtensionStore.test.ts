import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExtensionStore } from '../../src/store/ExtensionStore.js';
import { PostgresExtensionStore } from '../../src/store/PostgresExtensionStore.js';
import { newTestSchema, type TestSchema, withAdminClient } from '../support/postgres.js';
import { extensionStoreContract } from './extensionStoreContract.js';

async function appliedVersions(schema: string): Promise<number[]> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    return rows.map((row) => row.version);
  });
}

/** Resolves with the first value `check` returns that is not undefined, polling every 20 ms. */
async function eventually<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
}

extensionStoreContract('PostgresExtensionStore (own schema per test)', async () => {
  const schemas: TestSchema[] = [newTestSchema()];
  const [schema] = schemas as [TestSchema];
  const store = await PostgresExtensionStore.open(schema.url);
  const others: ExtensionStore[] = [];
  return {
    store,
    async cleanup() {
      await Promise.all([store, ...others].map((opened) => opened.close()));
      for (const created of schemas) await created.drop();
    },
    async openAnother() {
      const other = await PostgresExtensionStore.open(schema.url);
      others.push(other);
      return other;
    },
    fresh() {
      const freshSchema = newTestSchema();
      schemas.push(freshSchema);
      return {
        open: () => PostgresExtensionStore.open(freshSchema.url),
        appliedVersions: () => appliedVersions(freshSchema.name),
      };
    },
  };
});

describe('PostgresExtensionStore', () => {
  let schema: TestSchema;
  const opened: ExtensionStore[] = [];
  const open = async (url = schema.url) => {
    const store = await PostgresExtensionStore.open(url);
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    schema = newTestSchema();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await schema.drop();
  });

  it('creates the schema named by ?schema=, with its tables and schema_migrations (version, applied_at)', async () => {
    const before = Date.now();
    await open();

    const { tables, migrations } = await withAdminClient(async (client) => {
      const tableRows = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema.name],
      );
      const migrationRows = await client.query<{ version: number; applied_at: Date }>(
        `SELECT version, applied_at FROM ${schema.name}.schema_migrations`,
      );
      return { tables: tableRows.rows.map((row) => row.table_name), migrations: migrationRows.rows };
    });
    assert.deepEqual(tables, [
      'admin_sessions',
      'admins',
      'callback_requests',
      'calls',
      'extensions',
      'schema_migrations',
      'webhook_outbox',
    ]);
    assert.deepEqual(
      migrations.map((row) => row.version),
      [1, 2, 3, 4],
    );
    assert.ok(migrations[0]?.applied_at instanceof Date);
    assert.ok((migrations[0]?.applied_at.getTime() ?? 0) >= before - 60_000);
  });

  it('keeps data across reopening without re-applying migrations, dates as timestamptz', async () => {
    const first = await open();
    const added = await first.add({ id: 'door', name: 'Door', passwordHash: 'hash' });
    await first.close();

    const reopened = await open();
    assert.deepEqual(await reopened.get('door'), added);
    assert.deepEqual(await appliedVersions(schema.name), [1, 2, 3, 4]);
    const types = await withAdminClient(async (client) => {
      const { rows } = await client.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'extensions' AND column_name LIKE '%_at' ORDER BY column_name`,
        [schema.name],
      );
      return rows.map((row) => [row.column_name, row.data_type]);
    });
    assert.deepEqual(types, [
      ['created_at', 'timestamp with time zone'],
      ['updated_at', 'timestamp with time zone'],
    ]);
  });

  it('refuses a schema whose version is newer than it knows', async () => {
    await (await open()).close();
    await withAdminClient((client) =>
      client.query(`INSERT INTO ${schema.name}.schema_migrations (version) VALUES (99)`),
    );

    await assert.rejects(PostgresExtensionStore.open(schema.url), /newer than this pbx-peers understands/);
  });

  it('does not create a missing schema when told not to, and says so', async () => {
    await assert.rejects(PostgresExtensionStore.open(schema.url, { create: false }), (error: Error) => {
      assert.match(error.message, new RegExp(`no schema "${schema.name}"`));
      return true;
    });
    const found = await withAdminClient(
      async (client) =>
        (await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema.name])).rowCount,
    );
    assert.equal(found, 0);
  });

  it('refuses a schema parameter that is not a plain lower-case name', async () => {
    for (const bad of ['Upper', '1starts_with_digit', 'has-dash', 'pg_reserved', '', 'x'.repeat(64)]) {
      await assert.rejects(
        PostgresExtensionStore.open(
          `${schema.url.replace(/schema=.*$/, `schema=${encodeURIComponent(bad)}`)}`,
        ),
        /schema parameter .* must be 1 to 63 of a-z 0-9 _/,
        `accepted schema "${bad}"`,
      );
    }
  });

  it('an unreachable server is one sentence naming the URL without its password', async () => {
    const url = 'postgres://pbx:hunter2-secret@127.0.0.1:1/test?schema=whatever';
    await assert.rejects(PostgresExtensionStore.open(url), (error: Error) => {
      assert.equal(
        error.message,
        'Cannot reach the PostgreSQL database at postgres://pbx:***@127.0.0.1:1/test?schema=whatever: ECONNREFUSED.',
      );
      return true;
    });
  });

  it('stores on different schemas of one database neither see nor hear each other', async () => {
    const otherSchema = newTestSchema();
    try {
      const here = await open();
      const there = await open(otherSchema.url);
      const heard: string[] = [];
      await here.watchRemovals({ onRemoved: (id) => heard.push(id), onResync() {} });
      await here.add({ id: 'door', name: 'Here', passwordHash: 'h' });
      await there.add({ id: 'door', name: 'There', passwordHash: 'h' });

      assert.equal(await there.remove('door'), true);
      await sleep(300);
      assert.deepEqual(heard, []);
      assert.equal((await here.get('door'))?.name, 'Here');
    } finally {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await otherSchema.drop();
    }
  });

  it('the watch reconnects when its connection is killed, asks for a resync, then hears removals again', async () => {
    const store = await open();
    const remover = await open();
    await store.add({ id: 'door', name: 'Door', passwordHash: 'h' });
    const heard: string[] = [];
    const errors: Error[] = [];
    let resyncs = 0;
    await store.watchRemovals({
      onRemoved: (id) => heard.push(id),
      onResync: () => {
        resyncs += 1;
      },
      onError: (error) => errors.push(error),
    });

    const killed = await withAdminClient(
      async (client) =>
        (
          await client.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'pbx-peers-listener' AND query LIKE $1`,
            [`LISTEN "pbx_peers_removed.${schema.name}"%`],
          )
        ).rowCount,
    );
    assert.equal(killed, 1, 'the listening connection was found');

    await eventually(() => (resyncs > 0 ? true : undefined), 5_000, 'the resync after reconnecting');
    assert.ok(errors.length > 0, 'the lost connection was reported');
    assert.equal(await remover.remove('door'), true);
    await eventually(() => (heard.includes('door') ? true : undefined), 2_000, 'hearing the removal');
  });

  it('close stops its watches and can be called twice', async () => {
    const store = await PostgresExtensionStore.open(schema.url);
    await store.watchRemovals({ onRemoved() {}, onResync() {} });
    await store.close();
    await store.close();
    const listeners = await withAdminClient(
      async (client) =>
        (
          await client.query(
            `SELECT 1 FROM pg_stat_activity WHERE application_name = 'pbx-peers-listener' AND query LIKE $1`,
            [`LISTEN "pbx_peers_removed.${schema.name}"%`],
          )
        ).rowCount,
    );
    assert.equal(listeners, 0);
    await assert.rejects(store.watchRemovals({ onRemoved() {}, onResync() {} }), /closed/);
  });
});
