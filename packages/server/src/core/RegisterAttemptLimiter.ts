/**
 * Counts failed `register` attempts per key (client address and extension). Once a key is blocked,
 * `register` answers `rate-limited` even for the right password until its window passes.
 */
export interface RegisterAttemptLimiter {
  isBlocked(key: string): Promise<boolean>;
  recordFailure(key: string): Promise<void>;
}
