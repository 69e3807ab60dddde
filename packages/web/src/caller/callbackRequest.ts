import type { ExtensionStatus, ResumingState } from '@pbx-peers/client';
import type { CallEndReason } from '../shared/describeCallEnd.js';

/**
 * "Leave your number" (issue 10, point 3): the caller's callback request, without DOM or network. The
 * checks mirror the server's (packages/server/src/http/callbackRequestProblem.ts; a unit test holds the
 * two to the same answers), so that most mistakes are said before sending; the server's 400 still names
 * the field, and its sentence is shown under that field.
 */

export type CallbackField = 'name' | 'contact' | 'message';

export interface CallbackFields {
  name: string;
  contact: string;
  message: string;
}

/** Lengths in characters (code points), of the trimmed text. The inputs' maxlength says the same. */
export const CALLBACK_LIMITS: { [K in CallbackField]: { min: number; max: number } } = {
  name: { min: 1, max: 100 },
  contact: { min: 3, max: 200 },
  message: { min: 0, max: 500 },
};

export const CALLBACK_FIELDS: readonly CallbackField[] = ['name', 'contact', 'message'];

export type FieldErrors = Partial<Record<CallbackField, string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const PHONE = /^\+?[0-9 ().-]+$/u;

function label(field: CallbackField): string {
  return field === 'contact' ? 'phone number or e-mail address' : field;
}

/** What is wrong with one field (the server's sentence), or undefined. */
function fieldProblem(field: CallbackField, text: string): string | undefined {
  const { min, max } = CALLBACK_LIMITS[field];
  const length = [...text].length;
  if (length < min) return `Please give your ${label(field)}.`;
  if (length > max) return `The ${label(field)} can be at most ${max} characters.`;
  const forbidden = field === 'message' ? /(?![\n\r\t])\p{Cc}/u : /\p{Cc}/u;
  if (forbidden.test(text)) return `The ${label(field)} holds characters that cannot be shown.`;
  if (field === 'contact') {
    const digits = text.replace(/\D/g, '').length;
    if (!EMAIL.test(text) && !(PHONE.test(text) && digits >= 5))
      return 'Please give a phone number or an e-mail address.';
  }
  return undefined;
}

/** The request, trimmed, or what is wrong with each field that is wrong. */
export function checkCallback(
  fields: CallbackFields,
): { ok: true; request: CallbackFields } | { ok: false; errors: FieldErrors } {
  const request: CallbackFields = {
    name: fields.name.trim(),
    contact: fields.contact.trim(),
    message: fields.message.trim(),
  };
  const errors: FieldErrors = {};
  for (const field of CALLBACK_FIELDS) {
    const problem = fieldProblem(field, request[field]);
    if (problem !== undefined) errors[field] = problem;
  }
  return Object.keys(errors).length === 0 ? { ok: true, request } : { ok: false, errors };
}

/** What `POST /api/extensions/:id/callbacks` came to. */
export type CallbackSendResult =
  | { kind: 'created' }
  | { kind: 'invalid'; field: CallbackField | undefined; message: string }
  | { kind: 'rate-limited' }
  | { kind: 'unknown-extension' }
  | { kind: 'failed' };

export function callbackSendResult(status: number, body: unknown): CallbackSendResult {
  if (status === 201 || status === 200) return { kind: 'created' };
  if (status === 429) return { kind: 'rate-limited' };
  if (status === 404) return { kind: 'unknown-extension' };
  if (status === 400) {
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const field = CALLBACK_FIELDS.find((candidate) => candidate === record.field);
    const message =
      typeof record.message === 'string' && record.message !== ''
        ? record.message
        : 'Please check what you entered.';
    return { kind: 'invalid', field, message };
  }
  return { kind: 'failed' };
}

export const SEND_PROBLEMS = {
  'rate-limited': 'Too many requests from your network in the last hour. Please try again later.',
  'unknown-extension': 'This extension no longer exists, so it cannot take requests.',
  failed: 'Your request could not be sent. Please check your connection and try again.',
} as const;

