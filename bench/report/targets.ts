import type { LatencyResult } from '../load/jobs.js';
import type { BenchResults } from '../runner/results.js';
import type { ServerKind } from '../servers/serverKinds.js';
import { median } from '../stats/summary.js';
import { type FigureRow, findRow } from './figures.js';
import { formatValue } from './format.js';

/** The targets for pbx-peers, judged on the medians; printed as PASS/FAIL, never asserted. */
export interface TargetCheck {
  name: string;
  pass: boolean;
  detail: string;
}

const CALL_SETUPS_TARGET = 1500;
const RELAY_SHARE_OF_PARSE = 0.85;

/** Issue 7's goals, against the parse-and-forward relay measured in the same round. */
const RELAY_8KB_SHARE_OF_PARSE = 1.0;
const CONNECTION_CPU_OF_PARSE = 1.3;
const P99_AT_HALF_LOAD_OF_PARSE = 1.2;
const RSS_PER_INITIALIZED_PEER_BYTES = 5.5 * 1024;

/** Issue 8's goals for the cluster, against pbx-peers on one process in the same round. */
const CLUSTER_P99_EXTRA_MS = 2;
const CLUSTER_CALLS_SHARE = 0.5;

function medianOf(rows: readonly FigureRow[], id: string, kind: ServerKind): number {
  return findRow(rows, id)?.cells[kind]?.value.median ?? Number.NaN;
}

function ratioOf(rows: readonly FigureRow[], id: string, kind: ServerKind): number {
  return findRow(rows, id)?.cells[kind]?.ratio?.median ?? Number.NaN;
}

export function checkTargets(results: BenchResults, rows: readonly FigureRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const atLeast = (
    name: string,
    ours: number,
    theirs: number,
    unit: Parameters<typeof formatValue>[1],
    what: string,
  ) =>
    checks.push({
      name,
      pass: ours >= theirs,
      detail: `pbx-peers ${formatValue(ours, unit)} vs ${what} ${formatValue(theirs, unit)}`,
    });
  const atMost = (
    name: string,
    ours: number,
    theirs: number,
    unit: Parameters<typeof formatValue>[1],
    what: string,
  ) =>
    checks.push({
      name,
      pass: ours <= theirs,
      detail: `pbx-peers ${formatValue(ours, unit)} vs ${what} ${formatValue(theirs, unit)}`,
    });

  for (const payloadBytes of results.mode.relay.payloads) {
    const id = `relay-${payloadBytes}`;
    const size = payloadBytes >= 1024 ? `${payloadBytes / 1024} KB` : `${payloadBytes} B`;
    atLeast(
      `relay throughput ${size} >= PeerJS`,
      medianOf(rows, id, 'pbx-peers'),
      medianOf(rows, id, 'peerjs'),
      'msg/s',
      'PeerJS',
    );
    const ratio = ratioOf(rows, id, 'pbx-peers');
    checks.push({
      name: `relay throughput ${size} >= ${RELAY_SHARE_OF_PARSE}x parse-and-forward relay`,
      pass: ratio >= RELAY_SHARE_OF_PARSE,
      detail: `pbx-peers at ×${Number.isFinite(ratio) ? ratio.toFixed(2) : '—'} of the ws relay (parse), same-round median`,
    });
  }
  const sameRound = (name: string, id: string, pass: (ratio: number) => boolean) => {
    const ratio = ratioOf(rows, id, 'pbx-peers');
    checks.push({
      name,
      pass: pass(ratio),
      detail: `pbx-peers at ×${Number.isFinite(ratio) ? ratio.toFixed(2) : '—'} of the ws relay (parse), same-round median`,
    });
  };
  if (results.mode.relay.payloads.includes(8192)) {
    sameRound(
      `relay throughput 8 KB >= ${RELAY_8KB_SHARE_OF_PARSE}x parse-and-forward relay (issue 7)`,
      'relay-8192',
      (ratio) => ratio >= RELAY_8KB_SHARE_OF_PARSE,
    );
  }
  const halfLoad = results.latencyRates.findIndex(
    (_, index) => results.mode.latency.fractions[index] === 0.5,
  );
  if (halfLoad >= 0) {
    sameRound(
      `p99 latency at half load <= ${P99_AT_HALF_LOAD_OF_PARSE}x parse-and-forward relay (issue 7)`,
      `latency-${halfLoad}-p99`,
      (ratio) => ratio <= P99_AT_HALF_LOAD_OF_PARSE,
    );
  }
  results.latencyRates.forEach((rate, index) => {
    const id = `latency-${index}-p99`;
    atMost(
      `p99 latency @ ${rate} msg/s <= PeerJS`,
      medianOf(rows, id, 'pbx-peers'),
      medianOf(rows, id, 'peerjs'),
      'ms',
      'PeerJS',
    );
  });
  atMost(
    'memory per idle peer (RSS) <= PeerJS',
    medianOf(rows, 'memory-rss', 'pbx-peers'),
    medianOf(rows, 'memory-rss', 'peerjs'),
    'B',
    'PeerJS',
  );
  atMost(
    'memory per idle peer (JS heap) <= PeerJS',
    medianOf(rows, 'memory-heap', 'pbx-peers'),
    medianOf(rows, 'memory-heap', 'peerjs'),
    'B',
    'PeerJS',
  );
  atMost(
    'memory per initialized peer (RSS) <= PeerJS',
    medianOf(rows, 'memory-init-rss', 'pbx-peers'),
    medianOf(rows, 'memory-rss', 'peerjs'),
    'B',
    'PeerJS',
  );
  atLeast(
    'connection rate >= PeerJS',
    medianOf(rows, 'connect', 'pbx-peers'),
    medianOf(rows, 'connect', 'peerjs'),
    'conn/s',
    'PeerJS',
  );
  sameRound(
    `server CPU per connection <= ${CONNECTION_CPU_OF_PARSE}x parse-and-forward relay (issue 7)`,
    'connect-cpu',
    (ratio) => ratio <= CONNECTION_CPU_OF_PARSE,
  );
  atMost(
    'memory per initialized idle peer (RSS) <= 5.5 KiB (issue 7)',
    medianOf(rows, 'memory-init-rss', 'pbx-peers'),
    RSS_PER_INITIALIZED_PEER_BYTES,
    'B',
    'goal',
  );
  atLeast(
    `full call setups >= ${CALL_SETUPS_TARGET}/s on one core`,
    medianOf(rows, 'calls', 'pbx-peers'),
    CALL_SETUPS_TARGET,
    'calls/s',
    'target',
  );
  if (!('skipped' in results.cluster)) checks.push(...clusterChecks(results, rows, halfLoad));
  return checks;
}

