import { anyJson, type FieldRule, fieldProblem, text } from './fieldRules.js';
import {
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  type ErrorMessage,
  protocolError,
  type RequestId,
} from './messages.js';

/**
 * Validation at the edge: `unknown` input becomes a typed `ClientMessage` or a typed protocol error
 * (`bad-json` or `bad-request`). Nothing else in the system parses client input.
 *
 * Hand-written rather than schema-library based on purpose: the protocol package has no dependencies
 * (it ships to browsers), and this runs once per relayed signal, the server's hot path.
 */

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: ErrorMessage };

const MAX_NAME_CODE_POINTS = 64;
/** Tokens the server issues are far shorter; a longer one cannot be one. */
const MAX_RESUME_TOKEN_LENGTH = 256;
const resumeToken: FieldRule = {
  optional: true,
  problem: (value) =>
    typeof value === 'string' && value.length <= MAX_RESUME_TOKEN_LENGTH
      ? undefined
      : `must be a string of at most ${MAX_RESUME_TOKEN_LENGTH} characters`,
};
/** A caller's name on `call`, an agent's on `register` (1.1). */
const displayName: FieldRule = {
  optional: true,
  problem(value) {
    if (typeof value !== 'string') return 'must be a string';
    const length = codePointLength(value);
    return length >= 1 && length <= MAX_NAME_CODE_POINTS
      ? undefined
      : `must be 1 to ${MAX_NAME_CODE_POINTS} characters`;
  },
};

type FieldRules<T extends ClientMessageType> = {
  [F in Exclude<keyof ClientMessageOf<T>, 'type' | 'id'>]-?: FieldRule;
};

/**
 * The fields each message kind carries besides `type` and `id`. The mapped type makes the compiler
 * demand exactly one entry per member of the `ClientMessage` union, with exactly its fields, so this
 * table cannot drift from the types; its keys are the runtime list of message kinds.
 */
const fieldRules: { [T in ClientMessageType]: FieldRules<T> } = {
  init: { resume: resumeToken },
  register: { peerId: text, password: text, name: displayName },
  deregister: { peerId: text },
  status: { peerId: text },
  call: { peerId: text, name: displayName },
  answer: { peerId: text, callId: text },
  end: { peerId: text, callId: text },
  signal: { peerId: text, callId: text, data: anyJson },
};

/** Every client message kind, derived from the union via `fieldRules`. */
export const clientMessageTypes = Object.keys(fieldRules) as ClientMessageType[];

export function isClientMessageType(value: unknown): value is ClientMessageType {
  return typeof value === 'string' && Object.hasOwn(fieldRules, value);
}

const MAX_ID_LENGTH = 64;

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' ? codePointLength(value) <= MAX_ID_LENGTH : Number.isSafeInteger(value);
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

/** Parses one text frame. */
export function parseClientMessage(frame: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { ok: false, error: protocolError('bad-json', 'The frame is not valid JSON.') };
  }
  return validateClientMessage(value);
}

/** Validates an already-decoded JSON value. */
export function validateClientMessage(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: protocolError('bad-json', 'The frame must hold one JSON object.') };
  }
  const input = value as Record<string, unknown>;
  const id = input.id;
  if (id !== undefined && !isRequestId(id)) {
    return badRequest(
      `"id" must be a string of at most ${MAX_ID_LENGTH} characters or a safe integer.`,
      isClientMessageType(input.type) ? input.type : undefined,
    );
  }
  const type = input.type;
  if (!isClientMessageType(type)) {
    const shown =
      typeof type === 'string' ? `Unknown message type "${type.slice(0, 40)}".` : '"type" is missing.';
    return badRequest(`${shown} Expected one of: ${clientMessageTypes.join(', ')}.`, undefined, id);
  }
  const rules: Record<string, FieldRule> = fieldRules[type];
  const problem = fieldProblem(input, rules);
  if (problem !== undefined) return badRequest(`${problem} for "${type}".`, type, id);
  // Only the contract's fields go on: unknown fields are ignored, as the protocol says.
  const message: Record<string, unknown> = { type };
  if (id !== undefined) message.id = id;
  for (const field in rules) if (input[field] !== undefined) message[field] = input[field];
  // Sound because `fieldRules` is typed field-for-field against the union and every rule passed.
  return { ok: true, message: message as unknown as ClientMessage };
}

function badRequest(text: string, request?: ClientMessageType, id?: RequestId): ParseResult {
  return { ok: false, error: protocolError('bad-request', text, { request, id }) };
}
