/**
 * docs/deploy.md's haproxy configuration, run as written (only ports and the certificate path replaced)
 * in front of three real `pbx-peers serve --redis-url` nodes sharing one SQLite file.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { serverOptionSpecs } from '../../src/config/serverOptions.js';
import { connectCall } from '../support/calls.js';
import { request } from '../support/httpRequest.js';
import { landedOn, waitForCounts } from '../support/serveNodes.js';
import { isSessionEvent, isSignal } from '../support/wireMatchers.js';
import { deployConfig, durationSeconds } from './support/deployDoc.js';
import { type Deployment, type ProxyInFront, startDeployment } from './support/deployment.js';
import { missingProgram } from './support/proxies.js';

const FRONT = { id: 'front-desk', name: 'Front desk', password: 'front desk secret' };

describe('docs/deploy.md: haproxy in front of three nodes', { skip: missingProgram('haproxy') }, () => {
  let deployment: Deployment;
  let haproxy: ProxyInFront;

  before(async () => {
    deployment = await startDeployment({
      store: 'sqlite',
      extensions: [FRONT],
      nodeArgs: ['--trust-proxy', '127.0.0.1', '--register-failure-limit', '1'],
    });
    haproxy = await deployment.haproxy();
  });

  after(async () => {
    await deployment?.close();
  });

  // Every test starts with no connection on any node: `landedOn` counts from the nodes' totals, which a
  // connection of the test before, closed but not yet gone from a node's count, would throw off.
  afterEach(async () => {
    await waitForCounts(
      deployment.nodes,
      (counts) => counts.every((count) => count === 0),
      'connections left after the test',
    );
  });

  const peer = async (label: string, localAddress?: string) => {
    const { opened, node } = await landedOn(deployment.nodes, () =>
      haproxy.connect(FRONT.id, { label, ...(localAddress === undefined ? {} : { localAddress }) }),
    );
    await opened.init();
    return { client: opened, node };
  };

  it('a call through haproxy between a caller and an agent on different nodes, signals both ways, hang-up', async () => {
    const agent = await peer('agent');
    assert.equal((await agent.client.register(FRONT.password)).status, 'registered');
    const caller = await peer('caller');
    assert.notEqual(caller.node, agent.node, 'balance leastconn: the second connection goes to another node');

    const callId = await connectCall(caller.client, agent.client);
    caller.client.send({ type: 'signal', peerId: caller.client.peerId, callId, data: { sdp: 'offer' } });
    assert.deepEqual((await agent.client.nextMatching(isSignal(callId))).data, { sdp: 'offer' });
    agent.client.send({ type: 'signal', peerId: agent.client.peerId, callId, data: { sdp: 'answer' } });
    assert.deepEqual((await caller.client.nextMatching(isSignal(callId))).data, { sdp: 'answer' });
    const hangup = await caller.client.request({ type: 'end', peerId: caller.client.peerId, callId });
    assert.equal(hangup.type, 'response', JSON.stringify(hangup));
    const ended = await agent.client.nextMatching(isSessionEvent('disconnected', callId));
    assert.equal(ended.reason, 'hangup');
    await Promise.all([agent.client.close(), caller.client.close()]);
  });

  it('option forwardfor: the nodes key the register lock-out on the client haproxy saw', async () => {
    const guesser = await peer('guesser at 127.0.0.2', '127.0.0.2');
    assert.equal((await guesser.client.register('a guess')).reason, 'bad-password');
    assert.equal((await guesser.client.register(FRONT.password)).reason, 'rate-limited');
    const agent = await peer('agent at 127.0.0.3', '127.0.0.3');
    assert.equal((await agent.client.register(FRONT.password)).status, 'registered');
    await Promise.all([guesser.client.close(), agent.client.close()]);
  });

  it('plain HTTP is redirected to HTTPS, /metrics is not served, and timeout tunnel exceeds the ping interval', async () => {
    const redirected = await request(`${haproxy.httpUrl}/ext/${FRONT.id}`, {
      headers: { Host: 'pbx.example.com' },
    });
    assert.equal(redirected.status, 301);
    assert.equal(redirected.headers.location, `https://pbx.example.com/ext/${FRONT.id}`);
    assert.equal((await request(`${haproxy.httpsUrl}/ext/${FRONT.id}`)).status, 200);
    assert.equal((await request(`${haproxy.httpsUrl}/metrics`)).status, 404);

    const tunnel = /^\s*timeout tunnel\s+(\S+)$/m.exec(deployConfig('haproxy'))?.[1];
    assert.ok(tunnel !== undefined, 'the haproxy config sets timeout tunnel');
    assert.ok(durationSeconds(tunnel) >= 2 * serverOptionSpecs.pingInterval.defaultValue);
  });
});
