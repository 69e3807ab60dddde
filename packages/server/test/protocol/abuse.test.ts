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

  it('rate-limited answers invalid frames too (the first of a run), and other connections are unaffected', async () => {
    const peer = await ts.peer(FRONT.id, 'flooder'); // init took one token of 10
    const other = await ts.peer(FRONT.id, 'other');
    for (let n = 0; n < 12; n++) peer.sendRaw('not json');
    await peer.nextMatching((reply) => reply.code === 'rate-limited');
    await delay(150);
    const codes = [...peer.history.slice(1).map((reply) => reply.code)];
    // The bucket held 9 or 10 tokens (it refills while the frames are on their way).
    const answered = codes.length - 1;
    assert.ok(answered === 9 || answered === 10, JSON.stringify(codes));
    assert.deepEqual(codes, [...Array.from({ length: answered }, () => 'bad-json'), 'rate-limited']);
    assert.equal((await other.request({ type: 'status', peerId: other.peerId })).status, 'offline');
  });
});

describe('§4 failed registers: attempts made at the same moment are counted before the check', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  /** Opens one initialized connection per password, then sends every register at the same moment. */
  const registerAtOnce = async (passwords: string[], onReply: () => void = () => {}) => {
    const peers = await Promise.all(
      passwords.map(async (_, n) => {
        const peer = await ts.connect(FRONT.id, { label: `guesser ${n}` });
        await peer.init();
        return peer;
      }),
    );
    return Promise.all(
      peers.map((peer, n) =>
        peer
          .request({ type: 'register', peerId: peer.peerId, password: passwords[n] as string }, 20_000)
          .finally(onReply),
      ),
    );
  };

  it('40 parallel wrong guesses with a limit of 5: 5 are checked, 35 are rate-limited', async () => {
    ts = await startTestServer({ extensions: [FRONT], registerFailureLimit: 5 });
    const replies = await registerAtOnce(Array.from({ length: 40 }, (_, n) => `guess ${n}`));
    const reasons = replies.map((reply) => reply.reason);
    assert.equal(reasons.filter((reason) => reason === 'bad-password').length, 5, JSON.stringify(reasons));
    assert.equal(reasons.filter((reason) => reason === 'rate-limited').length, 35, JSON.stringify(reasons));
  });

  it('the right password sent last of 40 parallel attempts does not register', async () => {
    ts = await startTestServer({ extensions: [FRONT], registerFailureLimit: 5 });
    const passwords = [...Array.from({ length: 39 }, (_, n) => `guess ${n}`), FRONT.password];
    const replies = await registerAtOnce(passwords);
    assert.ok(
      replies.every((reply) => reply.status === 'unregistered'),
      JSON.stringify(replies.map((reply) => reply.status)),
    );
    assert.equal(replies.at(-1)?.reason, 'rate-limited');
  });

  it('an office of 12 agents behind one address registering at once all succeed (limit 3)', async () => {
    ts = await startTestServer({ extensions: [FRONT], registerFailureLimit: 3 });
    const replies = await registerAtOnce(Array.from({ length: 12 }, () => FRONT.password));
    assert.deepEqual(
      replies.map((reply) => reply.status),
      Array.from({ length: 12 }, () => 'registered'),
    );
  });

  it('a burst of 60 guesses from one address does not hold up an agent at another address', async () => {
    // The limit is lifted so that every guess costs a real password check. The turns are a process's
    // own (each process checks passwords on its own CPU), so this runs on one.
    ts = await startTestServer({ extensions: [FRONT], registerFailureLimit: 1_000_000, onOneProcess: true });
    const order: string[] = [];
    const burst = registerAtOnce(
      Array.from({ length: 60 }, (_, n) => `guess ${n}`),
      () => order.push('guess'),
    );
    await delay(200); // the burst's connections are open and its checks queued
    const agent = await ts.connect(FRONT.id, { label: 'agent elsewhere', localAddress: '127.0.0.2' });
    await agent.init();
    const reply = await agent.register(FRONT.password);
    order.push('agent');
    assert.equal(reply.status, 'registered');
    await burst;
    // Fair turns: the agent waits for a few of the burst's checks, not for all of them.
    const guessesBefore = order.indexOf('agent');
    assert.ok(guessesBefore <= 10, `the agent was answered after ${guessesBefore} of 60 guesses`);
  });
});

describe('§4 rate-limited: a flood of frames that are not requests earns one answer', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], messageRate: 5, messageBurst: 10 });
  });
  afterEach(() => ts.close());

  it('500 junk frames: at most the burst is answered bad-json, then one rate-limited, then silence', async () => {
    const peer = await ts.peer(FRONT.id, 'junk flooder');
    for (let n = 0; n < 500; n++) peer.sendRaw('junk!!');
    await delay(300);
    const replies = peer.drain();
    const codes = replies.map((reply) => reply.code);
    assert.equal(codes.filter((code) => code === 'rate-limited').length, 1, JSON.stringify(codes));
    assert.ok(codes.length <= 13, `${codes.length} replies to 500 junk frames`);
    // Back within the rate, requests are answered as usual.
    await delay(600);
    assert.equal((await peer.request({ type: 'status', peerId: peer.peerId })).status, 'offline');
  });
});
