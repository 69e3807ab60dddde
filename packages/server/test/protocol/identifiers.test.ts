import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { assertError } from '../support/assertError.js';
import { placeCall } from '../support/calls.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

/** Protocol section 2: identifiers. */

/**
 * URL-safe (RFC 3986 unreserved characters) and long enough to hold 122 random bits: even with all 66
 * unreserved characters an id needs at least 21 of them.
 */
function assertOpaqueId(id: unknown, what: string): void {
  assert.equal(typeof id, 'string', `${what} is not a string: ${JSON.stringify(id)}`);
  assert.match(id as string, /^[A-Za-z0-9._~-]+$/, `${what} is not URL-safe: ${JSON.stringify(id)}`);
  assert.ok((id as string).length >= 21, `${what} is too short for 122 random bits: ${JSON.stringify(id)}`);
}

describe('§2 identifiers', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT] });
  });
  afterEach(() => ts.close());

  it('issues peerIds that are URL-safe, long enough for 122 random bits, and distinct', async () => {
    const peers = await Promise.all(Array.from({ length: 30 }, () => ts.peer(FRONT.id)));
    for (const peer of peers) assertOpaqueId(peer.peerId, 'peerId');
    assert.equal(new Set(peers.map((peer) => peer.peerId)).size, peers.length);
  });

  it('issues callIds that are URL-safe, long enough for 122 random bits, and distinct', async () => {
    await ts.agent(FRONT.id, FRONT.password);
    const callers = await Promise.all(Array.from({ length: 20 }, () => ts.peer(FRONT.id)));
    const callIds = await Promise.all(callers.map((caller) => placeCall(caller)));
    for (const callId of callIds) assertOpaqueId(callId, 'callId');
    assert.equal(new Set(callIds).size, callIds.length);
    assert.equal(new Set([...callIds, ...callers.map((caller) => caller.peerId)]).size, 40);
  });

  it("refuses a peerId the client did not get from its own init (another peer's, or invented)", async () => {
    const mine = await ts.peer(FRONT.id);
    const other = await ts.peer(FRONT.id);
    for (const peerId of [other.peerId, 'invented-peer-id-0000000000', '']) {
      assertError(await mine.request({ type: 'status', id: 'st', peerId }), {
        code: 'bad-peer-id',
        request: 'status',
        id: 'st',
      });
    }
  });

  it('echoes a string id unchanged in the response', async () => {
    const client = await ts.connect(FRONT.id);
    const ids = ['', 'a', 'x'.repeat(64), 'héllo wörld ☎', ' spaces and "quotes" ', '42', '{"id":1}'];
    for (const id of ids) {
      client.send({ type: 'init', id });
      const reply = await client.next();
      assert.equal(reply.type, 'response');
      assert.equal(reply.id, id, `id ${JSON.stringify(id)} came back as ${JSON.stringify(reply.id)}`);
    }
  });

  it('echoes an integer id unchanged (and as a number) in the response', async () => {
    const client = await ts.connect(FRONT.id);
    for (const id of [0, 1, -1, 7, 123_456_789, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      client.send({ type: 'init', id });
      const reply = await client.next();
      assert.equal(reply.type, 'response');
      assert.equal(reply.id, id, `id ${id} came back as ${JSON.stringify(reply.id)}`);
    }
  });

  it('accepts and echoes a string id of 64 characters outside the Basic Multilingual Plane', async () => {
    const client = await ts.connect(FRONT.id);
    const id = '😀'.repeat(64);
    assert.equal([...id].length, 64);
    client.send({ type: 'init', id });
    const reply = await client.next();
    assert.equal(reply.type, 'response', JSON.stringify(reply));
    assert.equal(reply.id, id);
  });

  it('echoes the id unchanged in errors, whichever check fails', async () => {
    const client = await ts.connect(FRONT.id);
    // not-initialized
    client.send({ type: 'status', id: 'before-init', peerId: 'p' });
    assertError(await client.next(), { code: 'not-initialized', request: 'status', id: 'before-init' });
    // bad-request: unknown type, and a missing field
    client.send({ type: 'dance', id: 9 });
    assertError(await client.next(), { code: 'bad-request', id: 9 });
    client.send({ type: 'register', id: 'no-password', peerId: 'p' });
    assertError(await client.next(), { code: 'bad-request', request: 'register', id: 'no-password' });
    await client.init();
    // bad-peer-id
    client.send({ type: 'deregister', id: 0, peerId: 'someone-else' });
    assertError(await client.next(), { code: 'bad-peer-id', request: 'deregister', id: 0 });
    // answer from an unregistered peer
    client.send({ type: 'answer', id: 'ans', peerId: client.peerId, callId: 'c' });
    assertError(await client.next(), { code: 'forbidden', request: 'answer', id: 'ans' });
  });

  it('omits id from responses and errors to requests that had none', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password);
    const client = await ts.connect(FRONT.id);
    client.send({ type: 'status', peerId: 'p' });
    assertError(await client.next(), { code: 'not-initialized', request: 'status' });
    client.send({ type: 'init' });
    const init = await client.next();
    assert.deepEqual(init, { type: 'response', request: 'init', status: 'ready', peerId: init.peerId });
    const peerId = init.peerId as string;
    client.send({ type: 'status', peerId });
    assert.deepEqual(await client.next(), { type: 'response', request: 'status', status: 'ready' });
    client.send({ type: 'call', peerId });
    const call = await client.next();
    assert.deepEqual(call, { type: 'response', request: 'call', status: 'ringing', callId: call.callId });
    client.send({ type: 'end', peerId, callId: call.callId });
    assert.deepEqual(await client.next(), {
      type: 'response',
      request: 'end',
      status: 'disconnected',
      callId: call.callId,
    });
    client.send({ type: 'answer', peerId, callId: call.callId });
    assertError(await client.next(), { code: 'forbidden', request: 'answer' });
    client.send({ type: 'frobnicate' });
    assertError(await client.next(), { code: 'bad-request' });
    agent.send({ type: 'register', peerId: agent.peerId, password: FRONT.password });
    const register = await agent.nextMatching((message) => message.type === 'response');
    assert.deepEqual(register, { type: 'response', request: 'register', status: 'registered' });
  });

  it('refuses an id that is not a string of at most 64 characters or an integer, as bad-request', async () => {
    const client = await ts.peer(FRONT.id);
    for (const id of ['x'.repeat(65), 1.5, true, null, {}, [], [1]]) {
      client.send({ type: 'status', id, peerId: client.peerId });
      const reply = await client.next();
      assert.equal(reply.type, 'error', `id ${JSON.stringify(id)}: ${JSON.stringify(reply)}`);
      assert.equal(reply.code, 'bad-request', `id ${JSON.stringify(id)}: ${JSON.stringify(reply)}`);
      assert.equal(reply.request, 'status', `id ${JSON.stringify(id)}: ${JSON.stringify(reply)}`);
    }
    await client.expectSilence(150);
  });
});
