/**
 * Per-connection message budget: `ratePerSecond` on average, `burst` at once. Hand-written rather than
 * taken from a rate-limit library because it runs on every frame and must be synchronous; the
 * libraries that fit (rate-limiter-flexible, limiter) answer through promises.
 */
export class TokenBucket {
  private tokens: number;
  private lastRefill: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = performanceNow,
  ) {
    this.tokens = burst;
    this.lastRefill = now();
  }

  /** Takes one token; false when the budget is spent. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.ratePerSecond) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Shared by every bucket: a default written as an arrow function would be one closure per connection. */
function performanceNow(): number {
  return performance.now();
}
