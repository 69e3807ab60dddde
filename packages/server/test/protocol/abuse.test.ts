import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { assertError } from '../support/assertError.js';
import { delay } from '../support/delay.js';
import { BACK, FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireMessage } from '../support/WireClient.js';

/** Protocol section 4 (`register` rate-limited, `rate-limited` errors): the server's abuse limits. */

describe('§4 failed registers are limited per client address and extension', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT, BACK], registerFailureLimit: 3 });
  });
  afterEach(() => ts.close());

  it('after 3 wrong passwords even the right one is refused as rate-limited, on every connection', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const peer = await ts.peer(FRONT.id, 'guesser');
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.deepEqual(
        await peer.request({
          type: 'register',
          id: attempt,
          peerId: peer.peerId,
          password: `guess ${attempt}`,
        }),
        {
          type: 'response',
          request: 'register',
          id: attempt,
          status: 'unregistered',
          reason: 'bad-password',
        },
      );
    }
    const refused = {
      type: 'response',
      request: 'register',
      id: 'right',
      status: 'unregistered',
      reason: 'rate-limited',
    };
    assert.deepEqual(
      await peer.request({ type: 'register', id: 'right', peerId: peer.peerId, password: FRONT.password }),
      refused,
    );
    // Another connection from the same address to the same extension is limited too.
    const fresh = await ts.peer(FRONT.id, 'fresh connection');
    assert.deepEqual(
      await fresh.request({ type: 'register', id: 'right', peerId: fresh.peerId, password: FRONT.password }),
      refused,
    );
    // Nothing was registered.
    await observer.expectSilence(150);
    assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'offline');
  });

  it('another extension is unaffected', async () => {
    const peer = await ts.peer(FRONT.id, 'guesser');
    for (let attempt = 1; attempt <= 3; attempt++)
      assert.equal((await peer.register('wrong')).reason, 'bad-password');
    assert.equal((await peer.register(FRONT.password)).reason, 'rate-limited');
    const back = await ts.peer(BACK.id, 'back');
    assert.deepEqual(
      await back.request({ type: 'register', id: 1, peerId: back.peerId, password: BACK.password }),
      {
        type: 'response',
        request: 'register',
        id: 1,
        status: 'registered',
      },
    );
  });

  it('fewer failures than the limit do not block the right password', async () => {
    const peer = await ts.peer(FRONT.id, 'typo');
    for (let attempt = 1; attempt <= 2; attempt++)
      assert.equal((await peer.register('wrong')).reason, 'bad-password');
    assert.equal((await peer.register(FRONT.password)).status, 'registered');
  });
});

describe('§4 rate-limited: a connection sending faster than allowed', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], messageRate: 5, messageBurst: 10 });
  });
  afterEach(() => ts.close());

  it('40 messages at once: some are answered rate-limited with their id, each gets one reply, and later it works again', async () => {
    const peer = await ts.peer(FRONT.id, 'flooder'); // init took one token
    for (let n = 0; n < 40; n++) peer.send({ type: 'status', id: n, peerId: peer.peerId });
    const replies: WireMessage[] = [];
    for (let n = 0; n < 40; n++) replies.push(await peer.next());
    await peer.expectSilence(150);

    assert.deepEqual(
      replies.map((reply) => reply.id).sort((a, b) => (a as number) - (b as number)),
      Array.from({ length: 40 }, (_, n) => n),
      'exactly one reply per message',
    );
    const limited = replies.filter((reply) => reply.type === 'error');
    const answered = replies.filter((reply) => reply.type === 'response');
    for (const reply of limited)
      assertError(reply, { code: 'rate-limited', request: 'status', id: reply.id as number });
    for (const reply of answered) {
      assert.deepEqual(reply, { type: 'response', request: 'status', id: reply.id, status: 'offline' });
    }
    assert.ok(
      answered.length >= 8 && answered.length <= 14,
      `${answered.length} of 40 answered within a burst of 10`,
    );
    assert.equal(limited.length + answered.length, 40);

    await delay(600); // about 3 tokens at 5 per second
    assert.deepEqual(await peer.request({ type: 'status', id: 'later', peerId: peer.peerId }), {
      type: 'response',
      request: 'status',
      id: 'later',
      status: 'offline',
    });
  });

  it('a rate-limited message is dropped: a register past the budget registers nobody', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const peer = await ts.peer(FRONT.id, 'flooder');
    for (let n = 0; n < 15; n++) peer.send({ type: 'status', id: n, peerId: peer.peerId });
    peer.send({ type: 'register', id: 'reg', peerId: peer.peerId, password: FRONT.password });
    const reply = await peer.nextMatching((message) => message.id === 'reg');
    assertError(reply, { code: 'rate-limited', request: 'register', id: 'reg' });
    await observer.expectSilence(200);
    assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'offline');
  });

  it('rate-limited answers any message, even invalid ones, and other connections are unaffected', async () => {
    const peer = await ts.peer(FRONT.id, 'flooder');
    const other = await ts.peer(FRONT.id, 'other');
    for (let n = 0; n < 12; n++) peer.sendRaw('not json');
    const replies: WireMessage[] = [];
    for (let n = 0; n < 12; n++) replies.push(await peer.next());
    const codes = replies.map((reply) => reply.code);
    assert.ok(codes.includes('rate-limited'), JSON.stringify(codes));
    assert.ok(
      codes.every((code) => code === 'bad-json' || code === 'rate-limited'),
      JSON.stringify(codes),
    );
    assert.equal((await other.request({ type: 'status', peerId: other.peerId })).status, 'offline');
  });
});
