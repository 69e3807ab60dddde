import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { MISSED_OUTCOMES } from '../core/EndedCall.js';
import type { RegisterAttempts } from '../core/RegisterAttempts.js';
import type { FixedWindowQuota } from '../limits/FixedWindowQuota.js';
import type { CallbackRequestRecord, CallHistoryRecord } from '../store/CallHistoryStore.js';
import type { ExtensionStore } from '../store/ExtensionStore.js';
import { callbackRequestProblem } from './callbackRequestProblem.js';

export interface FrontDeskRoutesOptions {
  store: ExtensionStore;
  /** The register check itself (its limiter and fair queue): the API's password counts like a `register`. */
  registerAttempts: RegisterAttempts;
  /**
   * Callback requests per client address (`CALLBACKS_PER_ADDRESS_PER_HOUR` an hour), counted in Redis in
   * a cluster so that every node counts against one quota.
   */
  callbackQuota: FixedWindowQuota;
  log: Logger;
  /** A callback request left on the caller page (`pbx_peers_callback_requests_total`, the webhook). */
  onCallbackRequested(request: CallbackRequestRecord): void;
}

/** Missed calls listed: the newest this many not yet marked done. */
const MISSED_LIMIT = 50;
const ANSWERED_LIMIT = 10;
const CALLBACK_LIMIT = 50;
/** Callback requests one address may leave per hour, on the whole cluster. */
export const CALLBACKS_PER_ADDRESS_PER_HOUR = 5;
/**
 * A console polls every few seconds: a password once checked (scrypt, on purpose slow) is taken again
 * for this long without a new check, as long as the extension's stored hash is the same one.
 */
const VERIFIED_FOR_MS = 60_000;
const BODY_LIMIT_BYTES = 4_096;

interface ExtensionParams {
  extensionId: string;
}

/**
 * The front desk's HTTP API (issue 10): the missed calls, recent answered calls and callback requests of
 * an extension, for its agents (authorized by the extension's password, counted against the register
 * limit), and the public callback request the caller page sends. Everything a caller typed goes out as
 * JSON data; the pages render it as text.
 */
