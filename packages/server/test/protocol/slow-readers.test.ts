import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { UpgradeRefusedError } from '../support/UpgradeRefusedError.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/**
 * What the server holds for one connection is bounded: a client that stops reading is cut off (and its
 * call's other party hears `dropped`, protocol section 6) instead of growing the server's memory.
 */

const SIGNAL_DATA = 'x'.repeat(60_000); // 60 KB, under the 64 KiB frame limit

/** Sends `count` large signals from `from` in its call, a few per event-loop turn. */
async function sendLargeSignals(from: WireClient, callId: string, count: number): Promise<void> {
  for (let n = 0; n < count && !from.isClosed; n++) {
    from.send({ type: 'signal', peerId: from.peerId, callId, data: SIGNAL_DATA });
    if (n % 10 === 9) await delay(5);
  }
}

/** The value of the first series starting with `prefix` (name and the first labels), 0 when absent. */
async function metricValue(ts: TestServer, series: string): Promise<number> {
  const text = await (await fetch(`${ts.server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('§1 a connection that does not read', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  it('more unsent output than --max-buffered-bytes: cut off, and the other party hears dropped', async () => {
    ts = await startTestServer({
      extensions: [FRONT],
      ringTimeout: 0,
      messageRate: 1_000,
      messageBurst: 1_000,
    });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent that stops reading');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    agent.socket.pause();
    // About 12 MB: more than loopback's socket buffers and the default 1 MiB bound together.
    void sendLargeSignals(caller, callId, 200);
    const event = await caller.nextMatching(isSessionEvent('disconnected', callId), 10_000);
    assert.equal(event.reason, 'dropped');
    assert.equal(await metricValue(ts, 'pbx_peers_connections_cut_total{reason="output-overflow"'), 1);
    assert.equal(caller.isClosed, false);
  });

  it('output that makes no progress between two pings: cut off, even though it answers pings', async () => {
    ts = await startTestServer({
      extensions: [FRONT],
      ringTimeout: 0,
      pingInterval: 0.2,
      messageRate: 1_000,
      messageBurst: 1_000,
      maxBufferedBytes: 256 * 1024 * 1024, // so only the progress check can cut it off
    });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent that reads nothing but pongs');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    agent.socket.pause();
    const pongs = setInterval(() => agent.socket.pong(), 50);
    try {
      void sendLargeSignals(caller, callId, 200);
      const event = await caller.nextMatching(isSessionEvent('disconnected', callId), 10_000);
      assert.equal(event.reason, 'dropped');
      assert.equal(await metricValue(ts, 'pbx_peers_connections_cut_total{reason="output-stuck"'), 1);
    } finally {
      clearInterval(pongs);
    }
  });

  it('a reader that pauses briefly is not cut off', async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0, pingInterval: 0.2 });
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent pausing');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await connectCall(caller, agent);
    agent.socket.pause();
    await sendLargeSignals(caller, callId, 20); // 1.2 MB: the kernel's buffers take it
    await delay(150);
    agent.socket.resume();
    for (let n = 0; n < 20; n++) assert.equal((await agent.next(5_000)).type, 'signal');
    assert.equal(agent.isClosed, false);
  });
});

describe('§1 --max-connections-per-address', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  it('refuses the connection over the limit with HTTP 429, per address, and frees places on close', async () => {
    ts = await startTestServer({ extensions: [FRONT], maxConnectionsPerAddress: 2, onOneProcess: true });
    const first = await ts.connect(FRONT.id, { label: 'first' });
    await ts.connect(FRONT.id, { label: 'second' });
    await assert.rejects(
      ts.connect(FRONT.id, { label: 'third' }),
      (error) => error instanceof UpgradeRefusedError && error.statusCode === 429,
    );
    await ts.connect(FRONT.id, { label: 'other address', localAddress: '127.0.0.2' });
    await first.close();
    await delay(50);
    await ts.connect(FRONT.id, { label: 'after a close' });
  });

  it('places taken by refused upgrades are given back', async () => {
    ts = await startTestServer({ extensions: [FRONT], maxConnectionsPerAddress: 1, onOneProcess: true });
    for (let n = 0; n < 3; n++) {
      await assert.rejects(
        ts.connect('no-such-extension', { label: `unknown ${n}` }),
        (error) => error instanceof UpgradeRefusedError && error.statusCode === 404,
      );
    }
    await ts.connect(FRONT.id, { label: 'the one allowed' });
  });
});
