import type { CallSetupResult, ConnectRateResult, LatencyResult, ThroughputResult } from '../load/jobs.js';
import type { ServerKind } from '../servers/serverKinds.js';
import type { ModeParams } from './modes.js';

/** Everything one benchmark run measured, as written to bench/results/*.json. */

/** The memory figure's rows: each server's connected peers, plus pbx-peers' initialized peers. */
export const MEMORY_VARIANTS = [
  'ws-forward',
  'ws-parse',
  'peerjs',
  'pbx-peers',
  'pbx-peers-initialized',
] as const;
export type MemoryVariant = (typeof MEMORY_VARIANTS)[number];

export function serverOfVariant(variant: MemoryVariant): ServerKind {
  return variant === 'pbx-peers-initialized' ? 'pbx-peers' : variant;
}

export interface MemoryPoint {
  connections: number;
  /** After forced GC, bytes. */
  rss: number;
  heapUsed: number;
}

export interface MemoryRun {
  round: number;
  variant: MemoryVariant;
  points: MemoryPoint[];
  /** Least-squares slopes over the points, bytes per connection. */
  rssPerPeer: number;
  heapPerPeer: number;
  failures: number;
}

export interface CallFigures {
  saturated: CallSetupResult;
  /** Open loop at half the saturated rate of the same round. */
  halfRate: CallSetupResult;
  halfRateOffered: number;
}

export interface RoundResult {
  round: number;
  order: ServerKind[];
  pairSetupSeconds: Partial<Record<ServerKind, number>>;
  /** By server, then by payload size in bytes. */
  throughput: Partial<Record<ServerKind, Record<string, ThroughputResult>>>;
  /** By server, one entry per offered rate (same order as `latencyRates`). */
  latency: Partial<Record<ServerKind, LatencyResult[]>>;
  connect: Partial<Record<ServerKind, ConnectRateResult>>;
  /** pbx-peers on one process and the cluster. */
  calls: Partial<Record<ServerKind, CallFigures>>;
  /**
   * pbx-peers on one process and the cluster at half the cluster's own 200 B saturation in this round:
   * latency at a load the cluster sustains (the shared rates may be beyond it).
   */
  clusterHalfLoad: { rate: number; latency: Partial<Record<ServerKind, LatencyResult>> } | undefined;
  /** How often the cluster's relay pairs were opened anew after a latency run that lost signals. */
  clusterPairReopens: number;
}

export interface MachineInfo {
  cpuModel: string;
  cpus: number;
  memory: string;
  node: string;
  ws: string;
  peer: string;
  pinned: boolean;
  openFilesLimit: string;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  mode: ModeParams;
  /** pbx-peers' lifted per-connection message budget (`--message-rate`, `--message-burst`). */
  pbxPeersMessageBudget: { rate: number; burst: number };
  /** Offered rates of the latency figure, messages/s, fixed after round 1 for every server. */
  latencyRates: number[];
  /** Saturated 200 B throughput the rates were derived from, and whose it was. */
  latencyBasis: { server: ServerKind; messagesPerSecond: number } | undefined;
  rounds: RoundResult[];
  memory: MemoryRun[];
  /** The cluster kind as run (nodes, the private Redis's version), or why it was left out. */
  cluster: { nodes: number; redis: string } | { skipped: string };
}
