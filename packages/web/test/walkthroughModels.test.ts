/**
 * Issue 10 section 5, the pages' logic without a browser: the caller's pill during its own call, the
 * agent console's notices after a missed call, why a waiting call cannot be answered, the lock-out clock,
 * and one state for a removed extension.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answerBlocked, missedCall } from '../src/agent/waitingCallText.js';
import { availability } from '../src/caller/availability.js';

describe("the caller's pill during its own call", () => {
  test('Calling…, Ringing…, Talking to <agent> (In a call without a name), whatever the extension says', () => {
    const pill = (call: Parameters<typeof availability>[0]['call']) =>
      availability({ status: 'ready', connection: 'online', browserCanCall: true, call }).pill;
    assert.deepEqual(pill({ kind: 'preparing' }), { state: 'busy', text: 'Calling…' });
    assert.deepEqual(pill({ kind: 'ringing' }), { state: 'busy', text: 'Ringing…' });
    assert.deepEqual(pill({ kind: 'connected', agentName: 'Alice' }), {
      state: 'busy',
      text: 'Talking to Alice',
    });
    assert.deepEqual(pill({ kind: 'connected' }), { state: 'busy', text: 'In a call' });
    // Never "Ready" while the page's own call is under way, even as other agents come and go.
    const ringingWhileOffline = availability({
      status: 'offline',
      connection: 'reconnecting',
      browserCanCall: true,
      call: { kind: 'ringing' },
    });
    assert.equal(ringingWhileOffline.pill.text, 'Ringing…');
    assert.equal(ringingWhileOffline.canCall, false);
    // No call: as before.
    assert.equal(pill(undefined).text, 'Ready');
  });
});

describe('the waiting calls', () => {
  test('why Answer is off: in a call, answering, reconnecting, a browser without WebRTC; nothing when it is on', () => {
    const free = { inCall: false, answering: false, online: true, browserCanCall: true };
    assert.equal(answerBlocked(free), undefined);
    assert.equal(
      answerBlocked({ ...free, inCall: true }),
      'You are in a call: hang up to answer a waiting call.',
    );
    assert.match(answerBlocked({ ...free, answering: true }) ?? '', /Connecting the call you answered/);
    assert.match(answerBlocked({ ...free, online: false }) ?? '', /once the connection is back/);
    assert.match(answerBlocked({ ...free, browserCanCall: false, inCall: true }) ?? '', /cannot take calls/);
  });

  test('a call that stopped ringing unanswered is news of its own: "Missed call from <name>", how long it waited', () => {
    assert.deepEqual(missedCall('Ann', 12_400), {
      title: 'Missed call from Ann',
      detail: 'The call ended before anyone answered, after 0:12 waiting.',
      tone: 'warning',
    });
  });
});
