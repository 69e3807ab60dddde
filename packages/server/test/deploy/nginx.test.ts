/**
 * docs/deploy.md's nginx configuration, run as written (only ports and certificate paths replaced) in
 * front of three real `pbx-peers serve --redis-url` nodes on the doc's PostgreSQL role and schema, with
 * the doc's `--trust-proxy 127.0.0.1`.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { serverOptionSpecs } from '../../src/config/serverOptions.js';
import { connectCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { request } from '../support/httpRequest.js';
import { connectionCounts, landedOn, waitForCounts } from '../support/serveNodes.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent, isSignal } from '../support/wireMatchers.js';
import { deployConfig, durationSeconds } from './support/deployDoc.js';
import { type Deployment, type ProxyInFront, startDeployment } from './support/deployment.js';
import { missingProgram } from './support/proxies.js';

const FRONT = { id: 'front-desk', name: 'Front desk', password: 'front desk secret' };
/** Fast pings, so that "pings keep it open" takes seconds; the documented value is checked on its own. */
const PING_INTERVAL_S = 1;
const FAILURE_LIMIT = 2;
const SERVICE_RESTART = 1012;

const everyZero = (counts: number[]) => counts.every((count) => count === 0);

describe('docs/deploy.md: nginx in front of three nodes', { skip: missingProgram('nginx') }, () => {
  let deployment: Deployment;
  let nginx: ProxyInFront;
  const opened: WireClient[] = [];

  before(async () => {
    deployment = await startDeployment({
      store: 'postgres',
      extensions: [FRONT],
      nodeArgs: [
        '--trust-proxy',
        '127.0.0.1',
        '--ping-interval',
        String(PING_INTERVAL_S),
        '--register-failure-limit',
        String(FAILURE_LIMIT),
      ],
    });
    nginx = await deployment.nginx();
  });

  after(async () => {
    await deployment?.close();
  });

  /** Every test starts with no connection on any node. */
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((client) => client.close()));
    await waitForCounts(deployment.nodes, everyZero, 'connections left after the test');
  });

  /** A peer through nginx, initialized, noting the node it landed on. */
  async function peerThroughNginx(label: string, localAddress?: string, proxy = nginx) {
    const { opened: client, node } = await landedOn(deployment.nodes, async () => {
      const connected = await proxy.connect(FRONT.id, { label, ...(localAddress ? { localAddress } : {}) });
      opened.push(connected);
      return connected;
    });
    await client.init();
    return { client, node };
  }

  it('pages, /healthz and WebSockets over https through nginx reach the nodes; a call between two nodes works', async () => {
    const page = await request(`${nginx.httpsUrl}/ext/${FRONT.id}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /<html/i);
    const health = await request(`${nginx.httpsUrl}/healthz`);
    assert.equal(health.status, 200);
    const nodeIds = await Promise.all(deployment.nodes.map(async (node) => (await node.healthz()).node));
    assert.ok(nodeIds.includes(JSON.parse(health.body).node), `${health.body} names one of ${nodeIds}`);

    const agent = await peerThroughNginx('agent');
    assert.equal((await agent.client.register(FRONT.password)).status, 'registered');
    const caller = await peerThroughNginx('caller');
    assert.notEqual(caller.node, agent.node, 'least_conn puts the second connection on another node');

    const callId = await connectCall(caller.client, agent.client);
    caller.client.send({ type: 'signal', peerId: caller.client.peerId, callId, data: { sdp: 'offer' } });
    assert.deepEqual((await agent.client.nextMatching(isSignal(callId))).data, { sdp: 'offer' });
    agent.client.send({ type: 'signal', peerId: agent.client.peerId, callId, data: { sdp: 'answer' } });
    assert.deepEqual((await caller.client.nextMatching(isSignal(callId))).data, { sdp: 'answer' });
  });

  it('connections are spread over the nodes (least_conn): six connections, two on each node', async () => {
    const landed: number[] = [];
    for (let n = 0; n < 6; n++) landed.push((await peerThroughNginx(`peer ${n}`)).node);
    assert.deepEqual(await connectionCounts(deployment.nodes), [2, 2, 2], `landed on nodes ${landed}`);
  });

  it('the nodes see the client nginx saw: a client locked out of register does not lock out another', async () => {
    // Two clients at different addresses, both through nginx on 127.0.0.1.
    const guesser = await peerThroughNginx('guesser at 127.0.0.2', '127.0.0.2');
    for (let attempt = 1; attempt <= FAILURE_LIMIT; attempt++) {
      assert.equal((await guesser.client.register(`guess ${attempt}`)).reason, 'bad-password');
    }
    assert.equal((await guesser.client.register(FRONT.password)).reason, 'rate-limited');

    const agent = await peerThroughNginx('agent at 127.0.0.3', '127.0.0.3');
    assert.equal(
      (await agent.client.register(FRONT.password)).status,
      'registered',
      'another client is not locked out',
    );

    // The lock-out is the cluster's (counted in Redis): on another node the guesser is still refused.
    const again = await peerThroughNginx('guesser again', '127.0.0.2');
    assert.notEqual(again.node, guesser.node);
    assert.equal((await again.client.register(FRONT.password)).reason, 'rate-limited');
  });

  it('plain HTTP is redirected to HTTPS with the path kept; /metrics is not served through nginx', async () => {
    const redirected = await request(`${nginx.httpUrl}/ext/${FRONT.id}/agent?x=1`, {
      headers: { Host: 'pbx.example.com' },
    });
    assert.equal(redirected.status, 301);
    assert.equal(redirected.headers.location, `https://pbx.example.com/ext/${FRONT.id}/agent?x=1`);
    assert.equal((await request(`${nginx.httpsUrl}/metrics`)).status, 404);
    assert.equal((await request(`${deployment.nodes[0]?.url}/metrics`)).status, 200, 'the nodes serve it');
  });

  it("the proxy timeouts exceed the ping interval; pings keep an idle WebSocket open through nginx, and without them nginx's timeout closes it", async (t) => {
    const config = deployConfig('nginx');
    const pingDefault = serverOptionSpecs.pingInterval.defaultValue;
    assert.doesNotMatch(
      deployConfig('systemd'),
      /PING_INTERVAL|--ping-interval/,
      'the unit keeps the default',
    );
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const value = new RegExp(`^\\s*${directive}\\s+(\\S+);`, 'm').exec(config)?.[1];
      assert.ok(value !== undefined, `the nginx config sets ${directive}`);
      const seconds = durationSeconds(value);
      assert.ok(
        seconds >= 2 * pingDefault,
        `${directive} ${value} leaves room for a late ping every ${pingDefault} s`,
      );
    }

    // The same config with 3 s timeouts: nodes pinging every second keep an idle connection open...
    const shortTimeouts = [
      ['proxy_read_timeout 75s;', 'proxy_read_timeout 3s;'],
      ['proxy_send_timeout 75s;', 'proxy_send_timeout 3s;'],
    ] as const;
    const short = await deployment.nginx({ replace: shortTimeouts });
    const idle = await peerThroughNginx('idle peer, pinged', undefined, short);
    await delay(7_000);
    assert.equal(idle.client.isClosed, false, 'open after more than twice the proxy timeout');
    assert.equal(
      (await idle.client.request({ type: 'status', peerId: idle.client.peerId })).type,
      'response',
    );

    // ...and a node that pings only every 60 s is cut off by nginx after its 3 s.
    const slowPinger = await deployment.extraNode(['--ping-interval', '60']);
    t.after(() => slowPinger.process.stop());
    const unpinged = await deployment.nginx({ nodePorts: [slowPinger.port], replace: shortTimeouts });
    const quiet = await unpinged.connect(FRONT.id, { label: 'idle peer, not pinged' });
    opened.push(quiet);
    await quiet.init();
    const since = Date.now();
    const closed = await quiet.closed(10_000);
    t.diagnostic(`nginx closed the unpinged connection after ${Date.now() - since} ms (code ${closed.code})`);
    assert.ok(Date.now() - since >= 2_500, 'not before the timeout');
  });

  it('rolling restart: SIGTERM closes a node with 1012, its clients reconnect through nginx to the others, and it takes connections again once back', async (t) => {
    const agent = await peerThroughNginx('agent');
    assert.equal((await agent.client.register(FRONT.password)).status, 'registered');
    const caller = await peerThroughNginx('caller');
    const callId = await connectCall(caller.client, agent.client);
    const drained = agent.node;
    const node = deployment.nodes[drained];
    assert.ok(node !== undefined);

    const exit = node.stop();
    assert.equal((await agent.client.closed(5_000)).code, SERVICE_RESTART);
    const ended = await caller.client.nextMatching(isSessionEvent('disconnected', callId), 5_000);
    assert.equal(ended.reason, 'dropped', 'the other party of the drained node is told');
    assert.deepEqual(
      await exit,
      { code: 0, signal: null },
      'a clean stop: Restart=on-failure leaves it down',
    );

    // The agent comes back through nginx: the stopped node refuses, nginx passes it on.
    const running = deployment.nodes.filter((_, index) => index !== drained);
    const back = await landedOn(running, async () => {
      const client = await nginx.connect(FRONT.id, { label: 'agent back' });
      opened.push(client);
      return client;
    });
    await back.opened.init();
    assert.equal((await back.opened.register(FRONT.password)).status, 'registered');
    await connectCall(caller.client, back.opened);
    // However many come while it is down (least_conn would pick it first, having none): none fails.
    for (let n = 0; n < 4; n++) {
      const client = await nginx.connect(FRONT.id, { label: `newcomer ${n} while a node is down` });
      opened.push(client);
      await client.init();
    }

    // The node is started again on its port; nginx sends it new connections again (least_conn: it has
    // none), at the latest once the fail_timeout (10 s) of its refusals is over.
    const restarted = await deployment.restartNode(drained);
    assert.equal((await restarted.healthz()).status, 'ok');
    const restartedAt = Date.now();
    const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);
    const base = sum(await connectionCounts(deployment.nodes));
    for (let taken = false; !taken; ) {
      assert.ok(Date.now() - restartedAt < 20_000, 'the restarted node got no connection within 20 s');
      const probe = await nginx.connect(FRONT.id, { label: 'probe' });
      const counts = await waitForCounts(
        deployment.nodes,
        (now) => sum(now) === base + 1,
        'probe not counted',
      );
      taken = (counts[drained] ?? 0) === 1;
      await probe.close();
      await waitForCounts(deployment.nodes, (now) => sum(now) === base, 'probe still counted');
      if (!taken) await delay(500);
    }
    t.diagnostic(`the restarted node took a connection ${Date.now() - restartedAt} ms after it was back`);
  });
});
