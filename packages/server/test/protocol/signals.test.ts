import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { assertError } from '../support/assertError.js';
import { connectCall, placeCall } from '../support/calls.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent, isSignal } from '../support/wireMatchers.js';

/** Protocol section 5 (signals) and the signal half of section 7. */

const PAYLOADS: unknown[] = [
  { sdp: { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } },
  {
    candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
  { deep: { er: { and: { deeper: [1, [2, [3, [4, { five: null }]]]] } } } },
  {
    'ключ ☎': 'значение 😀',
    emoji: '👩‍💻🇸🇪',
    escapes: 'quote " backslash \\ tab \t nul \u0000 line\u2028sep',
  },
  null,
  false,
  true,
  0,
  -12.5,
  1e21,
  '',
  'a plain string',
  [],
  {},
  [null, { a: [] }, 'x'],
];

describe('§5 signals', () => {
  let ts: TestServer;
  let agent: WireClient;
  let caller: WireClient;
  let callId: string;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
    agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    caller = await ts.peer(FRONT.id, 'caller');
    callId = await connectCall(caller, agent);
  });
  afterEach(() => ts.close());

  it('a signal is delivered to the other party unchanged, whatever JSON its data holds', async () => {
    for (const [from, to] of [
      [caller, agent],
      [agent, caller],
    ] as const) {
      for (const data of PAYLOADS) {
        from.send({ type: 'signal', peerId: from.peerId, callId, data, ignored: 'field' });
        assert.deepEqual(await to.next(), { type: 'signal', callId, data });
      }
    }
    await Promise.all([caller.expectSilence(150), agent.expectSilence(150)]);
  });

  it('a signal nested 5,000 levels deep reaches the other party as sent and closes nobody', async () => {
    // 10 KB, far under the frame limit. Re-serialising it recursively once overflowed the stack while
    // writing to the receiver, which was then closed with 1011: any caller could knock an agent offline.
    const deep = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const frames: string[] = [];
    agent.socket.on('message', (frame) => frames.push(String(frame)));
    caller.sendRaw(`{"type":"signal","peerId":"${caller.peerId}","callId":"${callId}","data":${deep}}`);
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'after' });
    await agent.next();
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 'after' });
    assert.equal(frames[0], `{"type":"signal","callId":"${callId}","data":${deep}}`);
    assert.equal(agent.isClosed, false);
    assert.equal(caller.isClosed, false);
  });

  it('data is relayed as the exact JSON text it was sent in, even where parsing would lose it', async () => {
    const frames: string[] = [];
    agent.socket.on('message', (frame) => frames.push(String(frame)));
    const dataTexts = [
      '{ "n" : 1.0, "e": 1E2, "s": "\\u00e9\\"" }',
      '[ 1 , [ ] ]',
      '-0',
      '1e309',
      '12345678901234567890.5',
      '"\\ud83d\\ude00"',
      'null',
    ];
    for (const text of dataTexts) {
      caller.sendRaw(`{"data" : ${text}, "type":"signal","peerId":"${caller.peerId}","callId":"${callId}"}`);
    }
    for (const _ of dataTexts) await agent.next();
    assert.deepEqual(
      frames,
      dataTexts.map((text) => `{"type":"signal","callId":"${callId}","data":${text}}`),
    );
  });

  it('a signal with an id gets no response', async () => {
    caller.send({ type: 'signal', id: 'sig-1', peerId: caller.peerId, callId, data: 1 });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 1 });
    await caller.expectSilence(200);
  });

  it('signals arrive in the order sent: 200 each way, both directions at once', async () => {
    const COUNT = 200;
    for (let n = 0; n < COUNT; n++) {
      caller.send({ type: 'signal', peerId: caller.peerId, callId, data: { from: 'caller', n } });
      agent.send({ type: 'signal', peerId: agent.peerId, callId, data: { from: 'agent', n } });
    }
    const receive = async (client: WireClient) => {
      const received: unknown[] = [];
      for (let n = 0; n < COUNT; n++) received.push(((await client.next()) as { data: unknown }).data);
      return received;
    };
    const [atAgent, atCaller] = await Promise.all([receive(agent), receive(caller)]);
    assert.deepEqual(
      atAgent,
      Array.from({ length: COUNT }, (_, n) => ({ from: 'caller', n })),
    );
    assert.deepEqual(
      atCaller,
      Array.from({ length: COUNT }, (_, n) => ({ from: 'agent', n })),
    );
    await Promise.all([caller.expectSilence(150), agent.expectSilence(150)]);
  });

  it('signals reach only the other party', async () => {
    const bystander = await ts.agent(FRONT.id, FRONT.password, 'bystander agent');
    const otherCaller = await ts.peer(FRONT.id, 'other caller');
    const otherCall = await placeCall(otherCaller);
    assert.deepEqual(await bystander.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: otherCall,
    });
    await agent.nextMatching(isSessionEvent('ringing', otherCall));
    caller.send({ type: 'signal', peerId: caller.peerId, callId, data: 'private' });
    assert.deepEqual(await agent.next(), { type: 'signal', callId, data: 'private' });
    await Promise.all([bystander.expectSilence(200), otherCaller.expectSilence(0)]);
  });

  it('unknown-call: a signal from a peer that is not a party, even with the right callId', async () => {
    const bystander = await ts.agent(FRONT.id, FRONT.password, 'bystander agent');
    const stranger = await ts.peer(FRONT.id, 'stranger');
    for (const peer of [bystander, stranger]) {
      assertError(
        await peer.request({ type: 'signal', id: 'x', peerId: peer.peerId, callId, data: 'intrusion' }),
        {
          code: 'unknown-call',
          request: 'signal',
          id: 'x',
        },
      );
    }
    await Promise.all([caller.expectSilence(150), agent.expectSilence(0)]);
  });

  it('unknown-call: a signal for a call that has ended, from either party', async () => {
    await caller.request({ type: 'end', peerId: caller.peerId, callId });
    await agent.nextMatching(isSessionEvent('disconnected', callId));
    for (const peer of [caller, agent]) {
      assertError(
        await peer.request({ type: 'signal', id: 'late', peerId: peer.peerId, callId, data: 'bye' }),
        {
          code: 'unknown-call',
          request: 'signal',
          id: 'late',
        },
      );
    }
    await Promise.all([caller.expectSilence(150), agent.expectSilence(0)]);
  });
});

