import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectCall, placeCall } from '../support/calls.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';

/**
 * Protocol sections 1, 3 and 4: bad input of every kind gets an error, the connection keeps working, and
 * nothing changes ("An error never changes any state").
 */

interface BadInput {
  what: string;
  frame: string | Buffer;
  binary?: boolean;
  /** `peer`: not-initialized on an uninitialized connection, else bad-peer-id. */
  code: 'bad-json' | 'bad-request' | 'peer';
}

const LONG_ID = 'i'.repeat(65);

/** Every kind of bad input a peer can send, aimed at the state it is in (`own` is its peerId). */
function badInputs(own: string, connectedCall: string, ringingCall: string, password: string): BadInput[] {
  const json = (what: string, message: unknown, code: BadInput['code']): BadInput => ({
    what,
    frame: JSON.stringify(message),
    code,
  });
  const other = `${own}-not-mine`;
  const inputs: BadInput[] = [
    { what: 'truncated JSON', frame: '{"type":"deregister","peerId":', code: 'bad-json' },
    { what: 'not JSON', frame: 'deregister please', code: 'bad-json' },
    { what: 'a JSON array', frame: JSON.stringify([{ type: 'deregister', peerId: own }]), code: 'bad-json' },
    { what: 'a JSON string', frame: '"end"', code: 'bad-json' },
    { what: 'JSON null', frame: 'null', code: 'bad-json' },
    {
      what: 'a binary frame',
      frame: Buffer.from(JSON.stringify({ type: 'end', peerId: own, callId: connectedCall })),
      binary: true,
      code: 'bad-request',
    },
    json('an unknown type', { type: 'hangup', peerId: own, callId: connectedCall }, 'bad-request'),
    json('no type', { peerId: own, callId: connectedCall }, 'bad-request'),
    json('register without password', { type: 'register', peerId: own }, 'bad-request'),
    json('register with a numeric password', { type: 'register', peerId: own, password: 1 }, 'bad-request'),
    json('register without peerId', { type: 'register', password }, 'bad-request'),
    json('deregister without peerId', { type: 'deregister' }, 'bad-request'),
    json('deregister with a numeric peerId', { type: 'deregister', peerId: 5 }, 'bad-request'),
    json('status with an array peerId', { type: 'status', peerId: [own] }, 'bad-request'),
    json('call without peerId', { type: 'call', name: 'x' }, 'bad-request'),
    json('call with a name of 0 characters', { type: 'call', peerId: own, name: '' }, 'bad-request'),
    json(
      'call with a name of 65 characters',
      { type: 'call', peerId: own, name: 'n'.repeat(65) },
      'bad-request',
    ),
    json(
      'call with a name of 65 code points',
      { type: 'call', peerId: own, name: '😀'.repeat(65) },
      'bad-request',
    ),
    json('call with a numeric name', { type: 'call', peerId: own, name: 42 }, 'bad-request'),
    json('answer without callId', { type: 'answer', peerId: own }, 'bad-request'),
    json('answer with a numeric callId', { type: 'answer', peerId: own, callId: 1 }, 'bad-request'),
    json('end without callId', { type: 'end', peerId: own }, 'bad-request'),
    json('end with a null callId', { type: 'end', peerId: own, callId: null }, 'bad-request'),
    json('signal without data', { type: 'signal', peerId: own, callId: connectedCall }, 'bad-request'),
    json('signal with an object callId', { type: 'signal', peerId: own, callId: {}, data: 1 }, 'bad-request'),
    json(
      'register with an oversized id',
      { type: 'register', id: LONG_ID, peerId: own, password },
      'bad-request',
    ),
    json('deregister with an oversized id', { type: 'deregister', id: LONG_ID, peerId: own }, 'bad-request'),
    json('call with an oversized id', { type: 'call', id: LONG_ID, peerId: own }, 'bad-request'),
    json(
      'answer with an oversized id',
      { type: 'answer', id: LONG_ID, peerId: own, callId: ringingCall },
      'bad-request',
    ),
    json(
      'end with an oversized id',
      { type: 'end', id: LONG_ID, peerId: own, callId: connectedCall },
      'bad-request',
    ),
    json(
      'end ringing with an oversized id',
      { type: 'end', id: LONG_ID, peerId: own, callId: ringingCall },
      'bad-request',
    ),
    json(
      'signal with an oversized id',
      { type: 'signal', id: LONG_ID, peerId: own, callId: connectedCall, data: 1 },
      'bad-request',
    ),
    json(
      'end with a fractional id',
      { type: 'end', id: 1.5, peerId: own, callId: connectedCall },
      'bad-request',
    ),
    json('register with a wrong peerId', { type: 'register', peerId: other, password }, 'peer'),
    json('deregister with a wrong peerId', { type: 'deregister', peerId: other }, 'peer'),
    json('status with a wrong peerId', { type: 'status', peerId: other }, 'peer'),
    json('call with a wrong peerId', { type: 'call', peerId: other }, 'peer'),
    json('answer with a wrong peerId', { type: 'answer', peerId: other, callId: ringingCall }, 'peer'),
    json('end connected with a wrong peerId', { type: 'end', peerId: other, callId: connectedCall }, 'peer'),
    json('end ringing with a wrong peerId', { type: 'end', peerId: other, callId: ringingCall }, 'peer'),
    json(
      'signal with a wrong peerId',
      { type: 'signal', peerId: other, callId: connectedCall, data: 1 },
      'peer',
    ),
  ];
  return inputs;
}

