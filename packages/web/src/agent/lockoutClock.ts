import type { NameStorage } from './agentNameStore.js';

/**
 * The server's default `--register-failure-window`: failed `register` attempts are counted per client
 * address and extension in fixed windows of 15 minutes (protocol section 9's table). The `rate-limited`
 * answer carries no time (and the wire protocol stays as it is), so the console works the time left out
 * from what it knows: this window and the register attempts it sent itself. A server run with another
 * window, or attempts from another tab or browser at the same address, make it an estimate.
 */
export const DEFAULT_LOCKOUT_WINDOW_MS = 15 * 60_000;

const KEY_PREFIX = 'pbx-peers.register-window.';

/**
 * When the server's current window of register attempts (for this extension, from this browser) started,
 * as the server counts them: a window opens with the first attempt after the last one ran out, and every
 * attempt counts (a right password is refunded, but the window stays open). Kept in localStorage, so a
 * reload during a lock-out still knows; storage that fails just keeps it in memory.
 */
export class LockoutClock {
  readonly #storage: () => NameStorage | undefined;
  readonly #key: string;
  readonly #windowMs: number;
  #windowStart: number | undefined;

  constructor(
    extensionId: string,
    storage: () => NameStorage | undefined = () => globalThis.localStorage,
    windowMs: number = DEFAULT_LOCKOUT_WINDOW_MS,
  ) {
    this.#storage = storage;
    this.#key = `${KEY_PREFIX}${extensionId}`;
    this.#windowMs = windowMs;
    try {
      const stored = Number(this.#storage()?.getItem(this.#key) ?? Number.NaN);
      if (Number.isFinite(stored)) this.#windowStart = stored;
    } catch {
      // Nothing remembered.
    }
  }

  /** A `register` is being sent now (`at`, ms since the epoch). */
  attempted(at: number): void {
    if (this.#windowStart !== undefined && at < this.#windowStart + this.#windowMs) return;
    this.#windowStart = at;
    try {
      this.#storage()?.setItem(this.#key, String(at));
    } catch {
      // Remembered for this page only.
    }
  }

  /** How long until the current window ends (and a lock-out with it); undefined when not known. */
  remainingMs(now: number): number | undefined {
    if (this.#windowStart === undefined) return undefined;
    const left = this.#windowStart + this.#windowMs - now;
    return left > 0 ? left : undefined;
  }
}

/**
 * The lock-out sentence with the time left, in whole minutes rounded up ("15 minutes", "1 minute"; "less
 * than a minute" at the end): it sits in an alert, which screen readers read again at every change, so it
 * changes once a minute, not every second. `remainingMs` undefined: `ended` when the lock-out shown has
 * run out, else the time is not known (the attempts were made elsewhere) and the window's length is the
 * longest it can take.
 */
export function lockoutMessage(
  remainingMs: number | undefined,
  ended = false,
  windowMs = DEFAULT_LOCKOUT_WINDOW_MS,
): string {
  const lead = 'Too many failed sign-in attempts.';
  if (remainingMs === undefined) {
    return ended
      ? `${lead} The wait is over: you can try again now.`
      : `${lead} Signing in is blocked for up to ${Math.round(windowMs / 60_000)} minutes; then try again.`;
  }
  return `${lead} You can try again in ${timeLeft(remainingMs)}.`;
}

function timeLeft(ms: number): string {
  if (ms < 60_000) return 'less than a minute';
  const minutes = Math.ceil(ms / 60_000);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
