import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import WebSocket, { type WebSocket as ServerSideSocket, WebSocketServer } from 'ws';
import { type RunningServer, startServer } from '../../server/src/startServer.js';
import { hashPassword } from '../../server/src/store/passwordHash.js';
import { SqliteExtensionStore } from '../../server/src/store/SqliteExtensionStore.js';
import { ConnectionClosedError } from '../src/ConnectionClosedError.js';
import { ConnectionFailedError } from '../src/ConnectionFailedError.js';
import { PbxClient } from '../src/node.js';
import { type PbxClientEvents, PbxClient as PortablePbxClient } from '../src/PbxClient.js';
import { ProtocolError } from '../src/ProtocolError.js';
import { RequestTimeoutError } from '../src/RequestTimeoutError.js';

/** Upper bound for every wait on the network, so a broken server fails the test instead of hanging it. */
const WAIT_MS = 3_000;
const PASSWORD = 'correct horse battery staple';

function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}.`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The next `event` whose payload satisfies `matches`; subscribe before the action that causes it. */
function nextEvent<K extends keyof PbxClientEvents>(
  client: PortablePbxClient,
  event: K,
  matches: (payload: PbxClientEvents[K]) => boolean = () => true,
): Promise<PbxClientEvents[K]> {
  let unsubscribe = () => {};
  const arrived = new Promise<PbxClientEvents[K]>((resolve) => {
    unsubscribe = client.on(event, (payload) => {
      if (!matches(payload)) return;
      unsubscribe();
      resolve(payload);
    });
  });
  return withTimeout(arrived, `a "${String(event)}" event`).finally(unsubscribe);
}

/** A client closed when the test ends, whatever happens in it. */
function clientFor(t: TestContext, url: string, options: { requestTimeoutMs?: number } = {}): PbxClient {
  const client = new PbxClient({ url, ...options });
  t.after(() => client.close());
  return client;
}

function peersUrl(server: RunningServer, extensionId: string): string {
  return `${server.url.replace(/^http/, 'ws')}/peers/${extensionId}`;
}

describe('PbxClient against the real server', () => {
  let store: SqliteExtensionStore;
  let server: RunningServer;

  before(async () => {
    store = SqliteExtensionStore.open(':memory:');
    server = await startServer({ store, port: 0, logLevel: 'silent' });
  });

  after(async () => {
    await server?.close();
    await store?.close();
  });

  /** A fresh extension per test, so that one test's agents never make another's extension ready. */
  async function newExtensionUrl(on: RunningServer = server): Promise<string> {
    const id = `ext-${randomUUID()}`;
    await store.add({ id, name: 'Front desk', passwordHash: await hashPassword(PASSWORD) });
    return peersUrl(on, id);
  }

  async function connectedClient(t: TestContext, url: string): Promise<PbxClient> {
    const client = clientFor(t, url);
    await withTimeout(client.connect(), 'connect');
    return client;
  }

  async function agent(t: TestContext, url: string): Promise<PbxClient> {
    const client = await connectedClient(t, url);
    await client.init();
    assert.equal((await client.register(PASSWORD)).status, 'registered');
    return client;
  }

  it('connects, and init answers the peer ID and the extension state', async (t) => {
    const client = clientFor(t, await newExtensionUrl());
    assert.equal(client.connected, false);
    await withTimeout(client.connect(), 'connect');
    assert.equal(client.connected, true);
    assert.equal(client.peerId, undefined);

    const init = await client.init();
    assert.equal(init.request, 'init');
    assert.equal(init.status, 'offline');
    assert.equal(typeof init.peerId, 'string');
    assert.equal(client.peerId, init.peerId);
    assert.equal((await client.status()).status, 'offline');
    assert.equal((await client.init()).peerId, init.peerId, 'a second init answers the same peer ID');
  });

  it('registers only with the right password', async (t) => {
    const client = await connectedClient(t, await newExtensionUrl());
    await client.init();

    assert.deepEqual(await client.register('wrong password'), {
      type: 'response',
      request: 'register',
      id: 2,
      status: 'unregistered',
      reason: 'bad-password',
    });
    assert.equal((await client.register(PASSWORD)).status, 'registered');
    assert.equal((await client.status()).status, 'ready');
    assert.equal((await client.deregister()).status, 'unregistered');
    assert.equal((await client.status()).status, 'offline');
  });

  it('places, answers, signals and ends a call between two clients', async (t) => {
    const url = await newExtensionUrl();
    const caller = await connectedClient(t, url);
    assert.equal((await caller.init()).status, 'offline');

    const ready = nextEvent(caller, 'extension');
    const frontDesk = await agent(t, url);
    assert.deepEqual(await ready, { type: 'event', topic: 'extension', status: 'ready' });

    const ringing = nextEvent(frontDesk, 'session', (event) => event.status === 'ringing');
    const placed = await caller.call('Ann');
    assert.equal(placed.status, 'ringing');
    const callId = placed.status === 'ringing' ? placed.callId : assert.fail('the call is not ringing');
    assert.deepEqual(await ringing, {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId,
      name: 'Ann',
    });

    const callerConnected = nextEvent(caller, 'session', (event) => event.status === 'connected');
    assert.deepEqual(await frontDesk.answer(callId), {
      type: 'response',
      request: 'answer',
      id: 3,
      status: 'connected',
      callId,
    });
    assert.deepEqual(await callerConnected, { type: 'event', topic: 'session', status: 'connected', callId });

    const offer = {
      sdp: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' },
      nested: [1, null, true],
    };
    const offerArrived = nextEvent(frontDesk, 'signal');
    caller.signal(callId, offer);
    assert.deepEqual(await offerArrived, { type: 'signal', callId, data: offer });

    const answer = { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 9 typ host', sdpMLineIndex: 0 };
    const answerArrived = nextEvent(caller, 'signal');
    frontDesk.signal(callId, answer);
    assert.deepEqual(await answerArrived, { type: 'signal', callId, data: answer });

    const hungUp = nextEvent(caller, 'session', (event) => event.status === 'disconnected');
    assert.equal((await frontDesk.end(callId)).status, 'disconnected');
    assert.deepEqual(await hungUp, {
      type: 'event',
      topic: 'session',
      status: 'disconnected',
      callId,
      reason: 'hangup',
    });
  });

  it('rejects a request the server answers with an error with a ProtocolError carrying its code', async (t) => {
    const client = await connectedClient(t, await newExtensionUrl());
    await assert.rejects(client.register(PASSWORD), (error: unknown) => {
      assert.ok(error instanceof ProtocolError);
      assert.equal(error.code, 'not-initialized');
      assert.equal(error.request, 'register');
      assert.equal(error.id, 1);
      return true;
    });
  });

  it('emits an error event for a failed signal, which has no pending request', async (t) => {
    const client = await connectedClient(t, await newExtensionUrl());
    await client.init();
    const failed = nextEvent(client, 'error');
    client.signal('no-such-call', { sdp: 'x' });
    const error = await failed;
    assert.ok(error instanceof ProtocolError);
    assert.equal(error.code, 'unknown-call');
    assert.equal(error.request, 'signal');
    assert.equal(error.id, undefined);
  });

  it('rejects connect() to an unknown extension', async (t) => {
    const client = clientFor(t, peersUrl(server, 'no-such-extension'));
    await assert.rejects(withTimeout(client.connect(), 'connect'), (error: unknown) => {
      assert.ok(error instanceof ConnectionFailedError);
      assert.match(error.message, /404/);
      return true;
    });
    assert.equal(client.connected, false);
  });

  it('can connect again after close, as a new peer', async (t) => {
    const client = await connectedClient(t, await newExtensionUrl());
    const first = await client.init();
    await withTimeout(client.close(), 'close');
    assert.equal(client.peerId, undefined);
    await withTimeout(client.connect(), 'reconnect');
    const second = await client.init();
    assert.notEqual(second.peerId, first.peerId);
  });

  it('emits close when the server shuts down (1012, service restart: a drop the client may resume)', async (t) => {
    const ownServer = await startServer({ store, port: 0, logLevel: 'silent' });
    t.after(() => ownServer.close());
    const client = await connectedClient(t, await newExtensionUrl(ownServer));
    await client.init();
    const closed = nextEvent(client, 'close');
    await withTimeout(ownServer.close(), 'server close');
    const close = await closed;
    assert.equal(close.code, 1012);
    assert.equal(close.byClient, false);
    assert.equal(client.connected, false);
  });
});

/** A WebSocket server that accepts `pbx-webrtc-peers` connections and answers nothing unless told to. */
async function startSilentServer(
  t: TestContext,
): Promise<{ url: string; nextSocket: Promise<ServerSideSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await withTimeout(new Promise((resolve) => wss.once('listening', resolve)), 'the silent server to listen');
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  );
  const nextSocket = withTimeout(
    new Promise<ServerSideSocket>((resolve) => wss.once('connection', resolve)),
    'a connection to the silent server',
  );
  // Marked handled so a test that never connects does not fail on an unhandled rejection.
  nextSocket.catch(() => {});
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/peers/any`, nextSocket };
}