describe('robustness: bad input changes nothing and the connection keeps working', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  after(() => ts.close());

  it('every kind of bad input from every kind of peer: an error each, then everything as before', async () => {
    const observer = await ts.peer(FRONT.id, 'observer');
    const idleAgent = await ts.agent(FRONT.id, FRONT.password, 'idle agent');
    const busyAgent = await ts.agent(FRONT.id, FRONT.password, 'busy agent');
    assert.deepEqual(await observer.next(), { type: 'event', topic: 'extension', status: 'ready' });
    const connectedCaller = await ts.peer(FRONT.id, 'connected caller');
    const connectedCall = await connectCall(connectedCaller, busyAgent);
    for (const status of ['ringing', 'claimed']) {
      assert.deepEqual(await idleAgent.next(), {
        type: 'event',
        topic: 'session',
        status,
        callId: connectedCall,
      });
    }
    const ringingCaller = await ts.peer(FRONT.id, 'ringing caller');
    const ringingCall = await placeCall(ringingCaller, 'Ringing');
    for (const agent of [idleAgent, busyAgent]) {
      assert.deepEqual(await agent.next(), {
        type: 'event',
        topic: 'session',
        status: 'ringing',
        callId: ringingCall,
        name: 'Ringing',
      });
    }
    const uninitialized = await ts.connect(FRONT.id, { label: 'uninitialized' });

    const everyone: Array<[WireClient, string]> = [
      [uninitialized, 'x'],
      ...[observer, idleAgent, busyAgent, connectedCaller, ringingCaller].map(
        (client) => [client, client.peerId] as [WireClient, string],
      ),
    ];
    await Promise.all(
      everyone.map(async ([client, own]) => {
        for (const input of badInputs(own, connectedCall, ringingCall, FRONT.password)) {
          client.sendRaw(input.frame, { binary: input.binary ?? false });
          const reply = await client.next();
          const code =
            input.code === 'peer'
              ? client === uninitialized
                ? 'not-initialized'
                : 'bad-peer-id'
              : input.code;
          assert.equal(reply.type, 'error', `${client.label}, ${input.what}: ${JSON.stringify(reply)}`);
          assert.equal(reply.code, code, `${client.label}, ${input.what}: ${JSON.stringify(reply)}`);
        }
      }),
    );

    // Nobody heard anything else: no call created, claimed, abandoned or ended, no presence change.
    await Promise.all(everyone.map(([client]) => client.expectSilence(200)));

    // Every connection still works, and the state is as before.
    assert.equal((await uninitialized.request({ type: 'init' })).status, 'ready');
    assert.equal((await observer.request({ type: 'status', peerId: observer.peerId })).status, 'ready');
    // The ringing caller is still in its session; the connected caller too.
    assert.equal((await ringingCaller.request({ type: 'call', peerId: ringingCaller.peerId })).code, 'busy');
    assert.equal(
      (await connectedCaller.request({ type: 'call', peerId: connectedCaller.peerId })).code,
      'busy',
    );
    // The connected call still carries signals both ways.
    connectedCaller.send({
      type: 'signal',
      peerId: connectedCaller.peerId,
      callId: connectedCall,
      data: 'ping',
    });
    assert.deepEqual(await busyAgent.next(), { type: 'signal', callId: connectedCall, data: 'ping' });
    busyAgent.send({ type: 'signal', peerId: busyAgent.peerId, callId: connectedCall, data: 'pong' });
    assert.deepEqual(await connectedCaller.next(), { type: 'signal', callId: connectedCall, data: 'pong' });
    // Both agents are still registered: a new call rings at both.
    const newCall = await placeCall(observer);
    for (const agent of [idleAgent, busyAgent]) {
      assert.deepEqual(await agent.next(), {
        type: 'event',
        topic: 'session',
        status: 'ringing',
        callId: newCall,
      });
    }
    // The ringing call still rings, oldest first, for a late agent, and can be answered.
    const late = await ts.peer(FRONT.id, 'late agent');
    late.send({ type: 'register', id: 'r', peerId: late.peerId, password: FRONT.password });
    assert.deepEqual(await late.next(), {
      type: 'response',
      request: 'register',
      id: 'r',
      status: 'registered',
    });
    assert.deepEqual(await late.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: ringingCall,
      name: 'Ringing',
    });
    assert.deepEqual(await late.next(), {
      type: 'event',
      topic: 'session',
      status: 'ringing',
      callId: newCall,
    });
    assert.equal(
      (await idleAgent.request({ type: 'answer', peerId: idleAgent.peerId, callId: ringingCall })).status,
      'connected',
    );
    for (const [client] of everyone) assert.equal(client.isClosed, false, `${client.label} was closed`);
  });
});
