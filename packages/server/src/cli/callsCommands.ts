/** `pbx-peers calls list|export`: the call history (issue 10), read from the store `--db` names. */

import type { Command } from 'commander';
import { callCsvLines, callJson, ringSeconds, talkSeconds } from '../history/callRecordFormats.js';
import type { CallHistoryRecord, CallListFilter } from '../store/CallHistoryStore.js';
import { isValidExtensionId } from '../store/extensionIds.js';
import { UsageError } from './cliErrors.js';
import { dbPathOption } from './dbOption.js';
import { printLine } from './terminal.js';
import { withStore } from './withStore.js';

const DEFAULT_LIST_LIMIT = 100;
const MAX_LIST_LIMIT = 100_000;

interface FilterFlags {
  db?: string;
  extension?: string;
  since?: string;
}

interface ListFlags extends FilterFlags {
  json?: boolean;
  limit?: string;
}

interface ExportFlags extends FilterFlags {
  csv?: boolean;
}

export function addCallsCommands(program: Command): void {
  const calls = program
    .command('calls')
    .description('The call history: every call, how it ended, who took it.');

  const list = calls
    .command('list')
    .description('List calls, newest first.')
    .option('--extension <id>', 'only the calls of this extension')
    .option('--since <time>', 'only calls that started ringing at or after this ISO 8601 time or date')
    .option('--limit <n>', `at most this many (default: ${DEFAULT_LIST_LIMIT})`)
    .option('--json', 'print a JSON array')
    .addOption(dbPathOption())
    .action(() => listCalls(list.opts<ListFlags>()));

  const exportCommand = calls
    .command('export')
    .description('Write every matching call as CSV to standard output, newest first.')
    .option('--csv', 'CSV with a header line (the default, and the only format)')
    .option('--extension <id>', 'only the calls of this extension')
    .option('--since <time>', 'only calls that started ringing at or after this ISO 8601 time or date')
    .addOption(dbPathOption())
    .action(() => exportCalls(exportCommand.opts<ExportFlags>()));
}

function filterOf(flags: FilterFlags): CallListFilter {
  const filter: CallListFilter = {};
  if (flags.extension !== undefined) {
    if (!isValidExtensionId(flags.extension)) {
      throw new UsageError(
        `--extension must be an extension id (3 to 64 of A-Z a-z 0-9 _ -), got "${flags.extension}".`,
      );
    }
    filter.extensionId = flags.extension;
  }
  if (flags.since !== undefined) filter.since = parseSince(flags.since);
  return filter;
}

/** An ISO 8601 date (`2026-12-01`, midnight UTC) or date and time (`2026-12-01T09:30:00Z`). */
function parseSince(raw: string): Date {
  const time = /^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw.trim())
    ? Date.parse(raw.trim())
    : Number.NaN;
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--since must be an ISO 8601 date or time such as 2026-12-01 or 2026-12-01T09:30:00Z, got "${raw}".`,
    );
  }
  return new Date(time);
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIST_LIMIT;
  const limit = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got "${raw}".`);
  }
  return limit;
}

async function listCalls(flags: ListFlags): Promise<void> {
  const filter = { ...filterOf(flags), limit: parseLimit(flags.limit) };
  // Reading creates nothing: a missing database is an error, as for `extension list`.
  const records = await withStore(flags.db, { create: false }, (store) => store.listCalls(filter));
  if (flags.json) {
    printLine(JSON.stringify(records.map(callJson)));
    return;
  }
  if (records.length === 0) {
    printLine('No calls.');
    return;
  }
  for (const line of formatTable(records)) printLine(line);
  if (records.length === filter.limit) printLine(`(the newest ${filter.limit}; --limit shows more)`);
}

async function exportCalls(flags: ExportFlags): Promise<void> {
  const filter = filterOf(flags);
  const records = await withStore(flags.db, { create: false }, (store) => store.listCalls(filter));
  for (const line of callCsvLines(records)) printLine(line);
}

function formatTable(records: CallHistoryRecord[]): string[] {
  const header = ['STARTED', 'EXTENSION', 'OUTCOME', 'ENDED BY', 'CALLER', 'AGENT', 'RANG', 'TALKED'];
  // Names are typed by callers: control characters would garble the table.
  const clean = (text: string | undefined) => (text ?? '-').replace(/\p{Cc}/gu, ' ');
  const rows = records.map((record) => {
    const talked = talkSeconds(record);
    return [
      record.ringingAt.toISOString(),
      record.extensionId,
      record.outcome,
      record.endedBy,
      clean(record.callerName),
      clean(record.agentName),
      `${ringSeconds(record)} s`,
      talked === null ? '-' : `${talked} s`,
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
