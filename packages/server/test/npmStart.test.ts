/**
 * `npm start` as an operator's process manager runs it: SIGTERM to the npm process must reach the server,
 * which closes gracefully, and no server may be left behind. (npm passes the signal to the script's
 * shell; only a script that `exec`s node puts the server in the shell's place.)
 *
 * The root `start` script runs verbatim, from a scratch folder whose package.json has that script and a
 * `build` script that does nothing, with `packages` linked to this repository's: the real build rewrites
 * packages/web/dist, which tests running alongside serve pages from. Run after the build, as `npm test` does.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './support/cliProcess.js';
import { delay } from './support/delay.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;
/** The server's own bound on a graceful close (`--shutdown-timeout`), in seconds. */
const SHUTDOWN_TIMEOUT_S = 5;

const startScript = (): string => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const script = manifest.scripts.start;
  assert.ok(script, 'the root package.json has a start script');
  return script;
};

/** Collects a child's stdout and resolves the pid of the server from its `listening` log line. */
function serverPid(child: ChildProcess, output: { text: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not listen within ${START_TIMEOUT_MS} ms:\n${output.text}`)),
      START_TIMEOUT_MS,
    );
    const look = () => {
      const listening = output.text.split('\n').find((line) => line.includes('"msg":"listening"'));
      const pid = /"pid":(\d+)/.exec(listening ?? '')?.[1];
      if (pid !== undefined && /^pbx-peers listening on http:\/\//m.test(output.text)) {
        clearTimeout(timer);
        resolve(Number(pid));
      }
    };
    child.stdout?.on('data', look);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before listening:\n${output.text}`));
    });
  });
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Polls until `pid` is gone; false when it is still there after `timeoutMs`. */
async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return true;
    await delay(50);
  }
  return !isRunning(pid);
}

describe('npm start', () => {
  let folder: string;
  let npm: ChildProcess | undefined;
  let pid: number | undefined;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'pbx-npm-start-'));
    await symlink(join(REPO_ROOT, 'packages'), join(folder, 'packages'), 'dir');
    const manifest = {
      name: 'pbx-peers-npm-start-test',
      private: true,
      scripts: { build: 'true', start: startScript() },
    };
    await writeFile(join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
  });

  after(async () => {
    // Whatever happened: npm's whole process group (it was started detached), then a server that left it.
    if (npm?.pid !== undefined) {
      try {
        process.kill(-npm.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
    await rm(folder, { recursive: true, force: true });
  });

  it('SIGTERM to the npm process closes the server gracefully and leaves no process behind', async () => {
    const output = { text: '' };
    npm = spawn(
      'npm',
      [
        'start',
        '--',
        '--port',
        '0',
        '--db',
        join(folder, 'pbx.db'),
        '--shutdown-timeout',
        `${SHUTDOWN_TIMEOUT_S}`,
      ],
      { cwd: folder, env: cleanEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    npm.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output.text += chunk;
    });
    npm.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output.text += chunk;
    });
    const npmExit = new Promise<number | string | null>((resolve) =>
      npm?.on('exit', (code, signal) => resolve(code ?? signal)),
    );
    pid = await serverPid(npm, output);
    assert.notEqual(pid, npm.pid, 'the server runs in its own process');

    npm.kill('SIGTERM');
    assert.ok(
      await waitUntilGone(pid, SHUTDOWN_TIMEOUT_S * 1000),
      `the server (pid ${pid}) still runs ${SHUTDOWN_TIMEOUT_S} s after SIGTERM to npm:\n${output.text}`,
    );
    let timer: NodeJS.Timeout | undefined;
    const npmCode = await Promise.race([
      npmExit,
      new Promise((resolve) => {
        timer = setTimeout(resolve, 5_000, 'still running');
      }),
    ]);
    clearTimeout(timer);
    assert.equal(npmCode, 0, `npm start ended with ${npmCode}:\n${output.text}`);
    assert.match(output.text, /"msg":"closed"/, `the server did not log its shutdown:\n${output.text}`);
  });
});
