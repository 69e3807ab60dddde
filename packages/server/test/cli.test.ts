/**
 * Runs the built `pbx-peers` binary as a user would (build first: `npx tsc -b`). Every test owns a
 * temporary database folder, and every wait on a child process is bounded.
 */

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { assertFailed, assertSucceeded, parseJson } from './cli/cliAssertions.js';
import { CLI_PATH, cleanEnv, runCli, startCli, waitForExit, waitForListening } from './support/cliProcess.js';
import { delay } from './support/delay.js';
import { newTestSchema } from './support/postgres.js';
import { WireClient } from './support/WireClient.js';

describe('pbx-peers CLI', () => {
  let dir: string;
  let db: string;
  const extension = (...args: string[]) => runCli(['extension', ...args, '--db', db]);

  before(() => {
    assert.ok(existsSync(CLI_PATH), `${CLI_PATH} is missing; run \`npx tsc -b\` first`);
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pbx-peers-cli-'));
    db = join(dir, 'data', 'extensions.db');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('usage errors', () => {
    it('exits 2 with one line for an unknown option', async () => {
      assertFailed(await extension('list', '--bogus'), 2, /--bogus/);
      assertFailed(await extension('add', 'Door', '--jsn'), 2, /--jsn/);
    });

    it('exits 2 for an unknown command and for extra arguments', async () => {
      assertFailed(await runCli(['frobnicate']), 2, /frobnicate/);
      assertFailed(await extension('add', 'Door', 'extra'), 2);
    });

    it('exits 2 for an empty PBX_PEERS_DB', async () => {
      assertFailed(await runCli(['extension', 'list'], cleanEnv({ PBX_PEERS_DB: '' })), 2, /PBX_PEERS_DB/);
    });

    it('exits 1 with one line when the database cannot be opened', async () => {
      assertSucceeded(await extension('add', 'Door'));
      assertFailed(await runCli(['extension', 'list', '--db', dir]), 1, /database/);
    });

    it('--help exits 0 and describes the commands', async () => {
      const result = await runCli(['--help']);
      assertSucceeded(result);
      assert.match(result.stdout, /serve/);
      assert.match(result.stdout, /extension/);

      const serveHelp = await runCli(['serve', '--help']);
      assertSucceeded(serveHelp);
      assert.match(serveHelp.stdout, /--ring-timeout <value>/);
      assert.match(serveHelp.stdout, /PBX_PEERS_RING_TIMEOUT/);
    });

    it('serve exits 2 for an invalid flag or environment value', async () => {
      assertFailed(await runCli(['serve', '--port', 'abc', '--db', db]), 2, /--port/);
      assertFailed(
        await runCli(['serve', '--db', db], cleanEnv({ PBX_PEERS_PORT: '99999' })),
        2,
        /PBX_PEERS_PORT/,
      );
    });
  });

  describe('a SQLite path that does not exist', () => {
    it('list, remove and passwd say there is no database there and create no folder or file', async () => {
      const missing = join(dir, 'no', 'such', 'dir', 'x.db');
      for (const args of [
        ['list'],
        ['remove', 'door-1'],
        ['passwd', 'door-1', '--password', 'long enough pw'],
      ]) {
        const result = await runCli(['extension', ...args, '--db', missing]);
        assertFailed(result, 1);
        assert.equal(result.stderr, `error: There is no extension database at "${missing}".\n`);
      }
      const fromEnv = await runCli(['extension', 'list'], cleanEnv({ PBX_PEERS_DB: missing }));
      assert.equal(fromEnv.stderr, `error: There is no extension database at "${missing}".\n`);
      assert.deepEqual(await readdir(dir), [], 'a folder or file was created');
    });
  });

  describe('serve', () => {
    let server: ChildProcess | undefined;

    after(() => {
      server?.kill('SIGKILL');
    });

    afterEach(() => {
      if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      server = undefined;
    });

    it('listens on the port it reports, answers /healthz and exits 0 on SIGTERM', async () => {
      server = startCli(['serve', '--port', '0', '--db', db], cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' }));
      const url = await waitForListening(server);

      const { hostname, port } = new URL(url);
      assert.equal(hostname, '127.0.0.1');
      assert.ok(Number(port) > 0, `expected a real port, got ${url}`);

      const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(health.status, 200);

      server.kill('SIGTERM');
      assert.deepEqual(await waitForExit(server), { code: 0, signal: null });
      assert.ok(existsSync(db), 'serve opened the database it was given');
    });

    it('a --host that does not resolve is one sentence naming the flag, its variable and the value; exit 1', async () => {
      const expected =
        'error: --host (env PBX_PEERS_HOST) "999.1.1.1" is not an IP address or a host name that resolves (ENOTFOUND); give an address of this machine such as 127.0.0.1, or 0.0.0.0 for every interface.\n';
      const env = cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' });
      const fromFlag = await runCli(['serve', '--host', '999.1.1.1', '--port', '0', '--db', db], env);
      assertFailed(fromFlag, 1);
      assert.equal(fromFlag.stderr, expected);

      const fromEnv = await runCli(
        ['serve', '--port', '0', '--db', db],
        cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn', PBX_PEERS_HOST: '999.1.1.1' }),
      );
      assertFailed(fromEnv, 1);
      assert.equal(fromEnv.stderr, expected);
    });

    it('the page URLs extension add prints are the pages serve answers', async () => {
      server = startCli(['serve', '--port', '0', '--db', db], cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' }));
      const url = await waitForListening(server);
      const added = await extension('add', 'Door', '--base-url', url, '--json');
      assertSucceeded(added);
      const { id, callerUrl, agentUrl } = parseJson(added.stdout) as Record<string, string>;

      const get = async (pageUrl: string) => {
        const response = await fetch(pageUrl, { signal: AbortSignal.timeout(5_000) });
        return { status: response.status, body: await response.text() };
      };
      const [caller, agent, wrong] = await Promise.all([
        get(callerUrl ?? ''),
        get(agentUrl ?? ''),
        get(`${url}/ext/${id}/agents`),
      ]);
      assert.equal(wrong.status, 404, 'a URL that is not a page answers 404');
      // 503 only when the web app is not built; an unknown page would be 404.
      assert.ok([200, 503].includes(caller.status), `caller page answered ${caller.status}`);
      assert.equal(agent.status, caller.status, `agent console answered ${agent.status}`);
      if (caller.status === 200) assert.notEqual(caller.body, agent.body, 'the two URLs are the same page');
    });

    it('exits 0 on SIGTERM within seconds although a request is half-sent and a TCP peer is silent', async () => {
      server = startCli(['serve', '--port', '0', '--db', db], cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' }));
      const { hostname, port } = new URL(await waitForListening(server));
      const open = (bytes: string) =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => {
            socket.write(bytes);
            resolve(socket);
          });
          socket.on('error', reject);
        });
      // Headers never finished; a connection that never sends a byte.
      const sockets = await Promise.all([open('GET /healthz HTTP/1.1\r\nHost: x\r\n'), open('')]);
      try {
        await delay(100);
        const signalled = Date.now();
        server.kill('SIGTERM');
        assert.deepEqual(await waitForExit(server), { code: 0, signal: null });
        const seconds = (Date.now() - signalled) / 1000;
        assert.ok(seconds < 5, `exited ${seconds} s after SIGTERM`);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });
  });
});

describe('pbx-peers CLI: --db forms', () => {
  /** The working directory of the commands: a SQLite path taken from a URL would land here. */
  let dir: string;

  before(() => {
    assert.ok(existsSync(CLI_PATH), `${CLI_PATH} is missing; run \`npx tsc -b\` first`);
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pbx-peers-cli-db-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses another URL scheme with one sentence naming the accepted forms, and creates no file', async () => {
    const refused =
      /must be a SQLite file path or a postgres:\/\/ \(or postgresql:\/\/\) URL .*; mysql:\/\/ is not supported\.$/m;
    const url = 'mysql://root:sekrit@127.0.0.1/pbx';
    for (const args of [
      ['extension', 'list', '--db', url],
      ['extension', 'add', 'Door', '--db', url],
      ['serve', '--port', '0', '--db', url],
    ]) {
      const result = await runCli(args, cleanEnv(), dir);
      assertFailed(result, 2, refused);
      assert.match(result.stderr, /^error: --db must be/);
      assert.ok(!result.stderr.includes('sekrit'), 'the password was printed');
    }
    const fromEnv = await runCli(['extension', 'list'], cleanEnv({ PBX_PEERS_DB: url }), dir);
    assertFailed(fromEnv, 2, refused);
    assert.match(fromEnv.stderr, /^error: PBX_PEERS_DB must be/);
    assert.deepEqual(await readdir(dir), [], 'a file or folder was created');
  });

  it('an unreachable PostgreSQL is one sentence without the password, and creates no file', async () => {
    const url = 'postgres://pbx:hunter2-secret@127.0.0.1:1/test?schema=pbx';
    const expected =
      'error: Cannot reach the PostgreSQL database at postgres://pbx:***@127.0.0.1:1/test?schema=pbx: ECONNREFUSED.\n';
    for (const args of [
      ['extension', 'list', '--db', url],
      ['extension', 'remove', 'door', '--db', url],
      ['serve', '--port', '0', '--db', url],
    ]) {
      const result = await runCli(args, cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' }), dir);
      assertFailed(result, 1);
      assert.equal(result.stderr, expected);
    }
    assert.deepEqual(await readdir(dir), []);
  });

  describe('serve on PostgreSQL', () => {
    let server: ChildProcess | undefined;
    let cleanupSchema: (() => Promise<void>) | undefined;

    afterEach(async () => {
      if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      server = undefined;
      await cleanupSchema?.();
      cleanupSchema = undefined;
    });

    it('serves extensions added with the CLI, and closes an agent at once when the CLI removes its extension', async () => {
      const schema = newTestSchema();
      cleanupSchema = schema.drop;
      const added = await runCli(
        [
          'extension',
          'add',
          'Front desk',
          '--id',
          'front',
          '--password',
          'front password',
          '--db',
          schema.url,
        ],
        cleanEnv(),
        dir,
      );
      assertSucceeded(added);

      // A long check interval: only the store's removal notice can close the agent in time.
      server = startCli(
        ['serve', '--port', '0', '--extension-check-interval', '60'],
        cleanEnv({ PBX_PEERS_DB: schema.url, PBX_PEERS_LOG_LEVEL: 'warn' }),
        dir,
      );
      const url = await waitForListening(server);
      const agent = await WireClient.connect(`${url.replace(/^http/, 'ws')}/peers/front`, { label: 'agent' });
      try {
        await agent.init();
        assert.equal((await agent.register('front password')).status, 'registered');

        assertSucceeded(await runCli(['extension', 'remove', 'front', '--db', schema.url], cleanEnv(), dir));
        assert.equal((await agent.closed(3_000)).code, 4404);
      } finally {
        await agent.close();
      }

      server.kill('SIGTERM');
      assert.deepEqual(await waitForExit(server), { code: 0, signal: null });
      assert.deepEqual(await readdir(dir), [], 'no SQLite file was created for the URL');
    });
  });
});
