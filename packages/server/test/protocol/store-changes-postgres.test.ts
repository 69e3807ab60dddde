import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type RunningServer, startServer } from '../../src/startServer.js';
import { PostgresExtensionStore } from '../../src/store/PostgresExtensionStore.js';
import { hashPassword } from '../../src/store/passwordHash.js';
import { CLI_PATH, cleanEnv, runCli } from '../support/cliProcess.js';
import { BACK, FRONT } from '../support/extensions.js';
import { newTestSchema, type TestSchema } from '../support/postgres.js';
import { UpgradeRefusedError } from '../support/UpgradeRefusedError.js';
import { WireClient } from '../support/WireClient.js';

/**
 * Two servers sharing one PostgreSQL schema, as two processes behind a load balancer do: an extension
 * removed by anyone (a third store, the CLI) is closed on both at once, from the store's removal notice.
 * The check interval is long, so polling cannot be what closes them.
 */

const CHECK_INTERVAL_SECONDS = 60;
const CLOSE_WITHIN_MS = 3_000;

describe('store changes while running: two servers on one PostgreSQL schema', () => {
  let schema: TestSchema;
  let store: PostgresExtensionStore;
  let servers: RunningServer[];
  const clients: WireClient[] = [];

  const wsUrl = (server: RunningServer, extensionId: string) =>
    `${server.url.replace(/^http/, 'ws')}/peers/${extensionId}`;
  const connect = async (server: RunningServer, extensionId: string, label: string) => {
    const client = await WireClient.connect(wsUrl(server, extensionId), { label });
    clients.push(client);
    return client;
  };
  const agent = async (server: RunningServer, extension: typeof FRONT, label: string) => {
    const client = await connect(server, extension.id, label);
    await client.init();
    assert.equal((await client.register(extension.password)).status, 'registered', label);
    return client;
  };

  beforeEach(async () => {
    schema = newTestSchema();
    store = await PostgresExtensionStore.open(schema.url);
    for (const extension of [FRONT, BACK]) {
      await store.add({
        id: extension.id,
        name: extension.name,
        passwordHash: await hashPassword(extension.password),
      });
    }
    const options = {
      port: 0,
      logLevel: 'silent' as const,
      db: schema.url,
      extensionCheckInterval: CHECK_INTERVAL_SECONDS,
      ringTimeout: 0,
    };
    servers = await Promise.all([startServer(options), startServer(options)]);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(servers.map((server) => server.close()));
    await store.close();
    await schema.drop();
  });

  /** Connections of FRONT (to be removed) and BACK agents (to stay) on both servers. */
  async function connectBoth() {
    const doomed: WireClient[] = [];
    const staying: WireClient[] = [];
    for (const [index, server] of servers.entries()) {
      doomed.push(await connect(server, FRONT.id, `uninitialized ${index}`));
      doomed.push(await agent(server, FRONT, `front agent ${index}`));
      staying.push(await agent(server, BACK, `back agent ${index}`));
    }
    return { doomed, staying };
  }

  async function assertRemovedEverywhere(doomed: WireClient[], staying: WireClient[], removedAt: number) {
    const closes = await Promise.all(doomed.map((client) => client.closed(CLOSE_WITHIN_MS)));
    for (const { code } of closes) assert.equal(code, 4404);
    assert.ok(Date.now() - removedAt < CLOSE_WITHIN_MS);

    for (const server of servers) {
      const refusal = await WireClient.connect(wsUrl(server, FRONT.id)).then(
        async (opened) => {
          await opened.close();
          return undefined;
        },
        (error: unknown) => error,
      );
      assert.ok(refusal instanceof UpgradeRefusedError && refusal.statusCode === 404, String(refusal));
    }
    for (const backAgent of staying) {
      assert.equal(backAgent.isClosed, false);
      assert.equal((await backAgent.request({ type: 'status', peerId: backAgent.peerId })).status, 'ready');
    }
  }

  it('removing an extension through a third store closes its connections on both servers with 4404', async () => {
    const { doomed, staying } = await connectBoth();

    assert.equal(await store.remove(FRONT.id), true);
    await assertRemovedEverywhere(doomed, staying, Date.now());
  });

  it('removing an extension with the CLI closes its connections on both servers with 4404', async () => {
    assert.ok(existsSync(CLI_PATH), `${CLI_PATH} is missing; run \`npx tsc -b\` first`);
    const { doomed, staying } = await connectBoth();

    const removed = await runCli(['extension', 'remove', FRONT.id, '--db', schema.url], cleanEnv());
    assert.equal(removed.code, 0, removed.stderr);
    await assertRemovedEverywhere(doomed, staying, Date.now());
  });
});
