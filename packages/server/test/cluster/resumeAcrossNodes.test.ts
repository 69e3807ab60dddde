import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { connectCall, hangUp, placeCall, signalBothWays } from '../support/calls.js';
import { ClusterProcesses } from '../support/clusterProcesses.js';
import { delay } from '../support/delay.js';
import { sessionEvent } from '../support/expectedMessages.js';
import { FRONT } from '../support/extensions.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

const GRACE_S = 10;
/** The default lease (5 s), two sweeps and a margin: how long a resume may wait for the death to be noticed. */
const ADOPTED_WITHIN_MS = 10_000;

/**
 * Protocol section 8 on a cluster of real processes: a peer whose connection dropped resumes on another
 * node, which takes it over from the node it was on (its state, the messages kept meanwhile, and the
 * routing of its calls); a node stopped with SIGTERM (a rolling restart) keeps its peers resumable on
 * the others, so their calls go on; a node killed outright (kill -9) leaves its peers to the others, which
 * take them on, absent, for their grace, with what was sent to them after the death.
 */
describe('cluster: resuming on another node', () => {
  const prefix = uniqueRedisPrefix();
  let cluster: ClusterProcesses;
  const clients: WireClient[] = [];

  beforeEach(async () => {
    cluster = await ClusterProcesses.start({
      nodes: 3,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: prefix,
      extensions: [FRONT],
      args: ['--resume-grace', String(GRACE_S)],
    });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster?.stop();
    await deleteRedisKeys(prefix);
  });

  /** A new connection on node `n` resumes `peer` (with the token of its last `init`): the same peer. */
  const resumeAs = async (n: number, peer: WireClient, label: string) => {
    const client = await WireClient.connect(cluster.node(n).wsUrl(FRONT.id), { label });
    clients.push(client);
    const reply = await client.initResuming(peer.lastInit?.resumeToken as string, ADOPTED_WITHIN_MS);
    assert.equal(reply.resumed, true, `${label}: ${JSON.stringify(reply)}`);
    assert.equal(reply.peerId, peer.peerId);
    return client;
  };

  it('a dropped agent resumes on a third node: same peer, kept signals, then the call goes on both ways', async () => {
    const agent = await cluster.agent(0, FRONT, 'agent on node 1');
    const caller = await cluster.peer(1, FRONT.id, 'caller on node 2');
    const callId = await connectCall(caller, agent);
    await agent.terminate();
    await delay(150);
    for (let i = 0; i < 3; i++)
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { away: i } });
    await delay(100);
    const client = await resumeAs(2, agent, 'agent on node 3');
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await client.next(), { type: 'signal', callId, data: { away: i } });
    // Signals both ways after the move, then the caller hangs up and the agent, on its new node, hears it.
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'to the moved agent' });
    assert.deepEqual(await client.next(), { type: 'signal', callId, data: 'to the moved agent' });
    client.send({ type: 'signal', peerId: client.peerId, callId, data: 'from node 3' });
    assert.deepEqual(await caller.next(), { type: 'signal', callId, data: 'from node 3' });
    await caller.request({ type: 'end', peerId: caller.peerId, callId });
    assert.deepEqual(await client.next(), sessionEvent('disconnected', callId, { reason: 'hangup' }));
    // Still registered, now on node 3: a new call rings it there.
    const next = await cluster.peer(0, FRONT.id, 'next caller');
    const nextCall = await placeCall(next);
    await client.nextMatching(isSessionEvent('ringing', nextCall));
    await caller.expectSilence(200);
  });

  it('SIGTERM to the node holding the agent: it resumes on another node and the call goes on', async (t) => {
    const agent = await cluster.agent(2, FRONT, 'agent on node 3');
    const caller = await cluster.peer(0, FRONT.id, 'caller on node 1');
    const callId = await connectCall(caller, agent);
    const stopped = cluster.node(2).stop();
    assert.equal((await agent.closed(5_000)).code, 1012);
    const startedAt = Date.now();
    const client = await resumeAs(1, agent, 'agent on node 2');
    t.diagnostic(`resumed on another node ${Date.now() - startedAt} ms after its node closed it`);
    const exit = await stopped;
    assert.equal(exit.code, 0);
    await signalBothWays(client, caller, callId);
    // Nobody heard the call drop.
    await caller.expectSilence(300);
    await hangUp(client, caller, callId);
  });

  it('SIGTERM with nobody coming back: the peers end as section 6 says before the node exits', async () => {
    const agent = await cluster.agent(2, FRONT, 'agent on node 3');
    const caller = await cluster.peer(0, FRONT.id, 'caller on node 1');
    const callId = await connectCall(caller, agent);
    await cluster.node(2).stop();
    assert.deepEqual(
      await caller.nextMatching(isSessionEvent('disconnected', callId), 1_000),
      sessionEvent('disconnected', callId, { reason: 'dropped' }),
    );
  });

  it('the agent of a connected call resumes on another node: the signals sent meanwhile arrive, nobody heard a drop', async (t) => {
    const agent = await cluster.agent(0, FRONT, 'agent on node 1');
    const caller = await cluster.peer(1, FRONT.id, 'caller on node 2');
    const callId = await connectCall(caller, agent);
    // Straight to the agent's node once the call connected: those after the kill reach nobody there.
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'before the kill' });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 'before the kill' });
    await cluster.kill(0);
    for (let i = 0; i < 3; i++)
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { away: i } });
    const startedAt = Date.now();
    const client = await resumeAs(2, agent, 'agent on node 3');
    t.diagnostic(`resumed ${Date.now() - startedAt} ms after the kill`);
    for (let i = 0; i < 3; i++)
      assert.deepEqual(await client.next(), { type: 'signal', callId, data: { away: i } });
    await signalBothWays(client, caller, callId);
    await caller.expectSilence(300);
    await hangUp(client, caller, callId);
  });

  it('a ringing call whose caller node died still rings; answered meanwhile, the resumed caller hears it connected', async () => {
    const agent = await cluster.agent(1, FRONT, 'agent on node 2');
    const caller = await cluster.peer(0, FRONT.id, 'caller on node 1');
    const callId = await placeCall(caller, 'Ann');
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await cluster.kill(0);
    // Answered before anyone noticed the death: the `connected` reaches nobody, and is kept.
    const answered = await agent.request({ type: 'answer', peerId: agent.peerId, callId });
    assert.equal(answered.status, 'connected');
    const client = await resumeAs(2, caller, 'caller on node 3');
    assert.deepEqual(await client.next(), sessionEvent('connected', callId));
    await agent.nextMatching(isSessionEvent('claimed', callId));
    client.send({ type: 'signal', peerId: client.peerId, callId, data: 'offer' });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 'offer' });
    // The agent never heard the call end.
    assert.equal(agent.take(isSessionEvent('disconnected', callId)), undefined);
  });

  it("what rang and stopped ringing while the agent's node lay dead reaches the resumed agent, once", async () => {
    const agent = await cluster.agent(0, FRONT, 'agent on node 1');
    const first = await cluster.peer(1, FRONT.id, 'first caller on node 2');
    const given = await placeCall(first, 'Abe');
    await agent.nextMatching(isSessionEvent('ringing', given));
    await delay(500); // Past the write of what the agent's node has seen.
    await cluster.kill(0);
    // While the agent's node lies dead: the first caller gives up, a second one calls (the agent still
    // counts: its grace has not even begun).
    await first.request({ type: 'end', peerId: first.peerId, callId: given });
    const second = await cluster.peer(1, FRONT.id, 'second caller on node 2');
    const callId = await placeCall(second, 'Bea');
    const client = await resumeAs(2, agent, 'agent on node 3');
    // Exactly what it missed, in order: not the first call's `ringing` again.
    assert.deepEqual(await client.next(), sessionEvent('abandoned', given));
    assert.deepEqual(await client.next(), sessionEvent('ringing', callId, { name: 'Bea' }));
    const answered = await client.request({ type: 'answer', peerId: client.peerId, callId });
    assert.equal(answered.status, 'connected');
    await second.nextMatching(isSessionEvent('connected', callId));
    assert.deepEqual(await client.next(), sessionEvent('claimed', callId));
    await client.expectSilence(300);
  });

  it('a peer already away when its node is killed keeps what was kept for it there, then what came after', async () => {
    const agent = await cluster.agent(0, FRONT, 'agent on node 1');
    const caller = await cluster.peer(1, FRONT.id, 'caller on node 2');
    const callId = await connectCall(caller, agent);
    await agent.terminate();
    await delay(150);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'kept on node 1' });
    await delay(300);
    await cluster.kill(0);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'after the kill' });
    const client = await resumeAs(2, agent, 'agent on node 3');
    assert.deepEqual(await client.next(), { type: 'signal', callId, data: 'kept on node 1' });
    assert.deepEqual(await client.next(), { type: 'signal', callId, data: 'after the kill' });
    await signalBothWays(client, caller, callId);
  });

  it('nobody comes back: once the grace ends on the node that took it on, the other party hears `dropped`', async (t) => {
    const agent = await cluster.agent(1, FRONT, 'agent on node 2');
    const caller = await cluster.peer(0, FRONT.id, 'caller on node 1');
    const callId = await connectCall(caller, agent);
    const killedAt = Date.now();
    await cluster.kill(0);
    await agent.expectSilence(GRACE_S * 1000 - 1000);
    assert.deepEqual(
      await agent.nextMatching(isSessionEvent('disconnected', callId), ADOPTED_WITHIN_MS + 2000),
      sessionEvent('disconnected', callId, { reason: 'dropped' }),
    );
    t.diagnostic(`dropped ${Date.now() - killedAt} ms after the kill (grace ${GRACE_S} s)`);
  });
});
