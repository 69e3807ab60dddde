/** PbxClient's protocol 1.1 fields, against a fake WebSocket the test plays the server of. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ConnectionClose, PbxClient } from '../src/PbxClient.js';
import { fakeWebSockets } from './support/FakeWebSocket.js';

async function connected() {
  const { WebSocket, sockets } = fakeWebSockets();
  const client = new PbxClient({ url: 'ws://pbx.test/peers/x', WebSocket });
  const connecting = client.connect();
  const socket = sockets[0];
  assert.ok(socket !== undefined);
  socket.open();
  await connecting;
  return { client, socket };
}

describe('PbxClient, protocol 1.1', () => {
  test('init sends resume when given one, and reads resumeToken and resumed', async () => {
    const { client, socket } = await connected();
    const first = client.init();
    socket.respond('init', { status: 'ready', peerId: 'P1', resumeToken: 'T1' });
    assert.equal((await first).resumeToken, 'T1');
    const again = client.init({ resume: 'T0' });
    assert.deepEqual(socket.sent, [
      { type: 'init', id: 1 },
      { type: 'init', id: 2, resume: 'T0' },
    ]);
    socket.respond('init', { status: 'ready', peerId: 'P0', resumeToken: 'T2', resumed: true });
    const response = await again;
    assert.equal(response.resumed, true);
    assert.equal(client.peerId, 'P0');
  });

  test('the initialized event and the peer id come as the response arrives, before later frames', async () => {
    const { client, socket } = await connected();
    const seen: string[] = [];
    client.on('initialized', (init) => seen.push(`initialized ${init.peerId} ${client.peerId}`));
    client.on('session', (event) => seen.push(`session ${event.status} as ${client.peerId}`));
    const init = client.init();
    socket.respond('init', { status: 'ready', peerId: 'P1' });
    socket.receive({ type: 'event', topic: 'session', status: 'ringing', callId: 'C1' });
    assert.deepEqual(seen, ['initialized P1 P1', 'session ringing as P1']);
    await init;
  });

  test('register sends the agent name when given one', async () => {
    const { client, socket } = await connected();
    const init = client.init();
    socket.respond('init', { status: 'offline', peerId: 'P1' });
    await init;
    const named = client.register('pw', 'Alice');
    socket.respond('register', { status: 'registered' });
    await named;
    const unnamed = client.register('pw');
    socket.respond('register', { status: 'registered' });
    await unnamed;
    assert.deepEqual(socket.sent.slice(1), [
      { type: 'register', id: 2, peerId: 'P1', password: 'pw', name: 'Alice' },
      { type: 'register', id: 3, peerId: 'P1', password: 'pw' },
    ]);
  });

  test('abandon(): no close frame, pending requests reject, the old socket is ignored, then closed', async () => {
    const { WebSocket, sockets } = fakeWebSockets();
    const client = new PbxClient({ url: 'ws://pbx.test/peers/x', WebSocket });
    const closes: ConnectionClose[] = [];
    client.on('close', (close) => closes.push(close));
    const extension: string[] = [];
    client.on('extension', (event) => extension.push(event.status));
    let connecting = client.connect();
    const old = sockets[0];
    old?.open();
    await connecting;
    const pending = client.status();
    client.abandon('silent');
    await assert.rejects(pending, { name: 'ConnectionClosedError' });
    assert.equal(old?.closedByClientWith, undefined);
    assert.deepEqual(closes, [{ code: 1006, reason: 'silent', byClient: false }]);
    assert.equal(client.connected, false);
    old?.receive({ type: 'event', topic: 'extension', status: 'ready' });
    assert.deepEqual(extension, [], 'the abandoned socket is not listened to');

    connecting = client.connect();
    sockets[1]?.open();
    await connecting;
    const init = client.init();
    sockets[1]?.respond('init', { status: 'ready', peerId: 'P1' });
    await init;
    assert.equal(old?.closedByClientWith, 1000, 'closed once the new connection is initialized');
    assert.equal(closes.length, 1, "the old socket's close is not reported again");
  });

  test('the close event says whether the client closed the connection itself', async () => {
    const closes: ConnectionClose[] = [];
    const own = await connected();
    own.client.on('close', (close) => closes.push(close));
    await own.client.close();
    const dropped = await connected();
    dropped.client.on('close', (close) => closes.push(close));
    dropped.socket.serverClose(1012, 'restart');
    assert.deepEqual(closes, [
      { code: 1000, reason: '', byClient: true },
      { code: 1012, reason: 'restart', byClient: false },
    ]);
    // A reconnect after an own close does not carry the flag over.
    const { WebSocket, sockets } = fakeWebSockets();
    const client = new PbxClient({ url: 'ws://pbx.test/peers/x', WebSocket });
    const later: ConnectionClose[] = [];
    client.on('close', (close) => later.push(close));
    let connecting = client.connect();
    sockets[0]?.open();
    await connecting;
    await client.close();
    connecting = client.connect();
    sockets[1]?.open();
    await connecting;
    sockets[1]?.drop();
    assert.deepEqual(
      later.map((close) => close.byClient),
      [true, false],
    );
  });
});
