/** Cleanups run last-in first-out, each even if an earlier one failed. */
export class Scope {
  readonly #cleanups: (() => Promise<unknown>)[] = [];

  defer(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }

  async close(): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the next cleanup still runs.
      }
    }
  }
}
