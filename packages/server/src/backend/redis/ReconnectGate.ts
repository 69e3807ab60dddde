/** The two connections a node holds to Redis. */
export type RedisConnection = 'commands' | 'subscriber';

/**
 * Whether a node may take new peers while its Redis connections come and go: not from the moment one
 * drops until each that dropped is back and checked. The commands connection is checked by an answered
 * heartbeat (which finds out whether Redis lost its data, and rejoins if so, closing the peers with
 * `state-lost`); the subscriber by coming back subscribed (its node then closes the peers with
 * `notices-lost`, since what was published meanwhile is gone). A peer taken before both checks would be
 * closed again a moment later, so a reconnecting client is answered 503 instead and tries again.
 */
export class ReconnectGate {
  readonly #down = new Set<RedisConnection>();
  /** Counts each connection's drops: a check counts only if its connection did not drop again since. */
  readonly #drops: Record<RedisConnection, number> = { commands: 0, subscriber: 0 };

  constructor(private readonly onChange: (open: boolean) => void) {}

  get open(): boolean {
    return this.#down.size === 0;
  }

  dropped(connection: RedisConnection): void {
    const wasOpen = this.open;
    this.#down.add(connection);
    this.#drops[connection]++;
    if (wasOpen) this.onChange(false);
  }

  /** The connection is back: checks it, then opens the gate if nothing else is still down. */
  async back(connection: RedisConnection, check: () => Promise<void>): Promise<void> {
    const drops = this.#drops[connection];
    await check();
    if (drops !== this.#drops[connection] || !this.#down.delete(connection)) return;
    if (this.open) this.onChange(true);
  }
}
