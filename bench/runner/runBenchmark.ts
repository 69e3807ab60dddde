import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LatencyResult, ThroughputResult } from '../load/jobs.js';
import { LoadProcess } from '../load/LoadProcess.js';
import { waitUntilQuiet } from '../proc/procStat.js';
import {
  type LaunchedServer,
  type LaunchOptions,
  LIFTED_MESSAGE_BURST,
  LIFTED_MESSAGE_RATE,
  launchServer,
  redisServerAvailable,
} from '../servers/launchers.js';
import { hasTaskset } from '../servers/managedProcess.js';
import {
  CALL_KINDS,
  CLUSTER_NODES,
  CONNECTION_KINDS,
  LATENCY_BASIS_KINDS,
  SERVER_KINDS,
  type ServerKind,
} from '../servers/serverKinds.js';
import { linearFit } from '../stats/regression.js';
import { machineInfo } from './machineInfo.js';
import type { ModeParams } from './modes.js';
import {
  type BenchResults,
  MEMORY_VARIANTS,
  type MemoryPoint,
  type MemoryRun,
  type MemoryVariant,
  type RoundResult,
  serverOfVariant,
} from './results.js';

export interface RunOptions {
  mode: ModeParams;
  /** Pin servers to core 0 and the load to core 1 (when there are two cores and taskset). */
  pin: boolean;
  /** Progress lines (stderr by default). */
  log: (line: string) => void;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;
const PAIR_SETUP_TIMEOUT_MS = 180_000;

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Generous bound for one job: its own duration plus setup and drain. */
function jobTimeout(ms: number): number {
  return ms + 60_000;
}

class Bench {
  private readonly workDir = mkdtempSync(join(tmpdir(), 'pbx-bench-'));
  readonly cpus: { server: number | undefined; load: number | undefined };
  /** The kinds measured: all, or all but the cluster when there is no redis-server to start. */
  readonly kinds: readonly ServerKind[];
  readonly cluster: BenchResults['cluster'];
  latencyRates: number[] = [];
  latencyBasis: BenchResults['latencyBasis'];

  constructor(private readonly options: RunOptions) {
    const canPin = options.pin && hasTaskset() && (machineInfo(false).cpus ?? 0) >= 2;
    this.cpus = canPin ? { server: 0, load: 1 } : { server: undefined, load: undefined };
    const redis = redisServerAvailable();
    this.cluster =
      redis === undefined ? { skipped: 'no redis-server on the PATH' } : { nodes: CLUSTER_NODES, redis };
    this.kinds =
      redis === undefined ? SERVER_KINDS.filter((kind) => kind !== 'pbx-peers-cluster') : SERVER_KINDS;
    if (redis === undefined) options.log('no redis-server on the PATH: the cluster figures are left out');
  }

  get mode(): ModeParams {
    return this.options.mode;
  }

  log(line: string): void {
    this.options.log(line);
  }

  launchOptions(purpose: LaunchOptions['purpose']): LaunchOptions {
    return {
      purpose,
      cpu: this.cpus.server,
      workDir: this.workDir,
      host: HOST,
      startTimeoutMs: START_TIMEOUT_MS,
    };
  }

