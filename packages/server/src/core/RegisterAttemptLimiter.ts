/**
 * Counts `register` attempts per key (client address and extension) and lets only a limited number of
 * failures through per window. An attempt is counted **before** its password is checked and refunded when
 * the password was right: counting after the check would let attempts made at the same moment all pass
 * the "is it blocked?" test before any of them was recorded as a failure.
 */
export interface RegisterAttemptLimiter {
  /** Counts one attempt; false when the key is over its limit (answer `rate-limited`, check nothing). */
  beginAttempt(key: string): Promise<boolean>;
  /** The attempt's password was right: it no longer counts. */
  refund(key: string): Promise<void>;
}
