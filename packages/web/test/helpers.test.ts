/** Unit tests of the web app's pure helpers (no browser needed). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callerName } from '../src/caller/callerName.js';
import { describeCallEnd } from '../src/shared/describeCallEnd.js';
import { formatDuration } from '../src/shared/formatDuration.js';
import { initials } from '../src/shared/initials.js';
import { parseSignal } from '../src/shared/PeerSession.js';
import { extensionIdFromPath } from '../src/shared/pageExtension.js';
import { relayOnly } from '../src/shared/rtcConfiguration.js';

describe('formatDuration', () => {
  test('minutes:seconds, hours when needed, never negative', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(7_900), '0:07');
    assert.equal(formatDuration(754_000), '12:34');
    assert.equal(formatDuration(3_723_000), '1:02:03');
    assert.equal(formatDuration(-5_000), '0:00');
  });
});

describe('initials', () => {
  test('two letters at most, upper case, "?" for nothing', () => {
    assert.equal(initials('Ann Lee'), 'AL');
    assert.equal(initials('  front   desk office '), 'FD');
    assert.equal(initials('anonymous'), 'A');
    assert.equal(initials(''), '?');
    assert.equal(initials('😀 smile'), '😀S');
  });
});

describe('callerName', () => {
  test('trimmed, spaces collapsed, empty means no name, at most 64 code points', () => {
    assert.equal(callerName('  Ann   Lee '), 'Ann Lee');
    assert.equal(callerName('   '), undefined);
    assert.equal(callerName('x'.repeat(70)), 'x'.repeat(64));
    assert.equal(Array.from(callerName('😀'.repeat(70)) ?? '').length, 64);
  });
});

describe('extensionIdFromPath', () => {
  test('reads the id of caller and agent pages, decoded', () => {
    assert.equal(extensionIdFromPath('/ext/front-desk'), 'front-desk');
    assert.equal(extensionIdFromPath('/ext/front-desk/agent'), 'front-desk');
    assert.equal(extensionIdFromPath('/ext/a%2Db'), 'a-b');
    assert.equal(extensionIdFromPath('/other'), undefined);
    assert.equal(extensionIdFromPath('/ext/%E0%A4%A'), undefined);
  });
});

describe('relayOnly', () => {
  test('?relay=1 (or true) forces TURN relaying', () => {
    assert.equal(relayOnly('?relay=1'), true);
    assert.equal(relayOnly('?x=2&relay=true'), true);
    assert.equal(relayOnly('?relay=0'), false);
    assert.equal(relayOnly(''), false);
  });
});

describe('parseSignal', () => {
  test('accepts the documented shapes and nothing else', () => {
    assert.deepEqual(parseSignal({ sdp: { type: 'offer', sdp: 'v=0' } }), {
      sdp: { type: 'offer', sdp: 'v=0' },
    });
    assert.deepEqual(
      parseSignal({ candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } }),
      {
        candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 },
      },
    );
    assert.equal(parseSignal({ sdp: { type: 'pranswer', sdp: 'v=0' } }), undefined);
    assert.equal(parseSignal({ candidate: { sdpMid: '0' } }), undefined);
    assert.equal(parseSignal('hello'), undefined);
    assert.equal(parseSignal(null), undefined);
    assert.equal(parseSignal([1, 2]), undefined);
  });
});

describe('describeCallEnd', () => {
  test('every reason has words for both sides', () => {
    for (const reason of [
      'you-hung-up',
      'cancelled',
      'hangup',
      'dropped',
      'timeout',
      'unavailable',
      'connection-lost',
      'media-failed',
    ] as const) {
      for (const side of ['caller', 'agent'] as const) {
        const text = describeCallEnd(reason, side);
        assert.ok(text.title.length > 0 && text.detail.endsWith('.'), `${reason}/${side}`);
      }
    }
    assert.equal(describeCallEnd('hangup', 'agent').detail, 'The caller hung up.');
    assert.equal(describeCallEnd('timeout', 'caller').title, 'No answer');
  });
});
