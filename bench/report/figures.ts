import type { LatencyResult } from '../load/jobs.js';
import type { BenchResults, MemoryVariant, RoundResult } from '../runner/results.js';
import { referenceOf, SERVER_KINDS, type ServerKind } from '../servers/serverKinds.js';
import { median, type Spread, spreadOf } from '../stats/summary.js';

/**
 * The summary: one row per figure, one cell per server, each the median with min-max over rounds and
 * the median of the same-round ratios to the bare parse-and-forward relay (for the cluster: to pbx-peers
 * on one process).
 */

export type Unit = 'msg/s' | 'µs' | '%' | 'ms' | 'B' | 'conn/s' | 'calls/s';

export interface Cell {
  value: Spread;
  /** Value divided by the reference relay's value in the same round; undefined for the reference-less rows. */
  ratio: Spread | undefined;
  /** Some runs did not count (the server's core was not saturated); the median is of those that did. */
  flagged: boolean;
}

export interface FigureRow {
  id: string;
  label: string;
  unit: Unit;
  cells: Partial<Record<ServerKind, Cell>>;
}

interface Sample {
  round: number;
  value: number;
  counted: boolean;
}

function cellOf(samples: readonly Sample[], reference: readonly Sample[] | undefined): Cell | undefined {
  if (samples.length === 0) return undefined;
  const counted = samples.filter((sample) => sample.counted);
  const used = counted.length > 0 ? counted : samples;
  const ratios: number[] = [];
  for (const sample of used) {
    const base = reference?.find((candidate) => candidate.round === sample.round);
    if (base !== undefined && base.value !== 0) ratios.push(sample.value / base.value);
  }
  return {
    value: spreadOf(used.map((sample) => sample.value)),
    ratio: reference === undefined ? undefined : spreadOf(ratios),
    flagged: counted.length < samples.length,
  };
}

function roundRow(
  results: BenchResults,
  id: string,
  label: string,
  unit: Unit,
  pick: (round: RoundResult, kind: ServerKind) => Sample['value'] | undefined,
  counts: (round: RoundResult, kind: ServerKind) => boolean = () => true,
): FigureRow {
  const samplesOf = (kind: ServerKind): Sample[] =>
    results.rounds.flatMap((round) => {
      const value = pick(round, kind);
      // NaN arrives over IPC as null (a latency run where every message was lost).
      return typeof value !== 'number' || Number.isNaN(value)
        ? []
        : [{ round: round.round, value, counted: counts(round, kind) }];
    });
  const cells: Partial<Record<ServerKind, Cell>> = {};
  for (const kind of SERVER_KINDS) {
    const cell = cellOf(samplesOf(kind), samplesOf(referenceOf(kind)));
    if (cell !== undefined) cells[kind] = cell;
  }
  return { id, label, unit, cells };
}

function memoryRow(
  results: BenchResults,
  id: string,
  label: string,
  variantFor: (kind: ServerKind) => MemoryVariant | undefined,
  pick: 'rssPerPeer' | 'heapPerPeer',
): FigureRow {
  const samplesOf = (variant: MemoryVariant): Sample[] =>
    results.memory
      .filter((run) => run.variant === variant && Number.isFinite(run[pick]))
      .map((run) => ({ round: run.round, value: run[pick], counted: run.failures === 0 }));
  const reference = samplesOf('ws-parse');
  const cells: Partial<Record<ServerKind, Cell>> = {};
  for (const kind of SERVER_KINDS) {
    const variant = variantFor(kind);
    if (variant === undefined) continue;
    const cell = cellOf(samplesOf(variant), reference);
    if (cell !== undefined) cells[kind] = cell;
  }
  return { id, label, unit: 'B', cells };
}

