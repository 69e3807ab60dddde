/** Extension ids and generated passwords. */

import { randomBytes } from 'node:crypto';

const EXTENSION_ID_PATTERN = /^[A-Za-z0-9_-]{3,64}$/;

/** 128 random bits, URL-safe. */
export function newExtensionId(): string {
  return randomTokenNotStartingWithDash(16);
}

export function isValidExtensionId(id: string): boolean {
  return typeof id === 'string' && EXTENSION_ID_PATTERN.test(id);
}

export const MAX_EXTENSION_NAME_LENGTH = 100;

/**
 * The display name, trimmed, or what is wrong with it (`{ problem }`, a sentence about "the name"):
 * 1 to 100 characters, no control characters (line breaks would garble tables and log lines).
 */
export function checkedExtensionName(raw: string): { name: string } | { problem: string } {
  const name = raw.trim();
  const length = [...name].length;
  if (length < 1 || length > MAX_EXTENSION_NAME_LENGTH) {
    return { problem: `must be 1 to ${MAX_EXTENSION_NAME_LENGTH} characters after trimming spaces` };
  }
  if (/\p{Cc}/u.test(name)) return { problem: 'must not contain control characters such as line breaks' };
  return { name };
}

/** 144 random bits as 24 URL-safe characters. */
export function generatePassword(): string {
  return randomTokenNotStartingWithDash(18);
}

/**
 * A leading `-` would make the token read as an option when pasted into a command line
 * (`pbx-peers extension remove -x…`), so such draws are discarded; that costs under 0.03 bits.
 */
function randomTokenNotStartingWithDash(byteCount: number): string {
  for (;;) {
    const token = randomBytes(byteCount).toString('base64url');
    if (!token.startsWith('-')) return token;
  }
}
