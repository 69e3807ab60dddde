import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/testServer.js';

describe('health and metrics', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      nodeId: 'node-under-test',
      extensions: [{ id: 'front', password: 'pw' }],
    });
  });
  after(() => server.close());

  /** The value of one exact series (name and labels as prom-client prints them). */
  const metricValue = (text: string, series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    assert.ok(line, `no series ${series} in the metrics`);
    return Number(line.slice(series.length + 1));
  };

  it('/healthz answers 200 with the node and its connections', async () => {
    const client = await server.peer('front');
    const response = await fetch(`${server.server.url}/healthz`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.node, 'node-under-test');
    assert.equal(body.connections, 1);
    await client.close();
  });

  it('/metrics counts peers, calls, messages by type, errors by code and register failures', async () => {
    const agent = await server.agent('front', 'pw');
    const caller = await server.peer('front');
    await caller.request({ type: 'call', peerId: caller.peerId });
    const stranger = await server.peer('front');
    await stranger.request({ type: 'register', peerId: stranger.peerId, password: 'wrong' });
    await stranger.request({ type: 'answer', peerId: stranger.peerId, callId: 'x' });

    const response = await fetch(`${server.server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    const value = (series: string) => metricValue(text, series);
    assert.equal(value('pbx_peers_connections{node="node-under-test"}'), 3);
    assert.equal(value('pbx_peers_initialized_peers{node="node-under-test"}'), 3);
    assert.equal(value('pbx_peers_registered_peers{node="node-under-test"}'), 1);
    assert.equal(value('pbx_peers_calls{state="ringing",node="node-under-test"}'), 1);
    assert.equal(value('pbx_peers_calls{state="connected",node="node-under-test"}'), 0);
    assert.ok(value('pbx_peers_messages_in_total{type="init",node="node-under-test"}') >= 3);
    assert.equal(value('pbx_peers_messages_in_total{type="call",node="node-under-test"}'), 1);
    assert.ok(value('pbx_peers_messages_out_total{type="response",node="node-under-test"}') >= 5);
    assert.equal(value('pbx_peers_errors_total{code="forbidden",node="node-under-test"}'), 1);
    assert.equal(value('pbx_peers_register_failures_total{reason="bad-password",node="node-under-test"}'), 1);
    assert.match(text, /pbx_peers_process_resident_memory_bytes{/);
    await Promise.all([agent.close(), caller.close(), stranger.close()]);
  });
});

describe('--metrics-token', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ metricsToken: 's3cret token' });
  });
  after(() => server.close());

  it('/metrics answers 401 without the bearer token or with a wrong one, 200 with it', async () => {
    const url = `${server.server.url}/metrics`;
    const without = await fetch(url);
    assert.equal(without.status, 401);
    assert.equal(without.headers.get('www-authenticate'), 'Bearer');
    assert.doesNotMatch(await without.text(), /pbx_peers_/);
    for (const authorization of ['Bearer wrong', 'Bearer s3cret', 's3cret token']) {
      assert.equal((await fetch(url, { headers: { authorization } })).status, 401, authorization);
    }
    const right = await fetch(url, { headers: { authorization: 'Bearer s3cret token' } });
    assert.equal(right.status, 200);
    assert.match(await right.text(), /pbx_peers_connections/);
    assert.equal((await fetch(`${server.server.url}/healthz`)).status, 200, 'health stays open');
  });
});

describe('X-Content-Type-Options', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ extensions: [{ id: 'front', password: 'pw' }] });
  });
  after(() => server.close());

  it('every answer says nosniff: JSON, metrics, the JSON 404 and unknown paths', async () => {
    for (const path of [
      '/healthz',
      '/metrics',
      '/api/extensions/front',
      '/api/extensions/nope',
      '/nope',
      '/api/ice-servers',
    ]) {
      const response = await fetch(`${server.server.url}${path}`);
      await response.arrayBuffer();
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });
});
