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
import type { ExtensionStore } from '../src/store/ExtensionStore.js';
import { openExtensionStore } from '../src/store/openExtensionStore.js';
import { verifyPassword } from '../src/store/passwordHash.js';
import {
  CLI_PATH,
  type CliResult,
  cleanEnv,
  runCli,
  runCliWithInput,
  startCli,
  waitForExit,
  waitForListening,
} from './support/cliProcess.js';
import { delay } from './support/delay.js';
import { newTestSchema, withAdminClient } from './support/postgres.js';
import { WireClient } from './support/WireClient.js';

const STACK_FRAME = '    at ';
/** Where `serve` listens by default, which `extension add` prints the pages under. */
const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

function assertSucceeded(result: CliResult): void {
  assert.equal(result.code, 0, `expected exit 0, got ${result.code}; stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
}

/** Failures are one line on stderr, nothing on stdout, and never a stack trace. */
function assertFailed(result: CliResult, expectedCode: 1 | 2, messagePattern?: RegExp): void {
  assert.equal(result.code, expectedCode, `expected exit ${expectedCode}, got ${result.code}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got: ${result.stderr}`);
  assert.ok(!result.stderr.includes(STACK_FRAME), 'stderr shows a stack trace');
  if (messagePattern) assert.match(result.stderr, messagePattern);
}

function parseJson(text: string): unknown {
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected exactly one line of JSON, got: ${text}`);
  return JSON.parse(lines[0] ?? '');
}

/** A database for one test, named as `--db` takes it. */
interface TestDatabase {
  db: string;
  /** Whether anything was created there (the SQLite file, the PostgreSQL schema). */
  exists(): Promise<boolean>;
  cleanup(): Promise<void>;
}