describe('§7 the answering peer’s connected response precedes any signal of the call', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  it('a caller signalling the instant it hears connected never overtakes the answer response (10 calls)', async () => {
    const agent = await ts.agent(FRONT.id, FRONT.password, 'agent');
    for (let round = 0; round < 10; round++) {
      const caller = await ts.peer(FRONT.id, `caller ${round}`);
      const callId = await placeCall(caller);
      await agent.nextMatching(isSessionEvent('ringing', callId));
      // Signal synchronously from the frame handler, as fast as a client possibly can.
      caller.socket.on('message', (frame) => {
        const message = JSON.parse(String(frame)) as Record<string, unknown>;
        if (message.type === 'event' && message.status === 'connected') {
          for (let n = 0; n < 3; n++) caller.send({ type: 'signal', peerId: caller.peerId, callId, data: n });
        }
      });
      const historyStart = agent.history.length;
      const answer = await agent.request({ type: 'answer', id: `a${round}`, peerId: agent.peerId, callId });
      assert.equal(answer.status, 'connected');
      for (let n = 0; n < 3; n++)
        assert.deepEqual(await agent.nextMatching(isSignal(callId)), { type: 'signal', callId, data: n });
      const seen = agent.history.slice(historyStart);
      const responseAt = seen.findIndex(
        (message) => message.type === 'response' && message.id === `a${round}`,
      );
      const firstSignalAt = seen.findIndex(isSignal(callId));
      assert.ok(
        responseAt >= 0 && responseAt < firstSignalAt,
        `order seen by the agent: ${JSON.stringify(seen)}`,
      );
      await agent.request({ type: 'end', peerId: agent.peerId, callId });
      await caller.close();
      agent.drain();
    }
  });
});