/**
 * Where the caller's callback request is, as one union:
 * - `closed`: the form is not shown;
 * - `editing`: the form, with what is wrong with each field (`errors`) and with the request as a whole
 *   (`problem`: rate-limited, the network), if anything;
 * - `sending`: the request is on its way; an answer to an older `attempt` is ignored;
 * - `sent`: "We'll call you back".
 */
export type CallbackState =
  | { kind: 'closed' }
  | { kind: 'editing'; errors: FieldErrors; problem: string | undefined }
  | { kind: 'sending'; request: CallbackFields; attempt: number }
  | { kind: 'sent'; request: CallbackFields };

export type CallbackEvent =
  | { type: 'open' }
  | { type: 'close' }
  | { type: 'submit'; fields: CallbackFields }
  /** The caller changed a field: what was said about it no longer holds. */
  | { type: 'edit'; field: CallbackField }
  | { type: 'answered'; attempt: number; result: CallbackSendResult };

export type CallbackEffect =
  /** POST the request; answer with `answered` carrying the same `attempt`. */
  | { type: 'send'; attempt: number; request: CallbackFields }
  /** Move focus to a field (the first wrong one), or to the view's title. */
  | { type: 'focus'; field: CallbackField | 'title' };

/** The caller page's "Leave your number", events in, state and effects out (see CallerPage's CallState). */
export class CallbackFlow {
  #state: CallbackState = { kind: 'closed' };
  #attempts = 0;

  get state(): CallbackState {
    return this.#state;
  }

  dispatch(event: CallbackEvent): CallbackEffect[] {
    const state = this.#state;
    switch (event.type) {
      case 'open':
        if (state.kind === 'editing' || state.kind === 'sending') return [];
        this.#state = { kind: 'editing', errors: {}, problem: undefined };
        return [{ type: 'focus', field: 'name' }];
      case 'close':
        this.#state = { kind: 'closed' };
        return [];
      case 'edit': {
        if (state.kind !== 'editing' || state.errors[event.field] === undefined) return [];
        const errors = { ...state.errors };
        delete errors[event.field];
        this.#state = { ...state, errors };
        return [];
      }
      case 'submit': {
        if (state.kind !== 'editing') return [];
        const checked = checkCallback(event.fields);
        if (!checked.ok) {
          this.#state = { kind: 'editing', errors: checked.errors, problem: undefined };
          const first = CALLBACK_FIELDS.find((field) => checked.errors[field] !== undefined);
          return first === undefined ? [] : [{ type: 'focus', field: first }];
        }
        const attempt = ++this.#attempts;
        this.#state = { kind: 'sending', request: checked.request, attempt };
        return [{ type: 'send', attempt, request: checked.request }];
      }
      case 'answered': {
        if (state.kind !== 'sending' || state.attempt !== event.attempt) return [];
        const { result } = event;
        if (result.kind === 'created') {
          this.#state = { kind: 'sent', request: state.request };
          return [{ type: 'focus', field: 'title' }];
        }
        if (result.kind === 'invalid') {
          if (result.field === undefined) {
            this.#state = { kind: 'editing', errors: {}, problem: result.message };
            return [];
          }
          this.#state = { kind: 'editing', errors: { [result.field]: result.message }, problem: undefined };
          return [{ type: 'focus', field: result.field }];
        }
        this.#state = { kind: 'editing', errors: {}, problem: SEND_PROBLEMS[result.kind] };
        return [];
      }
    }
  }
}

export interface CallbackOfferInput {
  /** Which view the caller page shows. */
  view: 'idle' | 'ended' | 'other';
  status: ExtensionStatus | undefined;
  connection: ResumingState;
  /** On the ended view: why the call ended. */
  reason?: CallEndReason | undefined;
}

/**
 * Whether the page offers "Leave your number": on the start view while the extension is offline (it
 * exists: the server said so), and after a call nobody answered (the ring timed out, or nobody was there).
 */
export function offersCallback({ view, status, connection, reason }: CallbackOfferInput): boolean {
  if (connection === 'gone') return false;
  if (view === 'idle') return status === 'offline';
  if (view === 'ended') return reason === 'timeout' || reason === 'unavailable';
  return false;
}
