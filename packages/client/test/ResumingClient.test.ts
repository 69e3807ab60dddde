/**
 * ResumingClient with a fake clock (node:test's mock timers) and a fake WebSocket the test plays the
 * server of: when it reconnects, what it sends, what it reports.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/backoffDelay.js';
import { ConnectionClosedError } from '../src/ConnectionClosedError.js';
import { PbxClient } from '../src/PbxClient.js';
import {
  type PeerChange,
  ResumingClient,
  type ResumingClientOptions,
  type ResumingState,
} from '../src/ResumingClient.js';
import { type FakeSocket, fakeWebSockets } from './support/FakeWebSocket.js';

/** Lets every pending promise continuation run (setImmediate is not mocked). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** With `random` always 0 the jitter picks the lowest delay: half of the ceiling. */
const LOWEST = () => 0;

function setup(options: Partial<Omit<ResumingClientOptions, 'client'>> = {}) {
  const { WebSocket, sockets } = fakeWebSockets();
  const client = new PbxClient({ url: 'ws://pbx.test/peers/front-desk', WebSocket, requestTimeoutMs: 1000 });
  // No heartbeat unless a test asks for one: most tests tick far past its interval while online.
  const connection = new ResumingClient({ client, random: LOWEST, heartbeat: false, ...options });
  const states: ResumingState[] = [];
  const peers: PeerChange[] = [];
  const drops: number[] = [];
  connection.on('state', (state) => states.push(state));
  connection.on('peer', (change) => peers.push(change));
  connection.on('dropped', (close) => drops.push(close.code));
  const socket = (index: number): FakeSocket => {
    const found = sockets[index];
    assert.ok(found !== undefined, `socket ${index} was never opened (${sockets.length} so far)`);
    return found;
  };
  /** Opens socket `index` and answers its `init` with `fields`. */
  const online = async (index: number, fields: object) => {
    socket(index).open();
    await flush();
    socket(index).respond('init', { status: 'ready', ...fields });
    await flush();
  };
  return { client, connection, sockets, socket, online, states, peers, drops };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

describe('backoffDelay', () => {
  test('doubles from initialMs up to maxMs, jittered between half and all of it', () => {
    const options = { initialMs: 500, maxMs: 5_000 };
    const lowest = () => 0;
    const highest = () => 0.999_999;
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 50].map((attempt) => backoffDelay(attempt, options, lowest)),
      [250, 500, 1000, 2000, 2500, 2500, 2500],
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 50].map((attempt) => backoffDelay(attempt, options, highest)),
      [500, 1000, 2000, 4000, 5000, 5000, 5000],
    );
    for (let attempt = 0; attempt < 20; attempt++) {
      const ceiling = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 2 ** attempt);
      for (let draw = 0; draw < 50; draw++) {
        const delay = backoffDelay(attempt);
        assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay} of ${ceiling}`);
      }
    }
  });

  test("the default retries fit in the server's default resume grace of 20 s", () => {
    let total = 0;
    for (let attempt = 0; attempt < 5; attempt++)
      total += backoffDelay(attempt, DEFAULT_BACKOFF, () => 0.999);
    assert.ok(total < 20_000, `${total} ms`);
  });
});

describe('ResumingClient', () => {
  test('connects and inits: connecting, then online with a new peer', async () => {
    const { connection, socket, online, states, peers } = setup();
    assert.equal(connection.state, 'idle');
    connection.start();
    assert.equal(connection.state, 'connecting');
    assert.equal(socket(0).url, 'ws://pbx.test/peers/front-desk');
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    assert.deepEqual(socket(0).sent, [{ type: 'init', id: 1 }], 'the first init resumes nothing');
    assert.deepEqual(states, ['connecting', 'online']);
    assert.deepEqual(
      peers.map((change) => [change.kind, change.peerId]),
      [['new', 'P1']],
    );
    assert.equal(connection.online, true);
    assert.equal(connection.peerId, 'P1');
  });

  test('after a drop it waits its backoff, resumes with the latest token, and says it is the same peer', async () => {
    const { connection, sockets, socket, online, states, peers, drops } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });

    socket(0).drop();
    assert.deepEqual(drops, [1006]);
    assert.equal(connection.state, 'reconnecting');
    mock.timers.tick(249);
    assert.equal(sockets.length, 1, 'no attempt before the first delay (250 ms with the lowest jitter)');
    mock.timers.tick(1);
    assert.equal(sockets.length, 2);
    await online(1, { peerId: 'P1', resumeToken: 'T2', resumed: true });
    assert.deepEqual(socket(1).sent[0], { type: 'init', id: 2, resume: 'T1' });
    assert.equal(peers.at(-1)?.kind, 'resumed');
    assert.equal(peers.at(-1)?.peerId, 'P1');

    // The server restarts (1012): the next resume sends the token the last init gave.
    socket(1).serverClose(1012);
    mock.timers.tick(250);
    await online(2, { peerId: 'P1', resumeToken: 'T3', resumed: true });
    assert.deepEqual(socket(2).sent[0], { type: 'init', id: 3, resume: 'T2' });
    // And 1001 (server shutdown) is a drop as well.
    socket(2).serverClose(1001);
    mock.timers.tick(250);
    await online(3, { peerId: 'P1', resumeToken: 'T4', resumed: true });
    assert.deepEqual(socket(3).sent[0], { type: 'init', id: 4, resume: 'T3' });

    assert.deepEqual(drops, [1006, 1012, 1001]);
    assert.deepEqual(states, [
      'connecting',
      'online',
      'reconnecting',
      'online',
      'reconnecting',
      'online',
      'reconnecting',
      'online',
    ]);
  });

  test('an unknown, used or expired token: the server answers a new peer, reported as replaced', async () => {
    const { connection, socket, online, peers } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();
    mock.timers.tick(250);
    await online(1, { peerId: 'P2', resumeToken: 'T9', resumed: false });
    assert.deepEqual(socket(1).sent[0], { type: 'init', id: 2, resume: 'T1' });
    const change = peers.at(-1);
    assert.equal(change?.kind, 'replaced');
    assert.equal(change.kind === 'replaced' && change.previousPeerId, 'P1');
    assert.equal(change?.peerId, 'P2');
    assert.equal(connection.peerId, 'P2');

    // The new peer's token is the one to resume with next.
    socket(1).drop();
    mock.timers.tick(250);
    socket(2).open();
    await flush();
    assert.deepEqual(socket(2).sent[0], { type: 'init', id: 3, resume: 'T9' });
  });

  test('a server that does not resume (no resumeToken): plain init again, a replaced peer', async () => {
    const { connection, socket, online, peers } = setup();
    connection.start();
    await online(0, { peerId: 'P1' });
    socket(0).drop();
    mock.timers.tick(250);
    await online(1, { peerId: 'P2' });
    assert.deepEqual(socket(1).sent[0], { type: 'init', id: 2 });
    assert.deepEqual(
      peers.map((change) => change.kind),
      ['new', 'replaced'],
    );
  });

  test('each failed attempt doubles the wait up to the cap; being online again starts over', async () => {
    const { connection, sockets, socket, online } = setup({ backoff: { initialMs: 1000, maxMs: 8000 } });
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();

    // Lowest jitter: 500, 1000, 2000, 4000, 4000 ms.
    const waits: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = sockets.length;
      let waited = 0;
      while (sockets.length === before) {
        mock.timers.tick(100);
        waited += 100;
        assert.ok(waited <= 10_000, 'no retry within 10 s');
      }
      waits.push(waited);
      socket(sockets.length - 1).fail();
      await flush();
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 4000]);
    assert.equal(connection.state, 'reconnecting');

    mock.timers.tick(4000);
    await online(sockets.length - 1, { peerId: 'P1', resumeToken: 'T2', resumed: true });
    assert.equal(socket(sockets.length - 1).sent[0]?.resume, 'T1', 'failed attempts keep the token');
    socket(sockets.length - 1).drop();
    const before = sockets.length;
    mock.timers.tick(500);
    assert.equal(sockets.length, before + 1, 'after being online, the first delay again');
  });

  test('jitter: the delay is drawn between half and all of the ceiling', async () => {
    for (const [draw, expected] of [
      [0, 250],
      [0.5, 375],
      [0.999_999, 500],
    ] as const) {
      const { connection, sockets, socket, online } = setup({ random: () => draw });
      connection.start();
      await online(0, { peerId: 'P1', resumeToken: 'T1' });
      socket(0).drop();
      mock.timers.tick(expected - 1);
      assert.equal(sockets.length, 1, `random ${draw}: not before ${expected} ms`);
      mock.timers.tick(1);
      assert.equal(sockets.length, 2, `random ${draw}: at ${expected} ms`);
      await connection.close();
    }
  });

  test("the client's own close is final: no reconnect, no resume, state closed", async () => {
    const { connection, sockets, socket, online, states, drops } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    await connection.close();
    assert.equal(socket(0).closedByClientWith, 1000, 'a close frame, so the server ends the peer at once');
    assert.equal(connection.state, 'closed');
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 1);
    assert.deepEqual(drops, []);
    assert.deepEqual(states, ['connecting', 'online', 'closed']);

    // Started again, it is a new peer: nothing to resume.
    connection.start();
    await online(1, { peerId: 'P2', resumeToken: 'T2' });
    assert.deepEqual(socket(1).sent[0], { type: 'init', id: 2 });
  });

  test('closing the PbxClient directly is final too', async () => {
    const { client, connection, sockets, online } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    await client.close();
    assert.equal(connection.state, 'closed');
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 1);
  });

  test('close() during the backoff wait cancels the retry', async () => {
    const { connection, sockets, socket, online } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();
    await connection.close();
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 1);
    assert.equal(connection.state, 'closed');
  });

  test('4404 (extension removed) is final: gone, no retry, the network signal released', async () => {
    let subscribed = 0;
    let unsubscribed = 0;
    const { connection, sockets, socket, online, states, drops } = setup({
      networkBack: () => {
        subscribed++;
        return () => unsubscribed++;
      },
    });
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).serverClose(4404, 'extension removed');
    assert.equal(connection.state, 'gone');
    assert.deepEqual(drops, [4404]);
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 1);
    assert.deepEqual(states, ['connecting', 'online', 'gone']);
    assert.deepEqual([subscribed, unsubscribed], [1, 1]);
  });

  test('the network coming back skips the rest of the backoff wait', async () => {
    let networkBack: (() => void) | undefined;
    const { connection, sockets, socket, online, peers } = setup({
      networkBack: (retry) => {
        networkBack = retry;
        return () => {
          networkBack = undefined;
        };
      },
    });
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();
    mock.timers.tick(250);
    socket(1).fail(); // still offline
    await flush();
    assert.equal(sockets.length, 2);
    networkBack?.();
    assert.equal(sockets.length, 3, 'an attempt at once');
    await online(2, { peerId: 'P1', resumeToken: 'T2', resumed: true });
    assert.equal(socket(2).sent[0]?.resume, 'T1');
    assert.equal(peers.at(-1)?.kind, 'resumed');
    networkBack?.();
    mock.timers.tick(60_000);
    assert.equal(sockets.length, 3, 'online: the signal changes nothing, and the old timer is gone');
    await connection.close();
    assert.equal(networkBack, undefined, 'close() stops listening');
  });

  test('the first connection failing: connecting, then reconnecting with backoff', async () => {
    const { connection, sockets, socket, online, states, peers } = setup();
    connection.start();
    socket(0).fail();
    await flush();
    assert.equal(connection.state, 'reconnecting');
    mock.timers.tick(250);
    assert.equal(sockets.length, 2);
    await online(1, { peerId: 'P1', resumeToken: 'T1' });
    assert.deepEqual(socket(1).sent[0], { type: 'init', id: 1 });
    assert.deepEqual(states, ['connecting', 'reconnecting', 'online']);
    assert.deepEqual(
      peers.map((change) => change.kind),
      ['new'],
    );
  });

  test('a socket that never opens is abandoned after connectTimeoutMs and tried again', async () => {
    const { connection, sockets, socket } = setup({ connectTimeoutMs: 3000 });
    connection.start();
    mock.timers.tick(2999);
    assert.equal(socket(0).closedByClientWith, undefined);
    mock.timers.tick(1);
    assert.equal(socket(0).closedByClientWith, 1000);
    await flush();
    assert.equal(connection.state, 'reconnecting');
    mock.timers.tick(250);
    assert.equal(sockets.length, 2);
  });

  test('an init nobody answers: that connection is closed and the next attempt resumes', async () => {
    const { connection, sockets, socket, online } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();
    mock.timers.tick(250);
    socket(1).open();
    await flush();
    mock.timers.tick(1000); // the request timeout
    await flush();
    assert.equal(socket(1).closedByClientWith, 1000);
    assert.equal(connection.state, 'reconnecting', 'closing a useless connection is not the final close');
    mock.timers.tick(500);
    assert.equal(sockets.length, 3);
    await online(2, { peerId: 'P1', resumeToken: 'T2', resumed: true });
    assert.equal(socket(2).sent[0]?.resume, 'T1');
  });

  test('a resume refused as bad-request: a plain init on the same connection', async () => {
    const { connection, socket, online, peers } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();
    mock.timers.tick(250);
    socket(1).open();
    await flush();
    const refused = socket(1).lastRequest('init');
    socket(1).receive({
      type: 'error',
      code: 'bad-request',
      message: 'resume is not a token',
      request: 'init',
      id: refused?.id,
    });
    await flush();
    assert.deepEqual(socket(1).sent.at(-1), { type: 'init', id: 3 });
    socket(1).respond('init', { status: 'offline', peerId: 'P2', resumeToken: 'T5' });
    await flush();
    assert.equal(peers.at(-1)?.kind, 'replaced');
    assert.equal(connection.state, 'online');
  });

  test('the messages kept for a resumed peer come after the peer event, in order', async () => {
    const { client, connection, socket, online } = setup();
    const seen: string[] = [];
    connection.on('peer', (change) => seen.push(`peer ${change.kind}`));
    client.on('session', (event) => seen.push(`session ${event.status} ${event.callId}`));
    client.on('signal', (signal) => seen.push(`signal ${signal.callId}`));
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    socket(0).drop();
    mock.timers.tick(250);
    socket(1).open();
    await flush();
    // The response and the kept messages in one go, as `ws` delivers one TCP read.
    socket(1).respond('init', { status: 'ready', peerId: 'P1', resumeToken: 'T2', resumed: true });
    socket(1).receive({ type: 'signal', callId: 'C1', data: { candidate: null } });
    socket(1).receive({
      type: 'event',
      topic: 'session',
      status: 'disconnected',
      callId: 'C1',
      reason: 'hangup',
    });
    assert.equal(client.peerId, 'P1', 'the peer id is known as the response arrives');
    await flush();
    assert.deepEqual(seen, ['peer new', 'peer resumed', 'signal C1', 'session disconnected C1']);
  });

  test('a connection that goes silent is abandoned by the heartbeat, without a close frame, and resumed', async () => {
    const { connection, sockets, socket, online, states, drops } = setup({
      heartbeat: { intervalMs: 10_000, timeoutMs: 5_000 },
    });
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });

    // Answered heartbeats keep it online.
    for (let beat = 0; beat < 3; beat++) {
      mock.timers.tick(10_000);
      assert.deepEqual(socket(0).sent.at(-1)?.type, 'status', `heartbeat ${beat}`);
      socket(0).respond('status', { status: 'ready' });
      await flush();
      mock.timers.tick(5_000);
      assert.equal(connection.state, 'online');
    }
    assert.equal(socket(0).sent.filter((frame) => frame.type === 'status').length, 3);

    // Now nothing comes back: the path is dead, though the socket looks open.
    mock.timers.tick(10_000);
    mock.timers.tick(4_999);
    assert.equal(connection.state, 'online');
    mock.timers.tick(1);
    await flush();
    assert.equal(connection.state, 'reconnecting');
    assert.deepEqual(drops, [1006]);
    assert.equal(socket(0).closedByClientWith, undefined, 'no close frame: to the server it is a drop');
    mock.timers.tick(250);
    assert.equal(sockets.length, 2);
    // What the abandoned socket still receives is ignored.
    socket(0).receive({ type: 'event', topic: 'extension', status: 'offline' });
    await online(1, { peerId: 'P1', resumeToken: 'T2', resumed: true });
    assert.equal(socket(1).sent[0]?.resume, 'T1');
    assert.equal(socket(0).closedByClientWith, 1000, 'closed once the resume was answered');
    assert.deepEqual(states, ['connecting', 'online', 'reconnecting', 'online']);
    await connection.close();
  });

  test('the default heartbeat: a status every 15 s, 10 s to answer', async () => {
    const { WebSocket, sockets } = fakeWebSockets();
    const client = new PbxClient({ url: 'ws://pbx.test/peers/x', WebSocket });
    const connection = new ResumingClient({ client });
    connection.start();
    sockets[0]?.open();
    await flush();
    sockets[0]?.respond('init', { status: 'ready', peerId: 'P1' });
    await flush();
    mock.timers.tick(14_999);
    assert.equal(sockets[0]?.lastRequest('status'), undefined);
    mock.timers.tick(1);
    assert.ok(sockets[0]?.lastRequest('status') !== undefined);
    mock.timers.tick(9_999);
    await flush();
    assert.equal(connection.state, 'online');
    mock.timers.tick(1);
    await flush();
    assert.equal(connection.state, 'reconnecting');
    await connection.close();
  });

  test('requests while reconnecting reject with ConnectionClosedError; pending ones reject on the drop', async () => {
    const { client, connection, socket, online } = setup();
    connection.start();
    await online(0, { peerId: 'P1', resumeToken: 'T1' });
    const pending = client.status();
    socket(0).drop();
    await assert.rejects(pending, ConnectionClosedError);
    await assert.rejects(client.call(), ConnectionClosedError);
    assert.equal(connection.online, false);
  });
});
