import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { isMemoryReport, type MemoryReport, type MemoryRequest } from './ipcMessages.js';

/**
 * A child process the benchmark owns: started pinned to a core when `taskset` exists, ready when its
 * stdout prints `listening on http://HOST:PORT` (or another ready line), stopped with SIGTERM then SIGKILL, every wait bounded.
 * Every live child is killed if the runner itself exits.
 */

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

let tasksetPresent: boolean | undefined;

export function hasTaskset(): boolean {
  if (tasksetPresent === undefined) {
    try {
      execFileSync('taskset', ['-V'], { stdio: 'ignore', timeout: 2000 });
      tasksetPresent = true;
    } catch {
      tasksetPresent = false;
    }
  }
  return tasksetPresent;
}

/** `taskset -c CPU command args...` when a core is given and taskset exists; the command itself otherwise. */
export function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  if (cpu === undefined || !hasTaskset()) return [command, args];
  return ['taskset', ['-c', String(cpu), command, ...args]];
}

export interface StartOptions {
  label: string;
  command: string;
  args: string[];
  cwd: string;
  cpu: number | undefined;
  /** Opens an IPC channel (needed for memory readings). */
  ipc: boolean;
  startTimeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** The line that says it is ready; its first group, if any, is the port. Default: `listening on http://HOST:PORT`. */
  readyPattern?: RegExp;
}

const LISTENING = /listening on http:\/\/\S+:(\d+)/;
const TAIL_CHARS = 4000;

export class ManagedProcess {
  private output = '';
  private exited: Promise<void>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        live.delete(child);
        resolve();
      });
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The last few thousand characters the process printed. */
  get outputTail(): string {
    return this.output;
  }

  /** Starts the process and resolves with it and its port once it prints its listening line. */
  static async start(options: StartOptions): Promise<{ process: ManagedProcess; port: number }> {
    installExitHook();
    const [command, args] = pinned(options.cpu, options.command, options.args);
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    const managed = new ManagedProcess(options.label, child);
    try {
      const port = await managed.waitForListening(options.readyPattern ?? LISTENING, options.startTimeoutMs);
      return { process: managed, port };
    } catch (error) {
      await managed.stop(2000);
      throw error;
    }
  }

  /** Resolves with the ready line's port (NaN when the pattern has no group). */
  private waitForListening(pattern: RegExp, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let seen = '';
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        const match = pattern.exec(seen);
        if (match !== null) finish(() => resolve(match[1] === undefined ? Number.NaN : Number(match[1])));
      };
      const onExit = () =>
        finish(() => reject(new Error(`${this.label} exited before listening:\n${this.output}`)));
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.label} did not listen within ${timeoutMs} ms`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.child.stdout?.off('data', onData);
        this.child.off('exit', onExit);
        settle();
      };
      this.child.stdout?.on('data', onData);
      this.child.once('exit', onExit);
    });
  }

  /** Forced GC then memory usage, over the IPC channel of a benchmark server script. */
  memory(timeoutMs = 20_000): Promise<MemoryReport> {
    const child = this.child;
    if (child.send === undefined || !child.connected) {
      return Promise.reject(new Error(`${this.label} has no IPC channel`));
    }
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (!isMemoryReport(message)) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(message);
      };
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        reject(new Error(`${this.label}: no memory report within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      const request: MemoryRequest = { kind: 'memory' };
      child.send(request);
    });
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const killed = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
    ]);
    if (killed && this.running) {
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }
}
