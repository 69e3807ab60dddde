/** The fields of a callback request, as the caller page sends them (issue 10, point 3). */
export interface CallbackRequestFields {
  name: string;
  contact: string;
  message: string;
}

export type CallbackField = keyof CallbackRequestFields;

export const CALLBACK_LIMITS: { [K in CallbackField]: { min: number; max: number } } = {
  name: { min: 1, max: 100 },
  contact: { min: 3, max: 200 },
  message: { min: 0, max: 500 },
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
/** Digits with the usual separators and an optional leading +; at least 5 digits. */
const PHONE = /^\+?[0-9 ().-]+$/u;

/**
 * The request, trimmed, or the first problem as a sentence for the caller with the field it is about.
 * Lengths count characters (code points). Control characters are refused, except line breaks in the
 * message.
 */
export function callbackRequestProblem(
  body: unknown,
): { request: CallbackRequestFields } | { field: CallbackField; problem: string } {
  const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const fields = {} as CallbackRequestFields;
  for (const field of ['name', 'contact', 'message'] as const) {
    const value = raw[field] ?? (field === 'message' ? '' : undefined);
    if (typeof value !== 'string') return { field, problem: `Please give your ${label(field)}.` };
    const text = value.trim();
    const { min, max } = CALLBACK_LIMITS[field];
    const length = [...text].length;
    if (length < min) return { field, problem: `Please give your ${label(field)}.` };
    if (length > max) return { field, problem: `The ${label(field)} can be at most ${max} characters.` };
    const forbidden = field === 'message' ? /(?![\n\r\t])\p{Cc}/u : /\p{Cc}/u;
    if (forbidden.test(text))
      return { field, problem: `The ${label(field)} holds characters that cannot be shown.` };
    fields[field] = text;
  }
  const digits = fields.contact.replace(/\D/g, '').length;
  if (!EMAIL.test(fields.contact) && !(PHONE.test(fields.contact) && digits >= 5)) {
    return { field: 'contact', problem: 'Please give a phone number or an e-mail address.' };
  }
  return { request: fields };
}

function label(field: CallbackField): string {
  return field === 'contact' ? 'phone number or e-mail address' : field;
}
