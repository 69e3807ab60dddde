import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { allSilent } from '../support/allSilent.js';
import { answerCall, connectCall, placeCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { sessionEvent } from '../support/expectedMessages.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/** Protocol section 5, sessions (calls). */

const SILENCE_MS = 150;

const silent = (...clients: WireClient[]) => allSilent(SILENCE_MS, ...clients);

function agents(ts: TestServer, count: number): Promise<WireClient[]> {
  return ts.agents(
    FRONT.id,
    FRONT.password,
    Array.from({ length: count }, (_, n) => `agent ${n + 1}`),
  );
}

describe('§5 sessions', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('call while the extension is offline answers unavailable and creates nothing', async () => {
    const caller = await ts.peer(FRONT.id, 'caller');
    assert.deepEqual(await caller.request({ type: 'call', id: 1, peerId: caller.peerId, name: 'Ann' }), {
      type: 'response',
      request: 'call',
      id: 1,
      status: 'unavailable',
    });
    const agent = await ts.peer(FRONT.id, 'agent');
    agent.send({ type: 'register', id: 'r', peerId: agent.peerId, password: FRONT.password });
    assert.deepEqual(await agent.next(), {
      type: 'response',
      request: 'register',
      id: 'r',
      status: 'registered',
    });
    await silent(agent); // no ringing call to catch up on
    // The caller is in no session: it may call again.
    const callId = await placeCall(caller);
    assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));
  });

  it('call sends ringing to every registered peer, with the name only when the caller gave one', async () => {
    const registered = await agents(ts, 3);
    const observer = await ts.peer(FRONT.id, 'observer');
    const named = await placeCall(await ts.peer(FRONT.id, 'Ann'), 'Ann ☎ Åström');
    for (const agent of registered)
      assert.deepEqual(await agent.next(), sessionEvent('ringing', named, { name: 'Ann ☎ Åström' }));
    const anonymous = await placeCall(await ts.peer(FRONT.id, 'anonymous'));
    for (const agent of registered) assert.deepEqual(await agent.next(), sessionEvent('ringing', anonymous));
    await silent(...registered, observer);
  });

  it('accepts names of 1 and 64 characters (code points)', async () => {
    const [agent] = (await agents(ts, 1)) as [WireClient];
    for (const name of ['A', 'n'.repeat(64), '😀'.repeat(64)]) {
      const callId = await placeCall(await ts.peer(FRONT.id, 'caller'), name);
      assert.deepEqual(await agent.next(), sessionEvent('ringing', callId, { name }));
    }
  });

  it('the first of 8 concurrent answers wins: one connected, 7 unavailable, connected to the caller, claimed to all', async () => {
    const registered = await agents(ts, 8);
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    for (const agent of registered) await agent.nextMatching(isSessionEvent('ringing', callId));

    const replies = await Promise.all(
      registered.map((agent, n) => agent.request({ type: 'answer', id: n, peerId: agent.peerId, callId })),
    );
    const winners = replies.filter((reply) => reply.status === 'connected');
    assert.equal(winners.length, 1, `expected exactly one winner: ${JSON.stringify(replies)}`);
    replies.forEach((reply, n) => {
      const status = reply === winners[0] ? 'connected' : 'unavailable';
      assert.deepEqual(reply, { type: 'response', request: 'answer', id: n, status, callId });
    });

    assert.deepEqual(await caller.next(), sessionEvent('connected', callId));
    for (const agent of registered) assert.deepEqual(await agent.next(), sessionEvent('claimed', callId));
    await silent(caller, ...registered);

    // The winner's connected response came before its claimed.
    const winner = registered[replies.indexOf(winners[0] as (typeof replies)[number])] as WireClient;
    const responseAt = winner.history.findIndex(
      (message) => message.type === 'response' && message.request === 'answer',
    );
    const claimedAt = winner.history.findIndex(isSessionEvent('claimed', callId));
    assert.ok(responseAt >= 0 && responseAt < claimedAt, JSON.stringify(winner.history));
  });

  it('end by the caller of a ringing call: disconnected response, abandoned to every registered peer', async () => {
    const registered = await agents(ts, 3);
    const observer = await ts.peer(FRONT.id, 'observer');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    for (const agent of registered) assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));

    assert.deepEqual(await caller.request({ type: 'end', id: 'e', peerId: caller.peerId, callId }), {
      type: 'response',
      request: 'end',
      id: 'e',
      status: 'disconnected',
      callId,
    });
    for (const agent of registered) assert.deepEqual(await agent.next(), sessionEvent('abandoned', callId));
    await silent(caller, observer, ...registered);
    // The call is over: it cannot be answered, and the caller may call again.
    assert.equal(
      (await registered[0]?.request({ type: 'answer', peerId: registered[0].peerId, callId }))?.status,
      'unavailable',
    );
    await placeCall(caller);
  });

  it('end by the caller of a connected call: the answerer gets disconnected with reason hangup', async () => {
    const [agent, bystander] = (await agents(ts, 2)) as [WireClient, WireClient];
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    assert.deepEqual(await bystander.next(), sessionEvent('ringing', callId));
    assert.deepEqual(await bystander.next(), sessionEvent('claimed', callId));

    assert.deepEqual(await caller.request({ type: 'end', id: 'e', peerId: caller.peerId, callId }), {
      type: 'response',
      request: 'end',
      id: 'e',
      status: 'disconnected',
      callId,
    });
    assert.deepEqual(await agent.next(), sessionEvent('disconnected', callId, { reason: 'hangup' }));
    await silent(caller, agent, bystander);

    // Both are free again.
    const next = await placeCall(caller);
    await answerCall(caller, agent, next);
  });

  it('end by the answerer of a connected call: the caller gets disconnected with reason hangup', async () => {
    const [agent] = (await agents(ts, 1)) as [WireClient];
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);

    assert.deepEqual(await agent.request({ type: 'end', id: 'e', peerId: agent.peerId, callId }), {
      type: 'response',
      request: 'end',
      id: 'e',
      status: 'disconnected',
      callId,
    });
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'hangup' }));
    await silent(caller, agent);
    await placeCall(caller);
  });

  it('end is idempotent: ending a call already over, or unknown, answers disconnected and tells nobody', async () => {
    const [agent] = (await agents(ts, 1)) as [WireClient];
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    await agent.request({ type: 'end', peerId: agent.peerId, callId });
    await caller.nextMatching(isSessionEvent('disconnected', callId));

    for (const [peer, id] of [
      [caller, callId],
      [agent, callId],
      [caller, 'unknown-call-id'],
      [agent, 'unknown-call-id'],
    ] as const) {
      assert.deepEqual(await peer.request({ type: 'end', id: 'again', peerId: peer.peerId, callId: id }), {
        type: 'response',
        request: 'end',
        id: 'again',
        status: 'disconnected',
        callId: id,
      });
    }
    await silent(caller, agent);
  });

  it('a registered peer in a session still gets ringing, claimed and abandoned for other calls, and still counts for readiness', async () => {
    const [busyAgent] = (await agents(ts, 1)) as [WireClient];
    const firstCaller = await ts.peer(FRONT.id, 'first caller');
    await connectCall(firstCaller, busyAgent);

    // The only registered peer is in a session: the extension is still ready and calls still ring.
    const secondCaller = await ts.peer(FRONT.id, 'second caller');
    assert.equal(
      (await secondCaller.request({ type: 'status', peerId: secondCaller.peerId })).status,
      'ready',
    );
    const second = await placeCall(secondCaller, 'Bob');
    assert.deepEqual(await busyAgent.next(), sessionEvent('ringing', second, { name: 'Bob' }));

    const freeAgent = await ts.agent(FRONT.id, FRONT.password, 'free agent');
    await answerCall(secondCaller, freeAgent, second);
    assert.deepEqual(await busyAgent.next(), sessionEvent('claimed', second));

    const thirdCaller = await ts.peer(FRONT.id, 'third caller');
    const third = await placeCall(thirdCaller);
    assert.deepEqual(await busyAgent.next(), sessionEvent('ringing', third));
    await thirdCaller.request({ type: 'end', peerId: thirdCaller.peerId, callId: third });
    assert.deepEqual(await busyAgent.next(), sessionEvent('abandoned', third));
    await silent(busyAgent, firstCaller);
  });
});

