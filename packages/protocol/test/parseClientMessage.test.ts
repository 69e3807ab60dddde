import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientMessageTypes, parseClientMessage } from '../src/index.js';

const errorOf = (frame: string) => {
  const result = parseClientMessage(frame);
  assert.equal(result.ok, false, `expected an error for ${frame}`);
  return result.ok ? undefined : result.error;
};

describe('parseClientMessage', () => {
  it('knows exactly the message kinds of the contract', () => {
    assert.deepEqual([...clientMessageTypes].sort(), [
      'answer',
      'call',
      'deregister',
      'end',
      'init',
      'register',
      'signal',
      'status',
    ]);
  });

  it('accepts every kind with its fields, keeps only known fields, and keeps the id', () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [
        { type: 'init', id: 1, extra: true },
        { type: 'init', id: 1 },
      ],
      [
        { type: 'register', peerId: 'p', password: 'pw' },
        { type: 'register', peerId: 'p', password: 'pw' },
      ],
      [
        { type: 'deregister', peerId: 'p', id: 'x' },
        { type: 'deregister', peerId: 'p', id: 'x' },
      ],
      [
        { type: 'status', peerId: 'p' },
        { type: 'status', peerId: 'p' },
      ],
      [
        { type: 'call', peerId: 'p' },
        { type: 'call', peerId: 'p' },
      ],
      [
        { type: 'call', peerId: 'p', name: 'Ann' },
        { type: 'call', peerId: 'p', name: 'Ann' },
      ],
      [
        { type: 'answer', peerId: 'p', callId: 'c' },
        { type: 'answer', peerId: 'p', callId: 'c' },
      ],
      [
        { type: 'end', peerId: 'p', callId: 'c' },
        { type: 'end', peerId: 'p', callId: 'c' },
      ],
      [
        { type: 'signal', peerId: 'p', callId: 'c', data: null },
        { type: 'signal', peerId: 'p', callId: 'c', data: null },
      ],
    ];
    for (const [input, expected] of cases) {
      assert.deepEqual(parseClientMessage(JSON.stringify(input)), { ok: true, message: expected });
    }
  });

  it('answers bad-json for non-JSON and for JSON that is not an object', () => {
    for (const frame of ['{', 'hello', '[]', '"text"', '42', 'null']) {
      assert.equal(errorOf(frame)?.code, 'bad-json', frame);
    }
  });

  it('answers bad-request for unknown types, missing and mistyped fields, echoing a valid id', () => {
    assert.deepEqual(errorOf('{"type":"dial","id":7}'), {
      type: 'error',
      code: 'bad-request',
      message: errorOf('{"type":"dial","id":7}')?.message,
      id: 7,
    });
    assert.equal(errorOf('{"id":1}')?.code, 'bad-request');
    const missing = errorOf('{"type":"answer","peerId":"p","id":"a"}');
    assert.deepEqual([missing?.code, missing?.request, missing?.id], ['bad-request', 'answer', 'a']);
    assert.match(missing?.message ?? '', /callId/);
    assert.equal(errorOf('{"type":"register","peerId":"p","password":5}')?.code, 'bad-request');
    assert.equal(errorOf('{"type":"signal","peerId":"p","callId":"c"}')?.code, 'bad-request');
  });

  it('limits ids to strings of 64 characters and safe integers, and then echoes no id', () => {
    for (const id of ['x'.repeat(65), 1.5, 2 ** 60, true, { a: 1 }]) {
      const error = errorOf(JSON.stringify({ type: 'init', id }));
      assert.equal(error?.code, 'bad-request');
      assert.equal(error?.id, undefined);
      assert.equal(error?.request, 'init');
    }
    assert.equal(parseClientMessage(JSON.stringify({ type: 'init', id: 'x'.repeat(64) })).ok, true);
  });

  it('limits caller names to 1 to 64 characters, counted as code points', () => {
    const call = (name: unknown) => parseClientMessage(JSON.stringify({ type: 'call', peerId: 'p', name }));
    assert.equal(call('').ok, false);
    assert.equal(call('a'.repeat(65)).ok, false);
    assert.equal(call(5).ok, false);
    assert.equal(call('a'.repeat(64)).ok, true);
    assert.equal(call('😀'.repeat(64)).ok, true, '64 emoji are 128 UTF-16 units but 64 characters');
  });
});
