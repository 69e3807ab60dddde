import type { CallEnding, CallRecord, EndResult } from './SwitchboardBackend.js';

/**
 * How a call ended, for the call history (docs/protocol.md section 6 names the ways a call ends):
 * - `answered`: it was connected and one party hung up;
 * - `dropped`: it was connected and a party's connection closed for good;
 * - `abandoned`: it rang and the caller hung up or went away before anyone answered;
 * - `timeout`: it rang for the whole ring timeout.
 */
export type CallOutcome = 'answered' | 'dropped' | 'abandoned' | 'timeout';

/** The outcomes of a call that rang and nobody answered: the front desk's work. */
export const MISSED_OUTCOMES: readonly CallOutcome[] = ['abandoned', 'timeout'];

/** Who ended a call: one of its parties, or the server (the ring timeout, or a dead server process). */
export type CallEndedBy = 'caller' | 'agent' | 'server';

/** One finished call, as the history keeps it. Times are milliseconds since the epoch. */
export interface EndedCall {
  callId: string;
  extensionId: string;
  /** The name the caller gave with `call`, if any. */
  callerName?: string;
  /** The answering agent's `register` name (protocol 1.1), if it was answered by a named agent. */
  agentName?: string;
  ringingAt: number;
  answeredAt?: number;
  endedAt: number;
  outcome: CallOutcome;
  endedBy: CallEndedBy;
}

/**
 * The history entry of a call that `endCall` ended, or undefined when it ended nothing (the call had
 * ended already, on this process or another: whoever ended it records it, so each call is written once).
 */
export function endedCallOf(result: EndResult, ending: CallEnding, endedAt: number): EndedCall | undefined {
  if (result.outcome === 'not-found') return undefined;
  const { call } = result;
  if (ending.reason === 'timeout') return historyEntry(call, endedAt, 'timeout', 'server');
  const endedBy = ending.peerId === call.callerPeerId ? 'caller' : 'agent';
  if (result.outcome === 'was-ringing') return historyEntry(call, endedAt, 'abandoned', endedBy);
  return historyEntry(call, endedAt, ending.reason === 'hangup' ? 'answered' : 'dropped', endedBy);
}

/** The entry of `call` ended by `endedBy` with `outcome` at `endedAt`. */
export function historyEntry(
  call: CallRecord,
  endedAt: number,
  outcome: CallOutcome,
  endedBy: CallEndedBy,
): EndedCall {
  return {
    callId: call.callId,
    extensionId: call.extensionId,
    ...(call.name === undefined ? {} : { callerName: call.name }),
    ...(call.answererName === undefined ? {} : { agentName: call.answererName }),
    ringingAt: call.ringingAt,
    ...(call.answeredAt === undefined ? {} : { answeredAt: call.answeredAt }),
    // A clock that stepped back between two processes must not give a negative duration.
    endedAt: Math.max(endedAt, call.answeredAt ?? call.ringingAt),
    outcome,
    endedBy,
  };
}

/** A call the backend ended itself, for the peers of a process that died (section 6 for each of them). */
export interface CallEndedByBackend {
  call: CallRecord;
  outcome: Extract<CallOutcome, 'abandoned' | 'dropped'>;
  endedBy: Exclude<CallEndedBy, 'server'>;
}
