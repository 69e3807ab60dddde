/**
 * The front desk's data as the server's HTTP API gives it (issue 10, points 2 and 3):
 * `GET /api/extensions/:id/front-desk`, authorized by the extension's password. Pure: no DOM, no network.
 * A body is checked field by field; an entry of the wrong shape is left out rather than shown half.
 */

export interface MissedCall {
  callId: string;
  /** What the caller typed as their name; null when they gave none. Untrusted: shown as text only. */
  callerName: string | null;
  ringingAt: Date;
  endedAt: Date;
  /** `abandoned`: the caller hung up while it rang; `timeout`: nobody answered in time. */
  outcome: 'abandoned' | 'timeout';
  waitedSeconds: number;
}

export interface AnsweredCall {
  callId: string;
  callerName: string | null;
  agentName: string | null;
  ringingAt: Date;
  answeredAt: Date;
  endedAt: Date;
  outcome: 'answered' | 'dropped';
  talkSeconds: number;
}

export interface CallbackRequest {
  id: string;
  /** All three typed by the caller: untrusted, shown as text only. */
  name: string;
  contact: string;
  message: string;
  createdAt: Date;
}

export interface FrontDeskData {
  /** Newest first, not yet marked done. */
  missed: MissedCall[];
  /** The last answered calls, newest first. */
  answered: AnsweredCall[];
  /** Newest first, not yet marked done. */
  callbacks: CallbackRequest[];
}

/** What a `GET .../front-desk` came to. */
export type FrontDeskFetch =
  | { kind: 'ok'; data: FrontDeskData }
  | { kind: 'bad-password' }
  | { kind: 'rate-limited' }
  | { kind: 'unknown-extension' }
  /** The network failed, the server answered 5xx, or a body this page does not understand. */
  | { kind: 'failed' };

/** What a `POST .../done` came to; `not-found` means it is gone already (another agent, or pruned). */
export type MarkDoneResult = 'done' | 'not-found' | 'bad-password' | 'rate-limited' | 'failed';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function nullableText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : undefined;
}

function date(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

function seconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function list<T>(value: unknown, parse: (entry: Json) => T | undefined): T[] {
  if (!Array.isArray(value)) return [];
  const parsed: T[] = [];
  for (const entry of value) {
    const item = isRecord(entry) ? parse(entry) : undefined;
    if (item !== undefined) parsed.push(item);
  }
  return parsed;
}

function missedCall(entry: Json): MissedCall | undefined {
  const callId = text(entry.callId);
  const callerName = nullableText(entry.callerName);
  const ringingAt = date(entry.ringingAt);
  const endedAt = date(entry.endedAt);
  const outcome = entry.outcome;
  const waitedSeconds =
    seconds(entry.waitedSeconds) ??
    (ringingAt && endedAt ? Math.max(0, (endedAt.getTime() - ringingAt.getTime()) / 1000) : undefined);
  if (callId === undefined || callerName === undefined || ringingAt === undefined || endedAt === undefined)
    return undefined;
  if (outcome !== 'abandoned' && outcome !== 'timeout') return undefined;
  if (waitedSeconds === undefined) return undefined;
  return { callId, callerName, ringingAt, endedAt, outcome, waitedSeconds };
}

function answeredCall(entry: Json): AnsweredCall | undefined {
  const callId = text(entry.callId);
  const callerName = nullableText(entry.callerName);
  const agentName = nullableText(entry.agentName);
  const ringingAt = date(entry.ringingAt);
  const answeredAt = date(entry.answeredAt);
  const endedAt = date(entry.endedAt);
  const outcome = entry.outcome;
  const talkSeconds =
    seconds(entry.talkSeconds) ??
    (answeredAt && endedAt ? Math.max(0, (endedAt.getTime() - answeredAt.getTime()) / 1000) : undefined);
  if (callId === undefined || callerName === undefined || agentName === undefined) return undefined;
  if (ringingAt === undefined || answeredAt === undefined || endedAt === undefined) return undefined;
  if (outcome !== 'answered' && outcome !== 'dropped') return undefined;
  if (talkSeconds === undefined) return undefined;
  return { callId, callerName, agentName, ringingAt, answeredAt, endedAt, outcome, talkSeconds };
}

function callbackRequest(entry: Json): CallbackRequest | undefined {
  const id = text(entry.id);
  const name = text(entry.name);
  const contact = text(entry.contact);
  const message = text(entry.message) ?? '';
  const createdAt = date(entry.createdAt);
  if (id === undefined || name === undefined || contact === undefined || createdAt === undefined)
    return undefined;
  return { id, name, contact, message, createdAt };
}

/** The front-desk body; undefined when it is not one (not an object, or its lists missing). */
export function parseFrontDesk(body: unknown): FrontDeskData | undefined {
  if (!isRecord(body)) return undefined;
  if (!Array.isArray(body.missed) || !Array.isArray(body.answered) || !Array.isArray(body.callbacks))
    return undefined;
  return {
    missed: list(body.missed, missedCall),
    answered: list(body.answered, answeredCall),
    callbacks: list(body.callbacks, callbackRequest),
  };
}

/** A `GET .../front-desk` answer, from its status and (parsed JSON) body. */
export function frontDeskFetchResult(status: number, body: unknown): FrontDeskFetch {
  if (status === 200) {
    const data = parseFrontDesk(body);
    return data === undefined ? { kind: 'failed' } : { kind: 'ok', data };
  }
  if (status === 401) return { kind: 'bad-password' };
  if (status === 429) return { kind: 'rate-limited' };
  if (status === 404) return { kind: 'unknown-extension' };
  return { kind: 'failed' };
}

/** A `POST .../done` answer, from its status. */
export function markDoneResult(status: number): MarkDoneResult {
  if (status === 204 || status === 200) return 'done';
  if (status === 404) return 'not-found';
  if (status === 401) return 'bad-password';
  if (status === 429) return 'rate-limited';
  return 'failed';
}
