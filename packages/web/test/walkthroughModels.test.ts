/**
 * Issue 10 section 5, the pages' logic without a browser: the caller's pill during its own call, the
 * agent console's notices after a missed call, why a waiting call cannot be answered, the lock-out clock,
 * and one state for a removed extension.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { agentStatus, consoleHint } from '../src/agent/agentStatus.js';
import { DEFAULT_LOCKOUT_WINDOW_MS, LockoutClock, lockoutMessage } from '../src/agent/lockoutClock.js';
import { REGISTER_FAILURES, Registration } from '../src/agent/Registration.js';
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

describe('the lock-out clock', () => {
  const MINUTE = 60_000;
  const memory = () => {
    const map = new Map<string, string>();
    return {
      map,
      storage: {
        getItem: (key: string) => map.get(key) ?? null,
        setItem: (key: string, value: string) => void map.set(key, value),
        removeItem: (key: string) => void map.delete(key),
      },
    };
  };

  test("counts the server's fixed window from the first attempt: the time left, not 'a few minutes'", () => {
    const { storage } = memory();
    const clock = new LockoutClock('front', () => storage);
    assert.equal(clock.remainingMs(0), undefined, 'no attempt made: not known');
    const start = 1_000_000;
    clock.attempted(start);
    clock.attempted(start + 2 * MINUTE); // within the window: it does not move
    clock.attempted(start + 3 * MINUTE + 10_000);
    assert.equal(
      clock.remainingMs(start + 3 * MINUTE + 10_000),
      DEFAULT_LOCKOUT_WINDOW_MS - 3 * MINUTE - 10_000,
    );
    assert.equal(
      lockoutMessage(clock.remainingMs(start + 3 * MINUTE + 10_000)),
      'Too many failed sign-in attempts. You can try again in 12 minutes.',
    );
    assert.equal(
      lockoutMessage(14 * MINUTE + 1),
      'Too many failed sign-in attempts. You can try again in 15 minutes.',
    );
    assert.equal(lockoutMessage(MINUTE), 'Too many failed sign-in attempts. You can try again in 1 minute.');
    assert.equal(
      lockoutMessage(59_000),
      'Too many failed sign-in attempts. You can try again in less than a minute.',
    );
    assert.equal(clock.remainingMs(start + DEFAULT_LOCKOUT_WINDOW_MS), undefined, 'the window is over');
    // The next attempt after it opens a new window.
    clock.attempted(start + DEFAULT_LOCKOUT_WINDOW_MS + 5);
    assert.equal(clock.remainingMs(start + DEFAULT_LOCKOUT_WINDOW_MS + 5), DEFAULT_LOCKOUT_WINDOW_MS);
  });

  test('survives a reload (localStorage, per extension); unknown or failing storage: says the longest it can be', () => {
    const { storage } = memory();
    new LockoutClock('front', () => storage).attempted(5_000);
    assert.equal(
      new LockoutClock('front', () => storage).remainingMs(5_000 + MINUTE),
      DEFAULT_LOCKOUT_WINDOW_MS - MINUTE,
    );
    assert.equal(new LockoutClock('other', () => storage).remainingMs(5_000), undefined);
    const failing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => undefined,
    };
    const clock = new LockoutClock('front', () => failing);
    clock.attempted(0);
    assert.equal(clock.remainingMs(MINUTE), DEFAULT_LOCKOUT_WINDOW_MS - MINUTE, 'kept in memory');
    assert.equal(
      lockoutMessage(undefined),
      'Too many failed sign-in attempts. Signing in is blocked for up to 15 minutes; then try again.',
    );
    assert.equal(
      lockoutMessage(undefined, true),
      'Too many failed sign-in attempts. The wait is over: you can try again now.',
    );
    assert.doesNotMatch(REGISTER_FAILURES['rate-limited'], /a few minutes/);
  });

  test('Registration marks a rate-limited refusal as a lock-out, and only that one', () => {
    const model = new Registration();
    const [register] = model.dispatch({
      type: 'sign-in',
      credentials: { password: 'x', name: undefined },
      online: true,
    });
    assert.equal(register?.type, 'register');
    const attempt = register?.type === 'register' ? register.attempt : -1;
    assert.deepEqual(
      model.dispatch({
        type: 'register-answered',
        attempt,
        response: { type: 'response', request: 'register', status: 'unregistered', reason: 'rate-limited' },
      }),
      [{ type: 'show-sign-in', error: REGISTER_FAILURES['rate-limited'], lockedOut: true }],
    );
  });
});

describe('a removed extension', () => {
  test('one state: the pill says Removed and the hint why, on both pages; no Reconnecting', () => {
    const caller = availability({ status: undefined, connection: 'gone', browserCanCall: true });
    assert.deepEqual(caller, {
      pill: { state: 'offline', text: 'Removed' },
      canCall: false,
      hint: 'This extension no longer exists, so it cannot take calls.',
    });
    assert.deepEqual(agentStatus('signed-in', 'gone', false), { state: 'offline', text: 'Removed' });
    assert.match(consoleHint('gone'), /was removed/);
    assert.equal(consoleHint('online'), 'You are receiving calls for this extension.');
    assert.match(consoleHint('reconnecting'), /Reconnecting/);
  });
});