  dispose(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Waits (bounded) until none of the servers is still busy, e.g. cleaning up closed connections. */
async function settle(servers: Iterable<LaunchedServer>, timeoutMs = 5000): Promise<void> {
  for (const server of servers)
    for (const { pid } of server.processes) await waitUntilQuiet(pid, { windowMs: 100, timeoutMs });
}

/** An overloaded cluster can work through its backlog for many seconds after a latency run. */
const BACKLOG_SETTLE_MS = 30_000;

/** A latency for the log; none (every message of the window late or lost, sent over IPC as null) is `—`. */
function ms(value: number | null): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : '—';
}

/** ` (node 1 24%, node 2 25%, node 3 24%, redis 23%)` for a server of several processes. */
function partsNote(parts: Record<string, number> | undefined): string {
  if (parts === undefined) return '';
  const shares = Object.entries(parts).map(([label, share]) => `${label} ${(share * 100).toFixed(0)}%`);
  return ` (${shares.join(', ')})`;
}

async function runRound(bench: Bench, round: number): Promise<RoundResult> {
  const { mode } = bench;
  const order = rotate(bench.kinds, round);
  const result: RoundResult = {
    round,
    order,
    pairSetupSeconds: {},
    throughput: {},
    latency: {},
    connect: {},
    calls: {},
    clusterHalfLoad: undefined,
    clusterPairReopens: 0,
  };
  // pbx-peers and the cluster, alternating which goes first from round to round.
  const pbxOrder = rotate(
    CALL_KINDS.filter((kind) => bench.kinds.includes(kind)),
    round,
  );
  bench.log(`round ${round + 1}/${mode.rounds}: servers in order ${order.join(', ')}`);
  const load = await LoadProcess.start(bench.cpus.load, START_TIMEOUT_MS);
  const servers = new Map<ServerKind, LaunchedServer>();
  try {
    const launched = await Promise.allSettled(
      order.map((kind) => launchServer(kind, bench.launchOptions('load'))),
    );
    for (const outcome of launched)
      if (outcome.status === 'fulfilled') servers.set(outcome.value.kind, outcome.value);
    const failed = launched.find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const server = (kind: ServerKind) => servers.get(kind) as LaunchedServer;
    /**
     * A cluster node closes a peer whose signal waited longer than node-redis's command timeout (5 s)
     * for Redis, which happens when the cluster is offered more than it relays: after a latency run that
     * lost signals, the cluster's relay pairs are opened anew so the next run measures live calls.
     */
    let clusterPairsBroken = false;
    const reopenIfBroken = async () => {
      if (!clusterPairsBroken) return;
      const target = server('pbx-peers-cluster').target;
      await load.run({ kind: 'close-pairs', server: 'pbx-peers-cluster' }, 30_000);
      await settle([server('pbx-peers-cluster')]);
      const opened = await load.run(
        { kind: 'open-pairs', target, pairs: mode.relay.pairs, localAddress: undefined },
        PAIR_SETUP_TIMEOUT_MS,
      );
      result.clusterPairReopens++;
      clusterPairsBroken = false;
      bench.log(`  the cluster lost signals: its ${opened.pairs} relay pairs opened anew`);
      await settle([server('pbx-peers-cluster')]);
    };
    bench.log('  servers started; opening relay pairs');

    for (const kind of order) {
      const opened = await load.run(
        {
          kind: 'open-pairs',
          target: server(kind).target,
          pairs: mode.relay.pairs,
          localAddress: undefined,
        },
        PAIR_SETUP_TIMEOUT_MS,
      );
      result.pairSetupSeconds[kind] = opened.setupSeconds;
      bench.log(`  ${opened.pairs} relay pairs on ${kind} in ${opened.setupSeconds.toFixed(1)} s`);
    }
    const { relay } = mode;
    const cluster = servers.get('pbx-peers-cluster');
    if (cluster !== undefined) {
      // Discarded: the cluster's nodes reach a steady rate only after seconds of traffic (BENCHMARKS.md).
      const share = Math.round(mode.cluster.jitWarmupMs / relay.payloads.length);
      for (const payloadBytes of relay.payloads) {
        await load.run(
          {
            kind: 'throughput',
            server: 'pbx-peers-cluster',
            window: relay.window,
            payloadBytes,
            warmupMs: share,
            measureMs: 100,
          },
          jobTimeout(share),
        );
      }
      bench.log(
        `  cluster warmed up: ${(mode.cluster.jitWarmupMs / 1000).toFixed(1)} s of relay traffic, discarded`,
      );
    }
    await settle(servers.values());

    for (const payloadBytes of relay.payloads) {
      for (const kind of order) {
        let measured: ThroughputResult | undefined;
        // A run counts only with the server's core (nearly) saturated; another process on that core
        // (the machine is shared) spoils it, so such a run is repeated a few times.
        for (let attempt = 0; attempt <= mode.retries; attempt++) {
          if (attempt > 0) {
            bench.log(`    server core not saturated; retrying (${attempt}/${mode.retries})`);
            await settle([server(kind)]);
          }
          measured = await load.run(
            {
              kind: 'throughput',
              server: kind,
              window: relay.window,
              payloadBytes,
              warmupMs: relay.warmupMs,
              measureMs: relay.measureMs,
            },
            jobTimeout(relay.warmupMs + relay.measureMs),
          );
          if (measured.server.utilisation >= mode.saturation) break;
        }
        if (measured === undefined) continue;
        result.throughput[kind] = { ...result.throughput[kind], [String(payloadBytes)]: measured };
        bench.log(
          `  relay ${payloadBytes} B ${kind}: ${Math.round(measured.messagesPerSecond)} msg/s, ` +
            `server core ${(measured.server.utilisation * 100).toFixed(0)}%${partsNote(measured.serverParts)}, load core ${(measured.load.utilisation * 100).toFixed(0)}%`,
        );
        await settle([server(kind)]);
      }
    }

    const { latency } = mode;
    /** One open-loop latency run of `kind` at `rate` messages/s. */
    const runLatency = (kind: ServerKind, rate: number) =>
      load.run(
        {
          kind: 'latency',
          server: kind,
          rate,
          payloadBytes: latency.payloadBytes,
          warmupMs: latency.warmupMs,
          measureMs: latency.measureMs,
          drainMs: latency.drainMs,
        },
        jobTimeout(latency.warmupMs + latency.measureMs + latency.drainMs),
      );
    if (round === 0) {
      // Only runs that count (server core saturated) say what a server can do; an unsaturated run only
      // says another process had its core. Without any, every run is used.
      // The single-process servers only: the cluster must not move the rates of the other figures.
      const basisRuns = order.flatMap((kind) => {
        if (!LATENCY_BASIS_KINDS.includes(kind)) return [];
        const run = result.throughput[kind]?.[String(latency.payloadBytes)];
        return run === undefined ? [] : [{ kind, run }];
      });
      const saturatedRuns = basisRuns.filter(({ run }) => run.server.utilisation >= mode.saturation);
      let weakest: { server: ServerKind; messagesPerSecond: number } | undefined;
      for (const { kind, run } of saturatedRuns.length > 0 ? saturatedRuns : basisRuns) {
        if (weakest === undefined || run.messagesPerSecond < weakest.messagesPerSecond)
          weakest = { server: kind, messagesPerSecond: run.messagesPerSecond };
      }
      bench.latencyBasis = weakest;
      const basis = weakest?.messagesPerSecond ?? Number.NaN;
      bench.latencyRates = latency.fractions.map((fraction) =>
        Math.max(10, Math.round((basis * fraction) / 10) * 10),
      );
      bench.log(
        `  latency rates (of ${weakest?.server}'s ${Math.round(basis)} msg/s): ${bench.latencyRates.join(', ')} msg/s`,
      );
    }
    // First at a load the cluster sustains: the shared rates may be beyond it, and an overloaded cluster
    // closes connections (see reopenIfBroken).
    const clusterRelay = result.throughput['pbx-peers-cluster']?.[String(latency.payloadBytes)];
    if (clusterRelay !== undefined && servers.has('pbx-peers')) {
      const rate = Math.max(10, Math.round(clusterRelay.messagesPerSecond / 2 / 10) * 10);
      const measured: Partial<Record<ServerKind, LatencyResult>> = {};
      for (const kind of pbxOrder) {
        const run = await runLatency(kind, rate);
        measured[kind] = run;
        if (kind === 'pbx-peers-cluster' && run.lost > 0) clusterPairsBroken = true;
        const { p50, p99, p999 } = run.latency;
        bench.log(
          `  latency @${rate}/s (half the cluster's saturation) ${kind}: p50 ${ms(p50)} p99 ${ms(p99)} p99.9 ${ms(p999)} ms, lost ${run.lost}`,
        );
        await settle([server(kind)], run.lost > 0 ? BACKLOG_SETTLE_MS : undefined);
      }
      result.clusterHalfLoad = { rate, latency: measured };
    }
    for (const rate of bench.latencyRates) {
      for (const kind of order) {
        if (kind === 'pbx-peers-cluster') await reopenIfBroken();
        const measured = await runLatency(kind, rate);
        result.latency[kind] = [...(result.latency[kind] ?? []), measured];
        if (kind === 'pbx-peers-cluster' && measured.lost > 0) clusterPairsBroken = true;
        const { p50, p99, p999 } = measured.latency;
        bench.log(
          `  latency @${rate}/s ${kind}: p50 ${ms(p50)} p99 ${ms(p99)} p99.9 ${ms(p999)} ms, lost ${measured.lost}` +
            `, server core ${(measured.server.utilisation * 100).toFixed(0)}%${partsNote(measured.serverParts)}`,
        );
        await settle([server(kind)], measured.lost > 0 ? BACKLOG_SETTLE_MS : undefined);
      }
    }
    for (const kind of order) await load.run({ kind: 'close-pairs', server: kind }, 30_000);
    await settle(servers.values());

    const { connect } = mode;
    for (const kind of order.filter((candidate) => CONNECTION_KINDS.includes(candidate))) {
      const measured = await load.run(
        { kind: 'connect-rate', target: server(kind).target, ...connect, localAddress: undefined },
        jobTimeout(0),
      );
      result.connect[kind] = measured;
      bench.log(
        `  connections ${kind}: ${Math.round(measured.perSecond)}/s, server core ${(measured.server.utilisation * 100).toFixed(0)}%, failures ${measured.failures}`,
      );
      await settle([server(kind)]);
    }

    const { calls } = mode;
    for (const kind of pbxOrder) {
      const pbx = server(kind);
      const callJob = {
        kind: 'call-setup' as const,
        target: pbx.target,
        agents: calls.agents,
        concurrency: calls.concurrency,
        offerBytes: calls.offerBytes,
        candidates: calls.candidates,
        candidateBytes: calls.candidateBytes,
        warmupMs: calls.warmupMs,
        measureMs: calls.measureMs,
        drainMs: calls.drainMs,
      };
      const budget = jobTimeout(calls.warmupMs + calls.measureMs + 2 * calls.drainMs);
      if (kind === 'pbx-peers-cluster') {
        // Discarded, as for the relay: the call path (placeCall, claim, end scripts) warms up too.
        const warmupMs = mode.cluster.jitWarmupMs;
        await load.run(
          { ...callJob, warmupMs, measureMs: 100, rate: undefined, localAddress: undefined },
          budget + warmupMs,
        );
        bench.log(`  cluster warmed up: ${(warmupMs / 1000).toFixed(1)} s of call setups, discarded`);
        await settle([pbx]);
      }
      const saturated = await load.run({ ...callJob, rate: undefined, localAddress: undefined }, budget);
      bench.log(
        `  call setups ${kind}: ${Math.round(saturated.perSecond)}/s, server core ${(saturated.server.utilisation * 100).toFixed(0)}%` +
          `${partsNote(saturated.serverParts)}, failures ${saturated.failures}` +
          (saturated.nodePairs === undefined ? '' : `, node pairs ${JSON.stringify(saturated.nodePairs)}`),
      );
      await settle([pbx]);
      const halfRateOffered = Math.max(1, Math.round(saturated.perSecond / 2));
      const halfRate = await load.run({ ...callJob, rate: halfRateOffered, localAddress: undefined }, budget);
      bench.log(
        `  call setups ${kind} @${halfRateOffered}/s: p50 ${ms(halfRate.setup.p50)} p99 ${ms(halfRate.setup.p99)} ms, lost ${halfRate.lost}`,
      );
      result.calls[kind] = { saturated, halfRate, halfRateOffered };
      await settle([pbx]);
    }
    return result;
  } finally {
    await load.stop();
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}

/**
 * The memory figure needs quiet servers when they are read, not an idle core: the variants of a round
 * ramp up side by side, each server with its own load process (file-descriptor limits are per process),
 * and each server is read only after it has been quiet for a moment following each step.
 */
async function runMemoryRound(bench: Bench, round: number): Promise<MemoryRun[]> {
  const { memory } = bench.mode;
  const variants = rotate(MEMORY_VARIANTS, round);
  bench.log(`memory round ${round + 1}/${memory.rounds}: ${variants.join(', ')}, side by side`);
  const outcomes = await Promise.allSettled(variants.map((variant) => runMemoryRamp(bench, variant, round)));
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
}

async function runMemoryRamp(bench: Bench, variant: MemoryVariant, round: number): Promise<MemoryRun> {
  const { memory } = bench.mode;
  const [loadStarted, serverStarted] = await Promise.allSettled([
    LoadProcess.start(bench.cpus.load, START_TIMEOUT_MS),
    launchServer(serverOfVariant(variant), bench.launchOptions('memory')),
  ]);
  if (loadStarted.status === 'rejected' || serverStarted.status === 'rejected') {
    if (loadStarted.status === 'fulfilled') await loadStarted.value.stop();
    if (serverStarted.status === 'fulfilled') await serverStarted.value.stop();
    throw loadStarted.status === 'rejected'
      ? loadStarted.reason
      : (serverStarted as PromiseRejectedResult).reason;
  }
  const load = loadStarted.value;
  const server = serverStarted.value;
  const points: MemoryPoint[] = [];
  let failures = 0;
  try {
    for (const step of memory.steps) {
      const opened = await load.run(
        {
          kind: 'idle-open',
          target: server.target,
          total: step,
          initialize: variant === 'pbx-peers-initialized',
          concurrency: memory.concurrency,
          localAddress: undefined,
        },
        jobTimeout(step * 20),
      );
      failures += opened.failures;
      await settle([server]);
      const usage = await server.memory();
      points.push({ connections: opened.open, rss: usage.rss, heapUsed: usage.heapUsed });
    }
    await load.run({ kind: 'idle-close' }, 30_000);
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
  const rssPerPeer = linearFit(points.map((p) => ({ x: p.connections, y: p.rss }))).slope;
  const heapPerPeer = linearFit(points.map((p) => ({ x: p.connections, y: p.heapUsed }))).slope;
  bench.log(
    `  memory ${variant}: ${Math.round(rssPerPeer)} B RSS, ${Math.round(heapPerPeer)} B heap per peer`,
  );
  return { round, variant, points, rssPerPeer, heapPerPeer, failures };
}

/** Runs every figure for every server; see BENCHMARKS.md for the method. */
export async function runBenchmark(options: RunOptions): Promise<BenchResults> {
  const bench = new Bench(options);
  const startedAt = new Date().toISOString();
  const rounds: RoundResult[] = [];
  const memory: MemoryRun[] = [];
  try {
    for (let round = 0; round < options.mode.rounds; round++) rounds.push(await runRound(bench, round));
    for (let round = 0; round < options.mode.memory.rounds; round++)
      memory.push(...(await runMemoryRound(bench, round)));
  } finally {
    bench.dispose();
  }
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(bench.cpus.server !== undefined),
    mode: options.mode,
    pbxPeersMessageBudget: { rate: LIFTED_MESSAGE_RATE, burst: LIFTED_MESSAGE_BURST },
    latencyRates: bench.latencyRates,
    latencyBasis: bench.latencyBasis,
    rounds,
    memory,
    cluster: bench.cluster,
  };
}
