import assert from 'node:assert/strict';
import type { WireMessage } from './WireClient.js';

/**
 * Asserts an `error` message exactly: its code, `request` and `id` when given and ABSENT when not given,
 * and a non-empty human `message`.
 */
export function assertError(
  actual: WireMessage,
  expected: { code: string; request?: string; id?: string | number },
): void {
  const { message, ...rest } = actual;
  assert.deepEqual(
    rest,
    { type: 'error', ...expected },
    `unexpected error message: ${JSON.stringify(actual)}`,
  );
  assert.equal(typeof message, 'string', `error without a human message: ${JSON.stringify(actual)}`);
  assert.ok((message as string).length > 0, `error with an empty message: ${JSON.stringify(actual)}`);
}
