import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { hashPassword } from '../../src/store/passwordHash.js';
import { connectCall, hangUp, placeCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/**
 * Issue 11, point 2: the web admin's API. Nothing without a session; a session is an HTTP-only,
 * SameSite=Strict cookie (Secure behind TLS); every change needs the CSRF token; sign-in is
 * rate-limited like `register`; then extensions, the live view, the history and callback requests.
 */

const ADMIN = { name: 'root', password: 'admin-password-1' };

interface Session {
  cookie: string;
  csrfToken: string;
  setCookie: string;
}

describe('web admin API', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<void> {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0, ...options });
    await ts.store.addAdmin(ADMIN.name, await hashPassword(ADMIN.password));
  }

  const url = (path: string) => `${ts.server.url}/admin/api${path}`;

  async function signIn(name = ADMIN.name, password = ADMIN.password, headers: Record<string, string> = {}) {
    return fetch(url('/session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name, password }),
    });
  }

  async function session(): Promise<Session> {
    const response = await signIn();
    assert.equal(response.status, 200);
    const setCookie = response.headers.get('set-cookie') ?? '';
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    return { cookie: setCookie.split(';')[0] as string, csrfToken, setCookie };
  }

  /** A request with the session's cookie, and its CSRF token unless `csrf` says otherwise. */
  function call(s: Session, method: string, path: string, body?: unknown, csrf: string | null = s.csrfToken) {
    return fetch(url(path), {
      method,
      headers: {
        cookie: s.cookie,
        ...(csrf === null ? {} : { 'x-csrf-token': csrf }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  it('answers 401 to every route without a session, and to a made-up cookie', async () => {
    await start();
    const routes: [string, string][] = [
      ['GET', '/session'],
      ['DELETE', '/session'],
      ['GET', '/extensions'],
      ['POST', '/extensions'],
      ['PATCH', `/extensions/${FRONT.id}`],
      ['POST', `/extensions/${FRONT.id}/password`],
      ['DELETE', `/extensions/${FRONT.id}`],
      ['GET', `/extensions/${FRONT.id}/embed-snippet`],
      ['GET', '/live'],
      ['GET', '/calls'],
      ['GET', '/calls.csv'],
      ['GET', '/callbacks'],
      ['POST', `/callbacks/${FRONT.id}/x/done`],
    ];
    for (const [method, path] of routes) {
      for (const cookie of [undefined, 'pbx_admin=made-up-token']) {
        const response = await fetch(url(path), { method, headers: cookie === undefined ? {} : { cookie } });
        assert.equal(response.status, 401, `${method} ${path} with ${cookie ?? 'no cookie'}`);
      }
    }
    assert.equal((await ts.store.list()).length, 1, 'nothing changed');
  });

  it('signs in with an HTTP-only, SameSite=Strict cookie for /admin that expires, and signs out', async () => {
    await start();
    assert.equal((await signIn(ADMIN.name, 'wrong-password')).status, 401);
    assert.equal((await signIn('nobody', ADMIN.password)).status, 401);
    const s = await session();
    assert.match(s.setCookie, /^pbx_admin=[A-Za-z0-9_-]{40,};/);
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/admin', 'Max-Age=28800']) {
      assert.ok(s.setCookie.split('; ').includes(attribute), `${attribute} in ${s.setCookie}`);
    }
    assert.ok(!s.setCookie.includes('Secure'), 'plain http: no Secure');
    const me = await call(s, 'GET', '/session');
    assert.deepEqual(await me.json(), { name: ADMIN.name, csrfToken: s.csrfToken });
    assert.equal((await call(s, 'DELETE', '/session')).status, 204);
    assert.equal((await call(s, 'GET', '/extensions')).status, 401, 'signed out');
  });

  it('marks the cookie Secure behind a TLS proxy it trusts', async () => {
    await start({ trustProxy: ['127.0.0.1'] });
    const response = await signIn(ADMIN.name, ADMIN.password, { 'x-forwarded-proto': 'https' });
    assert.equal(response.status, 200);
    assert.ok((response.headers.get('set-cookie') ?? '').split('; ').includes('Secure'));
  });

  it('refuses every change without the CSRF token, or with another session’s', async () => {
    await start();
    const s = await session();
    const other = await session();
    for (const csrf of [null, 'forged', other.csrfToken]) {
      const added = await call(s, 'POST', '/extensions', { name: 'Sneaky' }, csrf);
      assert.equal(added.status, 403, `csrf ${csrf}`);
      assert.deepEqual(await added.json(), { error: 'csrf' });
      assert.equal((await call(s, 'DELETE', `/extensions/${FRONT.id}`, undefined, csrf)).status, 403);
      assert.equal((await call(s, 'DELETE', '/session', undefined, csrf)).status, 403);
    }
    assert.deepEqual(
      (await ts.store.list()).map((extension) => extension.id),
      [FRONT.id],
    );
  });

  it('limits sign-in guesses like register: past the limit even the right password is refused', async () => {
    await start({ registerFailureLimit: 2, onOneProcess: true });
    assert.equal((await signIn(ADMIN.name, 'guess-1')).status, 401);
    assert.equal((await signIn(ADMIN.name, 'guess-2')).status, 401);
    const locked = await signIn(ADMIN.name, ADMIN.password);
    assert.equal(locked.status, 429);
    assert.deepEqual(await locked.json(), { error: 'rate-limited' });
    const agent = await ts.peer(FRONT.id, 'agent');
    assert.equal(
      (await agent.register(FRONT.password)).status,
      'registered',
      'extensions have their own limit',
    );
  });

  it('adds an extension with a password shown once, renames it, gives it a new password, and removes it', async () => {
    await start();
    const s = await session();
    const added = await call(s, 'POST', '/extensions', { name: '  Side door ', id: 'side-door' });
    assert.equal(added.status, 201);
    const created = (await added.json()) as { id: string; name: string; password: string; callerUrl: string };
    assert.equal(created.id, 'side-door');
    assert.equal(created.name, 'Side door');
    assert.match(created.password, /^[A-Za-z0-9_-]{24}$/);
    assert.equal(created.callerUrl, `${ts.server.url}/ext/side-door`);
    const agent = await ts.peer('side-door', 'agent');
    assert.equal((await agent.register(created.password)).status, 'registered', 'the shown password works');

    const listed = (await (await call(s, 'GET', '/extensions')).json()) as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((extension) => extension.id),
      [FRONT.id, 'side-door'],
    );
    assert.equal('password' in (listed[1] ?? {}), false, 'never shown again');
    assert.equal((await call(s, 'POST', '/extensions', { name: 'Again', id: 'side-door' })).status, 409);
    assert.equal((await call(s, 'POST', '/extensions', { name: '' })).status, 400);
    assert.equal((await call(s, 'POST', '/extensions', { name: 'x', id: 'a b' })).status, 400);

    const renamed = await call(s, 'PATCH', '/extensions/side-door', { name: 'Back door' });
    assert.deepEqual(await renamed.json(), { id: 'side-door', name: 'Back door' });
    assert.equal((await ts.store.get('side-door'))?.name, 'Back door');
    assert.equal((await call(s, 'PATCH', '/extensions/nope', { name: 'X' })).status, 404);

    const changed = (await (await call(s, 'POST', '/extensions/side-door/password')).json()) as {
      password: string;
    };
    assert.notEqual(changed.password, created.password);
    const late = await ts.peer('side-door', 'late agent');
    assert.equal(
      (await late.register(created.password)).status,
      'unregistered',
      'the old password no longer works',
    );
    assert.equal((await late.register(changed.password)).status, 'registered');

    const snippet = (await (await call(s, 'GET', '/extensions/side-door/embed-snippet')).json()) as {
      snippet: string;
    };
    assert.equal(
      snippet.snippet,
      `<script src="${ts.server.url}/embed.js" data-extension="side-door" async></script>`,
    );

    assert.equal((await call(s, 'DELETE', '/extensions/side-door')).status, 204);
    assert.equal(await ts.store.get('side-door'), undefined);
    assert.equal((await call(s, 'DELETE', '/extensions/side-door')).status, 404);
  });

  it('shows the live view: agents by name, a ringing and a connected call with their durations', async () => {
    await start();
    const s = await session();
    const alice = await ts.peer(FRONT.id, 'alice');
    await alice.request({ type: 'register', peerId: alice.peerId, password: FRONT.password, name: 'Alice' });
    const bob = await ts.agent(FRONT.id, FRONT.password, 'bob');
    const talking = await ts.peer(FRONT.id, 'talking caller');
    const connectedId = await placeCall(talking, 'Zoë');
    await alice.nextMatching(isSessionEvent('ringing', connectedId));
    await alice.request({ type: 'answer', peerId: alice.peerId, callId: connectedId });
    await talking.nextMatching(isSessionEvent('connected', connectedId));
    const waiting = await ts.peer(FRONT.id, 'waiting caller');
    const ringingId = await placeCall(waiting, 'Ann');
    await bob.nextMatching(isSessionEvent('ringing', ringingId));

    const live = (await (await call(s, 'GET', '/live')).json()) as {
      extensions: {
        id: string;
        agents: { name: string | null }[];
        ringing: { callId: string; callerName: string; ringingSeconds: number }[];
        connected: { callId: string; callerName: string; agentName: string; connectedSeconds: number }[];
      }[];
    };
    const [front] = live.extensions;
    assert.equal(front?.id, FRONT.id);
    assert.deepEqual(front?.agents.map((agent) => agent.name).sort(), ['Alice', null]);
    assert.deepEqual(
      front?.ringing.map(({ callId, callerName }) => ({ callId, callerName })),
      [{ callId: ringingId, callerName: 'Ann' }],
    );
    assert.deepEqual(
      front?.connected.map(({ callId, callerName, agentName }) => ({ callId, callerName, agentName })),
      [{ callId: connectedId, callerName: 'Zoë', agentName: 'Alice' }],
    );
    assert.equal(typeof front?.connected[0]?.connectedSeconds, 'number');
  });

  it('shows the name an agent registered again with (section 8: a later register replaces the name)', async () => {
    await start();
    const s = await session();
    const agent = await ts.peer(FRONT.id, 'agent');
    for (const name of ['Alice', 'Alice Smith']) {
      const reply = await agent.request({
        type: 'register',
        peerId: agent.peerId,
        password: FRONT.password,
        name,
      });
      assert.equal(reply.status, 'registered');
    }
    const live = (await (await call(s, 'GET', '/live')).json()) as {
      extensions: { id: string; agents: { name: string | null }[] }[];
    };
    const front = live.extensions.find((extension) => extension.id === FRONT.id);
    assert.deepEqual(
      front?.agents.map((a) => a.name),
      ['Alice Smith'],
    );
  });

  it('lists the call history with filters, exports it as CSV, and lists and closes callback requests', async () => {
    await start();
    const s = await session();
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    await hangUp(caller, agent, callId);
    const deadline = Date.now() + 5_000;
    while ((await ts.store.listCalls()).length === 0 && Date.now() < deadline) await delay(25);

    const calls = (await (await call(s, 'GET', `/calls?extension=${FRONT.id}&outcome=answered`)).json()) as {
      callId: string;
      outcome: string;
    }[];
    assert.deepEqual(
      calls.map((c) => [c.callId, c.outcome]),
      [[callId, 'answered']],
    );
    assert.deepEqual(await (await call(s, 'GET', '/calls?outcome=timeout')).json(), []);
    assert.equal((await call(s, 'GET', '/calls?outcome=bogus')).status, 400);
    assert.equal((await call(s, 'GET', '/calls?since=yesterday')).status, 400);
    const csv = await call(s, 'GET', '/calls.csv');
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', /attachment; filename="pbx-peers-calls.csv"/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    assert.match(lines[0] ?? '', /^call_id,extension_id,/);
    assert.ok(lines[1]?.startsWith(`${callId},${FRONT.id},`));

    const left = await ts.store.addCallbackRequest({
      extensionId: FRONT.id,
      name: 'Ann',
      contact: 'ann@example.org',
      message: '',
    });
    const open = (await (await call(s, 'GET', '/callbacks?open=1')).json()) as { id: string }[];
    assert.deepEqual(
      open.map((request) => request.id),
      [left.id],
    );
    assert.equal((await call(s, 'POST', `/callbacks/${FRONT.id}/${left.id}/done`, {})).status, 204);
    assert.deepEqual(await (await call(s, 'GET', '/callbacks?open=1')).json(), []);
    const all = (await (await call(s, 'GET', '/callbacks')).json()) as { doneBy: string }[];
    assert.equal(all[0]?.doneBy, ADMIN.name);
  });

  it("ends an admin's sessions when its password changes", async () => {
    await start();
    const s = await session();
    await ts.store.setAdminPasswordHash(ADMIN.name, await hashPassword('another-password'));
    assert.equal((await call(s, 'GET', '/extensions')).status, 401);
  });
});
