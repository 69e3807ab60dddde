import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryBackend } from '../../src/backend/MemoryBackend.js';
import { EXTENSION_REMOVED_CLOSE_CODE } from '../../src/core/Switchboard.js';
import { LaggingBackend } from '../support/LaggingBackend.js';
import { createHarness, type FakePeer, type Harness, PASSWORD, settle } from './switchboardHarness.js';

async function agent(harness: Harness): Promise<FakePeer> {
  const peer = await harness.peer().init();
  const reply = await peer.request({ type: 'register', password: PASSWORD });
  assert.deepEqual(reply.type === 'response' && reply.status, 'registered');
  return peer;
}

async function ringingCall(caller: FakePeer, name?: string): Promise<string> {
  const reply = await caller.request({ type: 'call', ...(name ? { name } : {}) });
  assert.ok(
    reply.type === 'response' && reply.request === 'call' && reply.status === 'ringing',
    JSON.stringify(reply),
  );
  return reply.callId;
}

describe('Switchboard ring timeout (fake clock)', () => {
  it('abandons a call still ringing when the timeout passes, and not a moment before', async () => {
    const harness = createHarness({ ringTimeoutMs: 60_000 });
    const agentPeer = await agent(harness);
    const caller = await harness.peer().init();
    const callId = await ringingCall(caller);

    harness.clock.advance(59_999);
    await settle();
    assert.deepEqual(caller.sessionStatuses(callId), []);
    assert.deepEqual(agentPeer.sessionStatuses(callId), ['ringing']);

    harness.clock.advance(1);
    await settle();
    assert.deepEqual(agentPeer.sessionStatuses(callId), ['ringing', 'abandoned']);
    const ended = caller.events.at(-1);
    assert.deepEqual(ended, {
      type: 'event',
      topic: 'session',
      status: 'disconnected',
      callId,
      reason: 'timeout',
    });
    // The caller is free again: it can place a new call.
    assert.equal(((await caller.request({ type: 'call' })) as { status: string }).status, 'ringing');
  });

  it('cancels the timer once the call is answered', async () => {
    const harness = createHarness({ ringTimeoutMs: 1_000 });
    const agentPeer = await agent(harness);
    const caller = await harness.peer().init();
    const callId = await ringingCall(caller);
    await agentPeer.request({ type: 'answer', callId });
    assert.equal(harness.clock.pendingTimers, 0);
    harness.clock.advance(10_000);
    await settle();
    assert.deepEqual(caller.sessionStatuses(callId), ['connected']);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'still here' });
    await settle();
    assert.deepEqual(agentPeer.events.at(-1), { type: 'signal', callId, data: 'still here' });
  });

  it('cancels the timer when the caller hangs up or drops, and never fires with 0', async () => {
    const harness = createHarness({ ringTimeoutMs: 1_000 });
    await agent(harness);
    const caller = await harness.peer().init();
    const callId = await ringingCall(caller);
    await caller.request({ type: 'end', callId });
    const dropper = await harness.peer().init();
    await ringingCall(dropper);
    dropper.detach();
    await settle();
    assert.equal(harness.clock.pendingTimers, 0);

    const noTimeout = createHarness({ ringTimeoutMs: 0 });
    await agent(noTimeout);
    await ringingCall(await noTimeout.peer().init());
    assert.equal(noTimeout.clock.pendingTimers, 0);
  });
});

