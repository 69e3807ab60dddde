import type { BenchResults } from '../runner/results.js';
import type { ServerKind } from '../servers/serverKinds.js';
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
  atLeast(
    `full call setups >= ${CALL_SETUPS_TARGET}/s on one core`,
    medianOf(rows, 'calls', 'pbx-peers'),
    CALL_SETUPS_TARGET,
    'calls/s',
    'target',
  );
  return checks;
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return checks.map((check) => `${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`).join('\n');
}
