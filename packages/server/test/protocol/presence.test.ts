import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { allSilent } from '../support/allSilent.js';
import { answerCall, connectCall, hangUp, placeCall, signalBothWays } from '../support/calls.js';
import { OFFLINE, READY } from '../support/expectedMessages.js';
import { BACK, FRONT } from '../support/extensions.js';
import { LaggingBackend } from '../support/LaggingBackend.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/** Protocol section 5, peers and extensions. */

const SILENCE_MS = 150;

const silent = (...clients: WireClient[]) => allSilent(SILENCE_MS, ...clients);

describe('§5 peers and extensions', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT, BACK], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('a second init on the same connection answers the same peerId and changes nothing', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const peer = await ts.connect(FRONT.id);
    const firstPeerId = await peer.init();
    const second = await peer.request({ type: 'init', id: 2 });
    assert.deepEqual(second, {
      type: 'response',
      request: 'init',
      id: 2,
      status: 'offline',
      peerId: firstPeerId,
    });

    // A registered peer's second init: same peerId, still registered, still hears ringing.
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    assert.deepEqual(await observer.next(), READY);
    assert.deepEqual(await peer.next(), READY);
    const again = await agent.request({ type: 'init', id: 3 });
    assert.deepEqual(again, {
      type: 'response',
      request: 'init',
      id: 3,
      status: 'ready',
      peerId: agent.peerId,
    });
    const third = await peer.request({ type: 'init', id: 4 });
    assert.deepEqual(third, {
      type: 'response',
      request: 'init',
      id: 4,
      status: 'ready',
      peerId: firstPeerId,
    });
    await silent(observer, agent, peer);
    const callId = await placeCall(peer);
    assert.deepEqual(await agent.next(), { type: 'event', topic: 'session', status: 'ringing', callId });
  });

  it('ready and offline go out only when the registered count crosses 0 and 1, only to initialized unregistered peers', async () => {
    const uninitialized = await ts.connect(FRONT.id, { label: 'uninitialized' });
    const [p1, p2] = await Promise.all([ts.peer(FRONT.id, 'p1'), ts.peer(FRONT.id, 'p2')]);
    const [a1, a2] = await Promise.all([ts.peer(FRONT.id, 'a1'), ts.peer(FRONT.id, 'a2')]);

    assert.equal((await a1.register(FRONT.password)).status, 'registered'); // 0 -> 1
    assert.deepEqual(await p1.next(), READY);
    assert.deepEqual(await p2.next(), READY);
    assert.deepEqual(await a2.next(), READY);
    await silent(uninitialized, a1);

    assert.equal((await a2.register(FRONT.password)).status, 'registered'); // 1 -> 2
    await silent(uninitialized, p1, p2, a1, a2);

    assert.equal((await a1.request({ type: 'deregister', peerId: a1.peerId })).status, 'unregistered'); // 2 -> 1
    await silent(uninitialized, p1, p2, a1, a2);

    assert.equal((await a2.request({ type: 'deregister', peerId: a2.peerId })).status, 'unregistered'); // 1 -> 0
    for (const peer of [p1, p2, a1, a2]) assert.deepEqual(await peer.next(), OFFLINE);
    await silent(uninitialized, p1, p2, a1, a2);

    // The uninitialized connection heard nothing at all, and now learns the state from init.
    assert.equal(uninitialized.history.length, 0);
    assert.equal((await uninitialized.request({ type: 'init' })).status, 'offline');
  });

  it('the peer whose register makes the extension ready gets its response and no extension event', async () => {
    const agent = await ts.peer(FRONT.id, 'agent');
    agent.send({ type: 'register', id: 'r', peerId: agent.peerId, password: FRONT.password });
    assert.deepEqual(await agent.next(), {
      type: 'response',
      request: 'register',
      id: 'r',
      status: 'registered',
    });
    await silent(agent);
  });

  it('the peer whose deregister makes the extension offline hears offline after its response', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    agent.send({ type: 'deregister', id: 'd', peerId: agent.peerId });
    assert.deepEqual(await agent.next(), {
      type: 'response',
      request: 'deregister',
      id: 'd',
      status: 'unregistered',
    });
    assert.deepEqual(await agent.next(), OFFLINE);
    await silent(agent);
  });

  it('extension events reach only the peers of that extension', async () => {
    const front = await ts.peer(FRONT.id, 'front');
    const back = await ts.peer(BACK.id, 'back');
    const backAgent = await ts.agent(BACK.id, BACK.password, 'back agent');
    assert.deepEqual(await back.next(), READY);
    await backAgent.request({ type: 'deregister', peerId: backAgent.peerId });
    assert.deepEqual(await back.next(), OFFLINE);
    await silent(front);
    assert.equal((await front.request({ type: 'status', peerId: front.peerId })).status, 'offline');
  });

  it('a late agent hears ringing for every call now ringing, oldest first, right after its registered response', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const callers = await Promise.all([1, 2, 3, 4, 5].map((n) => ts.peer(FRONT.id, `caller ${n}`)));
    const [c1, c2, c3, c4, c5] = callers as [WireClient, WireClient, WireClient, WireClient, WireClient];
    const first = await placeCall(c1, 'Ann');
    const claimed = await placeCall(c2, 'Bob');
    const abandoned = await placeCall(c3);
    const fourth = await placeCall(c4);
    const fifth = await placeCall(c5, 'Eve');
    await answerCall(c2, agent, claimed);
    await c3.request({ type: 'end', peerId: c3.peerId, callId: abandoned });

    const late = await ts.peer(FRONT.id, 'late agent');
    late.send({ type: 'register', id: 'r', peerId: late.peerId, password: FRONT.password });
    assert.deepEqual(await late.next(), {
      type: 'response',
      request: 'register',
      id: 'r',
      status: 'registered',
    });
    assert.deepEqual(await late.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: first,
      name: 'Ann',
    });
    assert.deepEqual(await late.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: fourth,
    });
    assert.deepEqual(await late.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: fifth,
      name: 'Eve',
    });
    await silent(late);
  });

  it('register is idempotent: a second register answers registered and changes nothing', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    assert.deepEqual(await observer.next(), READY);
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    assert.deepEqual(await agent.next(), { type: 'event', topic: 'session', status: 'ringing', callId });

    assert.deepEqual(
      await agent.request({ type: 'register', id: 'again', peerId: agent.peerId, password: FRONT.password }),
      { type: 'response', request: 'register', id: 'again', status: 'registered' },
    );
    // No second ringing for the call it already heard, no second ready.
    await silent(agent, observer);

    // Counted once: one deregister takes the extension offline.
    await agent.request({ type: 'deregister', peerId: agent.peerId });
    assert.deepEqual(await observer.next(), OFFLINE);
    assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'offline');
  });

  it('deregister is idempotent: an unregistered peer deregistering gets unregistered and nobody hears anything', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const peer = await ts.peer(FRONT.id, 'peer');
    for (const id of [1, 2]) {
      assert.deepEqual(await peer.request({ type: 'deregister', id, peerId: peer.peerId }), {
        type: 'response',
        request: 'deregister',
        id,
        status: 'unregistered',
      });
    }
    await silent(observer, peer);

    await peer.register(FRONT.password);
    assert.deepEqual(await observer.next(), READY);
    await peer.request({ type: 'deregister', peerId: peer.peerId });
    assert.deepEqual(await observer.next(), OFFLINE);
    assert.deepEqual(await peer.next(), OFFLINE);
    assert.equal((await peer.request({ type: 'deregister', peerId: peer.peerId })).status, 'unregistered');
    await silent(observer, peer);
  });

  it('deregister leaves a session going on', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);

    agent.send({ type: 'deregister', id: 'd', peerId: agent.peerId });
    assert.deepEqual(await agent.next(), {
      type: 'response',
      request: 'deregister',
      id: 'd',
      status: 'unregistered',
    });
    assert.deepEqual(await agent.next(), OFFLINE);
    assert.deepEqual(await caller.next(), OFFLINE);

    await signalBothWays(caller, agent, callId);
    await hangUp(caller, agent, callId);
    await silent(agent, caller);
  });

  it('a registered peer does not hear ringing for another extension’s calls', async () => {
    const frontAgent = await ts.agent(FRONT.id, FRONT.password, 'front agent');
    const backAgent = await ts.agent(BACK.id, BACK.password, 'back agent');
    const callId = await placeCall(await ts.peer(BACK.id, 'back caller'));
    await backAgent.nextMatching(isSessionEvent('ringing', callId));
    await silent(frontAgent);
  });
});

