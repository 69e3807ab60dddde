export type Task = () => void | Promise<void>;

/**
 * Runs tasks one at a time in the order pushed. Each peer owns one: its own requests and the notices
 * addressed to it share the queue, which is what makes the protocol's per-peer ordering hold even when
 * a request waits on the backend (a `registered` response always precedes the ringing events and
 * `claimed` that follow it; a `connected` response precedes the first signal).
 *
 * A task that completes synchronously lets the next one run in the same turn, so relaying a signal costs
 * no promise or timer when the queue is idle.
 */
export class SerialQueue {
  private readonly pending: Task[] = [];
  private running = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  push(task: Task): void {
    this.pending.push(task);
    if (!this.running) this.drain();
  }

  private drain(): void {
    this.running = true;
    for (let task = this.pending.shift(); task !== undefined; task = this.pending.shift()) {
      let result: void | Promise<void>;
      try {
        result = task();
      } catch (error) {
        this.onError(error);
        continue;
      }
      if (result instanceof Promise) {
        result.catch(this.onError).finally(() => this.drain());
        return;
      }
    }
    this.running = false;
  }
}
