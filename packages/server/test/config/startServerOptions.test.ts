/**
 * Options given to `startServer` in code are range-checked exactly as `pbx-peers serve` checks its flags:
 * `startServer({ pingInterval: 0 })` must not start a server whose heartbeat kills every connection.
 * Compared with the real CLI's error line (needs the build, as the CLI tests do).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OptionError } from '../../src/config/serverOptions.js';
import { type StartServerOptions, startServer } from '../../src/startServer.js';
import { runCli } from '../support/cliProcess.js';

const CASES: Array<{ code: StartServerOptions; flags: string[] }> = [
  { code: { pingInterval: 0 }, flags: ['--ping-interval', '0'] },
  { code: { maxMessageBytes: 10 }, flags: ['--max-message-bytes', '10'] },
  { code: { port: -1 }, flags: ['--port', '-1'] },
  { code: { ringTimeout: -1 }, flags: ['--ring-timeout', '-1'] },
  { code: { trustProxy: ['10.0.0.0/33'] }, flags: ['--trust-proxy', '10.0.0.0/33'] },
];

describe('startServer checks options given in code as the CLI checks flags', () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'pbx-start-options-'));
  });
  after(() => rm(folder, { recursive: true, force: true }));

  for (const { code, flags } of CASES) {
    it(`startServer(${JSON.stringify(code)}) rejects with the sentence of \`serve ${flags.join(' ')}\``, async () => {
      const db = join(folder, 'pbx.db');
      // `--port=-1`: commander would read a bare "-1" as an option.
      const cliFlags = flags[1]?.startsWith('-') ? [`${flags[0]}=${flags[1]}`] : flags;
      const cli = await runCli(['serve', ...cliFlags, '--db', db]);
      assert.equal(cli.code, 2, `serve ${flags.join(' ')} exited ${cli.code}: ${cli.stdout}${cli.stderr}`);
      const sentence = /^error: (.+)\n$/.exec(cli.stderr)?.[1];
      assert.ok(sentence, `one error line expected, got: ${cli.stderr}`);

      let started: Awaited<ReturnType<typeof startServer>> | undefined;
      await assert.rejects(
        (async () => {
          started = await startServer({ ...code, db, logLevel: 'silent' });
        })(),
        (error: unknown) => {
          assert.ok(error instanceof OptionError, `not an OptionError: ${String(error)}`);
          assert.equal(error.message, sentence);
          return true;
        },
      );
      await started?.close();
    });
  }
});