describe('§5 extension events with a backend whose notices arrive late (20 ms, as across processes)', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({
      extensions: [FRONT],
      ringTimeout: 0,
      backend: new LaggingBackend({ minLag: 20, maxLag: 20, unit: 'ms' }),
    });
  });
  afterEach(() => ts.close());

  it('the peer whose register made the extension ready and which deregisters at once hears no ready, only offline after its response', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const agent = await ts.peer(FRONT.id, 'agent');
    assert.equal((await agent.register(FRONT.password)).status, 'registered');
    agent.send({ type: 'deregister', id: 'd', peerId: agent.peerId });
    assert.deepEqual(await agent.next(), {
      type: 'response',
      request: 'deregister',
      id: 'd',
      status: 'unregistered',
    });
    assert.deepEqual(await agent.next(), OFFLINE);
    assert.deepEqual(await observer.next(), READY);
    assert.deepEqual(await observer.next(), OFFLINE);
    await silent(agent, observer);
  });

  it('a peer whose init already answered ready gets no ready event for the change before it', async () => {
    const agent = await ts.peer(FRONT.id, 'agent');
    const latecomer = await ts.connect(FRONT.id, { label: 'latecomer' });
    assert.equal((await agent.register(FRONT.password)).status, 'registered');
    const init = await latecomer.request({ type: 'init', id: 'i' });
    assert.deepEqual(init, {
      type: 'response',
      request: 'init',
      id: 'i',
      status: 'ready',
      peerId: init.peerId,
    });
    await silent(latecomer);
  });
});
