/**
 * Keeps the soak run from rotting: a few seconds of it with 50 idle callers on one extension, checking
 * that it churns calls without errors, prints its lines, writes its JSON and leaves no server behind.
 * Whether memory is flat is not asserted: a few seconds are too short for a verdict (it says so).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runBenchScript, type ScriptRun } from '../../test/runBenchScript.js';

const RUN_TIMEOUT_MS = 40_000;
const ARGS = ['--minutes', '0.05', '--peers', '50', '--extensions', '1', '--agents', '2', '--callers', '3'];

const outDir = mkdtempSync(join(tmpdir(), 'soak-smoke-'));
after(() => rmSync(outDir, { recursive: true, force: true }));

function runSoak(): Promise<ScriptRun> {
  return runBenchScript(
    ['bench/soak/runSoak.ts', ...ARGS, '--sample-seconds', '1', '--out', outDir],
    RUN_TIMEOUT_MS,
  );
}

test('soak --minutes 0.05 churns calls without errors, reports memory and cleans up', {
  timeout: 60_000,
}, async () => {
  const { code, stdout, stderr } = await runSoak();
  const serverPid = Number(/server pid (\d+)/.exec(stdout)?.[1]);
  try {
    assert.equal(code, 0, `soak exited ${code}\n${stdout}\n${stderr}`);
    assert.match(
      stdout,
      /^soak +\d+ s {2}calls [\d,]+ {2}signals [\d,]+ {2}errors 0 {2}peers [\d,]+ {2}rss [\d.]+ MiB {2}heap [\d.]+ MiB {2}external [\d.]+ MiB$/m,
    );
    assert.match(stdout, /RSS [+-][\d.]+ KiB\/min, heap [+-][\d.]+ KiB\/min/);
    assert.match(stdout, /^soak: verdict too short$/m);

    const files = readdirSync(outDir).filter((name) => /^soak-.*\.json$/.test(name));
    assert.equal(files.length, 1, `one JSON result expected in ${outDir}, found ${files.join(', ')}`);
    const result = JSON.parse(readFileSync(join(outDir, files[0] as string), 'utf8')) as {
      counters: { callsCompleted: number; signalsRelayed: number; errors: number };
      samples: { rss: number; heapUsed: number }[];
      trend: { verdict: string };
    };
    assert.ok(result.counters.callsCompleted > 0, 'no call completed');
    assert.ok(result.counters.signalsRelayed >= 6 * result.counters.callsCompleted);
    assert.equal(result.counters.errors, 0);
    assert.ok(result.samples.length >= 3);
    for (const sample of result.samples) assert.ok(sample.rss > 0 && sample.heapUsed > 0);
    assert.equal(result.trend.verdict, 'too short');
  } finally {
    if (Number.isInteger(serverPid)) {
      const deadline = Date.now() + 5000;
      while (existsSync(`/proc/${serverPid}`) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const left = existsSync(`/proc/${serverPid}`);
      if (left) process.kill(serverPid, 'SIGKILL');
      assert.equal(left, false, `the soak left its server (pid ${serverPid}) running`);
    }
  }
});
