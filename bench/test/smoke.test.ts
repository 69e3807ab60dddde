/**
 * Keeps the benchmark from rotting: runs `bench/run.ts --smoke` (every figure, all four servers and the
 * pbx-peers cluster, a handful of connections, a few seconds each) and checks that the table and the JSON
 * come out with every figure present and numeric. Whether the targets are met is not asserted. Every
 * child process of the run (the cluster's Redis too) carries a marker in its environment; none may be
 * left behind. Without a redis-server on the PATH the cluster is left out, and so are its checks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { redisServerAvailable } from '../servers/launchers.js';
import { runBenchScript, type ScriptRun } from './runBenchScript.js';

// The run takes about 35 s alone; on CI it shares two cores with another test file, and once took
// longer than 55 s. The bound stays below the suite's 120 s per-test timeout.
const RUN_TIMEOUT_MS = 100_000;
const SERVERS = ['ws-forward', 'ws-parse', 'peerjs', 'pbx-peers'] as const;
const CLUSTER = 'pbx-peers-cluster';
const withCluster = redisServerAvailable() !== undefined;

interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}
interface Row {
  id: string;
  cells: Record<string, { value: Spread } | undefined>;
}
interface Output {
  summary: Row[];
  targets: { name: string; pass: boolean; detail: string }[];
  latencyRates: number[];
}

const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
const marker = `BENCH_SMOKE_${randomBytes(6).toString('hex')}`;
after(() => rmSync(outDir, { recursive: true, force: true }));

/** Pids of live processes whose environment carries the marker. */
function markedProcesses(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function runSmoke(): Promise<ScriptRun> {
  return runBenchScript(['bench/run.ts', '--smoke', '--out', outDir], RUN_TIMEOUT_MS, {
    ...process.env,
    [marker]: '1',
  });
}

test('bench --smoke measures every figure for every server and cleans up', { timeout: 115_000 }, async () => {
  const { code, stdout, stderr } = await runSmoke();
  try {
    assert.equal(code, 0, `bench exited ${code}\n${stderr}`);

    assert.match(
      stdout,
      /\| figure +\| ws relay \(forward\) +\| ws relay \(parse\) +\| PeerJS server +\| pbx-peers +\|/,
    );
    assert.match(stdout, /^(PASS|FAIL) {2}relay throughput 200 B >= PeerJS/m);
    assert.match(stdout, /^(PASS|FAIL) {2}full call setups >= 1500\/s on one core/m);
    if (withCluster) {
      assert.match(stdout, /\| pbx-peers +\| pbx-peers cluster \(3 nodes\) +\|/);
      assert.match(stdout, /^(PASS|FAIL) {2}cross-node relay p99 at half load <= one process \+ 2 ms/m);
      assert.match(stdout, /^(PASS|FAIL) {2}call setups across nodes >= 0\.5x one process/m);
    }

    const files = readdirSync(outDir).filter((name) => /^smoke-.*\.json$/.test(name));
    assert.equal(files.length, 1, `one JSON result expected in ${outDir}, found ${files.join(', ')}`);
    const output = JSON.parse(readFileSync(join(outDir, files[0] as string), 'utf8')) as Output;

    const everyServer = [
      'relay-200',
      'relay-200-cpu',
      'relay-200-util',
      'relay-200-load',
      'relay-8192',
      'relay-8192-cpu',
      'relay-8192-util',
      'relay-8192-load',
      ...[0, 1, 2].flatMap((rate) => ['p50', 'p99', 'p999'].map((p) => `latency-${rate}-${p}`)),
      'memory-rss',
      'memory-heap',
      'connect',
      'connect-cpu',
      'connect-util',
    ];
    const pbxOnly = ['memory-init-rss', 'memory-init-heap', 'calls', 'calls-util', 'calls-p50', 'calls-p99'];
    const numeric = (id: string, server: string) => {
      const row = output.summary.find((candidate) => candidate.id === id);
      assert.ok(row !== undefined, `figure ${id} missing`);
      const value = row.cells[server]?.value.median;
      assert.ok(typeof value === 'number' && Number.isFinite(value), `${id} for ${server} is ${value}`);
    };
    for (const id of everyServer) for (const server of SERVERS) numeric(id, server);
    for (const id of pbxOnly) numeric(id, 'pbx-peers');
    if (withCluster) {
      const clusterFigures = [
        ...everyServer.filter((id) => id.startsWith('relay-') || id.startsWith('latency-')),
        'relay-200-redis',
        'relay-8192-redis',
        'calls',
        'calls-util',
        'calls-redis',
        'calls-p50',
        'calls-p99',
        ...['p50', 'p99', 'p999'].map((p) => `latency-cluster-half-${p}`),
      ];
      for (const id of clusterFigures) numeric(id, CLUSTER);
      for (const p of ['p50', 'p99', 'p999']) numeric(`latency-cluster-half-${p}`, 'pbx-peers');
      // Per-process figures have no cluster cell.
      const connect = output.summary.find((row) => row.id === 'connect');
      assert.equal(connect?.cells[CLUSTER], undefined);
    }

    assert.equal(output.latencyRates.length, 3);
    for (const rate of output.latencyRates) assert.ok(rate > 0);
    assert.ok(output.targets.length >= 10);
    for (const target of output.targets) assert.equal(typeof target.pass, 'boolean');
  } finally {
    // Every process the run started must be gone (allow a moment for exits to be reaped).
    const deadline = Date.now() + 5000;
    let left = markedProcesses();
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = markedProcesses();
    }
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'child processes left running');
  }
});
