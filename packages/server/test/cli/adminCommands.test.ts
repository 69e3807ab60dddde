/**
 * `pbx-peers admin add|list|passwd|remove` (issue 11, point 2), the built binary on SQLite and
 * PostgreSQL: accounts the web admin signs in with, passwords hashed as extensions' are.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openExtensionStore } from '../../src/store/openExtensionStore.js';
import { verifyPassword } from '../../src/store/passwordHash.js';
import { cleanEnv, runCli, runCliWithInput } from '../support/cliProcess.js';
import {
  assertFailed,
  assertSucceeded,
  parseJson,
  postgresDatabase,
  sqliteDatabase,
  type TestDatabase,
} from './cliAssertions.js';

for (const [kind, createDatabase] of [
  ['SQLite', sqliteDatabase],
  ['PostgreSQL', postgresDatabase],
] as const) {
  describe(`pbx-peers admin (${kind})`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await createDatabase();
    });
    afterEach(() => database.cleanup());
    const cli = (...args: string[]) => runCli([...args, '--db', database.db], cleanEnv());

    async function passwordHashOf(name: string): Promise<string | undefined> {
      const store = await openExtensionStore(database.db, { create: false });
      try {
        return (await store.getAdmin(name))?.passwordHash;
      } finally {
        await store.close();
      }
    }

    it('adds with a generated password printed once, lists, changes the password, removes', async () => {
      const added = await cli('admin', 'add', 'root', '--json');
      assertSucceeded(added);
      const { name, password } = parseJson(added.stdout) as { name: string; password: string };
      assert.equal(name, 'root');
      assert.ok(await verifyPassword(password, (await passwordHashOf('root')) as string), 'stored hashed');

      const listed = await cli('admin', 'list');
      assertSucceeded(listed);
      assert.match(listed.stdout, /^NAME +CREATED +UPDATED\nroot +\d{4}-/);
      assert.doesNotMatch(listed.stdout, new RegExp(password));

      assertFailed(await cli('admin', 'add', 'root'), 1, /already exists/);

      const changed = await runCliWithInput(
        ['admin', 'passwd', 'root', '--password-stdin', '--db', database.db],
        'a-new-admin-pass\n',
      );
      assertSucceeded(changed);
      assert.match(changed.stdout, /sessions have ended/);
      assert.ok(await verifyPassword('a-new-admin-pass', (await passwordHashOf('root')) as string));

      assertSucceeded(await cli('admin', 'remove', 'root'));
      assertFailed(await cli('admin', 'remove', 'root'), 1, /No admin named "root"/);
      assertFailed(await cli('admin', 'passwd', 'root', '--password', 'long-enough-1'), 1, /No admin named/);
      assert.equal((await cli('admin', 'list')).stdout, 'No admins.\n');
    });

    it('refuses a bad name, a short password, and both password flags', async () => {
      assertFailed(await cli('admin', 'add', 'has space'), 2, /NAME must be 1 to 64 of/);
      assertFailed(await cli('admin', 'add', 'root', '--password', 'short'), 2, /at least 10 characters/);
      const both = await runCliWithInput(
        ['admin', 'add', 'root', '--password', 'long-enough-1', '--password-stdin', '--db', database.db],
        'x\n',
      );
      assertFailed(both, 2, /cannot be used together/);
      assert.equal(await database.exists(), false, 'nothing created by a refused command');
    });
  });
}
