/**
 * The web admin's API (`/admin/api/...`, issue 11 point 2): the shapes of its answers, and readers that
 * check them. Pure (no DOM, no fetch), so the unit tests run them in Node. A reader returns undefined for
 * a body that is not what the server sends, and the page then says the answer could not be read.
 */

export interface AdminSession {
  name: string;
  csrfToken: string;
}

export interface ExtensionRow {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  callerUrl: string;
  agentUrl: string;
}

/** `POST /admin/api/extensions`: the new extension, with its generated password (shown once). */
export interface CreatedExtension {
  id: string;
  name: string;
  password: string;
  callerUrl: string;
  agentUrl: string;
}

export interface LiveAgent {
  name: string | null;
}

export interface LiveRinging {
  callId: string;
  callerName: string | null;
  ringingSeconds: number;
}

export interface LiveConnected {
  callId: string;
  callerName: string | null;
  agentName: string | null;
  connectedSeconds: number;
}

export interface LiveExtension {
  id: string;
  name: string;
  agents: LiveAgent[];
  ringing: LiveRinging[];
  connected: LiveConnected[];
}

export const OUTCOMES = ['answered', 'dropped', 'abandoned', 'timeout'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface CallRow {
  callId: string;
  extensionId: string;
  callerName: string | null;
  agentName: string | null;
  ringingAt: string;
  answeredAt: string | null;
  endedAt: string;
  outcome: Outcome;
  endedBy: string;
  ringSeconds: number;
  talkSeconds: number | null;
  doneAt: string | null;
  doneBy: string | null;
}

export interface CallbackRow {
  id: string;
  extensionId: string;
  name: string;
  contact: string;
  message: string;
  createdAt: string;
  doneAt: string | null;
  doneBy: string | null;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;
/** A string, or null / absent (read as null). */
const optionalString = (value: unknown): string | null | false =>
  value === undefined || value === null ? null : isString(value) ? value : false;
const optionalCount = (value: unknown): number | null | false =>
  value === undefined || value === null ? null : isCount(value) ? value : false;

/** Every element read by `read`, or undefined when the body is not an array or one element is wrong. */
function listOf<T>(body: unknown, read: (value: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const rows: T[] = [];
  for (const value of body) {
    const row = read(value);
    if (row === undefined) return undefined;
    rows.push(row);
  }
  return rows;
}

export function parseSession(body: unknown): AdminSession | undefined {
  if (!isObject(body) || !isString(body.name) || !isString(body.csrfToken) || body.csrfToken === '') {
    return undefined;
  }
  return { name: body.name, csrfToken: body.csrfToken };
}

function parseExtension(value: unknown): ExtensionRow | undefined {
  if (!isObject(value)) return undefined;
  const { id, name, createdAt, updatedAt, callerUrl, agentUrl } = value;
  if (!isString(id) || !isString(name) || !isString(callerUrl) || !isString(agentUrl)) return undefined;
  return {
    id,
    name,
    createdAt: isString(createdAt) ? createdAt : '',
    updatedAt: isString(updatedAt) ? updatedAt : '',
    callerUrl,
    agentUrl,
  };
}

export function parseExtensions(body: unknown): ExtensionRow[] | undefined {
  return listOf(body, parseExtension);
}

export function parseCreatedExtension(body: unknown): CreatedExtension | undefined {
  if (!isObject(body)) return undefined;
  const { id, name, password, callerUrl, agentUrl } = body;
  if (!isString(id) || !isString(name) || !isString(password) || password === '') return undefined;
  if (!isString(callerUrl) || !isString(agentUrl)) return undefined;
  return { id, name, password, callerUrl, agentUrl };
}

export function parsePassword(body: unknown): string | undefined {
  return isObject(body) && isString(body.password) && body.password !== '' ? body.password : undefined;
}

export function parseSnippet(body: unknown): string | undefined {
  return isObject(body) && isString(body.snippet) && body.snippet !== '' ? body.snippet : undefined;
}

function parseLiveExtension(value: unknown): LiveExtension | undefined {
  if (!isObject(value) || !isString(value.id) || !isString(value.name)) return undefined;
  const agents = listOf(value.agents ?? [], (agent) => {
    if (!isObject(agent)) return undefined;
    const name = optionalString(agent.name);
    return name === false ? undefined : { name };
  });
  const ringing = listOf(value.ringing ?? [], (call) => {
    if (!isObject(call) || !isString(call.callId) || !isCount(call.ringingSeconds)) return undefined;
    const callerName = optionalString(call.callerName);
    if (callerName === false) return undefined;
    return { callId: call.callId, callerName, ringingSeconds: call.ringingSeconds };
  });
  const connected = listOf(value.connected ?? [], (call) => {
    if (!isObject(call) || !isString(call.callId) || !isCount(call.connectedSeconds)) return undefined;
    const callerName = optionalString(call.callerName);
    const agentName = optionalString(call.agentName);
    if (callerName === false || agentName === false) return undefined;
    return { callId: call.callId, callerName, agentName, connectedSeconds: call.connectedSeconds };
  });
  if (agents === undefined || ringing === undefined || connected === undefined) return undefined;
  return { id: value.id, name: value.name, agents, ringing, connected };
}

export function parseLive(body: unknown): LiveExtension[] | undefined {
  if (!isObject(body)) return undefined;
  return listOf(body.extensions, parseLiveExtension);
}

const isOutcome = (value: unknown): value is Outcome => OUTCOMES.includes(value as Outcome);

function parseCall(value: unknown): CallRow | undefined {
  if (!isObject(value)) return undefined;
  const { callId, extensionId, ringingAt, endedAt, outcome, endedBy, ringSeconds } = value;
  if (!isString(callId) || !isString(extensionId) || !isString(ringingAt) || !isString(endedAt)) {
    return undefined;
  }
  if (!isOutcome(outcome) || !isCount(ringSeconds)) return undefined;
  const callerName = optionalString(value.callerName);
  const agentName = optionalString(value.agentName);
  const answeredAt = optionalString(value.answeredAt);
  const doneAt = optionalString(value.doneAt);
  const doneBy = optionalString(value.doneBy);
  const talkSeconds = optionalCount(value.talkSeconds);
  if ([callerName, agentName, answeredAt, doneAt, doneBy, talkSeconds].includes(false)) return undefined;
  return {
    callId,
    extensionId,
    callerName: callerName as string | null,
    agentName: agentName as string | null,
    ringingAt,
    answeredAt: answeredAt as string | null,
    endedAt,
    outcome,
    endedBy: isString(endedBy) ? endedBy : '',
    ringSeconds,
    talkSeconds: talkSeconds as number | null,
    doneAt: doneAt as string | null,
    doneBy: doneBy as string | null,
  };
}

export function parseCalls(body: unknown): CallRow[] | undefined {
  return listOf(body, parseCall);
}

function parseCallback(value: unknown): CallbackRow | undefined {
  if (!isObject(value)) return undefined;
  const { id, extensionId, name, contact, createdAt } = value;
  if (!isString(id) || !isString(extensionId) || !isString(name) || !isString(contact)) return undefined;
  if (!isString(createdAt)) return undefined;
  const message = optionalString(value.message);
  const doneAt = optionalString(value.doneAt);
  const doneBy = optionalString(value.doneBy);
  if (message === false || doneAt === false || doneBy === false) return undefined;
  return { id, extensionId, name, contact, message: message ?? '', createdAt, doneAt, doneBy };
}

export function parseCallbacks(body: unknown): CallbackRow[] | undefined {
  return listOf(body, parseCallback);
}

/**
 * What one API request came to: `ok` with the body read, or a failure: `unauthorized` (no session: the
 * page goes back to sign-in), `csrf` (the token went stale), `not-found`, `rate-limited`, `invalid` and
 * `duplicate` (with the server's message), `bad-password`, or `failed` (network, server error, a body
 * that could not be read).
 */
export type ApiResult<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      problem:
        | 'unauthorized'
        | 'bad-password'
        | 'csrf'
        | 'not-found'
        | 'rate-limited'
        | 'invalid'
        | 'duplicate'
        | 'failed';
      message?: string;
    };

/** Reads an answer: `read` is given the body of a 2xx (undefined for 204). */
export function apiResult<T>(
  status: number,
  body: unknown,
  read: (body: unknown) => T | undefined,
): ApiResult<T> {
  if (status >= 200 && status < 300) {
    const value = read(body);
    return value === undefined ? { ok: false, problem: 'failed' } : { ok: true, value };
  }
  const error = isObject(body) && isString(body.error) ? body.error : undefined;
  const message = isObject(body) && isString(body.message) && body.message !== '' ? body.message : undefined;
  const withMessage = message === undefined ? {} : { message };
  if (status === 401)
    return { ok: false, problem: error === 'bad-password' ? 'bad-password' : 'unauthorized' };
  if (status === 403 && error === 'csrf') return { ok: false, problem: 'csrf' };
  if (status === 404) return { ok: false, problem: 'not-found', ...withMessage };
  if (status === 429) return { ok: false, problem: 'rate-limited' };
  if (status === 409) return { ok: false, problem: 'duplicate', ...withMessage };
  if (status === 400) return { ok: false, problem: 'invalid', ...withMessage };
  return { ok: false, problem: 'failed' };
}

/** For answers without a body worth reading (204). */
export const noBody = (): true => true;
