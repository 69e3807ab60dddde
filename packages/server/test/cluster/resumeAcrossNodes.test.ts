import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { connectCall, placeCall } from '../support/calls.js';
import { ClusterProcesses } from '../support/clusterProcesses.js';
import { delay } from '../support/delay.js';
import { sessionEvent } from '../support/expectedMessages.js';
import { FRONT } from '../support/extensions.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/**
 * Protocol section 8 on a cluster of real processes: a peer whose connection dropped resumes on another
 * node, which takes it over from the node it was on (its state, the messages kept meanwhile, and the
 * routing of its calls); a node stopped with SIGTERM (a rolling restart) keeps its peers resumable on
 * the others, so their calls go on.
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
      args: ['--resume-grace', '10'],
    });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster?.stop();
    await deleteRedisKeys(prefix);
  });

  const resumeOn = async (n: number, token: string, label: string) => {
    const client = await WireClient.connect(cluster.node(n).wsUrl(FRONT.id), { label });
    clients.push(client);
    const reply = await client.initResuming(token);
    return { client, reply };
  };

  const tokenOf = (client: WireClient) => client.lastInit?.resumeToken as string;

  it('a dropped agent resumes on a third node: same peer, kept signals, then the call goes on both ways', async () => {
    const agent = await cluster.agent(0, FRONT, 'agent on node 1');
    const caller = await cluster.peer(1, FRONT.id, 'caller on node 2');
    const callId = await connectCall(caller, agent);
    const token = tokenOf(agent);
    await agent.terminate();
    await delay(150);
    for (let i = 0; i < 3; i++)
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { away: i } });
    await delay(100);
    const { client, reply } = await resumeOn(2, token, 'agent on node 3');
    assert.equal(reply.resumed, true);
    assert.equal(reply.peerId, agent.peerId);
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
    const token = tokenOf(agent);
    const stopped = cluster.node(2).stop();
    assert.equal((await agent.closed(5_000)).code, 1012);
    const startedAt = Date.now();
    const { client, reply } = await resumeOn(1, token, 'agent on node 2');
    t.diagnostic(`resumed on another node ${Date.now() - startedAt} ms after its node closed it`);
    assert.equal(reply.resumed, true);
    assert.equal(reply.peerId, agent.peerId);
    const exit = await stopped;
    assert.equal(exit.code, 0);
    client.send({ type: 'signal', peerId: client.peerId, callId, data: 'after the restart' });
    assert.deepEqual(await caller.next(), { type: 'signal', callId, data: 'after the restart' });
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'answer' });
    assert.deepEqual(await client.next(), { type: 'signal', callId, data: 'answer' });
    // Nobody heard the call drop.
    await caller.expectSilence(300);
    await client.request({ type: 'end', peerId: client.peerId, callId });
    assert.deepEqual(await caller.next(), sessionEvent('disconnected', callId, { reason: 'hangup' }));
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
});
