import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { CallOutcome } from '../core/EndedCall.js';
import type { RegisterAttempts } from '../core/RegisterAttempts.js';
import type { SwitchboardBackend } from '../core/SwitchboardBackend.js';
import { callCsvLines, callJson } from '../history/callRecordFormats.js';
import type { AdminSession } from '../store/AdminStore.js';
import type { CallListFilter } from '../store/CallHistoryStore.js';
import { DuplicateExtensionError, type ExtensionStore } from '../store/ExtensionStore.js';
import {
  checkedExtensionName,
  generatePassword,
  isValidExtensionId,
  newExtensionId,
} from '../store/extensionIds.js';
import { outcomeIsKnown } from '../store/historyRows.js';
import { hashPassword } from '../store/passwordHash.js';

export interface AdminRoutesOptions {
  store: ExtensionStore;
  backend: SwitchboardBackend;
  /** Admin sign-ins checked and rate-limited as `register` is, on an admin directory and limiter. */
  signIns: RegisterAttempts;
  log: Logger;
}

const COOKIE = 'pbx_admin';
/** A session lasts a working day; signing in again starts a new one. */
const SESSION_MS = 8 * 3_600_000;
const CSRF_HEADER = 'x-csrf-token';
const BODY_LIMIT_BYTES = 4_096;
const MAX_CALLS = 1_000;
const EXPORT_LIMIT = 100_000;

interface SignedIn {
  tokenHash: string;
  session: AdminSession;
}

type IdParams = { Params: { id: string } };

/**
 * The web admin's API (issue 11, point 2), under /admin/api: sign-in with an admin account (managed by
 * `pbx-peers admin`), then extensions, the live view, the call history and callback requests. A
 * session is an HTTP-only, SameSite=Strict cookie (Secure behind TLS) whose token the store keeps only
 * as a hash, so any process of a cluster knows it; every change also needs the session's CSRF token in
 * `X-CSRF-Token`. Without a session every route answers 401.
 */
