export type Task = () => void | Promise<void>;

/** Who hears about a task that failed. */
export interface TaskOwner {
  taskFailed(error: unknown): void;
}

/**
 * Runs tasks one at a time in the order pushed. Each peer owns one: its own requests and the notices
 * addressed to it share the queue, which is what makes the protocol's per-peer ordering hold even when
 * a request waits on the backend (a `registered` response always precedes the ringing events and
 * `claimed` that follow it; a `connected` response precedes the first signal).
 *
 * A task that completes synchronously lets the next one run in the same turn, so relaying a signal costs
 * no promise or timer when the queue is idle. The array is made on first use: an idle connection
 * should cost as little memory as possible.
 */
export class SerialQueue {
  private pending: Task[] | undefined;
  private running = false;

  constructor(private readonly owner: TaskOwner) {}

  push(task: Task): void {
    this.pending ??= [];
    this.pending.push(task);
    if (!this.running) this.drain(this.pending);
  }

  private drain(pending: Task[]): void {
    this.running = true;
    for (let task = pending.shift(); task !== undefined; task = pending.shift()) {
      let result: void | Promise<void>;
      try {
        result = task();
      } catch (error) {
        this.owner.taskFailed(error);
        continue;
      }
      if (result instanceof Promise) {
        result.catch((error: unknown) => this.owner.taskFailed(error)).finally(() => this.drain(pending));
        return;
      }
    }
    this.running = false;
  }
}