async function sqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'pbx-peers-cli-'));
  const db = join(dir, 'data', 'extensions.db');
  return {
    db,
    exists: async () => existsSync(db),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function postgresDatabase(): Promise<TestDatabase> {
  const schema = newTestSchema();
  return {
    db: schema.url,
    exists: () => schemaExists(schema.name),
    cleanup: () => schema.drop(),
  };
}

function schemaExists(name: string): Promise<boolean> {
  return withAdminClient(
    async (client) =>
      ((await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).rowCount ?? 0) > 0,
  );
}

/** The extension commands behave the same on every kind of database `--db` names. */
function describeExtensionCommands(kind: string, createDatabase: () => Promise<TestDatabase>): void {
  describe(`pbx-peers extension commands (${kind})`, () => {
    let database: TestDatabase;
    let db: string;
    /** `extension <subcommand> ...args --db <this test's database>` */
    const extension = (...args: string[]) => runCli(['extension', ...args, '--db', db]);
    /** The same, with `input` on standard input. */
    const extensionWithInput = (input: string, ...args: string[]) =>
      runCliWithInput(['extension', ...args, '--db', db], input);

    /** A database with no extensions: only `extension add` creates one. */
    async function createEmptyStore(): Promise<void> {
      await (await openExtensionStore(db, { create: true })).close();
    }

    async function readStore<T>(read: (store: ExtensionStore) => Promise<T>): Promise<T> {
      const store = await openExtensionStore(db, { create: false });
      try {
        return await read(store);
      } finally {
        await store.close();
      }
    }

    before(() => {
      assert.ok(existsSync(CLI_PATH), `${CLI_PATH} is missing; run \`npx tsc -b\` first`);
    });

    beforeEach(async () => {
      database = await createDatabase();
      db = database.db;
    });

    afterEach(async () => {
      await database.cleanup();
    });

    describe('extension add', () => {
      it('generates an id and a password, prints both once, and stores only a hash', async () => {
        const result = await extension('add', 'Front desk');

        assertSucceeded(result);
        const match =
          /^Added extension "Front desk" \(id: ([A-Za-z0-9_-]+)\)\nPassword: (\S+) \(shown once; store it now\)\nCaller page: (\S+)\nAgent console: (\S+)\n$/.exec(
            result.stdout,
          );
        assert.ok(match, `unexpected output: ${result.stdout}`);
        const [, id = '', password = '', callerUrl, agentUrl] = match;
        assert.ok(id.length >= 16, 'a generated id carries at least 96 random bits');
        assert.ok(password.length >= 16);
        assert.equal(callerUrl, `${DEFAULT_BASE_URL}/ext/${id}`);
        assert.equal(agentUrl, `${DEFAULT_BASE_URL}/ext/${id}/agent`);

        const stored = await readStore((store) => store.get(id));
        assert.equal(stored?.name, 'Front desk');
        assert.notEqual(stored?.passwordHash, password);
        assert.equal(await verifyPassword(password, stored?.passwordHash ?? ''), true);
      });

      it('creates the database on first use', async () => {
        assert.equal(await database.exists(), false);
        assertSucceeded(await extension('add', 'Door'));
        assert.equal(await database.exists(), true);
      });

      it('--json prints one object with id, name and the generated password', async () => {
        const result = await extension('add', '  Door  ', '--json');

        assertSucceeded(result);
        const printed = parseJson(result.stdout) as Record<string, unknown>;
        assert.deepEqual(Object.keys(printed).sort(), ['agentUrl', 'callerUrl', 'id', 'name', 'password']);
        assert.equal(printed.name, 'Door', 'the name is trimmed');
        assert.equal(printed.callerUrl, `${DEFAULT_BASE_URL}/ext/${printed.id}`);
        assert.equal(printed.agentUrl, `${DEFAULT_BASE_URL}/ext/${printed.id}/agent`);
        const stored = await readStore((store) => store.get(String(printed.id)));
        assert.equal(await verifyPassword(String(printed.password), stored?.passwordHash ?? ''), true);
      });

      it('uses --id and --password as given, and then prints no password', async () => {
        const result = await extension(
          'add',
          'Door',
          '--id',
          'door-1',
          '--password',
          'open sesame',
          '--json',
        );

        assertSucceeded(result);
        assert.deepEqual(parseJson(result.stdout), {
          id: 'door-1',
          name: 'Door',
          callerUrl: `${DEFAULT_BASE_URL}/ext/door-1`,
          agentUrl: `${DEFAULT_BASE_URL}/ext/door-1/agent`,
        });
        const stored = await readStore((store) => store.get('door-1'));
        assert.equal(await verifyPassword('open sesame', stored?.passwordHash ?? ''), true);

        const human = await extension('add', 'Gate', '--id', 'gate', '--password', 'gate password');
        assertSucceeded(human);
        assert.equal(
          human.stdout,
          `Added extension "Gate" (id: gate)\nCaller page: ${DEFAULT_BASE_URL}/ext/gate\nAgent console: ${DEFAULT_BASE_URL}/ext/gate/agent\n`,
        );
      });

      it('exits 1 for a duplicate id and keeps the original', async () => {
        assertSucceeded(await extension('add', 'Door', '--id', 'door-1'));

        assertFailed(await extension('add', 'Other', '--id', 'door-1'), 1, /door-1/);
        assert.equal((await readStore((store) => store.get('door-1')))?.name, 'Door');
      });

      it('exits 2 for an invalid --id without creating the database', async () => {
        assertFailed(await extension('add', 'Door', '--id', 'a b'), 2, /--id/);
        assertFailed(await extension('add', 'Door', '--id', 'ab'), 2, /--id/);
        assert.equal(await database.exists(), false);
      });

      it('exits 2 for a missing, blank or too long NAME', async () => {
        assertFailed(await extension('add'), 2, /name/);
        assertFailed(await extension('add', '   '), 2, /NAME/);
        assertFailed(await extension('add', 'x'.repeat(101)), 2, /NAME/);
        assertSucceeded(await extension('add', 'x'.repeat(100)));
      });

      it('exits 2 for an empty --password', async () => {
        assertFailed(await extension('add', 'Door', '--password', ''), 2, /--password/);
      });
    });

    describe('extension list', () => {
      it('says so when there are no extensions', async () => {
        await createEmptyStore();
        const result = await extension('list');

        assertSucceeded(result);
        assert.equal(result.stdout, 'No extensions.\n');
        assert.deepEqual(parseJson((await extension('list', '--json')).stdout), []);
      });

      it('prints a table and a JSON array, oldest first, without hashes', async () => {
        assertSucceeded(await extension('add', 'Front desk', '--id', 'zz-front', '--password', 'password-1'));
        assertSucceeded(await extension('add', 'Back door', '--id', 'aa-back', '--password', 'password-2'));

        const table = await extension('list');
        assertSucceeded(table);
        const lines = table.stdout.trimEnd().split('\n');
        assert.match(lines[0] ?? '', /^ID\s+NAME\s+CREATED\s+UPDATED$/);
        assert.match(lines[1] ?? '', /^zz-front\s+Front desk\s+\d{4}-\d\d-\d\dT\S+Z\s+\S+Z$/);
        assert.match(lines[2] ?? '', /^aa-back\s+Back door\s/);
        assert.equal(lines.length, 3);

        const json = await extension('list', '--json');
        assertSucceeded(json);
        const listed = parseJson(json.stdout) as Array<Record<string, unknown>>;
        assert.deepEqual(
          listed.map((entry) => Object.keys(entry).sort()),
          [
            ['createdAt', 'id', 'name', 'updatedAt'],
            ['createdAt', 'id', 'name', 'updatedAt'],
          ],
        );
        assert.deepEqual(
          listed.map((entry) => [entry.id, entry.name]),
          [
            ['zz-front', 'Front desk'],
            ['aa-back', 'Back door'],
          ],
        );
        assert.equal(new Date(String(listed[0]?.createdAt)).toISOString(), listed[0]?.createdAt);

        for (const output of [table.stdout, json.stdout]) {
          assert.ok(!output.includes('scrypt'), 'a password hash was printed');
          assert.ok(!output.includes('password-'), 'a password was printed');
        }
      });
    });

    describe('extension passwd', () => {
      it('generates, prints once and stores a new password', async () => {
        assertSucceeded(await extension('add', 'Door', '--id', 'door-1', '--password', 'old password'));

        const result = await extension('passwd', 'door-1');

        assertSucceeded(result);
        const match =
          /^Changed the password of extension "Door" \(id: door-1\)\nPassword: (\S+) \(shown once; store it now\)\n$/.exec(
            result.stdout,
          );
        assert.ok(match, `unexpected output: ${result.stdout}`);
        assert.ok((match[1] ?? '').length >= 10, 'a generated password meets the minimum length');
        const stored = await readStore((store) => store.get('door-1'));
        assert.equal(await verifyPassword(match[1] ?? '', stored?.passwordHash ?? ''), true);
        assert.equal(await verifyPassword('old password', stored?.passwordHash ?? ''), false);
      });

      it('sets a given --password and prints JSON with the password only when generated', async () => {
        assertSucceeded(await extension('add', 'Door', '--id', 'door-1'));

        const given = await extension('passwd', 'door-1', '--password', 'chosen one', '--json');
        assertSucceeded(given);
        assert.deepEqual(parseJson(given.stdout), { id: 'door-1' });
        const afterGiven = await readStore((store) => store.get('door-1'));
        assert.equal(await verifyPassword('chosen one', afterGiven?.passwordHash ?? ''), true);

        const generated = await extension('passwd', 'door-1', '--json');
        assertSucceeded(generated);
        const printed = parseJson(generated.stdout) as Record<string, unknown>;
        assert.equal(printed.id, 'door-1');
        assert.equal(typeof printed.password, 'string');
      });

      it('exits 1 for an unknown id', async () => {
        await createEmptyStore();
        assertFailed(await extension('passwd', 'nobody'), 1, /nobody/);
      });
    });

    describe('extension remove', () => {
      it('removes an extension, then exits 1 when removing it again', async () => {
        assertSucceeded(await extension('add', 'Door', '--id', 'door-1'));
        assertSucceeded(await extension('add', 'Gate', '--id', 'gate-1'));

        const removed = await extension('remove', 'door-1');
        assertSucceeded(removed);
        assert.equal(removed.stdout, 'Removed extension "Door" (id: door-1)\n');
        assert.deepEqual(
          (parseJson((await extension('list', '--json')).stdout) as Array<{ id: string }>).map((e) => e.id),
          ['gate-1'],
        );

        assertFailed(await extension('remove', 'door-1'), 1, /door-1/);
      });

      it('exits 2 without an id', async () => {
        assertFailed(await extension('remove'), 2);
      });
    });

    describe('chosen passwords', () => {
      it('refuses a --password shorter than 10 characters on add and passwd, and takes one of 10', async () => {
        const tooShort = /^error: --password must be at least 10 characters long, got 9\.$/m;
        const added = await extension('add', 'Door', '--id', 'door-1', '--password', 'nine char');
        assertFailed(added, 2, tooShort);
        assert.ok(!added.stderr.includes('nine char'), 'the password was printed');
        assert.equal(await database.exists(), false, 'a refused add created the database');
        // Characters, not bytes: nine accented letters are 18 bytes.
        assertFailed(await extension('add', 'Door', '--password', 'é'.repeat(9)), 2, tooShort);

        assertSucceeded(await extension('add', 'Door', '--id', 'door-1', '--password', 'ten chars!'));
        assertFailed(await extension('passwd', 'door-1', '--password', 'nine char'), 2, tooShort);
        const stored = await readStore((store) => store.get('door-1'));
        assert.equal(
          await verifyPassword('ten chars!', stored?.passwordHash ?? ''),
          true,
          'password changed',
        );
      });

      it('--password-stdin takes the first line of standard input, on add and passwd', async () => {
        const added = await extensionWithInput(
          'stdin password\nsecond line\n',
          'add',
          'Door',
          '--id',
          'door-1',
          '--password-stdin',
          '--json',
        );
        assertSucceeded(added);
        const printed = parseJson(added.stdout) as Record<string, unknown>;
        assert.equal(printed.password, undefined, 'a password read from stdin is not printed');
        const afterAdd = await readStore((store) => store.get('door-1'));
        assert.equal(await verifyPassword('stdin password', afterAdd?.passwordHash ?? ''), true);

        for (const [input, expected] of [
          ['windows line end\r\n', 'windows line end'],
          ['no line end at all', 'no line end at all'],
          ['  spaces are kept  \n', '  spaces are kept  '],
        ] as const) {
          const changed = await extensionWithInput(input, 'passwd', 'door-1', '--password-stdin');
          assertSucceeded(changed);
          assert.equal(changed.stdout, 'Changed the password of extension "Door" (id: door-1)\n');
          const stored = await readStore((store) => store.get('door-1'));
          assert.equal(
            await verifyPassword(expected, stored?.passwordHash ?? ''),
            true,
            JSON.stringify(input),
          );
        }
      });

      it('--password-stdin refuses empty input, a short or empty line, and --password beside it', async () => {
        const cases: Array<[input: string, pattern: RegExp]> = [
          ['', /^error: --password-stdin found standard input empty; pipe the password into the command\.$/m],
          ['\n', /^error: --password-stdin must not be empty\.$/m],
          [
            'short\nand a long second line\n',
            /^error: --password-stdin must be at least 10 characters long, got 5\.$/m,
          ],
        ];
        for (const [input, pattern] of cases) {
          assertFailed(await extensionWithInput(input, 'add', 'Door', '--password-stdin'), 2, pattern);
        }
        const both =
          /^error: --password and --password-stdin cannot be used together; give the password one way\.$/m;
        assertFailed(
          await extensionWithInput(
            'a long password\n',
            'add',
            'Door',
            '--password',
            'another long one',
            '--password-stdin',
          ),
          2,
          both,
        );
        assert.equal(await database.exists(), false, 'a refused add created the database');

        assertSucceeded(await extension('add', 'Door', '--id', 'door-1', '--password', 'the original'));
        for (const [input, pattern] of cases) {
          assertFailed(await extensionWithInput(input, 'passwd', 'door-1', '--password-stdin'), 2, pattern);
        }
        assertFailed(
          await extensionWithInput(
            'a long password\n',
            'passwd',
            'door-1',
            '--password',
            'x'.repeat(12),
            '--password-stdin',
          ),
          2,
          both,
        );
        const stored = await readStore((store) => store.get('door-1'));
        assert.equal(
          await verifyPassword('the original', stored?.passwordHash ?? ''),
          true,
          'password changed',
        );
      });
    });

    describe('page URLs', () => {
      it('extension add prints the pages under --base-url, a path prefix kept and a trailing slash dropped', async () => {
        const human = await extension(
          'add',
          'Door',
          '--id',
          'door-1',
          '--password',
          'door password',
          '--base-url',
          'https://pbx.example.com/intercom/',
        );
        assertSucceeded(human);
        assert.equal(
          human.stdout,
          'Added extension "Door" (id: door-1)\nCaller page: https://pbx.example.com/intercom/ext/door-1\nAgent console: https://pbx.example.com/intercom/ext/door-1/agent\n',
        );

        const json = await extension(
          'add',
          'Gate',
          '--id',
          'gate-1',
          '--base-url',
          'http://10.0.0.5:8081',
          '--json',
        );
        assertSucceeded(json);
        const printed = parseJson(json.stdout) as Record<string, unknown>;
        assert.equal(printed.callerUrl, 'http://10.0.0.5:8081/ext/gate-1');
        assert.equal(printed.agentUrl, 'http://10.0.0.5:8081/ext/gate-1/agent');
      });

      it('refuses a --base-url that is not an http(s) URL, or holds credentials, and creates nothing', async () => {
        for (const url of ['ftp://pbx.example.com', 'pbx.example.com', 'https://pbx.example.com/?a=1', '']) {
          assertFailed(
            await extension('add', 'Door', '--base-url', url),
            2,
            /^error: --base-url must be an http:\/\/ or https:\/\/ URL without a query, like https:\/\/intercom\.example\.com, got ".*"\.$/m,
          );
        }
        const withSecret = await extension(
          'add',
          'Door',
          '--base-url',
          'https://ann:hunter2-secret@pbx.example.com',
        );
        assertFailed(withSecret, 2, /^error: --base-url must not hold a user name or password\.$/m);
        assert.ok(!withSecret.stderr.includes('hunter2-secret'), 'the password was printed');
        assert.equal(await database.exists(), false);
      });
    });

    describe('a database that does not exist', () => {
      it('list, remove and passwd fail with one line and create nothing; add then creates it', async () => {
        for (const args of [
          ['list'],
          ['list', '--json'],
          ['remove', 'door-1'],
          ['passwd', 'door-1', '--json'],
        ]) {
          assertFailed(await extension(...args), 1);
          assert.equal(await database.exists(), false, `extension ${args.join(' ')} created the database`);
        }
        assertSucceeded(await extension('add', 'Door', '--id', 'door-1'));
        assert.equal(await database.exists(), true);
        assertSucceeded(await extension('list'));
      });
    });

    describe('the database', () => {
      it('takes the database from PBX_PEERS_DB when --db is absent', async () => {
        const env = cleanEnv({ PBX_PEERS_DB: db });
        assertSucceeded(await runCli(['extension', 'add', 'Door', '--id', 'door-1'], env));
        assert.match((await runCli(['extension', 'list'], env)).stdout, /door-1/);
      });
    });
  });
}

describeExtensionCommands('SQLite', sqliteDatabase);
describeExtensionCommands('PostgreSQL', postgresDatabase);

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
