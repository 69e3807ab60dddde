import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { placeCall } from '../support/calls.js';
import { sessionEvent } from '../support/expectedMessages.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/** Protocol section 8, agent names: `register` takes a name; `connected` and `claimed` carry it. */

describe('§8 agent names', () => {
  let ts: TestServer;
  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
  });
  afterEach(() => ts.close());

  async function namedAgent(label: string, name?: string): Promise<WireClient> {
    const agent = await ts.peer(FRONT.id, label);
    const reply = await agent.request({
      type: 'register',
      peerId: agent.peerId,
      password: FRONT.password,
      ...(name === undefined ? {} : { name }),
    });
    assert.equal(reply.status, 'registered');
    return agent;
  }

  it("gives the caller the answering agent's name on connected, and the other agents on claimed", async () => {
    const alice = await namedAgent('alice', 'Alice Émond ☎');
    const bob = await namedAgent('bob', 'Bob');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    for (const agent of [alice, bob]) await agent.nextMatching(isSessionEvent('ringing', callId));
    const reply = await alice.request({ type: 'answer', peerId: alice.peerId, callId });
    assert.equal(reply.status, 'connected');
    assert.deepEqual(
      await caller.nextMatching(isSessionEvent('connected', callId)),
      sessionEvent('connected', callId, { name: 'Alice Émond ☎' }),
    );
    assert.deepEqual(
      await bob.nextMatching(isSessionEvent('claimed', callId)),
      sessionEvent('claimed', callId, { name: 'Alice Émond ☎' }),
    );
  });

  it('sends no name for an agent that gave none (a version 1 client sees version 1 messages)', async () => {
    const agent = await namedAgent('agent');
    const other = await namedAgent('other');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await agent.request({ type: 'answer', peerId: agent.peerId, callId });
    assert.deepEqual(
      await caller.nextMatching(isSessionEvent('connected', callId)),
      sessionEvent('connected', callId),
    );
    assert.deepEqual(
      await other.nextMatching(isSessionEvent('claimed', callId)),
      sessionEvent('claimed', callId),
    );
  });

  it('takes the name of a later register, and keeps the name when a register gives none', async () => {
    const agent = await namedAgent('agent', 'First');
    for (const [name, expected] of [
      ['Second', 'Second'],
      [undefined, 'Second'],
    ] as const) {
      const again = await agent.request({
        type: 'register',
        peerId: agent.peerId,
        password: FRONT.password,
        ...(name === undefined ? {} : { name }),
      });
      assert.equal(again.status, 'registered');
      const caller = await ts.peer(FRONT.id, 'caller');
      const callId = await placeCall(caller);
      await agent.nextMatching(isSessionEvent('ringing', callId));
      await agent.request({ type: 'answer', peerId: agent.peerId, callId });
      assert.deepEqual(
        await caller.nextMatching(isSessionEvent('connected', callId)),
        sessionEvent('connected', callId, { name: expected }),
      );
      await agent.request({ type: 'end', peerId: agent.peerId, callId });
    }
  });

  it('refuses a name that is empty, too long or not a string, as bad-request', async () => {
    const agent = await ts.peer(FRONT.id, 'agent');
    for (const name of ['', 'x'.repeat(65), 42]) {
      const reply = await agent.request({
        type: 'register',
        peerId: agent.peerId,
        password: FRONT.password,
        name,
      });
      assert.equal(reply.type, 'error');
      assert.equal(reply.code, 'bad-request');
    }
    const longest = await agent.request({
      type: 'register',
      peerId: agent.peerId,
      password: FRONT.password,
      name: '☎'.repeat(64),
    });
    assert.equal(longest.status, 'registered');
  });
});
