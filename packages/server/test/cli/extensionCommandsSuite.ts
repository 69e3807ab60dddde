import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import type { ExtensionStore } from '../../src/store/ExtensionStore.js';
import { openExtensionStore } from '../../src/store/openExtensionStore.js';
import { verifyPassword } from '../../src/store/passwordHash.js';
import { CLI_PATH, cleanEnv, runCli, runCliWithInput } from '../support/cliProcess.js';
import {
  assertFailed,
  assertSucceeded,
  DEFAULT_BASE_URL,
  parseJson,
  type TestDatabase,
} from './cliAssertions.js';

/** The extension commands behave the same on every kind of database `--db` names. */
export function describeExtensionCommands(kind: string, createDatabase: () => Promise<TestDatabase>): void {
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
