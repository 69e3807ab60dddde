/**
 * The behaviour every RegisterAttemptLimiter must have; each implementation's test file calls
 * `registerAttemptLimiterContract` with a factory that gives every test a fresh limiter of limit 3.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { RegisterAttemptLimiter } from '../../src/core/RegisterAttemptLimiter.js';

export interface LimiterUnderTest {
  limiter: RegisterAttemptLimiter;
  cleanup(): Promise<void>;
}

export const LIMIT = 3;

export function registerAttemptLimiterContract(
  name: string,
  createLimiter: () => Promise<LimiterUnderTest>,
): void {
  describe(`RegisterAttemptLimiter contract: ${name}`, () => {
    let subject: LimiterUnderTest;
    let limiter: RegisterAttemptLimiter;
    beforeEach(async () => {
      subject = await createLimiter();
      limiter = subject.limiter;
    });
    afterEach(() => subject.cleanup());

    it('lets the limit through, then refuses, per key', async () => {
      for (let n = 0; n < LIMIT; n++) assert.equal(await limiter.beginAttempt('a|front'), true);
      assert.equal(await limiter.beginAttempt('a|front'), false);
      assert.equal(await limiter.beginAttempt('a|back'), true);
      assert.equal(await limiter.beginAttempt('b|front'), true);
    });

    it('a refunded attempt does not count', async () => {
      for (let n = 0; n < 10; n++) {
        assert.equal(await limiter.beginAttempt('a|front'), true);
        await limiter.refund('a|front');
      }
      for (let n = 0; n < LIMIT; n++) assert.equal(await limiter.beginAttempt('a|front'), true);
      assert.equal(await limiter.beginAttempt('a|front'), false);
    });

    it('of 40 attempts at the same moment exactly the limit get through', async () => {
      const outcomes = await Promise.all(Array.from({ length: 40 }, () => limiter.beginAttempt('a|front')));
      assert.equal(outcomes.filter(Boolean).length, LIMIT);
    });
  });
}
