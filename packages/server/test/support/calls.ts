import assert from 'node:assert/strict';
import type { WireClient } from './WireClient.js';
import { isSessionEvent } from './wireMatchers.js';

/** Steps that put calls into a known state; each asserts the protocol messages it relies on. */

/** `call` from an unregistered peer; asserts `ringing` and returns the call id. */
export async function placeCall(caller: WireClient, name?: string): Promise<string> {
  const reply = await caller.request({
    type: 'call',
    peerId: caller.peerId,
    ...(name === undefined ? {} : { name }),
  });
  assert.equal(reply.status, 'ringing', `${caller.label}: call did not ring: ${JSON.stringify(reply)}`);
  assert.equal(typeof reply.callId, 'string');
  return reply.callId as string;
}

/**
 * The agent answers a call once it has heard it ringing (taking that `ringing` if still queued); asserts
 * `connected` to the agent and the `connected` event to the caller, and takes the agent's `claimed`.
 */
export async function answerCall(caller: WireClient, agent: WireClient, callId: string): Promise<void> {
  const ringing = isSessionEvent('ringing', callId);
  if (agent.take(ringing) === undefined && !agent.history.some(ringing)) {
    await agent.nextMatching(ringing, undefined, `ringing for ${callId}`);
  }
  const reply = await agent.request({ type: 'answer', peerId: agent.peerId, callId });
  assert.equal(reply.status, 'connected', `${agent.label}: answer failed: ${JSON.stringify(reply)}`);
  await caller.nextMatching(isSessionEvent('connected', callId), undefined, `connected for ${callId}`);
  await agent.nextMatching(isSessionEvent('claimed', callId), undefined, `claimed for ${callId}`);
}

/** A connected call between an unregistered caller and a registered agent; returns its id. */
export async function connectCall(caller: WireClient, agent: WireClient): Promise<string> {
  const callId = await placeCall(caller);
  await answerCall(caller, agent, callId);
  return callId;
}

/** A signal each way between the two parties of a connected call: each arrives as it was sent. */
export async function signalBothWays(one: WireClient, other: WireClient, callId: string): Promise<void> {
  for (const [from, to] of [
    [one, other],
    [other, one],
  ] as const) {
    const data = `from ${from.label}`;
    from.send({ type: 'signal', peerId: from.peerId, callId, data });
    assert.deepEqual(await to.next(), { type: 'signal', callId, data }, `${to.label}: the signal`);
  }
}

/** `by` hangs up the call; the other party hears `disconnected`, reason `hangup`. */
export async function hangUp(by: WireClient, other: WireClient, callId: string): Promise<void> {
  await by.request({ type: 'end', peerId: by.peerId, callId });
  assert.deepEqual(await other.next(), {
    type: 'event',
    topic: 'session',
    status: 'disconnected',
    callId,
    reason: 'hangup',
  });
}
