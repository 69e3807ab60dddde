import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerMessage } from '../src/parseServerMessage.js';

/** Every server frame of the protocol's example (section 8), plus one of each remaining kind. */
const validFrames = [
  { type: 'response', request: 'init', id: 1, status: 'ready', peerId: 'Pc' },
  { type: 'response', request: 'call', id: 2, status: 'ringing', callId: 'C1' },
  { type: 'event', topic: 'session', status: 'ringing', callId: 'C1', name: 'Ann' },
  { type: 'response', request: 'answer', id: 7, status: 'connected', callId: 'C1' },
  { type: 'event', topic: 'session', status: 'connected', callId: 'C1' },
  { type: 'event', topic: 'session', status: 'claimed', callId: 'C1' },
  { type: 'signal', callId: 'C1', data: { sdp: { type: 'offer', sdp: 'v=0...' } } },
  { type: 'response', request: 'end', id: 8, status: 'disconnected', callId: 'C1' },
  { type: 'event', topic: 'session', status: 'disconnected', callId: 'C1', reason: 'hangup' },
  { type: 'response', request: 'register', status: 'unregistered', reason: 'rate-limited' },
  { type: 'response', request: 'register', id: 'r', status: 'registered' },
  { type: 'response', request: 'deregister', status: 'unregistered' },
  { type: 'response', request: 'status', status: 'offline' },
  { type: 'response', request: 'call', status: 'unavailable' },
  { type: 'response', request: 'answer', status: 'unavailable', callId: 'C1' },
  { type: 'event', topic: 'extension', status: 'ready' },
  { type: 'event', topic: 'session', status: 'abandoned', callId: 'C1' },
  { type: 'signal', callId: 'C1', data: null },
  { type: 'error', code: 'unknown-call', message: 'No such call.', request: 'signal' },
  { type: 'error', code: 'bad-json', message: 'The frame is not valid JSON.' },
];

const invalidFrames: [frame: string, reason: string][] = [
  ['{', 'the frame is not valid JSON'],
  ['[1]', 'the frame is not a JSON object'],
  ['null', 'the frame is not a JSON object'],
  ['{"type":"hello"}', '"type" must be one of response, event, signal, error'],
  ['{"type":"toString"}', '"type" must be one of response, event, signal, error'],
  ['{"type":"response","request":"init","status":"ready"}', 'response: "peerId" is required'],
  [
    '{"type":"response","request":"init","status":"busy","peerId":"P"}',
    'response: "status" must be one of ready, offline for request "init"',
  ],
  [
    '{"type":"response","request":"dial","status":"ready"}',
    'response: "request" must be one of init, register, deregister, status, call, answer, end',
  ],
  [
    '{"type":"response","request":"call","status":"ringing","callId":7}',
    'response: "callId" must be a string',
  ],
  [
    '{"type":"response","request":"status","status":"ready","id":[1]}',
    'response: "id" must be a string or a number',
  ],
  [
    '{"type":"response","request":"register","status":"unregistered","reason":"nope"}',
    'response: "reason" must be one of bad-password, rate-limited',
  ],
  ['{"type":"event","topic":"weather","status":"ready"}', 'event: "topic" must be one of extension, session'],
  ['{"type":"event","topic":"session","status":"disconnected","callId":"C"}', 'event: "reason" is required'],
  [
    '{"type":"event","topic":"session","status":"ringing","callId":"C","name":5}',
    'event: "name" must be a string',
  ],
  ['{"type":"signal","callId":"C"}', 'signal: "data" is required'],
  [
    '{"type":"error","code":"teapot","message":"x"}',
    'error: "code" must be one of bad-json, bad-request, not-initialized, bad-peer-id, forbidden, busy, unknown-call, rate-limited',
  ],
  ['{"type":"error","code":"busy"}', 'error: "message" is required'],
  [
    '{"type":"error","code":"busy","message":"x","request":"dial"}',
    'error: "request" must be a client message type',
  ],
];

describe('parseServerMessage', () => {
  it('accepts every kind of server message and returns it unchanged', () => {
    for (const frame of validFrames) {
      assert.deepEqual(parseServerMessage(JSON.stringify(frame)), { ok: true, message: frame });
    }
  });

  it('keeps unknown extra fields, which the protocol allows', () => {
    const frame = { type: 'event', topic: 'extension', status: 'offline', since: 3 };
    assert.deepEqual(parseServerMessage(JSON.stringify(frame)), { ok: true, message: frame });
  });

  it('refuses malformed frames with a reason naming the problem', () => {
    for (const [frame, reason] of invalidFrames) {
      assert.deepEqual(parseServerMessage(frame), { ok: false, reason }, frame);
    }
  });
});
