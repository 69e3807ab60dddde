import type { CallEndedBy, CallOutcome } from '../core/EndedCall.js';
import type { CallbackRequestRecord, CallHistoryRecord } from './CallHistoryStore.js';

/**
 * The rows of the `calls` and `callback_requests` tables, as both stores read them (SQLite's millisecond
 * numbers turned into dates first), and the records they make.
 */

export const CALL_COLUMNS =
  'call_id, extension_id, caller_name, agent_name, ringing_at, answered_at, ended_at, outcome, ended_by, done_at, done_by';
export const CALLBACK_COLUMNS = 'id, extension_id, name, contact, message, created_at, done_at, done_by';

export interface CallRow {
  call_id: string;
  extension_id: string;
  caller_name: string | null;
  agent_name: string | null;
  ringing_at: Date;
  answered_at: Date | null;
  ended_at: Date;
  outcome: string;
  ended_by: string;
  done_at: Date | null;
  done_by: string | null;
}

export interface CallbackRow {
  id: string;
  extension_id: string;
  name: string;
  contact: string;
  message: string;
  created_at: Date;
  done_at: Date | null;
  done_by: string | null;
}

/** Mapped over the union, so a new outcome cannot be forgotten here. */
const OUTCOMES: { [K in CallOutcome]: true } = {
  answered: true,
  dropped: true,
  abandoned: true,
  timeout: true,
};
const ENDED_BY: { [K in CallEndedBy]: true } = { caller: true, agent: true, server: true };

export function outcomeIsKnown(value: string): value is CallOutcome {
  return Object.hasOwn(OUTCOMES, value);
}

function endedByIsKnown(value: string): value is CallEndedBy {
  return Object.hasOwn(ENDED_BY, value);
}

export function callRecordOf(row: CallRow): CallHistoryRecord {
  const { outcome, ended_by: endedBy } = row;
  // Written only by this code; anything else is a newer version's row, which this one cannot describe.
  if (!outcomeIsKnown(outcome) || !endedByIsKnown(endedBy)) {
    throw new Error(
      `Call ${row.call_id} in the history has an unknown outcome "${outcome}" or end "${endedBy}".`,
    );
  }
  return {
    callId: row.call_id,
    extensionId: row.extension_id,
    ...(row.caller_name === null ? {} : { callerName: row.caller_name }),
    ...(row.agent_name === null ? {} : { agentName: row.agent_name }),
    ringingAt: row.ringing_at,
    ...(row.answered_at === null ? {} : { answeredAt: row.answered_at }),
    endedAt: row.ended_at,
    outcome,
    endedBy,
    ...(row.done_at === null ? {} : { doneAt: row.done_at }),
    ...(row.done_by === null ? {} : { doneBy: row.done_by }),
  };
}

export function callbackRecordOf(row: CallbackRow): CallbackRequestRecord {
  return {
    id: row.id,
    extensionId: row.extension_id,
    name: row.name,
    contact: row.contact,
    message: row.message,
    createdAt: row.created_at,
    ...(row.done_at === null ? {} : { doneAt: row.done_at }),
    ...(row.done_by === null ? {} : { doneBy: row.done_by }),
  };
}

/** `LIMIT n` for a list's optional limit (an integer, so it can be written into the SQL). */
export function limitClause(limit: number | undefined): string {
  return limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(limit))}`;
}
