import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { allSilent } from '../support/allSilent.js';
import { answerCall, connectCall, placeCall } from '../support/calls.js';
import { OFFLINE, sessionEvent } from '../support/expectedMessages.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';

/** Protocol section 6 (and the ping rule of section 1): a closed or terminated connection is cleaned up. */

const SILENCE_MS = 150;

const silent = (...clients: WireClient[]) => allSilent(SILENCE_MS, ...clients);

/** Both ways a connection can go: a clean close, and a dropped TCP connection. */
const DROPS = [
  ['closes', (client: WireClient) => client.close()],
  ['drops without a close frame', (client: WireClient) => client.terminate()],
] as const;

describe('§6 disconnection', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  for (const [how, drop] of DROPS) {
    it(`a caller whose connection ${how} while its call rings: abandoned to every registered peer`, async () => {
      const agents = await ts.agents(FRONT.id, FRONT.password, ['agent 1', 'agent 2']);
      const caller = await ts.peer(FRONT.id, 'caller');
      const callId = await placeCall(caller);
      for (const agent of agents) assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));
      await drop(caller);
      for (const agent of agents) assert.deepEqual(await agent.next(), sessionEvent('abandoned', callId));
      await silent(...agents);
      const [agent] = agents as [WireClient];
      assert.equal(
        (await agent.request({ type: 'answer', peerId: agent.peerId, callId })).status,
        'unavailable',
      );
    });

    it(`a caller whose connection ${how} while connected: the answerer gets disconnected/dropped and is free`, async () => {
      const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
      const caller = await ts.peer(FRONT.id, 'caller');
      const callId = await connectCall(caller, agent);
      await drop(caller);
      assert.deepEqual(await agent.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
      await silent(agent);
      const nextCaller = await ts.peer(FRONT.id, 'next caller');
      await answerCall(nextCaller, agent, await placeCall(nextCaller));
    });

    it(`an answerer whose connection ${how} while connected: the caller gets disconnected/dropped, then offline`, async () => {
      const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
      const caller = await ts.peer(FRONT.id, 'caller');
      const callId = await connectCall(caller, agent);
      await drop(agent);
      // As if the agent had sent `end` and then `deregister`.
      assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
      assert.deepEqual(await caller.next(), OFFLINE);
      await silent(caller);
      assert.equal((await caller.request({ type: 'call', peerId: caller.peerId })).status, 'unavailable');
    });

    it(`a registered agent whose connection ${how}: offline to unregistered peers when it was the last`, async () => {
      const [first, second] = await ts.agents(FRONT.id, FRONT.password, ['agent 1', 'agent 2']);
      const observer = await ts.peer(FRONT.id, 'observer');
      await drop(first as WireClient);
      await silent(observer, second as WireClient); // 2 -> 1: no event
      assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'ready');
      await drop(second as WireClient);
      assert.deepEqual(await observer.next(), OFFLINE);
      await silent(observer);
      assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'offline');
    });
  }
});

describe('§1/§6 a peer that stops answering pings is terminated and cleaned up', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0, pingInterval: 0.1 });
  });
  afterEach(() => ts.close());

  it('a dead agent in a call: terminated; the caller gets disconnected/dropped then offline; live peers stay', async () => {
    // It answers pings until the call is up (registering alone takes longer than a ping interval here).
    const dead = await ts.agent(FRONT.id, FRONT.password, 'dead agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const observer = await ts.peer(FRONT.id, 'observer');
    const callId = await connectCall(caller, dead);

    dead.pause();
    const startedAt = Date.now();
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'dropped' }));
    assert.ok(Date.now() - startedAt < 1_500, 'terminated within a few ping intervals');
    assert.deepEqual(await caller.next(), OFFLINE);
    assert.deepEqual(await observer.next(), OFFLINE);
    dead.resume();
    assert.equal((await dead.closed(3_000)).code, 1006, 'terminated, not closed with a close frame');

    // Peers that answer pings outlive many intervals.
    await silent(caller, observer);
    await silent(caller, observer);
    assert.equal(caller.isClosed || observer.isClosed, false);
    assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'offline');
  });

  it('a dead caller with a ringing call: terminated; its call is abandoned', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const dead = await ts.connect(FRONT.id, { autoPong: false, label: 'dead caller' });
    await dead.init();
    const callId = await placeCall(dead);
    assert.deepEqual(await agent.next(), sessionEvent('ringing', callId));
    await dead.closed(3_000);
    assert.deepEqual(await agent.next(), sessionEvent('abandoned', callId));
    await silent(agent);
    assert.equal(agent.isClosed, false);
  });
});
