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
  calls: CallFigures | undefined;
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
}
