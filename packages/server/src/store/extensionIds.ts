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
