import {
  anyJson,
  type FieldRule,
  fieldProblem,
  oneOf,
  optionalBoolean,
  optionalText,
  text,
} from './fieldRules.js';
import type {
  DisconnectReason,
  ErrorCode,
  ErrorMessage,
  RegisterFailureReason,
  RequestType,
  ResponseFor,
  ServerEvent,
  ServerMessage,
  ServerMessageType,
  SignalDelivery,
} from './messages.js';
import { isClientMessageType } from './parseClientMessage.js';

/**
 * Validation at a client's edge: a text frame from the server becomes a typed `ServerMessage`, or a
 * reason why it is not one. A client's promises and events promise the protocol types (an `init`
 * response has a string `peerId`, a `ringing` response a `callId`, ...), so every field a type declares
 * is checked, not only the discriminants. Unknown extra fields pass through, as the protocol allows.
 *
 * Strict on purpose about status words and error codes too: a word this client does not know would
 * break the exhaustive `switch`es its users write over these unions, so such a frame is refused (the SDK
 * reports it as an `invalidMessage` event) rather than passed on mistyped.
 */

export type ServerMessageParse = { ok: true; message: ServerMessage } | { ok: false; reason: string };

const requestId: FieldRule = {
  optional: true,
  problem: (value) =>
    typeof value === 'string' || typeof value === 'number' ? undefined : 'must be a string or a number',
};

const clientMessageType: FieldRule = {
  optional: true,
  problem: (value) => (isClientMessageType(value) ? undefined : 'must be a client message type'),
};

const disconnectReasons: Record<DisconnectReason, true> = { hangup: true, dropped: true, timeout: true };
const registerFailureReasons: Record<RegisterFailureReason, true> = {
  'bad-password': true,
  'rate-limited': true,
};
const errorCodes: Record<ErrorCode, true> = {
  'bad-json': true,
  'bad-request': true,
  'not-initialized': true,
  'bad-peer-id': true,
  forbidden: true,
  busy: true,
  'unknown-call': true,
  'rate-limited': true,
};

/** The members of union `M` whose `status` admits `S`. */
type WithStatus<M extends { status: string }, S extends string> = M extends unknown
  ? S extends M['status']
    ? M
    : never
  : never;

/**
 * One check per field of `M` other than the already-dispatched `Discriminants`. The mapped type makes
 * the compiler demand exactly the fields the protocol type declares, so the tables below cannot drift.
 */
type FieldRules<M, Discriminants extends PropertyKey> = {
  [F in Exclude<keyof M, Discriminants>]-?: FieldRule;
};

type ResponseChecks = {
  [R in RequestType]: {
    [S in ResponseFor<R>['status']]: FieldRules<WithStatus<ResponseFor<R>, S>, 'type' | 'request' | 'status'>;
  };
};

const responseChecks: ResponseChecks = {
  init: {
    ready: { id: requestId, peerId: text, resumeToken: optionalText, resumed: optionalBoolean },
    offline: { id: requestId, peerId: text, resumeToken: optionalText, resumed: optionalBoolean },
  },
  register: {
    registered: { id: requestId },
    unregistered: { id: requestId, reason: oneOf(registerFailureReasons) },
  },
  deregister: { unregistered: { id: requestId } },
  status: { ready: { id: requestId }, offline: { id: requestId } },
  call: { ringing: { id: requestId, callId: text }, unavailable: { id: requestId } },
  answer: { connected: { id: requestId, callId: text }, unavailable: { id: requestId, callId: text } },
  end: { disconnected: { id: requestId, callId: text } },
};

type EventChecks = {
  [T in ServerEvent['topic']]: {
    [S in Extract<ServerEvent, { topic: T }>['status']]: FieldRules<
      WithStatus<Extract<ServerEvent, { topic: T }>, S>,
      'type' | 'topic' | 'status'
    >;
  };
};

const eventChecks: EventChecks = {
  extension: { ready: {}, offline: {} },
  session: {
    ringing: { callId: text, name: optionalText },
    connected: { callId: text, name: optionalText },
    claimed: { callId: text, name: optionalText },
    abandoned: { callId: text },
    disconnected: { callId: text, reason: oneOf(disconnectReasons) },
  },
};

const signalChecks: FieldRules<SignalDelivery, 'type'> = { callId: text, data: anyJson };

const errorChecks: FieldRules<ErrorMessage, 'type'> = {
  code: oneOf(errorCodes),
  message: text,
  request: clientMessageType,
  id: requestId,
};

type Frame = Record<string, unknown>;

/** Given a frame of one `type`, returns what is wrong with it, or undefined. */
const checksByType: { [T in ServerMessageType]: (frame: Frame) => string | undefined } = {
  response: (frame) => checkByTable(frame, 'request', responseChecks, 'status'),
  event: (frame) => checkByTable(frame, 'topic', eventChecks, 'status'),
  signal: (frame) => fieldProblem(frame, signalChecks),
  error: (frame) => fieldProblem(frame, errorChecks),
};

/** Looks the frame's two discriminants up in a two-level table, then checks the remaining fields. */
function checkByTable(
  frame: Frame,
  outerKey: string,
  table: Record<string, Record<string, Record<string, FieldRule>>>,
  innerKey: string,
): string | undefined {
  const outer = frame[outerKey];
  if (typeof outer !== 'string' || !Object.hasOwn(table, outer)) {
    return `"${outerKey}" must be one of ${Object.keys(table).join(', ')}`;
  }
  const byInner = table[outer] as Record<string, Record<string, FieldRule>>;
  const inner = frame[innerKey];
  if (typeof inner !== 'string' || !Object.hasOwn(byInner, inner)) {
    return `"${innerKey}" must be one of ${Object.keys(byInner).join(', ')} for ${outerKey} "${outer}"`;
  }
  return fieldProblem(frame, byInner[inner] as Record<string, FieldRule>);
}

/** Parses and validates one text frame from the server. */
export function parseServerMessage(frame: string): ServerMessageParse {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'the frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'the frame is not a JSON object' };
  }
  const object = value as Frame;
  const type = object.type;
  if (typeof type !== 'string' || !Object.hasOwn(checksByType, type)) {
    return { ok: false, reason: `"type" must be one of ${Object.keys(checksByType).join(', ')}` };
  }
  const problem = checksByType[type as ServerMessageType](object);
  if (problem !== undefined) return { ok: false, reason: `${type}: ${problem}` };
  // Sound because the tables are typed field-for-field against the protocol unions and every check passed.
  return { ok: true, message: object as unknown as ServerMessage };
}