export function registerAdminRoutes(app: FastifyInstance, options: AdminRoutesOptions): void {
  const { store, backend, signIns, log } = options;

  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const token = cookieValue(request.headers.cookie, COOKIE);
    const tokenHash = token === undefined ? undefined : sha256(token);
    const session = tokenHash === undefined ? undefined : await store.getAdminSession(tokenHash, new Date());
    if (tokenHash === undefined || session === undefined) {
      await reply.code(401).send({ error: 'unauthorized' });
      return undefined;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameText(sent, session.csrfToken)) {
        await reply.code(403).send({ error: 'csrf' });
        return undefined;
      }
    }
    return { tokenHash, session };
  }

  /** Registers an admin API route that needs a session (and, for changes, the CSRF token). */
  const guarded =
    <R extends { Params?: unknown; Querystring?: unknown }>(
      handler: (request: FastifyRequest<R>, reply: FastifyReply, admin: SignedIn) => Promise<unknown>,
    ) =>
    async (request: FastifyRequest<R>, reply: FastifyReply) => {
      const admin = await signedIn(request, reply);
      if (admin === undefined) return reply;
      return handler(request, reply, admin);
    };

  app.post('/admin/api/session', { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
      string,
      unknown
    >;
    const { name, password } = body;
    if (typeof name !== 'string' || typeof password !== 'string' || name === '' || password === '') {
      return reply.code(400).send({ error: 'invalid', message: 'Give a name and a password.' });
    }
    const verdict = await signIns.check(request.ip, name, password);
    if (verdict === 'rate-limited') {
      log.warn({ clientAddress: request.ip, admin: name }, 'admin sign-in refused: address locked out');
      return reply.code(429).send({ error: 'rate-limited' });
    }
    if (verdict !== 'registered') {
      log.info({ clientAddress: request.ip, admin: name }, 'admin sign-in refused: bad password');
      return reply.code(401).send({ error: 'bad-password' });
    }
    const token = randomBytes(32).toString('base64url');
    const session: AdminSession = {
      adminName: name,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: new Date(Date.now() + SESSION_MS),
    };
    await store.createAdminSession(sha256(token), session);
    await store.pruneAdminSessions(new Date());
    log.info({ clientAddress: request.ip, admin: name }, 'admin signed in');
    return reply
      .header('set-cookie', sessionCookie(token, request.protocol === 'https', SESSION_MS / 1000))
      .header('cache-control', 'no-store')
      .send({ name, csrfToken: session.csrfToken });
  });

  app.get(
    '/admin/api/session',
    guarded(async (_request, reply, { session }) =>
      reply
        .header('cache-control', 'no-store')
        .send({ name: session.adminName, csrfToken: session.csrfToken }),
    ),
  );

  app.delete(
    '/admin/api/session',
    guarded(async (request, reply, { tokenHash, session }) => {
      await store.deleteAdminSession(tokenHash);
      log.info({ admin: session.adminName }, 'admin signed out');
      return reply
        .code(204)
        .header('set-cookie', sessionCookie('', request.protocol === 'https', 0))
        .send();
    }),
  );

  app.get(
    '/admin/api/extensions',
    guarded(async (request) => {
      const base = baseUrl(request);
      return (await store.list()).map((extension) => ({
        id: extension.id,
        name: extension.name,
        createdAt: extension.createdAt.toISOString(),
        updatedAt: extension.updatedAt.toISOString(),
        ...pageUrls(base, extension.id),
      }));
    }),
  );

  app.post(
    '/admin/api/extensions',
    { bodyLimit: BODY_LIMIT_BYTES },
    guarded(async (request, reply, { session }) => {
      const body = objectBody(request.body);
      const checked = checkedExtensionName(typeof body.name === 'string' ? body.name : '');
      if ('problem' in checked)
        return reply.code(400).send({ error: 'invalid', message: `The name ${checked.problem}.` });
      const id = body.id === undefined || body.id === '' ? newExtensionId() : body.id;
      if (typeof id !== 'string' || !isValidExtensionId(id)) {
        return reply
          .code(400)
          .send({ error: 'invalid', message: 'The id must be 3 to 64 of the characters A-Z a-z 0-9 _ -.' });
      }
      const password = generatePassword();
      try {
        await store.add({ id, name: checked.name, passwordHash: await hashPassword(password) });
      } catch (error) {
        if (error instanceof DuplicateExtensionError)
          return reply.code(409).send({ error: 'duplicate', message: error.message });
        throw error;
      }
      log.info({ admin: session.adminName, extensionId: id }, 'admin added an extension');
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ id, name: checked.name, password, ...pageUrls(baseUrl(request), id) });
    }),
  );

  app.patch<IdParams>(
    '/admin/api/extensions/:id',
    { bodyLimit: BODY_LIMIT_BYTES },
    guarded<IdParams>(async (request, reply, { session }) => {
      const body = objectBody(request.body);
      const checked = checkedExtensionName(typeof body.name === 'string' ? body.name : '');
      if ('problem' in checked)
        return reply.code(400).send({ error: 'invalid', message: `The name ${checked.problem}.` });
      if (!(await store.rename(request.params.id, checked.name)))
        return reply.code(404).send({ error: 'not-found' });
      log.info({ admin: session.adminName, extensionId: request.params.id }, 'admin renamed an extension');
      return { id: request.params.id, name: checked.name };
    }),
  );

  app.post<IdParams>(
    '/admin/api/extensions/:id/password',
    { bodyLimit: BODY_LIMIT_BYTES },
    guarded<IdParams>(async (request, reply, { session }) => {
      const password = generatePassword();
      if (!(await store.setPasswordHash(request.params.id, await hashPassword(password)))) {
        return reply.code(404).send({ error: 'not-found' });
      }
      log.info(
        { admin: session.adminName, extensionId: request.params.id },
        'admin changed an extension password',
      );
      return reply.header('cache-control', 'no-store').send({ password });
    }),
  );

  app.delete<IdParams>(
    '/admin/api/extensions/:id',
    guarded<IdParams>(async (request, reply, { session }) => {
      // Its connections are closed by the removal watch, on every process (as for `extension remove`).
      if (!(await store.remove(request.params.id))) return reply.code(404).send({ error: 'not-found' });
      log.info({ admin: session.adminName, extensionId: request.params.id }, 'admin removed an extension');
      return reply.code(204).send();
    }),
  );

  app.get<IdParams>(
    '/admin/api/extensions/:id/embed-snippet',
    guarded<IdParams>(async (request, reply) => {
      if (!(await store.exists(request.params.id))) return reply.code(404).send({ error: 'not-found' });
      const src = `${baseUrl(request)}/embed.js`;
      return {
        snippet: `<script src="${htmlAttribute(src)}" data-extension="${htmlAttribute(request.params.id)}" async></script>`,
      };
    }),
  );

  app.get(
    '/admin/api/live',
    guarded(async (_request, reply) => {
      const now = Date.now();
      const extensions = await store.list();
      const views = await Promise.all(extensions.map((extension) => backend.liveView(extension.id)));
      return reply.header('cache-control', 'no-store').send({
        extensions: extensions.map((extension, index) => {
          const view = views[index] ?? { agents: [], calls: [] };
          const since = (from: number) => Math.max(0, Math.round((now - from) / 1000));
          return {
            id: extension.id,
            name: extension.name,
            agents: view.agents.map((agent) => ({ name: agent.name ?? null })),
            ringing: view.calls
              .filter((call) => call.answererPeerId === undefined)
              .map((call) => ({
                callId: call.callId,
                callerName: call.name ?? null,
                ringingSeconds: since(call.ringingAt),
              })),
            connected: view.calls
              .filter((call) => call.answererPeerId !== undefined)
              .map((call) => ({
                callId: call.callId,
                callerName: call.name ?? null,
                agentName: call.answererName ?? null,
                connectedSeconds: since(call.answeredAt ?? call.ringingAt),
              })),
          };
        }),
      });
    }),
  );

  type CallsQuery = { Querystring: Record<string, string | undefined> };
  app.get<CallsQuery>(
    '/admin/api/calls',
    guarded<CallsQuery>(async (request, reply) => {
      const filter = callFilter(request.query, MAX_CALLS);
      if ('problem' in filter) return reply.code(400).send({ error: 'invalid', message: filter.problem });
      return (await store.listCalls(filter)).map(callJson);
    }),
  );

  app.get<CallsQuery>(
    '/admin/api/calls.csv',
    guarded<CallsQuery>(async (request, reply) => {
      const filter = callFilter(request.query, EXPORT_LIMIT);
      if ('problem' in filter) return reply.code(400).send({ error: 'invalid', message: filter.problem });
      const lines = callCsvLines(await store.listCalls(filter));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="pbx-peers-calls.csv"')
        .header('cache-control', 'no-store')
        .send(`${lines.join('\r\n')}\r\n`);
    }),
  );

  app.get<CallsQuery>(
    '/admin/api/callbacks',
    guarded<CallsQuery>(async (request) => {
      const { extension, open } = request.query;
      const requests = await store.listCallbackRequests({
        ...(extension ? { extensionId: extension } : {}),
        includeDone: open !== '1',
        limit: MAX_CALLS,
      });
      return requests.map((callback) => ({
        id: callback.id,
        extensionId: callback.extensionId,
        name: callback.name,
        contact: callback.contact,
        message: callback.message,
        createdAt: callback.createdAt.toISOString(),
        doneAt: callback.doneAt?.toISOString() ?? null,
        doneBy: callback.doneBy ?? null,
      }));
    }),
  );

  type CallbackParams = { Params: { extensionId: string; id: string } };
  app.post<CallbackParams>(
    '/admin/api/callbacks/:extensionId/:id/done',
    { bodyLimit: BODY_LIMIT_BYTES },
    guarded<CallbackParams>(async (request, reply, { session }) => {
      const { extensionId, id } = request.params;
      const result = await store.markCallbackDone(extensionId, id, session.adminName);
      if (result === 'not-found') return reply.code(404).send({ error: 'not-found' });
      return reply.code(204).send();
    }),
  );

  // Anything else under the API is unknown (the pages under /admin are the web app's).
  app.all('/admin/api/*', async (_request, reply) => reply.code(404).send({ error: 'not-found' }));
}

