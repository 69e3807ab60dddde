/** `pbx-peers admin add|list|remove|passwd`: the accounts that may sign in to the web admin at /admin. */

import type { Command } from 'commander';
import { type AdminRecord, DuplicateAdminError } from '../store/AdminStore.js';
import { hashPassword } from '../store/passwordHash.js';
import { CommandFailedError, UsageError } from './cliErrors.js';
import { dbPathOption } from './dbOption.js';
import {
  chosenPassword,
  MIN_PASSWORD_LENGTH,
  PASSWORD_NOTICE,
  type PasswordOptions,
} from './passwordFlags.js';
import { printLine } from './terminal.js';
import { withStore } from './withStore.js';

/** Admin names are typed at sign-in: short, no spaces or symbols that need explaining. */
const ADMIN_NAME = /^[A-Za-z0-9._-]{1,64}$/;

interface CommonFlags {
  db?: string;
  json?: boolean;
}

interface PasswordFlags extends CommonFlags, PasswordOptions {}

export function addAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description('Manage the accounts that may sign in to the web admin at /admin.');

  const add = admin
    .command('add')
    .description('Add an admin; prints the password when one is generated.')
    .argument('<name>', 'sign-in name, 1 to 64 of A-Z a-z 0-9 . _ -')
    .option(
      '--password <password>',
      `password, at least ${MIN_PASSWORD_LENGTH} characters (default: a generated one, printed once)`,
    )
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('--json', 'print the result as one JSON object')
    .addOption(dbPathOption())
    .action((name: string) => addAdmin(name, add.opts<PasswordFlags>()));

  const list = admin
    .command('list')
    .description('List admins, oldest first.')
    .option('--json', 'print a JSON array')
    .addOption(dbPathOption())
    .action(() => listAdmins(list.opts<CommonFlags>()));

  const remove = admin
    .command('remove')
    .description('Remove an admin; its sessions end at once.')
    .argument('<name>', 'sign-in name')
    .addOption(dbPathOption())
    .action((name: string) => removeAdmin(name, remove.opts<CommonFlags>()));

  const passwd = admin
    .command('passwd')
    .description("Replace an admin's password (its sessions end); prints it when one is generated.")
    .argument('<name>', 'sign-in name')
    .option(
      '--password <password>',
      `new password, at least ${MIN_PASSWORD_LENGTH} characters (default: a generated one)`,
    )
    .option('--password-stdin', 'read the new password from the first line of standard input')
    .option('--json', 'print the result as one JSON object')
    .addOption(dbPathOption())
    .action((name: string) => changePassword(name, passwd.opts<PasswordFlags>()));
}

function validName(name: string): string {
  if (!ADMIN_NAME.test(name))
    throw new UsageError(`NAME must be 1 to 64 of A-Z a-z 0-9 . _ -, got "${name}".`);
  return name;
}

async function addAdmin(rawName: string, flags: PasswordFlags): Promise<void> {
  const name = validName(rawName);
  const { password, generated } = await chosenPassword(flags);
  const passwordHash = await hashPassword(password);
  await withStore(flags.db, { create: true }, async (store) => {
    try {
      await store.addAdmin(name, passwordHash);
    } catch (error) {
      if (error instanceof DuplicateAdminError) throw new CommandFailedError(error.message);
      throw error;
    }
  });
  if (flags.json) {
    printLine(JSON.stringify({ name, ...(generated ? { password } : {}) }));
    return;
  }
  printLine(`Added admin "${name}"; sign in at /admin.`);
  if (generated) printLine(`Password: ${password} ${PASSWORD_NOTICE}`);
}

async function listAdmins(flags: CommonFlags): Promise<void> {
  const admins = await withStore(flags.db, { create: false }, (store) => store.listAdmins());
  if (flags.json) {
    printLine(
      JSON.stringify(admins.map(({ name, createdAt, updatedAt }) => ({ name, createdAt, updatedAt }))),
    );
    return;
  }
  if (admins.length === 0) {
    printLine('No admins.');
    return;
  }
  for (const line of formatTable(admins)) printLine(line);
}

async function removeAdmin(name: string, flags: CommonFlags): Promise<void> {
  const removed = await withStore(flags.db, { create: false }, (store) => store.removeAdmin(name));
  if (!removed) throw new CommandFailedError(`No admin named "${name}".`);
  printLine(`Removed admin "${name}".`);
}

async function changePassword(name: string, flags: PasswordFlags): Promise<void> {
  const { password, generated } = await chosenPassword(flags);
  const passwordHash = await hashPassword(password);
  const changed = await withStore(flags.db, { create: false }, (store) =>
    store.setAdminPasswordHash(name, passwordHash),
  );
  if (!changed) throw new CommandFailedError(`No admin named "${name}".`);
  if (flags.json) {
    printLine(JSON.stringify({ name, ...(generated ? { password } : {}) }));
    return;
  }
  printLine(`Changed the password of admin "${name}"; its sessions have ended.`);
  if (generated) printLine(`Password: ${password} ${PASSWORD_NOTICE}`);
}

function formatTable(admins: AdminRecord[]): string[] {
  const rows = [
    ['NAME', 'CREATED', 'UPDATED'],
    ...admins.map((a) => [a.name, a.createdAt.toISOString(), a.updatedAt.toISOString()]),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((cells) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
