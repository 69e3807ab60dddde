/**
 * docs/deploy.md's Redis configuration, run as written (only the port replaced) by a redis-server of the
 * test's own, with two nodes on it: it holds the settings the doc asks for, a call across the nodes works
 * on it, and when it restarts it comes back empty, which the nodes answer as the doc says (every
 * connection closed with 1012, then everything works again).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { connectCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { GroupProcess } from '../support/GroupProcess.js';
import { type ClusterNode, freePort, startNodes } from '../support/serveNodes.js';
import { WireClient } from '../support/WireClient.js';
import { deployConfig, substitute } from './support/deployDoc.js';
import { addExtension } from './support/deployment.js';
import { findProgram, workFolder } from './support/proxies.js';

const FRONT = { id: 'front-desk', name: 'Front desk', password: 'front desk secret' };
const SERVICE_RESTART = 1012;

describe('docs/deploy.md: the Redis configuration', () => {
  let folder: Awaited<ReturnType<typeof workFolder>>;
  let configPath: string;
  let port: number;
  let redis: GroupProcess | undefined;
  let nodes: ClusterNode[] = [];
  const clients: WireClient[] = [];

  const url = () => `redis://127.0.0.1:${port}`;

  /** redis-server with the documented file; resolves once it answers PING. */
  async function startRedis(): Promise<void> {
    const program = findProgram('redis-server');
    assert.ok(program !== undefined, 'redis-server is installed (.ci/run starts the machine Redis with it)');
    redis = GroupProcess.start(program, [configPath], { label: 'redis-server', cwd: folder.path });
    await redis.waitForOutput(/Ready to accept connections/, 10_000);
  }

  before(async () => {
    folder = await workFolder('pbx-redis-');
    port = await freePort();
    configPath = join(folder.path, 'redis.conf');
    await writeFile(configPath, substitute(deployConfig('redis'), [['port 6379', `port ${port}`]]));
    await startRedis();
    const db = join(folder.path, 'pbx-peers.db');
    await addExtension(db, FRONT);
    nodes = await startNodes(2, { redisUrl: url(), redisPrefix: 'pbx-peers:', db });
  });

  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(nodes.map((node) => node.process.stop()));
    await redis?.stop();
    await folder?.remove();
  });

  const peer = async (node: ClusterNode, label: string) => {
    const client = await WireClient.connect(node.wsUrl(FRONT.id), { label });
    clients.push(client);
    await client.init();
    return client;
  };

  async function callAcrossNodes(): Promise<void> {
    const [first, second] = nodes as [ClusterNode, ClusterNode];
    const agent = await peer(first, 'agent');
    assert.equal((await agent.register(FRONT.password)).status, 'registered');
    await connectCall(await peer(second, 'caller'), agent);
  }

  it('no eviction, no persistence', async () => {
    const client = createClient({ url: url() });
    await client.connect();
    try {
      assert.deepEqual(await client.configGet('maxmemory-policy'), { 'maxmemory-policy': 'noeviction' });
      assert.deepEqual(await client.configGet('save'), { save: '' });
      assert.deepEqual(await client.configGet('appendonly'), { appendonly: 'no' });
      assert.ok(Number((await client.configGet('maxmemory')).maxmemory) > 0, 'a memory limit is set');
    } finally {
      client.destroy();
    }
  });

  it('a call across two nodes works on it; restarted, it is empty and every node closes its connections with 1012, then calls work again', async (t) => {
    await callAcrossNodes();
    const open = [...clients];

    redis?.signal('SIGTERM'); // a clean shutdown: with `save ""` it writes nothing
    await redis?.exited(10_000);
    await startRedis();
    const restartedAt = Date.now();
    const client = createClient({ url: url() });
    await client.connect();
    // The nodes may already have joined again: only their fresh membership can be there.
    const left = (await client.keys('pbx-peers:*')).filter((key) => !key.includes('{cluster}'));
    client.destroy();
    assert.deepEqual(left, [], 'no call or registration survived the restart');

    for (const closed of open) {
      assert.equal((await closed.closed(10_000)).code, SERVICE_RESTART, closed.label);
    }
    t.diagnostic(`every connection closed ${Date.now() - restartedAt} ms after Redis came back`);
    await delay(100);
    await callAcrossNodes();
  });
});
