import { type ChildProcess, spawn } from 'node:child_process';
import { pinned } from '../servers/managedProcess.js';
import { benchFile, REPO_ROOT } from '../servers/paths.js';
import type { JobEnvelope, JobKind, JobOf, JobResults, ReplyEnvelope } from './jobs.js';

/**
 * The runner's handle on the load process (load/worker.ts): started pinned to its core, sent one job at
 * a time, every wait bounded, killed when stopped or when the runner exits.
 */
export class LoadProcess {
  private seq = 0;
  private output = '';

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    process.on('exit', this.killOnExit);
  }

  private readonly killOnExit = () => {
    this.child.kill('SIGKILL');
  };

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(cpu: number | undefined, timeoutMs: number): Promise<LoadProcess> {
    const [command, args] = pinned(cpu, process.execPath, ['--import', 'tsx', benchFile('load/worker.ts')]);
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const load = new LoadProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`load process not ready within ${timeoutMs} ms:\n${load.output}`));
      }, timeoutMs);
      const onMessage = () => {
        cleanup();
        resolve();
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`load process exited:\n${load.output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
    }).catch(async (error: unknown) => {
      await load.stop();
      throw error;
    });
    return load;
  }

  run<K extends JobKind>(job: JobOf<K>, timeoutMs: number): Promise<JobResults[K]> {
    const seq = ++this.seq;
    const child = this.child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`load job ${job.kind} did not finish within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const onMessage = (message: unknown) => {
        const reply = message as ReplyEnvelope;
        if (typeof reply !== 'object' || reply === null || reply.seq !== seq) return;
        cleanup();
        if (reply.ok) resolve(reply.result as JobResults[K]);
        else reject(new Error(`load job ${job.kind} failed: ${reply.error}`));
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`load process exited during ${job.kind}:\n${this.output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      const envelope: JobEnvelope = { seq, job };
      child.send(envelope);
    });
  }

  async stop(timeoutMs = 5000): Promise<void> {
    process.off('exit', this.killOnExit);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    this.child.kill('SIGTERM');
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
    ]);
    if (!done) {
      this.child.kill('SIGKILL');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }
}
