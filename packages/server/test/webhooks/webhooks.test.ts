import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { OptionError, resolveServerOptions } from '../../src/config/serverOptions.js';
import { type RunningServer, startServer } from '../../src/startServer.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { WebhookDispatcher } from '../../src/webhooks/WebhookDispatcher.js';
import { connectCall, hangUp, placeCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { storeWithExtensions } from '../support/startServerWithExtensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';
import { type ReceivedWebhook, WebhookReceiver } from './WebhookReceiver.js';

/**
 * Issue 11, point 3: signed webhook events for calls and callback requests, delivered at least once, in
 * order per call, retried while the receiver fails, kept in the store across a restart, and never in the
 * way of a call. On a cluster run (`PBX_PEERS_TEST_CLUSTER=redis`) the nodes share one store and one
 * receiver, and each event still arrives once.
 */

const SECRET = 'a-webhook-secret-for-tests';

type OutboxCounts = Awaited<ReturnType<SqliteExtensionStore['webhookCounts']>>;

/** The outbox's counts once `settled` holds for them, or as they stand after `timeoutMs`. */
async function settledCounts(
  store: SqliteExtensionStore,
  settled: (counts: OutboxCounts) => boolean,
  timeoutMs = 5_000,
): Promise<OutboxCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await store.webhookCounts();
    if (settled(counts) || Date.now() > deadline) return counts;
    await delay(25);
  }
}