describe('Switchboard state rules', () => {
  it('a refused register leaves a registered peer unregistered, as its response says', async () => {
    const harness = createHarness();
    const agentPeer = await agent(harness);
    const listener = await harness.peer().init();
    const reply = await agentPeer.request({ type: 'register', password: 'wrong' });
    assert.deepEqual(reply, {
      type: 'response',
      request: 'register',
      id: 3,
      status: 'unregistered',
      reason: 'bad-password',
    });
    assert.deepEqual(listener.events, [{ type: 'event', topic: 'extension', status: 'offline' }]);
    assert.equal((await listener.request({ type: 'status' })).type === 'response' && 'offline', 'offline');
  });

  it('blocks an address after repeated failures, even with the right password', async () => {
    const harness = createHarness();
    const peer = await harness.peer(undefined, '192.0.2.7').init();
    for (let i = 0; i < 3; i++) await peer.request({ type: 'register', password: 'wrong' });
    const blocked = await peer.request({ type: 'register', password: PASSWORD });
    assert.deepEqual(blocked.type === 'response' && blocked.request === 'register' && blocked, {
      type: 'response',
      request: 'register',
      id: 5,
      status: 'unregistered',
      reason: 'rate-limited',
    });
    const otherAddress = await harness.peer(undefined, '192.0.2.8').init();
    const allowed = await otherAddress.request({ type: 'register', password: PASSWORD });
    assert.equal(allowed.type === 'response' && allowed.status, 'registered');
  });

  it('closes the connection with 1011 when the backend fails, and reports the error', async () => {
    const backend = new MemoryBackend();
    backend.claimCall = async () => {
      throw new Error('backend down');
    };
    const harness = createHarness({ backend });
    const agentPeer = await agent(harness);
    const callId = await ringingCall(await harness.peer().init());
    agentPeer.send({ type: 'answer', peerId: agentPeer.peerId, callId, id: 99 });
    await settle();
    assert.deepEqual(agentPeer.closedWith, { code: 1011, reason: 'internal error' });
    assert.match(String(harness.internalErrors[0]), /backend down/);
  });

  it('closeExtension closes every peer of that extension only', async () => {
    const harness = createHarness();
    const a = harness.peer('gone');
    const b = harness.peer('gone');
    const c = harness.peer('stays');
    harness.switchboard.closeExtension('gone', 'extension removed');
    assert.equal(a.closedWith?.code, EXTENSION_REMOVED_CLOSE_CODE);
    assert.equal(b.closedWith?.code, EXTENSION_REMOVED_CLOSE_CODE);
    assert.equal(c.closedWith, undefined);
    assert.deepEqual(harness.switchboard.extensionsWithPeers().sort(), ['gone', 'stays']);
  });

  it('forgets a detached peer: counts drop and its extension is no longer listed', async () => {
    const harness = createHarness();
    const agentPeer = await agent(harness);
    assert.deepEqual(harness.switchboard.localPeerCounts(), {
      connections: 1,
      initialized: 1,
      registered: 1,
      ringingCalls: 0,
      connectedCalls: 0,
    });
    agentPeer.detach();
    await settle();
    assert.deepEqual(harness.switchboard.localPeerCounts(), {
      connections: 0,
      initialized: 0,
      registered: 0,
      ringingCalls: 0,
      connectedCalls: 0,
    });
    assert.deepEqual(harness.switchboard.extensionsWithPeers(), []);
    assert.equal((await harness.backend.status('ext-1')).status, 'offline');
  });
});