describe('PbxClient against a scripted WebSocket server', () => {
  it('rejects a request nobody answers with RequestTimeoutError', async (t) => {
    const { url } = await startSilentServer(t);
    const client = clientFor(t, url, { requestTimeoutMs: 100 });
    await withTimeout(client.connect(), 'connect');
    await assert.rejects(client.init(), (error: unknown) => {
      assert.ok(error instanceof RequestTimeoutError);
      assert.equal(error.request, 'init');
      assert.equal(error.timeoutMs, 100);
      return true;
    });
  });

  it('offers the pbx-webrtc-peers subprotocol and sends integer ids counting up', async (t) => {
    const { url, nextSocket } = await startSilentServer(t);
    const client = clientFor(t, url, { requestTimeoutMs: 200 });
    await withTimeout(client.connect(), 'connect');
    const socket = await nextSocket;
    assert.equal(socket.protocol, 'pbx-webrtc-peers');

    const frames: unknown[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data))));
    await Promise.allSettled([client.init(), client.call()]);
    assert.deepEqual(frames, [
      { type: 'init', id: 1 },
      { type: 'call', id: 2, peerId: '' },
    ]);
  });

  it('close() rejects pending requests with ConnectionClosedError and emits close', async (t) => {
    const { url } = await startSilentServer(t);
    const client = clientFor(t, url);
    await withTimeout(client.connect(), 'connect');
    const pending = client.status();
    const closed = nextEvent(client, 'close');
    const closing = client.close();
    await assert.rejects(pending, ConnectionClosedError);
    await withTimeout(closing, 'close');
    assert.equal((await closed).code, 1000);
    assert.equal(client.connected, false);
    await assert.rejects(client.init(), ConnectionClosedError, 'requests after close reject at once');
    assert.throws(() => client.signal('c', null), ConnectionClosedError);
  });

  it('rejects pending requests and emits close when the connection drops', async (t) => {
    const { url, nextSocket } = await startSilentServer(t);
    const client = clientFor(t, url);
    await withTimeout(client.connect(), 'connect');
    const pending = client.init();
    const closed = nextEvent(client, 'close');
    (await nextSocket).terminate();
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof ConnectionClosedError);
      assert.equal(error.code, 1006);
      return true;
    });
    assert.equal((await closed).code, 1006);
  });

  it('routes valid frames and reports invalid ones as invalidMessage', async (t) => {
    const { url, nextSocket } = await startSilentServer(t);
    const client = clientFor(t, url);
    await withTimeout(client.connect(), 'connect');
    const socket = await nextSocket;

    const invalid: PbxClientEvents['invalidMessage'][] = [];
    client.on('invalidMessage', (event) => invalid.push(event));
    const errors: ProtocolError[] = [];
    client.on('error', (error) => errors.push(error));

    const pending = client.init();
    socket.send('not json');
    socket.send('{"type":"event","topic":"session","status":"ringing"}'); // no callId
    socket.send('{"type":"response","request":"status","id":1,"status":"ready"}'); // id 1 is an init
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    socket.send('{"type":"response","request":"init","id":99,"status":"ready","peerId":"P"}'); // unknown id: dropped
    socket.send('{"type":"error","code":"rate-limited","message":"slow down"}');
    const ringing = nextEvent(client, 'session');
    socket.send('{"type":"event","topic":"session","status":"ringing","callId":"C","extra":1}');
    socket.send('{"type":"response","request":"init","id":1,"status":"offline","peerId":"P1"}');

    assert.equal((await pending).peerId, 'P1');
    assert.deepEqual(await ringing, {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: 'C',
      extra: 1,
    });
    assert.deepEqual(
      invalid.map((event) => event.reason),
      [
        'the frame is not valid JSON',
        'event: "callId" is required',
        'a "status" response echoed the id of a "init" request',
        'binary frame',
      ],
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.code, 'rate-limited');
  });

  it('the portable client rejects connect() clearly when there is no WebSocket to use', {
    skip: 'WebSocket' in globalThis ? 'this Node has a global WebSocket' : false,
  }, async () => {
    const client = new PortablePbxClient({ url: 'ws://127.0.0.1:9/peers/any' });
    await assert.rejects(client.connect(), { name: 'TypeError', message: /No WebSocket implementation/ });
  });

  it('the portable client uses the WebSocket implementation it is given', async (t) => {
    const { url } = await startSilentServer(t);
    const client = new PortablePbxClient({ url, WebSocket });
    t.after(() => client.close());
    await withTimeout(client.connect(), 'connect');
    assert.equal(client.connected, true);
  });
});
