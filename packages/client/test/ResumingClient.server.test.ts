/**
 * ResumingClient against the real server (protocol 1.1 on): a connection cut without a close frame comes
 * back as the same peer with what it missed; a restarted server gives a new peer; agent names reach the
 * caller.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../server/src/startServer.js';
import { hashPassword } from '../../server/src/store/passwordHash.js';
import { SqliteExtensionStore } from '../../server/src/store/SqliteExtensionStore.js';
import { PbxClient } from '../src/node.js';
import type { PbxClientEvents } from '../src/PbxClient.js';
import { type PeerChange, ResumingClient } from '../src/ResumingClient.js';

const WAIT_MS = 5_000;
const PASSWORD = 'correct horse battery staple';
/** The first retry comes 200 to 400 ms after a drop: long enough for the server to notice it first. */
const FAST = { initialMs: 400, maxMs: 800 };

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}.`)), WAIT_MS);
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

function next<Events extends object, K extends keyof Events>(
  emitter: { on(event: K, listener: (payload: Events[K]) => void): () => void },
  event: K,
  matches: (payload: Events[K]) => boolean = () => true,
): Promise<Events[K]> {
  return within(
    new Promise((resolve) => {
      const stop = emitter.on(event, (payload) => {
        if (!matches(payload)) return;
        stop();
        resolve(payload);
      });
    }),
    `a "${String(event)}" event`,
  );
}

/** A `ws` WebSocket class that remembers its sockets, so that a test can cut one (no close frame). */
function trackedWebSockets() {
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { TrackedWebSocket, cutLast: () => sockets.at(-1)?.terminate() };
}

describe('ResumingClient against the real server', () => {
  let store: SqliteExtensionStore;
  let server: RunningServer;

  before(async () => {
    store = SqliteExtensionStore.open(':memory:');
    server = await startServer({ store, port: 0, logLevel: 'silent', resumeGrace: 20 });
  });

  after(async () => {
    await server?.close();
    await store?.close();
  });

  async function newExtensionUrl(): Promise<string> {
    const id = `ext-${randomUUID()}`;
    await store.add({ id, name: 'Front desk', passwordHash: await hashPassword(PASSWORD) });
    return `${server.url.replace(/^http/, 'ws')}/peers/${id}`;
  }

  /** A ResumingClient online as a registered agent named `name`, on sockets the test can cut. */
  async function resumingAgent(t: TestContext, url: string, name: string) {
    const { TrackedWebSocket, cutLast } = trackedWebSockets();
    const client = new PbxClient({ url, WebSocket: TrackedWebSocket });
    const connection = new ResumingClient({ client, backoff: FAST });
    t.after(() => connection.close());
    const first = next<{ peer: PeerChange }, 'peer'>(connection, 'peer');
    connection.start();
    assert.equal((await first).kind, 'new');
    assert.equal((await client.register(PASSWORD, name)).status, 'registered');
    return { client, connection, cutLast };
  }

  async function caller(t: TestContext, url: string): Promise<PbxClient> {
    const client = new PbxClient({ url });
    t.after(() => client.close());
    await within(client.connect(), 'connect');
    await client.init();
    return client;
  }

  it('a connection cut mid-call resumes as the same peer, in the call, with the signal it missed', async (t) => {
    const url = await newExtensionUrl();
    const agent = await resumingAgent(t, url, 'Alice');
    const visitor = await caller(t, url);
    const peerId = agent.client.peerId;

    const ringing = next<PbxClientEvents, 'session'>(agent.client, 'session', (e) => e.status === 'ringing');
    const placed = await visitor.call('Bob');
    assert.equal(placed.status, 'ringing');
    const { callId } = await ringing;
    const connected = next<PbxClientEvents, 'session'>(visitor, 'session', (e) => e.status === 'connected');
    assert.equal((await agent.client.answer(callId)).status, 'connected');
    const event = await connected;
    assert.equal(event.status === 'connected' && event.name, 'Alice', 'the caller hears the agent name');

    // The network drops the agent's connection; the caller's signal arrives while it is away.
    const dropped = next<{ dropped: unknown }, 'dropped'>(agent.connection, 'dropped');
    const back = next<{ peer: PeerChange }, 'peer'>(agent.connection, 'peer');
    const missed = next<PbxClientEvents, 'signal'>(agent.client, 'signal');
    agent.cutLast();
    await dropped;
    // Once the server has noticed (what it writes to the dying socket before then is lost: the protocol
    // has no acknowledgements, so only messages produced while the peer is known to be away are kept).
    await new Promise((resolve) => setTimeout(resolve, 100));
    visitor.signal(callId, { sdp: 'while away' });
    const change = await back;
    assert.equal(change.kind, 'resumed');
    assert.equal(change.peerId, peerId);
    assert.deepEqual((await missed).data, { sdp: 'while away' });

    // Still in the call: signals flow both ways, and a hang-up reaches the agent.
    const toCaller = next<PbxClientEvents, 'signal'>(visitor, 'signal');
    agent.client.signal(callId, { sdp: 'after' });
    assert.deepEqual((await toCaller).data, { sdp: 'after' });
    const ended = next<PbxClientEvents, 'session'>(
      agent.client,
      'session',
      (e) => e.status === 'disconnected',
    );
    await visitor.end(callId);
    const disconnected = await ended;
    assert.equal(disconnected.status === 'disconnected' && disconnected.reason, 'hangup');
  });

  it('the client closing itself ends the peer at once: the caller hears dropped, nothing resumes', async (t) => {
    const url = await newExtensionUrl();
    const agent = await resumingAgent(t, url, 'Alice');
    const visitor = await caller(t, url);
    const ringing = next<PbxClientEvents, 'session'>(agent.client, 'session', (e) => e.status === 'ringing');
    await visitor.call();
    const { callId } = await ringing;
    await agent.client.answer(callId);
    const ended = next<PbxClientEvents, 'session'>(visitor, 'session', (e) => e.status === 'disconnected');
    await agent.connection.close();
    const event = await ended;
    assert.equal(event.status === 'disconnected' && event.reason, 'dropped');
    assert.equal(agent.connection.state, 'closed');
  });
});

describe('ResumingClient and a restarted server', () => {
  it('a server that restarts (1012) knows nobody: a new peer, replaced, and the agent can register again', async (t) => {
    const store = SqliteExtensionStore.open(':memory:');
    t.after(() => store.close());
    const id = `ext-${randomUUID()}`;
    await store.add({ id, name: 'Front desk', passwordHash: await hashPassword(PASSWORD) });
    let server = await startServer({ store, port: 0, logLevel: 'silent', resumeGrace: 20 });
    const port = server.port;
    t.after(() => server.close());
    const client = new PbxClient({ url: `ws://127.0.0.1:${port}/peers/${id}` });
    const connection = new ResumingClient({ client, backoff: FAST });
    t.after(() => connection.close());
    const first = next<{ peer: PeerChange }, 'peer'>(connection, 'peer');
    connection.start();
    const { peerId } = await first;
    await client.register(PASSWORD, 'Alice');

    const dropped = next<{ dropped: { code: number } }, 'dropped'>(connection, 'dropped');
    await server.close();
    assert.equal((await dropped).code, 1012, 'the server says it restarts');
    const back = next<{ peer: PeerChange }, 'peer'>(connection, 'peer');
    server = await startServer({ store, port, logLevel: 'silent', resumeGrace: 20 });
    const change = await back;
    assert.equal(change.kind, 'replaced');
    assert.notEqual(change.peerId, peerId);
    assert.equal(change.kind === 'replaced' && change.previousPeerId, peerId);
    assert.equal(change.init.status, 'offline', 'the restarted server has no agent');
    assert.equal((await client.register(PASSWORD, 'Alice')).status, 'registered');
  });
});
