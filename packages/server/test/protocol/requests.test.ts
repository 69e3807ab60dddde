import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { assertError } from '../support/assertError.js';
import { answerCall, connectCall, placeCall } from '../support/calls.js';
import { BACK, FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/** Protocol sections 3 and 4: every request row, status word and error code, and the check order. */

describe('§3/§4 responses: every request and status word', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT, BACK], registerFailureLimit: 2, ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('init: offline with the peerId while no peer is registered, ready once one is', async () => {
    const first = await ts.connect(FRONT.id);
    const offline = await first.request({ type: 'init', id: 1 });
    assert.deepEqual(offline, {
      type: 'response',
      request: 'init',
      id: 1,
      status: 'offline',
      peerId: offline.peerId,
    });
    assert.equal(typeof offline.peerId, 'string');
    await ts.agent(FRONT.id, FRONT.password);
    const second = await ts.connect(FRONT.id);
    const ready = await second.request({ type: 'init', id: 'two' });
    assert.deepEqual(ready, {
      type: 'response',
      request: 'init',
      id: 'two',
      status: 'ready',
      peerId: ready.peerId,
    });
    assert.notEqual(ready.peerId, offline.peerId);
  });

  it('register: registered with the right password', async () => {
    const peer = await ts.peer(FRONT.id);
    assert.deepEqual(
      await peer.request({ type: 'register', id: 'r', peerId: peer.peerId, password: FRONT.password }),
      { type: 'response', request: 'register', id: 'r', status: 'registered' },
    );
  });

  it('register: unregistered with reason bad-password on a wrong password (or another extension’s)', async () => {
    const peer = await ts.peer(FRONT.id);
    for (const password of ['wrong', BACK.password]) {
      assert.deepEqual(await peer.request({ type: 'register', id: 'r', peerId: peer.peerId, password }), {
        type: 'response',
        request: 'register',
        id: 'r',
        status: 'unregistered',
        reason: 'bad-password',
      });
    }
  });

  it('register: unregistered with reason rate-limited once failures pass the limit', async () => {
    const peer = await ts.peer(FRONT.id);
    for (let attempt = 0; attempt < 2; attempt++) {
      assert.equal((await peer.register('wrong')).reason, 'bad-password');
    }
    assert.deepEqual(
      await peer.request({ type: 'register', id: 'r', peerId: peer.peerId, password: FRONT.password }),
      { type: 'response', request: 'register', id: 'r', status: 'unregistered', reason: 'rate-limited' },
    );
  });

  it('deregister: unregistered', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    assert.deepEqual(await agent.request({ type: 'deregister', id: 'd', peerId: agent.peerId }), {
      type: 'response',
      request: 'deregister',
      id: 'd',
      status: 'unregistered',
    });
  });

  it('status: offline, then ready while a peer is registered, then offline again', async () => {
    const peer = await ts.peer(FRONT.id);
    const status = () => peer.request({ type: 'status', id: 's', peerId: peer.peerId });
    assert.deepEqual(await status(), { type: 'response', request: 'status', id: 's', status: 'offline' });
    const agent = await ts.agent(FRONT.id, FRONT.password);
    assert.deepEqual(await status(), { type: 'response', request: 'status', id: 's', status: 'ready' });
    await agent.request({ type: 'deregister', peerId: agent.peerId });
    assert.deepEqual(await status(), { type: 'response', request: 'status', id: 's', status: 'offline' });
  });

  it('status: reports its own extension only', async () => {
    await ts.agent(BACK.id, BACK.password);
    const peer = await ts.peer(FRONT.id);
    assert.deepEqual(await peer.request({ type: 'status', id: 's', peerId: peer.peerId }), {
      type: 'response',
      request: 'status',
      id: 's',
      status: 'offline',
    });
  });

  it('call: ringing with a callId while the extension is ready', async () => {
    await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const reply = await caller.request({ type: 'call', id: 'c', peerId: caller.peerId, name: 'Ann' });
    assert.deepEqual(reply, {
      type: 'response',
      request: 'call',
      id: 'c',
      status: 'ringing',
      callId: reply.callId,
    });
    assert.equal(typeof reply.callId, 'string');
  });

  it('call: unavailable (no callId) while the extension is offline', async () => {
    await ts.agent(BACK.id, BACK.password);
    const caller = await ts.peer(FRONT.id);
    assert.deepEqual(await caller.request({ type: 'call', id: 'c', peerId: caller.peerId }), {
      type: 'response',
      request: 'call',
      id: 'c',
      status: 'unavailable',
    });
  });

  it('answer: connected with the callId on a ringing call', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const callId = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', callId));
    assert.deepEqual(await agent.request({ type: 'answer', id: 'a', peerId: agent.peerId, callId }), {
      type: 'response',
      request: 'answer',
      id: 'a',
      status: 'connected',
      callId,
    });
  });

  it('answer: unavailable with the callId for a claimed, ended, unknown, or other-extension call', async () => {
    const [agent, other] = await Promise.all([
      ts.agent(FRONT.id, FRONT.password),
      ts.agent(FRONT.id, FRONT.password),
    ]);
    const answer = (callId: string) =>
      other.request({ type: 'answer', id: 'a', peerId: other.peerId, callId });
    const unavailable = (callId: string) => ({
      type: 'response',
      request: 'answer',
      id: 'a',
      status: 'unavailable',
      callId,
    });

    const claimed = await connectCall(await ts.peer(FRONT.id), agent);
    assert.deepEqual(await answer(claimed), unavailable(claimed));

    const endedCaller = await ts.peer(FRONT.id);
    const ended = await placeCall(endedCaller);
    await endedCaller.request({ type: 'end', peerId: endedCaller.peerId, callId: ended });
    assert.deepEqual(await answer(ended), unavailable(ended));

    assert.deepEqual(await answer('no-such-call'), unavailable('no-such-call'));

    await ts.agent(BACK.id, BACK.password);
    const backCall = await placeCall(await ts.peer(BACK.id));
    assert.deepEqual(await answer(backCall), unavailable(backCall));
  });

  it('end: disconnected with the callId for a ringing call, a connected call, a call over, an unknown call', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const end = (callId: string) => caller.request({ type: 'end', id: 'e', peerId: caller.peerId, callId });
    const disconnected = (callId: string) => ({
      type: 'response',
      request: 'end',
      id: 'e',
      status: 'disconnected',
      callId,
    });

    const ringing = await placeCall(caller);
    assert.deepEqual(await end(ringing), disconnected(ringing));
    assert.deepEqual(await end(ringing), disconnected(ringing));

    const connected = await placeCall(caller);
    await answerCall(caller, agent, connected);
    assert.deepEqual(await end(connected), disconnected(connected));
    assert.deepEqual(await end(connected), disconnected(connected));

    assert.deepEqual(await end('never-existed'), disconnected('never-existed'));
  });

  it('signal: no response on success', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const callId = await connectCall(caller, agent);
    caller.send({ type: 'signal', id: 'sig', peerId: caller.peerId, callId, data: { sdp: 'v=0' } });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: { sdp: 'v=0' } });
    await caller.expectSilence(200);
  });

  it('ignores unknown fields', async () => {
    const agent = await ts.connect(FRONT.id);
    const init = await agent.request({ type: 'init', id: 1, extra: 'x', peerId: 'ignored' });
    assert.deepEqual(init, {
      type: 'response',
      request: 'init',
      id: 1,
      status: 'offline',
      peerId: init.peerId,
    });
    const peerId = init.peerId as string;
    assert.equal(
      (await agent.request({ type: 'register', peerId, password: FRONT.password, role: 'admin' })).status,
      'registered',
    );
    const caller = await ts.peer(FRONT.id);
    const call = await caller.request({
      type: 'call',
      id: 2,
      peerId: caller.peerId,
      name: 'Ann',
      extra: [1],
    });
    assert.deepEqual(call, {
      type: 'response',
      request: 'call',
      id: 2,
      status: 'ringing',
      callId: call.callId,
    });
    assert.deepEqual(await agent.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: call.callId,
      name: 'Ann',
    });
  });
});