export function registerFrontDeskRoutes(app: FastifyInstance, options: FrontDeskRoutesOptions): void {
  const { store, registerAttempts, log } = options;
  const verified = new Map<string, { passwordHash: string; until: number }>();

  /** The extension's agents only: a Bearer password checked as `register` checks it. */
  async function authorized(request: FastifyRequest<{ Params: ExtensionParams }>, reply: FastifyReply) {
    const { extensionId } = request.params;
    const password = bearerPassword(request.headers.authorization);
    if (password === undefined) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'bad-password' });
      return false;
    }
    const record = await store.get(extensionId);
    const key = createHash('sha256').update(`${extensionId}\0${password}`).digest('base64');
    const known = verified.get(key);
    if (record !== undefined && known !== undefined && known.until > Date.now()) {
      if (known.passwordHash === record.passwordHash) return true;
    }
    verified.delete(key);
    const verdict = await registerAttempts.check(request.ip, extensionId, password);
    if (verdict === 'registered' && record !== undefined) {
      if (verified.size > 10_000) verified.clear();
      verified.set(key, { passwordHash: record.passwordHash, until: Date.now() + VERIFIED_FOR_MS });
      return true;
    }
    if (verdict === 'rate-limited') {
      log.warn({ clientAddress: request.ip, extensionId }, 'front desk sign-in refused: address locked out');
      await reply.code(429).send({ error: 'rate-limited' });
    } else {
      log.info({ clientAddress: request.ip, extensionId }, 'front desk sign-in refused: bad password');
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'bad-password' });
    }
    return false;
  }

  app.get<{ Params: ExtensionParams }>('/api/extensions/:extensionId/front-desk', async (request, reply) => {
    if (!(await authorized(request, reply))) return reply;
    const { extensionId } = request.params;
    const [missed, answered, callbacks] = await Promise.all([
      store
        .listCalls({ extensionId, outcomes: MISSED_OUTCOMES, limit: MISSED_LIMIT * 4 })
        .then((calls) => calls.filter((call) => call.doneAt === undefined).slice(0, MISSED_LIMIT)),
      store.listCalls({ extensionId, outcomes: ['answered', 'dropped'], limit: ANSWERED_LIMIT }),
      store.listCallbackRequests({ extensionId, includeDone: false, limit: CALLBACK_LIMIT }),
    ]);
    return reply.header('cache-control', 'no-store').send({
      missed: missed.map(missedJson),
      answered: answered.map(answeredJson),
      callbacks: callbacks.map(callbackJson),
    });
  });

  const markDone =
    (kind: 'call' | 'callback') =>
    async (request: FastifyRequest<{ Params: ExtensionParams & { id: string } }>, reply: FastifyReply) => {
      if (!(await authorized(request, reply))) return reply;
      const { extensionId, id } = request.params;
      const by = doneBy(request.body);
      const result =
        kind === 'call'
          ? await store.markCallDone(extensionId, id, by)
          : await store.markCallbackDone(extensionId, id, by);
      if (result === 'not-found') return reply.code(404).send({ error: 'not-found' });
      return reply.code(204).send();
    };
  app.post<{ Params: ExtensionParams & { id: string } }>(
    '/api/extensions/:extensionId/calls/:id/done',
    { bodyLimit: BODY_LIMIT_BYTES },
    markDone('call'),
  );
  app.post<{ Params: ExtensionParams & { id: string } }>(
    '/api/extensions/:extensionId/callbacks/:id/done',
    { bodyLimit: BODY_LIMIT_BYTES },
    markDone('callback'),
  );

  app.post<{ Params: ExtensionParams }>(
    '/api/extensions/:extensionId/callbacks',
    { bodyLimit: BODY_LIMIT_BYTES },
    async (request, reply) => {
      const { extensionId } = request.params;
      const checked = callbackRequestProblem(request.body);
      if ('problem' in checked) {
        return reply.code(400).send({ error: 'invalid', field: checked.field, message: checked.problem });
      }
      if (!(await store.exists(extensionId))) return reply.code(404).send({ error: 'unknown-extension' });
      let allowed: boolean;
      try {
        allowed = await options.callbackQuota.take(request.ip);
      } catch (err) {
        log.error({ err, extensionId, clientAddress: request.ip }, 'callback quota unavailable (Redis)');
        return reply.code(503).send({ error: 'try-again-later' });
      }
      if (!allowed) return reply.code(429).send({ error: 'rate-limited' });
      const created = await store.addCallbackRequest({ extensionId, ...checked.request });
      options.onCallbackRequested(created);
      log.info({ extensionId, callbackId: created.id, clientAddress: request.ip }, 'callback requested');
      return reply.code(201).send({ id: created.id });
    },
  );
}

/** `Authorization: Bearer <password>`; undefined when absent or empty. */
function bearerPassword(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer (.+)$/s.exec(header);
  return match?.[1];
}

/** The agent's name from `{ "by": "..." }`, trimmed and bounded; anything else is no name. */
function doneBy(body: unknown): string | undefined {
  const by = typeof body === 'object' && body !== null ? (body as { by?: unknown }).by : undefined;
  if (typeof by !== 'string') return undefined;
  const name = by
    .trim()
    .replace(/\p{Cc}/gu, ' ')
    .slice(0, 100);
  return name === '' ? undefined : name;
}

const seconds = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

function missedJson(call: CallHistoryRecord) {
  return {
    callId: call.callId,
    callerName: call.callerName ?? null,
    ringingAt: call.ringingAt.toISOString(),
    endedAt: call.endedAt.toISOString(),
    outcome: call.outcome,
    waitedSeconds: seconds(call.ringingAt, call.endedAt),
  };
}

function answeredJson(call: CallHistoryRecord) {
  const answeredAt = call.answeredAt ?? call.ringingAt;
  return {
    callId: call.callId,
    callerName: call.callerName ?? null,
    agentName: call.agentName ?? null,
    ringingAt: call.ringingAt.toISOString(),
    answeredAt: answeredAt.toISOString(),
    endedAt: call.endedAt.toISOString(),
    outcome: call.outcome,
    talkSeconds: seconds(answeredAt, call.endedAt),
  };
}

function callbackJson(request: CallbackRequestRecord) {
  return {
    id: request.id,
    name: request.name,
    contact: request.contact,
    message: request.message,
    createdAt: request.createdAt.toISOString(),
  };
}
