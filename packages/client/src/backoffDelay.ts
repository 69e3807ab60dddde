/** How long `ResumingClient` waits between attempts to reconnect. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  initialMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/**
 * 0.5 s doubling to 5 s: the first five retries (about 8 s in all, less with jitter) fit well within the
 * server's default resume grace of 20 s.
 */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = { initialMs: 500, maxMs: 5_000 };

/**
 * Exponential backoff with jitter: attempt 0 waits about `initialMs`, each later attempt twice as long,
 * capped at `maxMs`. The delay is drawn between half and all of that value ("equal jitter"), so that many
 * clients that lost the same server do not all come back in the same millisecond. `random` returns a
 * number in [0, 1), like `Math.random`.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