describe('§4 errors: every code', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('bad-json: a frame that is not JSON, or not a JSON object', async () => {
    const peer = await ts.peer(FRONT.id);
    for (const frame of [
      '{',
      '{"type":"status",}',
      "{'type':'init'}",
      '[]',
      '["init"]',
      '"x"',
      '0',
      'null',
      'false',
    ]) {
      peer.sendRaw(frame);
      assertError(await peer.next(), { code: 'bad-json' });
    }
  });

  it('bad-request: an unknown or missing type', async () => {
    const peer = await ts.peer(FRONT.id);
    for (const type of ['hello', 'INIT', 'response', '', 5, null, undefined]) {
      peer.send({ type, id: 'u', peerId: peer.peerId });
      assertError(await peer.next(), { code: 'bad-request', id: 'u' });
    }
  });

  it('bad-request: a missing field, for every message kind', async () => {
    const peer = await ts.peer(FRONT.id);
    const peerId = peer.peerId;
    const missing: Array<Record<string, unknown>> = [
      { type: 'register', password: FRONT.password },
      { type: 'register', peerId },
      { type: 'deregister' },
      { type: 'status' },
      { type: 'call' },
      { type: 'answer', callId: 'c' },
      { type: 'answer', peerId },
      { type: 'end', callId: 'c' },
      { type: 'end', peerId },
      { type: 'signal', callId: 'c', data: 1 },
      { type: 'signal', peerId, data: 1 },
      { type: 'signal', peerId, callId: 'c' },
    ];
    for (const message of missing) {
      const reply = await peer.request({ ...message, id: 'm' });
      assertError(reply, { code: 'bad-request', request: message.type as string, id: 'm' });
    }
  });

  it('bad-request: a mistyped field, for every message kind', async () => {
    const peer = await ts.peer(FRONT.id);
    const peerId = peer.peerId;
    const mistyped: Array<Record<string, unknown>> = [
      { type: 'register', peerId: 1, password: FRONT.password },
      { type: 'register', peerId, password: 1234 },
      { type: 'register', peerId, password: null },
      { type: 'deregister', peerId: [peerId] },
      { type: 'status', peerId: { peerId } },
      { type: 'call', peerId: true },
      { type: 'call', peerId, name: 7 },
      { type: 'call', peerId, name: null },
      { type: 'call', peerId, name: '' },
      { type: 'call', peerId, name: 'n'.repeat(65) },
      { type: 'answer', peerId, callId: 3 },
      { type: 'answer', peerId: null, callId: 'c' },
      { type: 'end', peerId, callId: {} },
      { type: 'end', peerId: 0, callId: 'c' },
      { type: 'signal', peerId, callId: false, data: 1 },
      { type: 'signal', peerId: 9, callId: 'c', data: 1 },
    ];
    for (const message of mistyped) {
      const reply = await peer.request({ ...message, id: 'm' });
      assertError(reply, { code: 'bad-request', request: message.type as string, id: 'm' });
    }
  });

  it('bad-request: a binary frame', async () => {
    const peer = await ts.peer(FRONT.id);
    peer.sendRaw(Buffer.from(JSON.stringify({ type: 'status', id: 1, peerId: peer.peerId })), {
      binary: true,
    });
    assertError(await peer.next(), { code: 'bad-request' });
    await peer.expectSilence(150);
  });

  it('not-initialized: every message but init before init', async () => {
    const client = await ts.connect(FRONT.id);
    const messages: Array<Record<string, unknown>> = [
      { type: 'register', peerId: 'p', password: FRONT.password },
      { type: 'deregister', peerId: 'p' },
      { type: 'status', peerId: 'p' },
      { type: 'call', peerId: 'p' },
      { type: 'answer', peerId: 'p', callId: 'c' },
      { type: 'end', peerId: 'p', callId: 'c' },
      { type: 'signal', peerId: 'p', callId: 'c', data: null },
    ];
    for (const message of messages) {
      assertError(await client.request({ ...message, id: 'n' }), {
        code: 'not-initialized',
        request: message.type as string,
        id: 'n',
      });
    }
  });

  it('bad-peer-id: a peerId that is not this connection’s, for every message kind', async () => {
    const peer = await ts.peer(FRONT.id);
    const other = await ts.peer(FRONT.id);
    const peerId = other.peerId;
    const messages: Array<Record<string, unknown>> = [
      { type: 'register', peerId, password: FRONT.password },
      { type: 'deregister', peerId },
      { type: 'status', peerId },
      { type: 'call', peerId },
      { type: 'answer', peerId, callId: 'c' },
      { type: 'end', peerId, callId: 'c' },
      { type: 'signal', peerId, callId: 'c', data: null },
    ];
    for (const message of messages) {
      assertError(await peer.request({ ...message, id: 'b' }), {
        code: 'bad-peer-id',
        request: message.type as string,
        id: 'b',
      });
    }
  });

  it('forbidden: call from a registered peer; answer from an unregistered peer', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    assertError(await agent.request({ type: 'call', id: 'f', peerId: agent.peerId }), {
      code: 'forbidden',
      request: 'call',
      id: 'f',
    });
    const caller = await ts.peer(FRONT.id);
    const callId = await placeCall(caller);
    const bystander = await ts.peer(FRONT.id);
    assertError(await bystander.request({ type: 'answer', id: 'f', peerId: bystander.peerId, callId }), {
      code: 'forbidden',
      request: 'answer',
      id: 'f',
    });
  });

  it('busy: call from a caller whose call is ringing or connected', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const callId = await placeCall(caller);
    assertError(await caller.request({ type: 'call', id: 'b', peerId: caller.peerId }), {
      code: 'busy',
      request: 'call',
      id: 'b',
    });
    await answerCall(caller, agent, callId);
    assertError(await caller.request({ type: 'call', id: 'b', peerId: caller.peerId }), {
      code: 'busy',
      request: 'call',
      id: 'b',
    });
  });

  it('busy: call from an answerer still connected after it deregistered', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    await connectCall(await ts.peer(FRONT.id), agent);
    assert.equal((await agent.request({ type: 'deregister', peerId: agent.peerId })).status, 'unregistered');
    assertError(await agent.request({ type: 'call', id: 'b', peerId: agent.peerId }), {
      code: 'busy',
      request: 'call',
      id: 'b',
    });
  });

  it('busy: answer from a registered peer connected as answerer', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    await connectCall(await ts.peer(FRONT.id), agent);
    const second = await placeCall(await ts.peer(FRONT.id));
    await agent.nextMatching(isSessionEvent('ringing', second));
    assertError(await agent.request({ type: 'answer', id: 'b', peerId: agent.peerId, callId: second }), {
      code: 'busy',
      request: 'answer',
      id: 'b',
    });
  });

  it('busy: register from the caller of a ringing or connected session', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const callId = await placeCall(caller);
    const register = () =>
      caller.request({ type: 'register', id: 'b', peerId: caller.peerId, password: FRONT.password });
    assertError(await register(), { code: 'busy', request: 'register', id: 'b' });
    await answerCall(caller, agent, callId);
    assertError(await register(), { code: 'busy', request: 'register', id: 'b' });
    // Once its session is over it may register.
    await caller.request({ type: 'end', peerId: caller.peerId, callId });
    assert.deepEqual(await register(), {
      type: 'response',
      request: 'register',
      id: 'b',
      status: 'registered',
    });
  });

  it('unknown-call: signal for a call in which this peer is not connected', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const ringing = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', ringing));
    assertError(
      await caller.request({
        type: 'signal',
        id: 'u',
        peerId: caller.peerId,
        callId: ringing,
        data: 'early',
      }),
      { code: 'unknown-call', request: 'signal', id: 'u' },
    );
    assertError(
      await caller.request({ type: 'signal', id: 'u', peerId: caller.peerId, callId: 'nope', data: 1 }),
      {
        code: 'unknown-call',
        request: 'signal',
        id: 'u',
      },
    );
    // Neither the agent nor a bystander agent with the call ringing hears the signals.
    assertError(
      await agent.request({ type: 'signal', id: 'u', peerId: agent.peerId, callId: ringing, data: 1 }),
      {
        code: 'unknown-call',
        request: 'signal',
        id: 'u',
      },
    );
    await Promise.all([agent.expectSilence(150), caller.expectSilence(0)]);
  });
});