describe('webhooks', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start(SECRET);
    cleanups.push(() => started.close());
    return started;
  }

  async function server(receiverUrl: string): Promise<TestServer> {
    const ts = await startTestServer({
      extensions: [FRONT],
      ringTimeout: 0,
      webhookUrl: receiverUrl,
      webhookSecret: SECRET,
    });
    cleanups.push(() => ts.close());
    return ts;
  }

  const ofCall = (received: ReceivedWebhook[], callId: string) =>
    received.filter((request) => request.body.data.callId === callId);

  it('sends call.ringing, call.answered and call.ended, signed, once each, in order, with the details', async () => {
    const hook = await receiver();
    const ts = await server(hook.url);
    const agent = await ts.peer(FRONT.id, 'agent');
    await agent.request({ type: 'register', peerId: agent.peerId, password: FRONT.password, name: 'Alice' });
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller, 'Zoë');
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await agent.request({ type: 'answer', peerId: agent.peerId, callId });
    await caller.nextMatching(isSessionEvent('connected', callId));
    await agent.nextMatching(isSessionEvent('claimed', callId));
    await hangUp(agent, caller, callId);

    await hook.waitFor('three events', () => ofCall(hook.delivered(), callId).length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const events = ofCall(hook.received, callId);
    assert.deepEqual(
      events.map((event) => event.type),
      ['call.ringing', 'call.answered', 'call.ended'],
    );
    for (const event of events) {
      assert.equal(event.signatureValid, true, `${event.type} signed`);
      assert.equal(event.body.type, event.type);
      assert.equal(event.body.id, event.eventId);
      assert.equal(event.body.data.extensionId, FRONT.id);
    }
    assert.equal(new Set(events.map((event) => event.eventId)).size, 3, 'distinct event ids');
    assert.equal(events[0]?.body.data.callerName, 'Zoë');
    assert.equal(events[1]?.body.data.agentName, 'Alice');
    const ended = events[2]?.body.data;
    assert.equal(ended?.outcome, 'answered');
    assert.equal(ended?.endedBy, 'agent');
    assert.equal(typeof ended?.talkSeconds, 'number');
    assert.equal(typeof ended?.ringSeconds, 'number');
  });

  it('sends callback.requested with what the caller left', async () => {
    const hook = await receiver();
    const ts = await server(hook.url);
    const response = await fetch(`${ts.server.url}/api/extensions/${FRONT.id}/callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ann', contact: 'ann@example.org', message: 'About my order' }),
    });
    assert.equal(response.status, 201);
    const { id } = (await response.json()) as { id: string };
    await hook.waitFor('callback.requested', () =>
      hook.delivered().some((r) => r.type === 'callback.requested'),
    );
    const [event] = hook.delivered();
    assert.deepEqual(
      { ...event?.body.data, createdAt: undefined },
      {
        id,
        extensionId: FRONT.id,
        name: 'Ann',
        contact: 'ann@example.org',
        message: 'About my order',
        createdAt: undefined,
      },
    );
    assert.equal(event?.signatureValid, true);
  });

  it('a receiver that fails three times and then recovers gets every event, in order; calls are not slowed', async () => {
    const hook = await receiver();
    let failures = 3;
    hook.status = async () => {
      if (failures-- > 0) {
        await new Promise((resolve) => setTimeout(resolve, 300)); // slow as well as failing
        return 503;
      }
      return 200;
    };
    const ts = await server(hook.url);
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callIds: string[] = [];
    for (let call = 0; call < 2; call++) {
      const started = Date.now();
      const callId = await connectCall(caller, agent);
      await hangUp(caller, agent, callId);
      assert.ok(Date.now() - started < 2_000, 'the call went at its usual pace');
      callIds.push(callId);
    }
    await hook.waitFor(
      'every event delivered',
      () => callIds.every((callId) => ofCall(hook.delivered(), callId).length === 3),
      30_000,
    );
    assert.ok(hook.received.filter((request) => request.status === 503).length === 3, hook.summary());
    for (const callId of callIds) {
      assert.deepEqual(
        ofCall(hook.delivered(), callId).map((event) => event.type),
        ['call.ringing', 'call.answered', 'call.ended'],
      );
    }
    const eventIds = hook.delivered().map((request) => request.eventId);
    assert.equal(new Set(eventIds).size, eventIds.length, 'each event delivered once');
  });
});

describe('webhooks across a restart', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('events the receiver refused before a restart are delivered by the next process', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pbx-webhooks-'));
    const db = join(dir, 'pbx.db');
    await (await storeWithExtensions(db, [FRONT])).close();
    const hook = await WebhookReceiver.start(SECRET);
    let servers: RunningServer[] = [];
    try {
      hook.status = () => 500;
      const start = async () => {
        const started = await startServer({
          port: 0,
          logLevel: 'silent',
          db,
          resumeGrace: 0,
          webhookUrl: hook.url,
          webhookSecret: SECRET,
        });
        servers.push(started);
        return started;
      };
      const first = await start();
      const ws = first.url.replace('http', 'ws');
      const agent = await WireClient.connect(`${ws}/peers/${FRONT.id}`, { label: 'agent' });
      await agent.init();
      await agent.register(FRONT.password);
      const caller = await WireClient.connect(`${ws}/peers/${FRONT.id}`, { label: 'caller' });
      await caller.init();
      const callId = await connectCall(caller, agent);
      await hangUp(caller, agent, callId);
      await hook.waitFor('a refused attempt', () => hook.received.length >= 1);
      await Promise.all([agent.close(), caller.close()]);
      await first.close();
      servers = [];
      assert.equal(hook.delivered().length, 0);

      hook.status = () => 200;
      await start();
      await hook.waitFor('the kept events', () => ofCallIn(hook.delivered(), callId).length === 3, 20_000);
      assert.deepEqual(
        ofCallIn(hook.delivered(), callId).map((event) => event.type),
        ['call.ringing', 'call.answered', 'call.ended'],
      );
    } finally {
      await Promise.all(servers.map((running) => running.close()));
      await hook.close();
    }
  });
});

const ofCallIn = (received: ReceivedWebhook[], callId: string) =>
  received.filter((request) => request.body.data.callId === callId);

describe('webhook dispatcher: giving up', () => {
  it('an event the receiver keeps refusing is given up after --webhook-retry-for, and the next goes', async () => {
    const hook = await WebhookReceiver.start(SECRET);
    const store = SqliteExtensionStore.open(':memory:');
    const dispatcher = new WebhookDispatcher({
      outbox: store,
      url: hook.url,
      secret: SECRET,
      retryForMs: 2_500,
      owner: 'test',
      log: pino({ level: 'silent' }),
    });
    try {
      hook.status = (request) => (request.headers['x-pbx-peers-event'] === 'doomed' ? 500 : 200);
      const createdAt = new Date();
      await store.enqueueWebhook({
        eventId: 'd',
        orderKey: 'k',
        rank: 0,
        type: 'doomed',
        body: '{}',
        createdAt,
      });
      await store.enqueueWebhook({
        eventId: 'n',
        orderKey: 'k',
        rank: 1,
        type: 'next',
        body: '{}',
        createdAt,
      });
      dispatcher.start();
      await hook.waitFor('the next event', () => hook.delivered().length === 1, 15_000);
      const attempts = hook.received.filter((request) => request.type === 'doomed').length;
      assert.ok(attempts >= 2 && attempts <= 3, `doubling retries within 2.5 s: ${attempts} attempts`);
      // The receiver counts a delivery when it answers 200; the dispatcher marks it in the outbox only
      // after reading that answer, so the outbox is waited for, not read at once.
      assert.deepEqual(await settledCounts(store, (counts) => counts.pending === 0), {
        pending: 0,
        delivered: 1,
        abandoned: 1,
      });
    } finally {
      await dispatcher.stop();
      await store.close();
      await hook.close();
    }
  });
});

describe('webhook dispatcher: a stream of nudges', () => {
  it('does not put the delivery off (events written every 100 ms still go out within a second or so)', async () => {
    const hook = await WebhookReceiver.start(SECRET);
    const store = SqliteExtensionStore.open(':memory:');
    const dispatcher = new WebhookDispatcher({
      outbox: store,
      url: hook.url,
      secret: SECRET,
      retryForMs: 60_000,
      owner: 'test',
      log: pino({ level: 'silent' }),
    });
    const nudging = setInterval(() => dispatcher.nudge(), 100);
    try {
      await store.enqueueWebhook({
        eventId: 'e',
        orderKey: 'k',
        rank: 0,
        type: 'first',
        body: '{}',
        createdAt: new Date(),
      });
      dispatcher.start();
      const started = Date.now();
      await hook.waitFor('the event', () => hook.delivered().length === 1, 5_000);
      assert.ok(Date.now() - started < 3_000, `delivered after ${Date.now() - started} ms of nudges`);
    } finally {
      clearInterval(nudging);
      await dispatcher.stop();
      await store.close();
      await hook.close();
    }
  });
});

describe('webhook options', () => {
  it('need each other, an http(s) URL and a secret of 16 characters or more', () => {
    const resolve = (flags: Record<string, string>) => () => resolveServerOptions(flags, {});
    assert.throws(
      resolve({ webhookUrl: 'https://crm.example/hook' }),
      /--webhook-url needs --webhook-secret/,
    );
    assert.throws(resolve({ webhookSecret: SECRET }), /--webhook-secret is set without --webhook-url/);
    assert.throws(resolve({ webhookUrl: 'ftp://x', webhookSecret: SECRET }), OptionError);
    assert.throws(resolve({ webhookUrl: 'https://crm.example/hook', webhookSecret: 'short' }), /at least 16/);
    assert.equal(
      resolve({ webhookUrl: 'https://crm.example/hook', webhookSecret: SECRET })().webhookRetryFor,
      3600,
    );
  });
});