/** `?extension=&since=&outcome=a,b&limit=` of the calls page. */
function callFilter(
  query: Record<string, string | undefined>,
  maxLimit: number,
): CallListFilter | { problem: string } {
  const filter: CallListFilter = { limit: maxLimit };
  if (query.extension) filter.extensionId = query.extension;
  if (query.since) {
    const since = Date.parse(query.since);
    if (Number.isNaN(since)) return { problem: 'since must be an ISO 8601 date or time.' };
    filter.since = new Date(since);
  }
  if (query.outcome) {
    const outcomes = query.outcome.split(',').map((outcome) => outcome.trim());
    if (!outcomes.every(outcomeIsKnown))
      return { problem: 'outcome must be answered, dropped, abandoned or timeout.' };
    filter.outcomes = outcomes as CallOutcome[];
  }
  if (query.limit) {
    const limit = Number(query.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit)
      return { problem: `limit must be 1 to ${maxLimit}.` };
    filter.limit = limit;
  }
  return filter;
}

function objectBody(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

/** Where this server is, as the admin's browser reached it (for the pages' URLs and the snippet). */
function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

function pageUrls(base: string, id: string): { callerUrl: string; agentUrl: string } {
  const path = `${base}/ext/${encodeURIComponent(id)}`;
  return { callerUrl: path, agentUrl: `${path}/agent` };
}

function sessionCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  return [
    `${COOKIE}=${token}`,
    'Path=/admin',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** One cookie's value from a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Constant time in the length of the expected value. */
function sameText(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function htmlAttribute(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('"', '&quot;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}
