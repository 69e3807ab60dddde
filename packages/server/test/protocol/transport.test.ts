import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError } from '../support/assertError.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { UpgradeRefusedError } from '../support/UpgradeRefusedError.js';
import { WireClient } from '../support/WireClient.js';

/** Protocol section 1: transport. */

async function refusedStatus(connecting: Promise<WireClient>): Promise<number> {
  const client = await connecting.then(
    (opened) => opened,
    (error: unknown) => error,
  );
  if (client instanceof WireClient) {
    await client.close();
    assert.fail('the WebSocket opened; expected the upgrade to be refused');
  }
  assert.ok(client instanceof UpgradeRefusedError, `expected an HTTP refusal, got ${String(client)}`);
  return client.statusCode;
}

describe('§1 transport: upgrade', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ extensions: [FRONT] });
  });
  after(() => ts.close());

  it('selects the pbx-webrtc-peers subprotocol when the client offers it', async () => {
    const alone = await ts.connect(FRONT.id, { protocols: ['pbx-webrtc-peers'] });
    assert.equal(alone.protocol, 'pbx-webrtc-peers');
    const amongOthers = await ts.connect(FRONT.id, { protocols: ['chat', 'pbx-webrtc-peers'] });
    assert.equal(amongOthers.protocol, 'pbx-webrtc-peers');
  });

  it('accepts a client that offers no subprotocol, and it works', async () => {
    const client = await ts.connect(FRONT.id, { protocols: [] });
    assert.equal(client.protocol, '');
    const peerId = await client.init();
    assert.equal(typeof peerId, 'string');
  });

  it('refuses an unknown extension with HTTP 404 at the upgrade', async () => {
    assert.equal(await refusedStatus(WireClient.connect(ts.wsUrl('no-such-extension'))), 404);
  });

  it('refuses paths other than /peers/<extensionId> with HTTP 404', async () => {
    const base = ts.server.url.replace(/^http/, 'ws');
    for (const path of [
      '/',
      '/other',
      '/peers',
      '/peers/',
      `/peers/${FRONT.id}/extra`,
      `/peer/${FRONT.id}`,
    ]) {
      assert.equal(await refusedStatus(WireClient.connect(`${base}${path}`)), 404, `path ${path}`);
    }
  });
});

describe('§1 transport: origin allowlist', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ extensions: [FRONT], allowedOrigins: ['https://good.example'] });
  });
  after(() => ts.close());

  it('refuses a disallowed origin with HTTP 403', async () => {
    const connecting = WireClient.connect(ts.wsUrl(FRONT.id), {
      headers: { Origin: 'https://evil.example' },
    });
    assert.equal(await refusedStatus(connecting), 403);
  });

  it('accepts an allowed origin', async () => {
    const client = await ts.connect(FRONT.id, { headers: { Origin: 'https://good.example' } });
    assert.equal(client.protocol, 'pbx-webrtc-peers');
    await client.init();
  });
});

describe('§1 transport: frames', () => {
  const LIMIT = 2048;
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ extensions: [FRONT], maxMessageBytes: LIMIT });
  });
  after(() => ts.close());

  /** A `status` request padded with an ignored field to exactly `bytes` bytes. */
  function paddedStatus(peerId: string, bytes: number): string {
    const bare = JSON.stringify({ type: 'status', id: 'big', peerId, pad: '' });
    const frame = JSON.stringify({ type: 'status', id: 'big', peerId, pad: 'x'.repeat(bytes - bare.length) });
    assert.equal(Buffer.byteLength(frame), bytes);
    return frame;
  }

  it('processes a frame of exactly the size limit', async () => {
    const client = await ts.peer(FRONT.id);
    client.sendRaw(paddedStatus(client.peerId, LIMIT));
    assert.deepEqual(await client.next(), {
      type: 'response',
      request: 'status',
      id: 'big',
      status: 'offline',
    });
  });

  it('closes a connection whose frame exceeds the size limit with 1009', async () => {
    const client = await ts.peer(FRONT.id);
    client.sendRaw(paddedStatus(client.peerId, LIMIT + 1));
    const { code } = await client.closed();
    assert.equal(code, 1009);
  });

  it('answers a binary frame with bad-request, does not act on it, and the connection still works', async () => {
    const client = await ts.connect(FRONT.id);
    client.sendRaw(Buffer.from(JSON.stringify({ type: 'init', id: 1 })), { binary: true });
    assertError(await client.next(), { code: 'bad-request' });
    // The binary `init` was not acted on: the connection is still uninitialized.
    assertError(await client.request({ type: 'status', id: 2, peerId: 'x' }), {
      code: 'not-initialized',
      request: 'status',
      id: 2,
    });
    await client.init();
    await client.expectSilence(150);
  });

  it('answers text that is not one JSON object with bad-json, and the connection still works', async () => {
    const client = await ts.connect(FRONT.id);
    for (const frame of [
      '{"type":"init"',
      'not json',
      '',
      '[{"type":"init"}]',
      '"init"',
      '42',
      'null',
      'true',
    ]) {
      client.sendRaw(frame);
      assertError(await client.next(), { code: 'bad-json' });
    }
    await client.init();
    await client.expectSilence(150);
  });
});

describe('§1 transport: the default frame size limit is 64 KiB', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ extensions: [FRONT] });
  });
  after(() => ts.close());

  it('accepts a frame of 65536 bytes and closes on one of 65537 with 1009', async () => {
    const client = await ts.peer(FRONT.id);
    const frame = (bytes: number) => {
      const bare = JSON.stringify({ type: 'status', id: 'big', peerId: client.peerId, pad: '' });
      return JSON.stringify({
        type: 'status',
        id: 'big',
        peerId: client.peerId,
        pad: 'x'.repeat(bytes - bare.length),
      });
    };
    client.sendRaw(frame(64 * 1024));
    assert.deepEqual(await client.next(), {
      type: 'response',
      request: 'status',
      id: 'big',
      status: 'offline',
    });
    client.sendRaw(frame(64 * 1024 + 1));
    assert.equal((await client.closed()).code, 1009);
  });
});

describe('§1 transport: pings', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ extensions: [FRONT], pingInterval: 0.05 });
  });
  after(() => ts.close());

  it('pings every connection and keeps one that answers', async () => {
    const client = await ts.peer(FRONT.id);
    let pings = 0;
    client.socket.on('ping', () => pings++);
    await delay(500);
    assert.ok(pings >= 4, `expected a ping about every 50 ms, got ${pings} in 500 ms`);
    assert.equal(client.isClosed, false);
    assert.deepEqual(await client.request({ type: 'status', id: 's', peerId: client.peerId }), {
      type: 'response',
      request: 'status',
      id: 's',
      status: 'offline',
    });
  });
});
