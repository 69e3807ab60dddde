import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CallHistoryRecord } from '../../src/store/CallHistoryStore.js';
import { connectCall, hangUp, placeCall } from '../support/calls.js';
import { delay } from '../support/delay.js';
import { FRONT } from '../support/extensions.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import type { WireClient } from '../support/WireClient.js';
import { isSessionEvent } from '../support/wireMatchers.js';

/**
 * Issue 10: every way a call ends (protocol section 6) writes exactly one record to the call history, by
 * whichever process ended it; on a cluster run (`npm run test:clusters`) the parties sit on different
 * nodes sharing one store.
 */

const RECORD_WAIT_MS = 5_000;
/** After the record appears, time for a wrong second one to arrive too. */
const SECOND_RECORD_WAIT_MS = 300;

/** The one record of `callId`, once written; fails on none within the wait, or on two. */
async function theRecordOf(ts: TestServer, callId: string): Promise<CallHistoryRecord> {
  const deadline = Date.now() + RECORD_WAIT_MS;
  let records: CallHistoryRecord[] = [];
  while (records.length === 0) {
    if (Date.now() > deadline) assert.fail(`no history record of call ${callId} within ${RECORD_WAIT_MS} ms`);
    await delay(20);
    records = (await ts.store.listCalls()).filter((record) => record.callId === callId);
  }
  await delay(SECOND_RECORD_WAIT_MS);
  records = (await ts.store.listCalls()).filter((record) => record.callId === callId);
  assert.equal(records.length, 1, `exactly one record of ${callId}`);
  return records[0] as CallHistoryRecord;
}

describe('call history: one record per call, whatever ends it', () => {
  let ts: TestServer;
  let agent: WireClient;
  let caller: WireClient;
  let startedAt: number;

  beforeEach(async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0 });
    agent = await ts.peer(FRONT.id, 'agent');
    const reply = await agent.request({
      type: 'register',
      peerId: agent.peerId,
      password: FRONT.password,
      name: 'Alice',
    });
    assert.equal(reply.status, 'registered');
    caller = await ts.peer(FRONT.id, 'caller');
    startedAt = Date.now();
  });
  afterEach(() => ts.close());

  it('answered, the caller hangs up: outcome answered, ended by the caller, with both names and times', async () => {
    const callId = await placeCall(caller, 'Visitor Zoë');
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await delay(50);
    const reply = await agent.request({ type: 'answer', peerId: agent.peerId, callId });
    assert.equal(reply.status, 'connected');
    await caller.nextMatching(isSessionEvent('connected', callId));
    await agent.nextMatching(isSessionEvent('claimed', callId));
    await delay(50);
    await hangUp(caller, agent, callId);
    const record = await theRecordOf(ts, callId);
    assert.equal(record.extensionId, FRONT.id);
    assert.equal(record.outcome, 'answered');
    assert.equal(record.endedBy, 'caller');
    assert.equal(record.callerName, 'Visitor Zoë');
    assert.equal(record.agentName, 'Alice');
    const ringingAt = record.ringingAt.getTime();
    const answeredAt = record.answeredAt?.getTime() ?? Number.NaN;
    assert.ok(ringingAt >= startedAt - 1000 && ringingAt <= Date.now(), 'rang just now');
    assert.ok(answeredAt >= ringingAt + 40, `answered after the ringing (${answeredAt - ringingAt} ms)`);
    assert.ok(record.endedAt.getTime() >= answeredAt + 40, 'ended after the answer');
  });

  it('answered, the agent hangs up: ended by the agent', async () => {
    const callId = await connectCall(caller, agent);
    await hangUp(agent, caller, callId);
    const record = await theRecordOf(ts, callId);
    assert.equal(record.outcome, 'answered');
    assert.equal(record.endedBy, 'agent');
  });

  it("connected, the caller's connection closes: outcome dropped, ended by the caller", async () => {
    const callId = await connectCall(caller, agent);
    await caller.close();
    await agent.nextMatching(isSessionEvent('disconnected', callId));
    const record = await theRecordOf(ts, callId);
    assert.equal(record.outcome, 'dropped');
    assert.equal(record.endedBy, 'caller');
    assert.ok(record.answeredAt !== undefined);
  });

  it("connected, the agent's connection closes: outcome dropped, ended by the agent", async () => {
    const callId = await connectCall(caller, agent);
    await agent.close();
    await caller.nextMatching(isSessionEvent('disconnected', callId));
    const record = await theRecordOf(ts, callId);
    assert.equal(record.outcome, 'dropped');
    assert.equal(record.endedBy, 'agent');
  });

  it('ringing, the caller hangs up: outcome abandoned, never answered, no agent', async () => {
    const callId = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await caller.request({ type: 'end', peerId: caller.peerId, callId });
    await agent.nextMatching(isSessionEvent('abandoned', callId));
    const record = await theRecordOf(ts, callId);
    assert.equal(record.outcome, 'abandoned');
    assert.equal(record.endedBy, 'caller');
    assert.equal(record.answeredAt, undefined);
    assert.equal(record.agentName, undefined);
    assert.equal(record.callerName, undefined);
  });

  it("ringing, the caller's connection closes: outcome abandoned", async () => {
    const callId = await placeCall(caller);
    await agent.nextMatching(isSessionEvent('ringing', callId));
    await caller.close();
    await agent.nextMatching(isSessionEvent('abandoned', callId));
    assert.equal((await theRecordOf(ts, callId)).outcome, 'abandoned');
  });

  it('a call nobody could take (the extension offline) leaves no record', async () => {
    await agent.request({ type: 'deregister', peerId: agent.peerId });
    const reply = await caller.request({ type: 'call', peerId: caller.peerId });
    assert.equal(reply.status, 'unavailable');
    await delay(SECOND_RECORD_WAIT_MS);
    assert.deepEqual(await ts.store.listCalls(), []);
  });
});

describe('call history: the ring timeout', () => {
  let ts: TestServer;
  afterEach(() => ts.close());

  it('a call that rang out: outcome timeout, ended by the server', async () => {
    ts = await startTestServer({ extensions: [FRONT], ringTimeout: 0.3 });
    await ts.agent(FRONT.id, FRONT.password, 'agent');
    const caller = await ts.peer(FRONT.id, 'caller');
    const callId = await placeCall(caller);
    await caller.nextMatching(isSessionEvent('disconnected', callId), 5_000);
    const record = await theRecordOf(ts, callId);
    assert.equal(record.outcome, 'timeout');
    assert.equal(record.endedBy, 'server');
    const rang = record.endedAt.getTime() - record.ringingAt.getTime();
    assert.ok(rang >= 250, `it rang ${rang} ms`);
  });
});
