/**
 * A child process in a process group of its own (nginx's master and workers, a node, Redis), so that it
 * and everything it started are signalled and ended together. Every wait is bounded; whatever a test
 * leaves running is killed when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const running = new Set<GroupProcess>();
const killAll = () => {
  for (const child of running) child.signal('SIGKILL');
};
process.on('exit', killAll);
// A test process ended by a signal (the runner cancelled, Ctrl-C) takes its groups along, then dies of it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/** Output kept per process: the end of it, for failure messages. */
const KEPT_OUTPUT = 64 * 1024;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class GroupProcess {
  #output = '';
  #exit: ExitInfo | undefined;
  readonly #exited: Promise<ExitInfo>;
  readonly #listeners = new Set<() => void>();

  private constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    const keep = (chunk: string) => {
      this.#output = (this.#output + chunk).slice(-KEPT_OUTPUT);
      for (const listener of this.#listeners) listener();
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        for (const listener of this.#listeners) listener();
        resolve(this.#exit);
      });
      child.once('error', (error) => {
        keep(`\n[${label}: ${error.message}]\n`);
        this.#exit ??= { code: null, signal: null };
        running.delete(this);
        resolve(this.#exit);
      });
    });
  }

  /** Starts `command` as the leader of a new process group, stdout and stderr collected. */
  static start(
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; label?: string } = {},
  ): GroupProcess {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = new GroupProcess(child, options.label ?? command);
    if (child.pid !== undefined) running.add(started);
    return started;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** stdout and stderr as they came, the last 64 KiB. */
  output(): string {
    return this.#output;
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves with the first match of `pattern` in the output; rejects when the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.#output);
        if (match !== null) finish(() => resolve(match));
        else if (this.#exit !== undefined) {
          finish(() =>
            reject(
              new Error(
                `${this.label} exited (${describeExit(this.#exit)}) before ${pattern}:\n${this.#output}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms:\n${this.#output}`)),
          ),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        settle();
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Sends `signal` to the whole group (what the leader started may outlive it); nothing when it is gone. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** Resolves with how the leader exited; rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<ExitInfo> {
    if (this.#exit !== undefined) return Promise.resolve(this.#exit);
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.#exited.finally(() => clearTimeout(timer)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${this.label} did not exit within ${timeoutMs} ms:\n${this.#output}`)),
          timeoutMs,
        );
      }),
    ]);
  }

  /** Resolves with `waiting` (a wait for this process to be ready); when that fails, stops the group first. */
  async untilReady<T>(waiting: Promise<T>): Promise<T> {
    try {
      return await waiting;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** SIGTERM to the group, SIGKILL if it is still there after `graceMs`, then to stragglers; never throws. */
  async stop(graceMs = 5_000): Promise<ExitInfo> {
    if (this.#exit === undefined) this.signal('SIGTERM');
    let exit: ExitInfo;
    try {
      exit = await this.exited(graceMs);
    } catch {
      this.signal('SIGKILL');
      exit = await this.#exited;
    }
    this.signal('SIGKILL');
    return exit;
  }
}

export function describeExit(exit: ExitInfo | undefined): string {
  if (exit === undefined) return 'running';
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}