describe('Switchboard ordering under a lagging (networked) backend', () => {
  for (let seed = 1; seed <= 16; seed++) {
    it(`agents never see claimed or abandoned before ringing, nor ringing twice (seed ${seed})`, async () => {
      const harness = createHarness({ backend: new LaggingBackend({ seed }) });
      let state = seed;
      const random = (n: number) => {
        state = (state * 48271) % 2147483647;
        return state % n;
      };
      const agents = [await agent(harness)];
      const callers: FakePeer[] = [];
      const dropped = new Set<FakePeer>();
      // Calls start, are answered, abandoned and dropped while agents register and deregister, all
      // overlapping: each step is issued before the previous ones have finished.
      for (let step = 0; step < 120; step++) {
        const choice = random(6);
        if (choice === 0 || callers.length === 0) {
          const caller = harness.peer();
          callers.push(caller);
          caller.send({ type: 'init', id: 0 });
          await settle(1);
          const init = caller.received[0];
          if (init?.type === 'response' && init.request === 'init') {
            caller.peerId = init.peerId;
            caller.send({ type: 'call', peerId: caller.peerId, id: 1 });
          }
        } else if (choice === 1) {
          const late = harness.peer();
          agents.push(late);
          late.send({ type: 'init', id: 0 });
          await settle(1);
          const init = late.received[0];
          if (init?.type === 'response' && init.request === 'init') {
            late.peerId = init.peerId;
            late.send({ type: 'register', peerId: late.peerId, password: PASSWORD, id: 1 });
          }
        } else if (choice === 2 || choice === 3) {
          const answerer = agents[random(agents.length)] as FakePeer;
          const ringing = answerer.received.filter((m) => m.type === 'event' && m.topic === 'session');
          const target = ringing[random(Math.max(ringing.length, 1))];
          if (target?.type === 'event' && target.topic === 'session') {
            answerer.send({ type: 'answer', peerId: answerer.peerId, callId: target.callId, id: 7 });
          }
        } else if (choice === 4) {
          const dropping = callers[random(callers.length)] as FakePeer;
          dropped.add(dropping);
          dropping.detach();
        } else {
          const leaving = agents[random(agents.length)] as FakePeer;
          leaving.send({ type: 'deregister', peerId: leaving.peerId, id: 8 });
          leaving.send({ type: 'register', peerId: leaving.peerId, password: PASSWORD, id: 9 });
        }
        await settle(random(3));
      }
      // Finish with calls racing one last registration, so every run ends with calls ringing.
      const lastAgent = await harness.peer().init();
      agents.push(lastAgent);
      const lastCallers = await Promise.all([harness.peer().init(), harness.peer().init()]);
      callers.push(...lastCallers);
      for (const caller of lastCallers) caller.send({ type: 'call', peerId: caller.peerId, id: 1 });
      lastAgent.send({ type: 'register', peerId: lastAgent.peerId, password: PASSWORD, id: 1 });
      await settle(80);

      const stillRinging = new Set<string>();
      for (const caller of callers) {
        const call = caller.received.find((m) => m.type === 'response' && m.request === 'call');
        if (dropped.has(caller) || call?.type !== 'response' || call.request !== 'call') continue;
        if (call.status === 'ringing' && caller.sessionStatuses(call.callId).length === 0)
          stillRinging.add(call.callId);
      }
      let claimedOrAbandoned = 0;
      for (const peer of agents) {
        // Announcements restart with each registration: judge each registered stretch on its own.
        let seen = new Map<string, string[]>();
        let registered = false;
        for (const message of peer.received) {
          if (
            message.type === 'response' &&
            (message.request === 'register' || message.request === 'deregister')
          ) {
            seen = new Map();
            registered = message.status === 'registered';
          } else if (
            message.type === 'event' &&
            message.topic === 'session' &&
            isAnnouncement(message.status)
          ) {
            const statuses = [...(seen.get(message.callId) ?? []), message.status];
            seen.set(message.callId, statuses);
            assert.equal(statuses[0], 'ringing', `${message.callId}: ${statuses.join(',')}`);
            assert.equal(
              statuses.filter((s) => s === 'ringing').length,
              1,
              `${message.callId}: ${statuses.join(',')}`,
            );
            if (message.status !== 'ringing') claimedOrAbandoned++;
          }
        }
        if (registered) {
          // Nothing missed: what this agent believes is ringing is exactly what is.
          const believed = [...seen]
            .filter(([, statuses]) => statuses.length === 1)
            .map(([callId]) => callId);
          assert.deepEqual(believed.sort(), [...stillRinging].sort(), `agent ${peer.peerId}`);
        }
      }
      assert.ok(stillRinging.size > 0, 'the scenario ends with calls ringing');
      assert.ok(claimedOrAbandoned > 5, `the scenario exercised endings (${claimedOrAbandoned})`);
    });
  }

  it('the answering peer gets its connected response before the first signal, under lag', async () => {
    for (const seed of [11, 12, 13, 14]) {
      const harness = createHarness({ backend: new LaggingBackend({ seed }) });
      const agentPeer = await agent(harness);
      const caller = await harness.peer().init();
      const callId = await ringingCall(caller);
      agentPeer.send({ type: 'answer', peerId: agentPeer.peerId, callId, id: 50 });
      // The caller signals as soon as it hears connected, while the answer is still in flight.
      while (!caller.sessionStatuses(callId).includes('connected')) await settle(1);
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { n: 1 } });
      await settle(20);
      const responseAt = agentPeer.received.findIndex((m) => m.type === 'response' && m.id === 50);
      const signalAt = agentPeer.received.findIndex((m) => m.type === 'signal');
      assert.ok(
        responseAt >= 0 && signalAt > responseAt,
        `seed ${seed}: response ${responseAt}, signal ${signalAt}`,
      );
    }
  });
});

/** The statuses every registered peer hears about every call; the others concern its own session. */
function isAnnouncement(status: string): boolean {
  return status === 'ringing' || status === 'claimed' || status === 'abandoned';
}
