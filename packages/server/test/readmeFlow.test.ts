/**
 * The README's "first call in four steps", done as a person would: `pbx-peers serve`, then
 * `pbx-peers extension add --json` against the same database, then (step 4) the example script driving
 * a whole call with two SDK clients. Step 3, the call between two browser windows, is the web app's
 * Chromium suite (`packages/web/test/e2e.test.ts`); the page URLs `extension add` prints are checked
 * against a running server in `cli.test.ts`.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  cleanEnv,
  runCli,
  runProcess,
  startCli,
  waitForExit,
  waitForListening,
} from './support/cliProcess.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/full-call.ts', import.meta.url));

describe('README first call', () => {
  let folder: string;
  let server: ChildProcess;
  let url: string;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'pbx-readme-'));
    server = startCli(
      ['serve', '--port', '0', '--db', join(folder, 'pbx.db')],
      cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' }),
    );
    url = await waitForListening(server);
  });

  after(async () => {
    server.kill('SIGTERM');
    await waitForExit(server).catch(() => server.kill('SIGKILL'));
    await rm(folder, { recursive: true, force: true });
  });

  it('adds an extension with the CLI and completes a call with the example', async () => {
    const added = await runCli(['extension', 'add', 'Front desk', '--json', '--db', join(folder, 'pbx.db')]);
    assert.equal(added.code, 0, added.stderr);
    const { id, password } = JSON.parse(added.stdout) as { id: string; password: string };

    const run = await runProcess(
      process.execPath,
      ['--import', 'tsx', EXAMPLE, id, password],
      cleanEnv({ PBX_URL: url.replace(/^http/, 'ws') }),
      30_000,
    );
    assert.equal(run.code, 0, `example failed:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /ringing/i);
    assert.match(run.stdout, /hangup|disconnected/i);
  });
});
