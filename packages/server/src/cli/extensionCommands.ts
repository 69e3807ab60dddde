/** `pbx-peers extension add|list|remove|passwd`: managing the extensions that may register. */

import type { Command } from 'commander';
import { DuplicateExtensionError, type ExtensionRecord } from '../store/ExtensionStore.js';
import {
  checkedExtensionName,
  isValidExtensionId,
  MAX_EXTENSION_NAME_LENGTH,
  newExtensionId,
} from '../store/extensionIds.js';
import { hashPassword } from '../store/passwordHash.js';
import { CommandFailedError, UsageError } from './cliErrors.js';
import { dbPathOption } from './dbOption.js';
import { defaultBaseUrl, extensionPageUrls, parseBaseUrl } from './pageUrls.js';
import {
  chosenPassword,
  MIN_PASSWORD_LENGTH,
  PASSWORD_NOTICE,
  type PasswordOptions,
} from './passwordFlags.js';
import { printLine } from './terminal.js';
import { withStore } from './withStore.js';

interface CommonFlags {
  db?: string;
  json?: boolean;
}

interface PasswordFlags extends CommonFlags, PasswordOptions {}

interface AddFlags extends PasswordFlags {
  id?: string;
  baseUrl?: string;
}

export function addExtensionCommands(program: Command): void {
  const extension = program
    .command('extension')
    .description('Manage extensions: the intercom endpoints allowed to register.');

  const add = extension
    .command('add')
    .description('Add an extension; prints its id, its page URLs, and its password when one is generated.')
    .argument('<name>', `display name, 1 to ${MAX_EXTENSION_NAME_LENGTH} characters`)
    .option('--id <id>', 'extension id, 3 to 64 of A-Z a-z 0-9 _ - (default: a random id)')
    .option(
      '--password <password>',
      `password, at least ${MIN_PASSWORD_LENGTH} characters (default: a generated one, printed once)`,
    )
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option(
      '--base-url <url>',
      `where the pages are served, for the printed URLs (default: ${defaultBaseUrl()})`,
    )
    .option('--json', 'print the result as one JSON object')
    .addOption(dbPathOption())
    .action((name: string) => addExtension(name, add.opts<AddFlags>()));

  const list = extension
    .command('list')
    .description('List extensions, oldest first.')
    .option('--json', 'print a JSON array')
    .addOption(dbPathOption())
    .action(() => listExtensions(list.opts<CommonFlags>()));

  const remove = extension
    .command('remove')
    .description('Remove an extension; a running server disconnects it shortly after.')
    .argument('<id>', 'extension id')
    .addOption(dbPathOption())
    .action((id: string) => removeExtension(id, remove.opts<CommonFlags>()));

  const passwd = extension
    .command('passwd')
    .description("Replace an extension's password; prints it when one is generated.")
    .argument('<id>', 'extension id')
    .option(
      '--password <password>',
      `new password, at least ${MIN_PASSWORD_LENGTH} characters (default: a generated one, printed once)`,
    )
    .option('--password-stdin', 'read the new password from the first line of standard input')
    .option('--json', 'print the result as one JSON object')
    .addOption(dbPathOption())
    .action((id: string) => changePassword(id, passwd.opts<PasswordFlags>()));
}

async function addExtension(rawName: string, flags: AddFlags): Promise<void> {
  const name = validName(rawName);
  if (flags.id !== undefined && !isValidExtensionId(flags.id)) {
    throw new UsageError(`--id must be 3 to 64 of the characters A-Z a-z 0-9 _ -, got "${flags.id}".`);
  }
  const id = flags.id ?? newExtensionId();
  const baseUrl = flags.baseUrl === undefined ? defaultBaseUrl() : parseBaseUrl(flags.baseUrl, '--base-url');
  const { password, generated } = await chosenPassword(flags);
  const passwordHash = await hashPassword(password);

  // Only `add` (and `serve`) may create the database.
  const record = await withStore(flags.db, { create: true }, async (store) => {
    try {
      return await store.add({ id, name, passwordHash });
    } catch (error) {
      if (error instanceof DuplicateExtensionError) throw new CommandFailedError(error.message);
      throw error;
    }
  });

  const { callerUrl, agentUrl } = extensionPageUrls(baseUrl, record.id);
  if (flags.json) {
    printLine(
      JSON.stringify({
        id: record.id,
        name: record.name,
        ...(generated ? { password } : {}),
        callerUrl,
        agentUrl,
      }),
    );
    return;
  }
  printLine(`Added extension ${describe(record)}`);
  if (generated) printLine(`Password: ${password} ${PASSWORD_NOTICE}`);
  printLine(`Caller page: ${callerUrl}`);
  printLine(`Agent console: ${agentUrl}`);
}

async function listExtensions(flags: CommonFlags): Promise<void> {
  const records = await withStore(flags.db, { create: false }, (store) => store.list());
  if (flags.json) {
    printLine(
      JSON.stringify(
        records.map((record) => ({
          id: record.id,
          name: record.name,
          createdAt: record.createdAt.toISOString(),
          updatedAt: record.updatedAt.toISOString(),
        })),
      ),
    );
    return;
  }
  if (records.length === 0) {
    printLine('No extensions.');
    return;
  }
  for (const line of formatTable(records)) printLine(line);
}

async function removeExtension(id: string, flags: CommonFlags): Promise<void> {
  const removed = await withStore(flags.db, { create: false }, async (store) => {
    const record = await store.get(id);
    if (record === undefined || !(await store.remove(id))) throw unknownExtension(id);
    return record;
  });
  printLine(`Removed extension ${describe(removed)}`);
}

async function changePassword(id: string, flags: PasswordFlags): Promise<void> {
  const { password, generated } = await chosenPassword(flags);
  const record = await withStore(flags.db, { create: false }, async (store) => {
    const existing = await store.get(id);
    if (existing === undefined) throw unknownExtension(id);
    if (!(await store.setPasswordHash(id, await hashPassword(password)))) throw unknownExtension(id);
    return existing;
  });

  if (flags.json) {
    printLine(JSON.stringify({ id: record.id, ...(generated ? { password } : {}) }));
    return;
  }
  printLine(`Changed the password of extension ${describe(record)}`);
  if (generated) printLine(`Password: ${password} ${PASSWORD_NOTICE}`);
}

/** `create`: whether a missing database may be created; otherwise its absence is the failure. */
function validName(rawName: string): string {
  const checked = checkedExtensionName(rawName);
  if ('problem' in checked) throw new UsageError(`NAME ${checked.problem}.`);
  return checked.name;
}

function unknownExtension(id: string): CommandFailedError {
  return new CommandFailedError(`No extension with id "${id}".`);
}

function describe(record: ExtensionRecord): string {
  return `"${record.name}" (id: ${record.id})`;
}

function formatTable(records: ExtensionRecord[]): string[] {
  const header = ['ID', 'NAME', 'CREATED', 'UPDATED'];
  const rows = records.map((record) => [
    record.id,
    record.name,
    record.createdAt.toISOString(),
    record.updatedAt.toISOString(),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [header, ...rows].map((cells) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