/**
 * Issue 8: the cross-node p99 at half load (the same offered rate as every other server's) within 2 ms
 * of one process's, as the median of the same-round differences; call setups across nodes at least half
 * the one-process rate, as the median of the same-round ratios.
 */
function clusterChecks(results: BenchResults, rows: readonly FigureRow[], halfLoad: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const cluster = 'pbx-peers-cluster';
  if (halfLoad >= 0) {
    const differences: number[] = [];
    let lost = 0;
    for (const round of results.rounds) {
      const ours = round.latency[cluster]?.[halfLoad];
      const single = round.latency['pbx-peers']?.[halfLoad];
      if (ours === undefined || single === undefined) continue;
      differences.push(p99Of(ours) - p99Of(single));
      lost += ours.lost;
    }
    const difference = median(differences);
    const id = `latency-${halfLoad}-p99`;
    checks.push({
      name: `cross-node relay p99 at half load <= one process + ${CLUSTER_P99_EXTRA_MS} ms (issue 8)`,
      pass: difference <= CLUSTER_P99_EXTRA_MS,
      detail:
        `cluster ${formatValue(medianOf(rows, id, cluster), 'ms')} vs pbx-peers ${formatValue(medianOf(rows, id, 'pbx-peers'), 'ms')} ms ` +
        `at ${results.latencyRates[halfLoad]} msg/s, same-round difference ${signed(difference)} (median)` +
        (lost > 0 ? `; the cluster lost ${lost} signals` : ''),
    });
  }
  const ratio = ratioOf(rows, 'calls', cluster);
  checks.push({
    name: `call setups across nodes >= ${CLUSTER_CALLS_SHARE}x one process (issue 8)`,
    pass: ratio >= CLUSTER_CALLS_SHARE,
    detail:
      `cluster ${formatValue(medianOf(rows, 'calls', cluster), 'calls/s')} vs pbx-peers ${formatValue(medianOf(rows, 'calls', 'pbx-peers'), 'calls/s')} calls/s, ` +
      `×${Number.isFinite(ratio) ? ratio.toFixed(2) : '—'} same-round median`,
  });
  return checks;
}

/**
 * A run's p99, or +∞ when more than 1 % of its messages were lost (or none arrived): its 99th percentile
 * is then beyond anything measured.
 */
function p99Of(run: LatencyResult): number {
  const p99: number | null = run.latency.p99;
  if (run.lost > run.scheduled * 0.01 || typeof p99 !== 'number' || !Number.isFinite(p99))
    return Number.POSITIVE_INFINITY;
  return p99;
}

const signed = (value: number) =>
  value === Number.POSITIVE_INFINITY
    ? '+∞ (over 1 % of the signals lost)'
    : Number.isFinite(value)
      ? `${value >= 0 ? '+' : '−'}${formatValue(Math.abs(value), 'ms')} ms`
      : '—';

export function renderTargets(checks: readonly TargetCheck[]): string {
  return checks.map((check) => `${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`).join('\n');
}
