import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createClient } from 'redis';
import { connectCall } from '../support/calls.js';
import { ClusterProcesses, PrivateRedis } from '../support/clusterProcesses.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { UpgradeRefusedError } from '../support/UpgradeRefusedError.js';
import { WireClient } from '../support/WireClient.js';
import { isSignal } from '../support/wireMatchers.js';

/**
 * Redis trouble is never silent (docs/protocol.md section 10): two real nodes on a private
 * `redis-server`, which the tests kill and start again empty.
 */

const SERVICE_RESTART = 1012;
const TRY_AGAIN_LATER = 1013;

describe('cluster: Redis trouble', () => {
  let redis: PrivateRedis;
  let cluster: ClusterProcesses;

  beforeEach(async () => {
    redis = await PrivateRedis.start();
    cluster = await ClusterProcesses.start({
      nodes: 2,
      redisUrl: redis.url,
      redisPrefix: 'pbx-peers:',
      extensions: [FRONT],
    });
  });
  afterEach(async () => {
    await cluster?.stop();
    await redis?.kill();
  });

  /** Until every node takes an upgrade again (each answers 503 while it cannot vouch for its state). */
  async function untilEveryNodeAccepts(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const node of cluster.nodes) {
      for (;;) {
        try {
          await (await WireClient.connect(node.wsUrl(FRONT.id))).close();
          break;
        } catch (error) {
          if (!(error instanceof UpgradeRefusedError) || Date.now() > deadline) throw error;
          await delay(50);
        }
      }
    }
  }

  /** A call across the two nodes, with a signal each way. */
  async function callAcrossNodes(): Promise<void> {
    await untilEveryNodeAccepts();
    const agent = await cluster.agent(0, FRONT, 'agent on node 0');
    const caller = await cluster.peer(1, FRONT.id, 'caller on node 1');
    const callId = await connectCall(caller, agent);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { n: 1 } });
    assert.deepEqual((await agent.nextMatching(isSignal(callId))).data, { n: 1 });
    agent.send({ type: 'signal', peerId: agent.peerId, callId, data: { n: 2 } });
    assert.deepEqual((await caller.nextMatching(isSignal(callId))).data, { n: 2 });
  }

  it('a subscriber connection cut by Redis (as one that falls behind is): its node closes with 1012, then calls work', async () => {
    const agent = await cluster.agent(0, FRONT, 'agent');
    const caller = await cluster.peer(1, FRONT.id, 'caller');
    await connectCall(caller, agent);

    const admin = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
    await admin.connect();
    try {
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    } finally {
      admin.destroy();
    }
    for (const client of [agent, caller]) {
      const { code } = await client.closed(10_000);
      assert.equal(code, SERVICE_RESTART, `${client.label} closed with ${code}`);
    }
    await callAcrossNodes();
  });

  it('Redis restarted empty during calls: every connection is closed with 1012, then calls work again', async (t) => {
    const agent = await cluster.agent(0, FRONT, 'agent');
    const caller = await cluster.peer(1, FRONT.id, 'caller');
    const idle = await cluster.peer(0, FRONT.id, 'idle peer');
    await connectCall(caller, agent);

    await redis.kill();
    await redis.restart();
    const restartedAt = Date.now();
    for (const client of [agent, caller, idle]) {
      const { code } = await client.closed(10_000);
      assert.equal(code, SERVICE_RESTART, `${client.label} closed with ${code}`);
    }
    t.diagnostic(`all closed ${Date.now() - restartedAt} ms after Redis came back empty`);
    await callAcrossNodes();
  });

  it('after Redis restarted empty, a node takes no connection it would close again: 503 until it has checked', async () => {
    const agent = await cluster.agent(0, FRONT, 'agent');
    const caller = await cluster.peer(1, FRONT.id, 'caller');
    await connectCall(caller, agent);

    await redis.kill();
    await redis.restart();
    // Straight away, on every node: what a reconnecting client does. A node may refuse the upgrade (503)
    // while it checks; a connection it did take must stay.
    const deadline = Date.now() + 10_000;
    const taken: WireClient[] = [];
    for (const [n, node] of cluster.nodes.entries()) {
      for (;;) {
        try {
          taken.push(await WireClient.connect(node.wsUrl(FRONT.id), { label: `new peer on node ${n}` }));
          break;
        } catch (error) {
          if (!(error instanceof UpgradeRefusedError) || Date.now() > deadline) throw error;
          await delay(10);
        }
      }
      await taken.at(-1)?.init();
    }
    await delay(2_000);
    for (const client of taken)
      assert.equal(client.isOpen, true, `${client.label} was closed after it was taken`);
    for (const client of taken) await client.close();
  });

  it('Redis out of reach for more than 5 s: connections closed with 1013 and upgrades refused with 503, until it is back', async (t) => {
    const agent = await cluster.agent(0, FRONT, 'agent');
    const caller = await cluster.peer(1, FRONT.id, 'caller');
    await connectCall(caller, agent);

    await redis.kill();
    const killedAt = Date.now();
    for (const client of [agent, caller]) {
      const { code } = await client.closed(12_000);
      assert.equal(code, TRY_AGAIN_LATER, `${client.label} closed with ${code}`);
    }
    const closedAfter = Date.now() - killedAt;
    t.diagnostic(`closed ${closedAfter} ms after Redis went away`);
    assert.ok(closedAfter > 5_000, `not before 5 s without Redis (${closedAfter} ms)`);
    for (const node of cluster.nodes) {
      await assert.rejects(
        WireClient.connect(node.wsUrl(FRONT.id)),
        (error) => error instanceof UpgradeRefusedError && error.statusCode === 503,
      );
    }

    await redis.restart();
    await callAcrossNodes();
  });
});
