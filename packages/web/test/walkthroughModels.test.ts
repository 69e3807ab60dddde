/**
 * Issue 10 section 5, the pages' logic without a browser: the caller's pill during its own call, the
 * agent console's notices after a missed call, why a waiting call cannot be answered, the lock-out clock,
 * and one state for a removed extension.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