const kb = (bytes: number) => (bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`);

export function figureRows(results: BenchResults): FigureRow[] {
  const rows: FigureRow[] = [];
  const saturation = results.mode.saturation;
  for (const payloadBytes of results.mode.relay.payloads) {
    const key = String(payloadBytes);
    const run = (round: RoundResult, kind: ServerKind) => round.throughput[kind]?.[key];
    const saturated = (round: RoundResult, kind: ServerKind) =>
      (run(round, kind)?.server.utilisation ?? 0) >= saturation && (run(round, kind)?.unexpected ?? 0) === 0;
    rows.push(
      roundRow(
        results,
        `relay-${key}`,
        `relay ${kb(payloadBytes)}: messages/s`,
        'msg/s',
        (r, k) => run(r, k)?.messagesPerSecond,
        saturated,
      ),
      roundRow(
        results,
        `relay-${key}-cpu`,
        `relay ${kb(payloadBytes)}: server CPU per message`,
        'µs',
        (r, k) => {
          const m = run(r, k);
          return m === undefined ? undefined : (m.server.cpuSeconds * 1e6) / m.messages;
        },
        saturated,
      ),
      roundRow(results, `relay-${key}-util`, `relay ${kb(payloadBytes)}: server core busy`, '%', (r, k) => {
        const m = run(r, k);
        return m === undefined ? undefined : m.server.utilisation * 100;
      }),
      roundRow(results, `relay-${key}-load`, `relay ${kb(payloadBytes)}: load core busy`, '%', (r, k) => {
        const m = run(r, k);
        return m === undefined ? undefined : m.load.utilisation * 100;
      }),
      roundRow(results, `relay-${key}-redis`, `relay ${kb(payloadBytes)}: of it, Redis`, '%', (r, k) =>
        redisShare(run(r, k)?.serverParts),
      ),
    );
  }
  results.latencyRates.forEach((rate, index) => {
    const share = Math.round((results.mode.latency.fractions[index] ?? 0) * 100);
    rows.push(
      ...latencyRows(
        results,
        `latency-${index}`,
        `latency @ ${rate} msg/s (${share}%)`,
        (round, kind) => round.latency[kind]?.[index],
      ),
    );
  });
  const halfRates = results.rounds.flatMap((round) =>
    round.clusterHalfLoad === undefined ? [] : [round.clusterHalfLoad.rate],
  );
  if (halfRates.length > 0) {
    const rate = Math.round(median(halfRates));
    const shown = halfRates.length > 1 ? `≈${rate}` : String(rate);
    rows.push(
      ...latencyRows(
        results,
        'latency-cluster-half',
        `latency @ ${shown} msg/s (half the cluster's)`,
        (round, kind) => round.clusterHalfLoad?.latency[kind],
      ),
    );
  }
  const memoryVariant = (kind: ServerKind): MemoryVariant | undefined =>
    kind === 'pbx-peers-cluster' ? undefined : kind;
  const initialized = (kind: ServerKind): MemoryVariant | undefined =>
    kind === 'pbx-peers' ? 'pbx-peers-initialized' : undefined;
  rows.push(
    memoryRow(results, 'memory-rss', 'memory per idle peer: RSS', memoryVariant, 'rssPerPeer'),
    memoryRow(results, 'memory-heap', 'memory per idle peer: JS heap', memoryVariant, 'heapPerPeer'),
    memoryRow(results, 'memory-init-rss', 'memory per initialized peer: RSS', initialized, 'rssPerPeer'),
    memoryRow(
      results,
      'memory-init-heap',
      'memory per initialized peer: JS heap',
      initialized,
      'heapPerPeer',
    ),
  );
  const connect = (round: RoundResult, kind: ServerKind) => round.connect[kind];
  rows.push(
    roundRow(
      results,
      'connect',
      'connections/s (pbx-peers: + init)',
      'conn/s',
      (r, k) => connect(r, k)?.perSecond,
      (r, k) => connect(r, k)?.failures === 0,
    ),
    roundRow(results, 'connect-cpu', 'server CPU per connection', 'µs', (r, k) => {
      const m = connect(r, k);
      return m === undefined ? undefined : (m.server.cpuSeconds * 1e6) / m.connections;
    }),
    roundRow(results, 'connect-util', 'connections: server core busy', '%', (r, k) => {
      const m = connect(r, k);
      return m === undefined ? undefined : m.server.utilisation * 100;
    }),
    roundRow(results, 'connect-load', 'connections: load core busy', '%', (r, k) => {
      const m = connect(r, k);
      return m === undefined ? undefined : m.load.utilisation * 100;
    }),
  );
  const calls = (round: RoundResult, kind: ServerKind) => round.calls[kind];
  rows.push(
    roundRow(
      results,
      'calls',
      'full call setups/s (10 agents)',
      'calls/s',
      (r, k) => calls(r, k)?.saturated.perSecond,
      (r, k) =>
        (calls(r, k)?.saturated.server.utilisation ?? 0) >= saturation &&
        calls(r, k)?.saturated.failures === 0,
    ),
    roundRow(results, 'calls-util', 'call setups: server core busy', '%', (r, k) => {
      const m = calls(r, k)?.saturated;
      return m === undefined ? undefined : m.server.utilisation * 100;
    }),
    roundRow(results, 'calls-redis', 'call setups: of it, Redis', '%', (r, k) =>
      redisShare(calls(r, k)?.saturated.serverParts),
    ),
    roundRow(
      results,
      'calls-p50',
      'call setup time at half that rate: p50',
      'ms',
      (r, k) => calls(r, k)?.halfRate.setup.p50,
    ),
    roundRow(
      results,
      'calls-p99',
      'call setup time at half that rate: p99',
      'ms',
      (r, k) => calls(r, k)?.halfRate.setup.p99,
      (r, k) => calls(r, k)?.halfRate.lost === 0 && calls(r, k)?.halfRate.failures === 0,
    ),
  );
  return rows;
}

/**
 * The p50, p99 and p99.9 rows of one latency run per round and server, `run` picking it; a cell counts
 * only where its run lost nothing and got nothing unexpected.
 */
function latencyRows(
  results: BenchResults,
  idPrefix: string,
  labelPrefix: string,
  run: (round: RoundResult, kind: ServerKind) => LatencyResult | undefined,
): FigureRow[] {
  const complete = (round: RoundResult, kind: ServerKind) =>
    run(round, kind)?.lost === 0 && run(round, kind)?.unexpected === 0;
  return (
    [
      ['p50', 'p50'],
      ['p99', 'p99'],
      ['p99.9', 'p999'],
    ] as const
  ).map(([name, pick]) =>
    roundRow(
      results,
      `${idPrefix}-${pick}`,
      `${labelPrefix}: ${name}`,
      'ms',
      (round, kind) => latencyOf(run(round, kind), pick),
      complete,
    ),
  );
}

/**
 * A latency percentile of a run; a run that delivered nothing in its window has none (NaN, null after
 * IPC) and counts as infinitely late, so its cell shows `—` rather than vanishing.
 */
function latencyOf(run: LatencyResult | undefined, pick: 'p50' | 'p99' | 'p999'): number | undefined {
  if (run === undefined) return undefined;
  const value: number | null = run.latency[pick];
  return typeof value === 'number' && Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
}

/** Redis's share of a core in a cluster's window (its part of "server core busy"), in %. */
function redisShare(parts: Record<string, number> | undefined): number | undefined {
  const share = parts?.redis;
  return share === undefined ? undefined : share * 100;
}

export function findRow(rows: readonly FigureRow[], id: string): FigureRow | undefined {
  return rows.find((row) => row.id === id);
}
