/**
 * The soak run: `npm run soak -- --minutes N [--peers N] ...` (see soakArgs.ts for every option).
 *
 * Starts pbx-peers in its own process (extensions made with the real CLI; the benchmark's wrapper for
 * memory readings after forced GC), holds thousands of idle callers open, and drives continuous call
 * churn on every extension for N minutes on loopback. Prints a progress line every sample (elapsed,
 * calls, signals, errors, server RSS and heap after forced GC), then the least-squares slopes of RSS and
 * heap after the warm-up and a verdict (memoryTrend.ts defines the threshold). Writes the JSON to
 * bench/results/. Exits 1 when the verdict is "growing", on any error, or if the server died.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay } from '../load/concurrency.js';
import { REPO_ROOT } from '../servers/paths.js';
import type { Target } from '../servers/serverKinds.js';
import { CallChurn } from './CallChurn.js';
import { IdlePeers } from './IdlePeers.js';
import { type MemorySample, memoryTrend } from './memoryTrend.js';
import { parseSoakArgs, USAGE, UsageError } from './soakArgs.js';
import { startSoakServer } from './startSoakServer.js';

const MiB = 1024 * 1024;

function parseOrExit() {
  try {
    const parsed = parseSoakArgs(process.argv.slice(2), join(REPO_ROOT, 'bench', 'results'));
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`soak: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
}

/** The wrapper runs the built server: say so when the sources are newer than the build. */
function warnIfBuildIsStale(): void {
  const newest = (dir: string): number => {
    let latest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
    }
    return latest;
  };
  const built = join(REPO_ROOT, 'packages', 'server', 'dist', 'startServer.js');
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    process.stderr.write('soak: packages/server is not built; run `npx tsc -b` first.\n');
    process.exit(2);
  }
  if (newest(join(REPO_ROOT, 'packages', 'server', 'src')) > builtAt) {
    process.stderr.write(
      'soak: warning: packages/server/src is newer than its build; run `npx tsc -b` to soak the current code.\n',
    );
  }
}

const count = (value: number) => Math.round(value).toLocaleString('en-US');
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const slope = (kib: number) => `${kib >= 0 ? '+' : ''}${kib.toFixed(1)} KiB/min`;

const options = parseOrExit();
warnIfBuildIsStale();
const workDir = mkdtempSync(join(tmpdir(), 'pbx-soak-'));
process.stdout.write(
  `soak: ${options.minutes} min, ${count(options.peers)} idle callers, ${options.extensions} extensions x ` +
    `${options.agents} agents + ${options.callers} callers, ${options.rate} calls/s, ${options.signals} signals each way\n`,
);
const server = await startSoakServer(workDir, options.extensions);
let exitCode = 0;
try {
  const targets: Target[] = server.extensions.map((extension) => ({
    protocol: 'pbx',
    kind: 'pbx-peers',
    host: server.host,
    port: server.port,
    serverPid: server.pid,
    extensionId: extension.id,
    password: extension.password,
  }));
  const idle = new IdlePeers({ targets, count: options.peers, reconnectsPerSecond: options.idleReconnects });
  await idle.start();
  const churn = new CallChurn({
    host: server.host,
    port: server.port,
    serverPid: server.pid,
    extensions: server.extensions,
    agentsPerExtension: options.agents,
    callersPerExtension: options.callers,
    callsPerSecond: options.rate,
    signalsEachWay: options.signals,
  });
  await churn.start();
  process.stdout.write(`soak: server pid ${server.pid} on port ${server.port}; churn started\n`);

  const samples: MemorySample[] = [];
  const startedAt = performance.now();
  const durationMs = options.minutes * 60_000;
  let serverDied = false;
  for (let next = 0; next <= durationMs; next += options.sampleSeconds * 1000) {
    await delay(Math.max(0, startedAt + next - performance.now()));
    if (!server.running()) {
      serverDied = true;
      break;
    }
    const memory = await server.memory();
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const { callsCompleted, signalsRelayed } = churn.counters;
    samples.push({
      elapsedSeconds,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      callsCompleted,
    });
    const errors = churn.counters.errors + idle.counters.errors;
    process.stdout.write(
      `soak ${elapsedSeconds.toFixed(0).padStart(5)} s  calls ${count(callsCompleted)}  signals ${count(signalsRelayed)}` +
        `  errors ${errors}  peers ${count(idle.peerCount + churn.peerCount)}` +
        `  rss ${mib(memory.rss)}  heap ${mib(memory.heapUsed)}  external ${mib(memory.external)}\n`,
    );
  }
  await churn.stop();
  await idle.stop();

  const elapsedSeconds = (performance.now() - startedAt) / 1000;
  const trend = memoryTrend(samples, options.warmupSeconds);
  const errors = churn.counters.errors + idle.counters.errors;
  const { callsCompleted, signalsRelayed } = churn.counters;
  process.stdout.write(
    `soak: ${(elapsedSeconds / 60).toFixed(2)} min, ${count(callsCompleted)} calls ` +
      `(${(callsCompleted / elapsedSeconds).toFixed(1)}/s), ${count(signalsRelayed)} signals relayed, ${errors} errors, ` +
      `${count(churn.counters.reconnects + idle.counters.reconnects)} reconnects\n` +
      `soak: after a ${options.warmupSeconds} s warm-up (${trend.samples} samples): RSS ${slope(trend.rssKiBPerMinute)}, ` +
      `heap ${slope(trend.heapKiBPerMinute)}; flat means heap <= ${trend.heapThresholdKiBPerMinute.toFixed(0)} KiB/min ` +
      `(max of 256 KiB/min and 64 B x ${count(trend.callsPerMinute)} calls/min) and RSS <= ${trend.rssThresholdKiBPerMinute.toFixed(0)} KiB/min\n` +
      `soak: verdict ${serverDied ? 'server died' : trend.verdict}\n`,
  );
  for (const sample of churn.counters.errorSamples) process.stdout.write(`soak: error: ${sample}\n`);
  if (serverDied) process.stdout.write(`soak: server output:\n${server.outputTail()}\n`);

  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const result = {
    kind: 'soak',
    options,
    elapsedSeconds,
    serverDied,
    counters: {
      ...churn.counters,
      idleReconnects: idle.counters.reconnects,
      idleErrors: idle.counters.errors,
    },
    samples,
    trend,
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`soak: wrote ${file}\n`);
  if (serverDied || errors > 0 || trend.verdict === 'growing') exitCode = 1;
} catch (error) {
  process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.stderr.write(`soak: server output:\n${server.outputTail()}\n`);
  exitCode = 1;
} finally {
  await server.stop();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
