import { displayName } from '../shared/displayName.js';

/** The caller's "Your name" field as the `call` request's optional `name` (see displayName). */
export function callerName(value: string): string | undefined {
  return displayName(value);
}
