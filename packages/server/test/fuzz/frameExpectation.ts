import { clientMessageTypes } from '@pbx-peers/protocol';
import type { FuzzFrame } from './FrameGenerator.js';

/**
 * What the contract promises for one frame, worked out from the bytes alone (not from the generator's
 * intent), so that a generator mistake cannot hide a server mistake.
 */
export type FrameExpectation =
  /** Section 1: a frame over the size limit closes the connection with 1009. */
  | { kind: 'close'; code: 1009 | 1007; why: string }
  /** Exactly one error with this code, no `request`, no `id`. */
  | { kind: 'error'; code: 'bad-json' | 'bad-request'; why: string }
  /** An object: at most one reply (exactly one unless it is a signal), checked by `replyProblem`. */
  | { kind: 'message'; message: Record<string, unknown>; knownType: string | undefined; id: IdState };

/** Whether the frame's `id` is one the server must echo. */
export type IdState = 'absent' | 'valid' | 'invalid';

const MAX_ID_CODE_POINTS = 64;
// ignoreBOM keeps a leading BOM in the text: JSON does not allow one, so such a frame is bad-json.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function payloadBytes(frame: FuzzFrame): Buffer {
  return typeof frame.data === 'string' ? Buffer.from(frame.data, 'utf8') : frame.data;
}

export function expectationOf(frame: FuzzFrame, maxFrameBytes: number): FrameExpectation {
  const bytes = payloadBytes(frame);
  if (bytes.length > maxFrameBytes) return { kind: 'close', code: 1009, why: `${bytes.length} bytes` };
  if (frame.binary) return { kind: 'error', code: 'bad-request', why: 'a binary frame' };
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    // RFC 6455 section 8.1: an endpoint that receives invalid UTF-8 in a text frame fails the connection.
    return { kind: 'close', code: 1007, why: 'invalid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'error', code: 'bad-json', why: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'error', code: 'bad-json', why: 'not a JSON object' };
  }
  const message = value as Record<string, unknown>;
  const type = message.type;
  const knownType =
    typeof type === 'string' && clientMessageTypes.some((known) => known === type) ? type : undefined;
  return { kind: 'message', message, knownType, id: idStateOf(message) };
}

/** The docs' rule: a string of at most 64 code points, or a safe integer. */
function idStateOf(message: Record<string, unknown>): IdState {
  const { id } = message;
  if (id === undefined) return 'absent';
  const valid = typeof id === 'string' ? [...id].length <= MAX_ID_CODE_POINTS : Number.isSafeInteger(id);
  return valid ? 'valid' : 'invalid';
}

/**
 * What is wrong with the replies (responses and errors) a frame got, or undefined. Rate-limited errors
 * are allowed anywhere (protocol section 4) and then only their shape is checked.
 */
export function replyProblem(
  expectation: FrameExpectation,
  replies: Record<string, unknown>[],
): string | undefined {
  if (expectation.kind === 'close') return `expected a close ${expectation.code}, got replies`;
  if (replies.length > 1) return `${replies.length} replies to one frame`;
  const reply = replies[0];
  if (reply !== undefined && reply.type === 'error' && reply.code === 'rate-limited') return undefined;
  if (expectation.kind === 'error') {
    if (reply === undefined) return `no reply (expected ${expectation.code} for ${expectation.why})`;
    if (reply.type !== 'error' || reply.code !== expectation.code)
      return `expected error ${expectation.code} for ${expectation.why}`;
    if ('request' in reply || 'id' in reply)
      return 'an error to a frame without a message carries request or id';
    return undefined;
  }
  const { message, knownType, id } = expectation;
  if (reply === undefined) {
    return knownType === 'signal' ? undefined : `no reply to a ${knownType ?? 'message of unknown type'}`;
  }
  if (knownType === undefined) {
    if (reply.type !== 'error' || reply.code !== 'bad-request') return 'an unknown type must get bad-request';
    if ('request' in reply) return 'an error to an unknown type carries request';
  } else if (reply.type === 'response') {
    if (reply.request !== knownType) return `a response for "${String(reply.request)}" to a ${knownType}`;
    if (knownType === 'signal') return 'a response to a signal';
    if ((knownType === 'answer' || knownType === 'end') && reply.callId !== message.callId) {
      return `the ${knownType} response names another callId`;
    }
  } else if (reply.type === 'error') {
    if (reply.request !== knownType) return `an error for "${String(reply.request)}" to a ${knownType}`;
  } else {
    return `a reply of type ${String(reply.type)}`;
  }
  if (id !== 'valid') {
    if (id === 'invalid' && (reply.type !== 'error' || reply.code !== 'bad-request')) {
      return 'an invalid id must get bad-request';
    }
    if ('id' in reply) return `a reply carries an id though the frame's was ${id}`;
  } else if (!('id' in reply) || JSON.stringify(reply.id) !== JSON.stringify(message.id)) {
    // Compared as JSON: "echoed unchanged" is about the value on the wire, and -0 is spelled 0.
    return `the id ${JSON.stringify(message.id)} came back as ${JSON.stringify(reply.id)}`;
  }
  return undefined;
}
