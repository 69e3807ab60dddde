import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { hashPassword } from '../../src/store/passwordHash.js';
import { connectCall, hangUp, placeCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { BACK, FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/**
 * Issue 10, points 2 and 3: the front desk's HTTP API. Agents read the missed calls, recent answered
 * calls and callback requests with the extension's password (counted like `register`) and mark them
 * done; callers leave callback requests, validated and rate-limited per address.
 */

interface FrontDesk {
  missed: { callId: string; callerName: string | null; outcome: string; waitedSeconds: number }[];
  answered: { callId: string; agentName: string | null; talkSeconds: number }[];
  callbacks: { id: string; name: string; contact: string; message: string }[];
}

describe('front desk API', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  const api = (path: string, init: RequestInit = {}) => fetch(`${ts.server.url}/api/extensions${path}`, init);
  const auth = (password: string) => ({ authorization: `Bearer ${password}` });
  const json = { 'content-type': 'application/json' };

  async function frontDesk(password = FRONT.password): Promise<FrontDesk> {
    const response = await api(`/${FRONT.id}/front-desk`, { headers: auth(password) });
    assert.equal(response.status, 200);
    return (await response.json()) as FrontDesk;
  }

  /** The front desk once `ready` says so (history writes are detached from the call). */
  async function frontDeskWhen(ready: (desk: FrontDesk) => boolean): Promise<FrontDesk> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const desk = await frontDesk();
      if (ready(desk)) return desk;
      if (Date.now() > deadline) assert.fail(`the front desk never got there: ${JSON.stringify(desk)}`);
      await delay(50);
    }
  }

  it('lists missed calls (abandoned, timed out) and answered ones to the extension password only', async () => {
    ts = await startTestServer({ extensions: [FRONT, BACK], ringTimeout: 0 });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const missedId = await placeCall(caller, 'Zoë <b>bold</b>');
    await agent.nextMatching(isSessionEvent('ringing', missedId));
    await caller.request({ type: 'end', peerId: caller.peerId, callId: missedId });
    await agent.nextMatching(isSessionEvent('abandoned', missedId));
    const answeredId = await connectCall(caller, agent);
    await hangUp(caller, agent, answeredId);

    const desk = await frontDeskWhen((d) => d.missed.length === 1 && d.answered.length === 1);
    assert.equal(desk.missed[0]?.callId, missedId);
    assert.equal(desk.missed[0]?.callerName, 'Zoë <b>bold</b>', 'as typed: the page renders it as text');
    assert.equal(desk.missed[0]?.outcome, 'abandoned');
    assert.equal(typeof desk.missed[0]?.waitedSeconds, 'number');
    assert.equal(desk.answered[0]?.callId, answeredId);
    assert.deepEqual(desk.callbacks, []);

    assert.equal((await api(`/${FRONT.id}/front-desk`)).status, 401, 'no password');
    assert.equal((await api(`/${FRONT.id}/front-desk`, { headers: auth('wrong-password') })).status, 401);
    assert.equal((await api(`/${FRONT.id}/front-desk`, { headers: auth(BACK.password) })).status, 401);
    const back = await api(`/${BACK.id}/front-desk`, { headers: auth(BACK.password) });
    assert.deepEqual(
      await back.json(),
      { missed: [], answered: [], callbacks: [] },
      "another extension's desk",
    );
  });

  it('marks a missed call done for every agent; a done call or another extension answers 404', async () => {
    ts = await startTestServer({ extensions: [FRONT, BACK], ringTimeout: 0 });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await caller.close();
    await frontDeskWhen((d) => d.missed.length === 1);
    const done = (extensionId: string, password: string, id = callId) =>
      api(`/${extensionId}/calls/${id}/done`, {
        method: 'POST',
        headers: { ...auth(password), ...json },
        body: JSON.stringify({ by: 'Alice' }),
      });
    assert.equal((await done(BACK.id, BACK.password)).status, 404);
    assert.equal((await done(FRONT.id, 'wrong-password')).status, 401);
    assert.equal((await done(FRONT.id, FRONT.password, 'no-such-call')).status, 404);
    assert.equal((await done(FRONT.id, FRONT.password)).status, 204);
    assert.deepEqual((await frontDesk()).missed, []);
    const [record] = await ts.store.listCalls();
    assert.equal(record?.doneBy, 'Alice');
  });

  it('counts wrong passwords against the register limit, shared with register itself', async () => {
    ts = await startTestServer({ extensions: [FRONT], registerFailureLimit: 2, onOneProcess: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      assert.equal((await api(`/${FRONT.id}/front-desk`, { headers: auth(`wrong-${attempt}`) })).status, 401);
    }
    const locked = await api(`/${FRONT.id}/front-desk`, { headers: auth('wrong-again') });
    assert.equal(locked.status, 429);
    assert.deepEqual(await locked.json(), { error: 'rate-limited' });
    const peer = await ts.peer(FRONT.id, 'agent');
    const reply = await peer.register(FRONT.password);
    assert.equal(reply.reason, 'rate-limited', 'register from the same address is locked out too');
  });

  it('forgets a checked password once it is changed', async () => {
    ts = await startTestServer({ extensions: [FRONT] });
    await frontDesk();
    await ts.store.setPasswordHash(FRONT.id, await hashPassword('a-new-password'));
    assert.equal((await api(`/${FRONT.id}/front-desk`, { headers: auth(FRONT.password) })).status, 401);
    assert.equal((await api(`/${FRONT.id}/front-desk`, { headers: auth('a-new-password') })).status, 200);
  });

  it('takes a callback request as typed, refuses bad fields with the field named, and rate-limits an address', async () => {
    ts = await startTestServer({ extensions: [FRONT], onOneProcess: true });
    const leave = (body: unknown, extensionId = FRONT.id) =>
      api(`/${extensionId}/callbacks`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    const typed = {
      name: '<img src=x onerror=alert(1)>',
      contact: '+44 20 7946 0958',
      message: 'Call me\nplease',
    };
    const created = await leave(typed);
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const desk = await frontDesk();
    assert.deepEqual(
      desk.callbacks.map(({ id, name, contact, message }) => ({ id, name, contact, message })),
      [{ id, ...typed }],
    );

    const refused = async (body: unknown, field: string) => {
      const response = await leave(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const answer = (await response.json()) as { error: string; field: string; message: string };
      assert.equal(answer.error, 'invalid');
      assert.equal(answer.field, field, JSON.stringify(body));
      assert.match(answer.message, /\.$/);
    };
    await refused({ contact: 'a@b.example', message: '' }, 'name');
    await refused({ name: '   ', contact: 'a@b.example' }, 'name');
    await refused({ name: 'x'.repeat(101), contact: 'a@b.example' }, 'name');
    await refused({ name: 'Ann', contact: 'call me' }, 'contact');
    await refused({ name: 'Ann', contact: '12' }, 'contact');
    await refused({ name: 'Ann', contact: 'ann@example.org', message: 'x'.repeat(501) }, 'message');
    await refused({ name: 'Ann\u0007', contact: 'ann@example.org' }, 'name');
    assert.equal((await leave(typed, 'no-such-extension')).status, 404);

    for (let more = 1; more < 5; more++) {
      assert.equal((await leave({ name: `N${more}`, contact: 'n@example.org' })).status, 201);
    }
    const sixth = await leave({ name: 'Six', contact: 'six@example.org' });
    assert.equal(sixth.status, 429, 'five per address per hour');

    const done = await api(`/${FRONT.id}/callbacks/${id}/done`, {
      method: 'POST',
      headers: { ...auth(FRONT.password), ...json },
      body: '{}',
    });
    assert.equal(done.status, 204);
    assert.equal(
      (await frontDesk()).callbacks.some((request) => request.id === id),
      false,
    );
    const metrics = await (await fetch(`${ts.server.url}/metrics`)).text();
    assert.match(metrics, /^pbx_peers_callback_requests_total\{[^}]*\} 5$/m);
  });

  it('counts the per-address callback limit once for the whole cluster: each request to the next node', async () => {
    ts = await startTestServer({ extensions: [FRONT] });
    const leaveOn = (node: number) =>
      fetch(`${ts.nodes[node % ts.nodes.length]?.url}/api/extensions/${FRONT.id}/callbacks`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: `Caller ${node}`, contact: 'caller@example.org' }),
      });
    for (let request = 0; request < 5; request++) {
      assert.equal((await leaveOn(request)).status, 201, `request ${request + 1} of five`);
    }
    const sixth = await leaveOn(5);
    assert.equal(
      sixth.status,
      429,
      `five per address per hour on ${ts.nodes.length} node(s), not five per node`,
    );
    assert.equal((await ts.store.listCallbackRequests({ extensionId: FRONT.id })).length, 5);
  });
});
