import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { connectCall } from '../support/calls.js';
import { ClusterProcesses } from '../support/clusterProcesses.js';
import { FRONT } from '../support/extensions.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import type { WireClient } from '../support/WireClient.js';
import { isExtensionEvent, isSessionEvent } from '../support/wireMatchers.js';

/**
 * SIGTERM to one node of two: its peers' section 6 reaches Redis before it leaves, so the other node's
 * peers hear it at once, not after the lease runs out (docs/protocol.md section 10.1).
 */
describe('cluster: a node stopped with SIGTERM', () => {
  const prefix = uniqueRedisPrefix();
  let cluster: ClusterProcesses;
  let caller: WireClient;
  let observer: WireClient;
  let callId: string;
  let stoppedAt = 0;

  before(async () => {
    cluster = await ClusterProcesses.start({
      nodes: 2,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: prefix,
      extensions: [FRONT],
      // Resuming off: the stopped node's peers end at once (with it on, they wait for a resume elsewhere,
      // see resumeAcrossNodes.test.ts).
      args: ['--resume-grace', '0'],
    });
    const agent = await cluster.agent(1, FRONT, 'agent on the stopped node');
    caller = await cluster.peer(0, FRONT.id, 'caller');
    observer = await cluster.peer(0, FRONT.id, 'observer');
    callId = await connectCall(caller, agent);
    const stopped = cluster.node(1).stop();
    stoppedAt = Date.now();
    await stopped;
  });

  after(async () => {
    await cluster?.stop();
    await deleteRedisKeys(prefix);
  });

  it('the other party hears disconnected/dropped and the extension goes offline, well before the lease', async (t) => {
    const event = await caller.nextMatching(isSessionEvent('disconnected', callId), 2_000);
    assert.equal(event.reason, 'dropped');
    await observer.nextMatching(isExtensionEvent('offline'), 2_000);
    t.diagnostic(`told ${Date.now() - stoppedAt} ms after SIGTERM`);
  });

  it('the stopped node left the cluster: no lease, not listed', async () => {
    const client = createClient({ url: TEST_REDIS_URL, socket: { reconnectStrategy: false } });
    await client.connect();
    try {
      const nodes = await client.sMembers(`${prefix}{cluster}:nodes`);
      assert.equal(nodes.length, 1, `one node left listed: ${nodes.join(', ')}`);
      const leases = await client.keys(`${prefix}{cluster}:lease:*`);
      assert.equal(leases.length, 1);
    } finally {
      client.destroy();
    }
  });
});