describe('§4 error check order: bad-json, bad-request, not-initialized, bad-peer-id, forbidden, busy', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('bad-json before anything else, even before init', async () => {
    const client = await ts.connect(FRONT.id);
    client.sendRaw('{"type":"status","peerId":"p"');
    assertError(await client.next(), { code: 'bad-json' });
  });

  it('bad-request before not-initialized: an unknown type or a bad field before init', async () => {
    const client = await ts.connect(FRONT.id);
    assertError(await client.request({ type: 'hello', id: 1 }), { code: 'bad-request', id: 1 });
    assertError(await client.request({ type: 'status', id: 2 }), {
      code: 'bad-request',
      request: 'status',
      id: 2,
    });
    assertError(await client.request({ type: 'call', id: 3, peerId: 'p', name: '' }), {
      code: 'bad-request',
      request: 'call',
      id: 3,
    });
  });

  it('bad-request before bad-peer-id, forbidden and busy', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    await placeCall(caller);
    // wrong peerId and a missing field
    assertError(await agent.request({ type: 'answer', id: 1, peerId: 'not-mine' }), {
      code: 'bad-request',
      request: 'answer',
      id: 1,
    });
    // forbidden (registered) and a bad name
    assertError(await agent.request({ type: 'call', id: 2, peerId: agent.peerId, name: '' }), {
      code: 'bad-request',
      request: 'call',
      id: 2,
    });
    // busy (ringing caller) and a mistyped name
    assertError(await caller.request({ type: 'call', id: 3, peerId: caller.peerId, name: 5 }), {
      code: 'bad-request',
      request: 'call',
      id: 3,
    });
  });

  it('not-initialized before bad-peer-id', async () => {
    const client = await ts.connect(FRONT.id);
    assertError(await client.request({ type: 'deregister', id: 1, peerId: 'not-mine' }), {
      code: 'not-initialized',
      request: 'deregister',
      id: 1,
    });
  });

  it('bad-peer-id before forbidden and busy', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const callId = await placeCall(caller);
    assertError(await agent.request({ type: 'call', id: 1, peerId: caller.peerId }), {
      code: 'bad-peer-id',
      request: 'call',
      id: 1,
    });
    assertError(await caller.request({ type: 'answer', id: 2, peerId: agent.peerId, callId }), {
      code: 'bad-peer-id',
      request: 'answer',
      id: 2,
    });
    assertError(await caller.request({ type: 'call', id: 3, peerId: agent.peerId }), {
      code: 'bad-peer-id',
      request: 'call',
      id: 3,
    });
  });

  it('forbidden before busy', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const caller = await ts.peer(FRONT.id);
    const callId = await connectCall(caller, agent);
    // A registered answerer in a session calling: forbidden (registered) wins over busy (in a session).
    assertError(await agent.request({ type: 'call', id: 1, peerId: agent.peerId }), {
      code: 'forbidden',
      request: 'call',
      id: 1,
    });
    // A connected caller answering: forbidden (unregistered) wins over busy (in a session).
    assertError(await caller.request({ type: 'answer', id: 2, peerId: caller.peerId, callId }), {
      code: 'forbidden',
      request: 'answer',
      id: 2,
    });
  });
});

