/**
 * Runs the real `pbx-peers` bin as a user would (after the build). Every wait on a child is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_PATH = fileURLToPath(new URL('../../bin/pbx-peers.js', import.meta.url));
const COMMAND_TIMEOUT_MS = 15_000;
const SERVER_START_TIMEOUT_MS = 15_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The caller's PBX_PEERS_* variables must not leak into the child and change what a test checks. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PBX_PEERS_')) env[key] = value;
  }
  return { ...env, ...extra };
}

/** `cwd`: where relative paths (a SQLite `--db`) land; by default this process's. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = cleanEnv(), cwd?: string): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs any command to completion, collecting its output; `cwd` by default this process's. */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = COMMAND_TIMEOUT_MS,
  cwd?: string,
): Promise<CliResult> {
  return collect(
    spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] }),
    `${command} ${args.join(' ')}`,
    timeoutMs,
  );
}

export function runCli(args: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<CliResult> {
  return collect(startCli(args, env, cwd), `pbx-peers ${args.join(' ')}`, COMMAND_TIMEOUT_MS);
}

/** Like runCli, with `input` written to the command's standard input, which is then closed. */
export function runCliWithInput(
  args: string[],
  input: string,
  env: NodeJS.ProcessEnv = cleanEnv(),
  cwd?: string,
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  // A command that exits without reading (a usage error) closes the pipe: EPIPE is no test failure.
  child.stdin?.on('error', () => {});
  child.stdin?.end(input);
  return collect(child, `pbx-peers ${args.join(' ')} < input`, COMMAND_TIMEOUT_MS);
}

function collect(child: ChildProcess, what: string, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves the URL from serve's `listening on` line. */
export function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () =>
        reject(new Error(`no "listening on" line within ${SERVER_START_TIMEOUT_MS} ms: ${stdout}${stderr}`)),
      SERVER_START_TIMEOUT_MS,
    );
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^pbx-peers listening on (http:\/\/\S+)$/m.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr}`));
    });
  });
}

export function waitForExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(
      () => reject(new Error(`serve did not exit within ${SERVER_STOP_TIMEOUT_MS} ms`)),
      SERVER_STOP_TIMEOUT_MS,
    );
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}