describe('§5 ring timeout', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0.3 });
  });
  afterEach(() => ts.close());

  it('a call still ringing at the ring timeout ends: abandoned to every registered peer, disconnected/timeout to the caller', async () => {
    const registered = await agents(ts, 2);
    const observer = await ts.peer(FRONT.id, 'observer');
    const caller = await ts.peer(FRONT.id, 'caller');
    const placedAt = Date.now();
    const callId = await placeCall(caller);
    for (const agent of registered) assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));

    await caller.expectSilence(150); // not before the timeout
    assert.deepEqual(await caller.next(1500), sessionEvent('disconnected', callId, { reason: 'timeout' }));
    const elapsed = Date.now() - placedAt;
    assert.ok(elapsed >= 280, `ended after ${elapsed} ms, before the 300 ms ring timeout`);
    for (const agent of registered) assert.deepEqual(await agent.next(), sessionEvent('abandoned', callId));
    await silent(caller, observer, ...registered);

    // The call is over and the caller free again.
    const [agent] = registered as [WireClient];
    assert.equal(
      (await agent.request({ type: 'answer', peerId: agent.peerId, callId })).status,
      'unavailable',
    );
    await placeCall(caller);
  });

  it('the ring timeout does not touch a call answered in time', async () => {
    const [agent] = (await agents(ts, 1)) as [WireClient];
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    await Promise.all([caller.expectSilence(450), agent.expectSilence(450)]);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'still here' });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 'still here' });
  });

  it('the ring timeout does not touch a call the caller ended', async () => {
    const [agent] = (await agents(ts, 1)) as [WireClient];
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    await caller.request({ type: 'end', peerId: caller.peerId, callId });
    assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));
    assert.deepEqual(await agent.next(), sessionEvent('abandoned', callId));
    await Promise.all([caller.expectSilence(450), agent.expectSilence(450)]);
  });
});

describe('§5 ring timeout 0 disables it', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('a call keeps ringing and can still be answered', async () => {
    const [agent] = (await agents(ts, 1)) as [WireClient];
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));
    await delay(500);
    await Promise.all([caller.expectSilence(0), agent.expectSilence(0)]);
    await answerCall(caller, agent, callId);
  });
});