describe('§4 an error never changes any state', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('forbidden, busy and bad-peer-id errors leave registrations and calls as they were', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const watcher = await ts.agent(FRONT.id, FRONT.password);
    const observer = await ts.peer(FRONT.id);
    const caller = await ts.peer(FRONT.id);
    const callId = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await watcher.nextMatching(isSessionEvent('ringing', callId));

    // forbidden call from a registered peer: no call is created
    assert.equal((await agent.request({ type: 'call', peerId: agent.peerId })).code, 'forbidden');
    // busy register from the caller: the caller stays unregistered, its call still rings
    assert.equal((await caller.register(FRONT.password)).code, 'busy');
    // busy call from the ringing caller: no second call
    assert.equal((await caller.request({ type: 'call', peerId: caller.peerId, name: 'x' })).code, 'busy');
    // bad-peer-id deregister / end: the agent stays registered, the call still rings
    assert.equal((await agent.request({ type: 'deregister', peerId: caller.peerId })).code, 'bad-peer-id');
    assert.equal((await caller.request({ type: 'end', peerId: agent.peerId, callId })).code, 'bad-peer-id');
    // forbidden answer from the caller: the call is not claimed
    assert.equal((await caller.request({ type: 'answer', peerId: caller.peerId, callId })).code, 'forbidden');

    await Promise.all([agent.expectSilence(150), watcher.expectSilence(150), observer.expectSilence(150)]);
    // The call still rings and the agent can still answer it; the caller is still not registered.
    await answerCall(caller, agent, callId);
    assert.deepEqual(await watcher.next(), { type: 'event', topic: 'session', status: 'claimed', callId });
    assert.equal((await caller.request({ type: 'answer', peerId: caller.peerId, callId })).code, 'forbidden');
    assert.deepEqual(await observer.request({ type: 'status', id: 's', peerId: observer.peerId }), {
      type: 'response',
      request: 'status',
      id: 's',
      status: 'ready',
    });
  });
});
