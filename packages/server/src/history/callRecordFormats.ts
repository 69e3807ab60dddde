/** How call history records are shown outside: JSON and CSV (the CLI's `calls` and the web admin). */

import type { CallHistoryRecord } from '../store/CallHistoryStore.js';

/** A call as JSON: times in ISO 8601, durations in seconds, absent values null. */
export function callJson(record: CallHistoryRecord) {
  return {
    callId: record.callId,
    extensionId: record.extensionId,
    callerName: record.callerName ?? null,
    agentName: record.agentName ?? null,
    ringingAt: record.ringingAt.toISOString(),
    answeredAt: record.answeredAt?.toISOString() ?? null,
    endedAt: record.endedAt.toISOString(),
    outcome: record.outcome,
    endedBy: record.endedBy,
    ringSeconds: ringSeconds(record),
    talkSeconds: talkSeconds(record),
    doneAt: record.doneAt?.toISOString() ?? null,
    doneBy: record.doneBy ?? null,
  };
}

export const ringSeconds = (record: CallHistoryRecord): number =>
  Math.round(((record.answeredAt ?? record.endedAt).getTime() - record.ringingAt.getTime()) / 100) / 10;

export const talkSeconds = (record: CallHistoryRecord): number | null =>
  record.answeredAt === undefined
    ? null
    : Math.round((record.endedAt.getTime() - record.answeredAt.getTime()) / 100) / 10;

const CSV_COLUMNS: readonly [string, (record: CallHistoryRecord) => string | number | null][] = [
  ['call_id', (r) => r.callId],
  ['extension_id', (r) => r.extensionId],
  ['caller_name', (r) => r.callerName ?? null],
  ['agent_name', (r) => r.agentName ?? null],
  ['ringing_at', (r) => r.ringingAt.toISOString()],
  ['answered_at', (r) => r.answeredAt?.toISOString() ?? null],
  ['ended_at', (r) => r.endedAt.toISOString()],
  ['outcome', (r) => r.outcome],
  ['ended_by', (r) => r.endedBy],
  ['ring_seconds', ringSeconds],
  ['talk_seconds', talkSeconds],
  ['done_at', (r) => r.doneAt?.toISOString() ?? null],
  ['done_by', (r) => r.doneBy ?? null],
];

/**
 * RFC 4180 quoting. A caller types its own name, so a cell a spreadsheet would run as a formula
 * (starting with = + - @, tab or CR) is prefixed with an apostrophe.
 */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The CSV export: a header line, then one line per call. */
export function callCsvLines(records: readonly CallHistoryRecord[]): string[] {
  return [
    CSV_COLUMNS.map(([title]) => title).join(','),
    ...records.map((record) => CSV_COLUMNS.map(([, cell]) => csvCell(cell(record))).join(',')),
  ];
}
