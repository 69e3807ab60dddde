import type { CpuWindow } from '../proc/procStat.js';
import type { ServerKind, Target } from '../servers/serverKinds.js';
import type { LatencySummary } from '../stats/percentiles.js';

/**
 * What the runner asks the load process to do, and what it answers: plain data over the IPC channel.
 * The load process keeps one set of relay pairs per server open between `open-pairs` and
 * `close-pairs`, so every throughput and latency run against one server in a round uses the same
 * connected peers (and, for pbx-peers, the same calls).
 */

export interface OpenPairsJob {
  kind: 'open-pairs';
  /** On a cluster, the two peers of every pair are on different nodes (see relayPairs.ts). */
  target: Target;
  pairs: number;
  /** Source address to bind; unset lets the kernel pick the port per destination (much faster). */
  localAddress: string | undefined;
}

export interface ThroughputJob {
  kind: 'throughput';
  server: ServerKind;
  /** Messages each sender keeps in flight (closed loop; the receiver echoes each one). */
  window: number;
  payloadBytes: number;
  warmupMs: number;
  measureMs: number;
}

export interface LatencyJob {
  kind: 'latency';
  server: ServerKind;
  /** Messages per second offered in total, half in each direction of every pair. */
  rate: number;
  payloadBytes: number;
  warmupMs: number;
  measureMs: number;
  /** How long to wait after the last send for stragglers before counting them lost. */
  drainMs: number;
}

export interface ClosePairsJob {
  kind: 'close-pairs';
  server: ServerKind;
}

export interface ConnectRateJob {
  kind: 'connect-rate';
  target: Target;
  warmupCount: number;
  count: number;
  concurrency: number;
  /** Source address to bind; unset lets the kernel pick the port per destination (much faster). */
  localAddress: string | undefined;
}

export interface IdleOpenJob {
  kind: 'idle-open';
  target: Target;
  /** Open connections wanted in total after this job. */
  total: number;
  /** pbx-peers only: also send `init` on each. */
  initialize: boolean;
  concurrency: number;
  /** Source address to bind; unset lets the kernel pick the port per destination (much faster). */
  localAddress: string | undefined;
}

export interface IdleCloseJob {
  kind: 'idle-close';
}

export interface CallSetupJob {
  kind: 'call-setup';
  /** On a cluster, agents and callers are spread over its nodes and every call joins two of them. */
  target: Target;
  agents: number;
  /** Closed loop: calls in progress at once. */
  concurrency: number;
  /** Open loop: calls started per second (from their scheduled time); undefined for closed loop. */
  rate: number | undefined;
  offerBytes: number;
  candidates: number;
  candidateBytes: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** Source address to bind; unset lets the kernel pick the port per destination (much faster). */
  localAddress: string | undefined;
}

export type Job =
  | OpenPairsJob
  | ThroughputJob
  | LatencyJob
  | ClosePairsJob
  | ConnectRateJob
  | IdleOpenJob
  | IdleCloseJob
  | CallSetupJob;

export type JobKind = Job['kind'];

export interface OpenPairsResult {
  pairs: number;
  setupSeconds: number;
}

export interface ThroughputResult {
  /** Share of the machine's core time taken by the hypervisor during the window. */
  hostSteal: number;
  /** Messages delivered to receivers inside the measurement window. */
  messages: number;
  messagesPerSecond: number;
  server: CpuWindow;
  load: CpuWindow;
  /** Frames that were not the expected relayed signal (errors, say). */
  unexpected: number;
  /** A server of several processes (a cluster): each one's utilisation, by label. */
  serverParts?: Record<string, number>;
}

export interface LatencyResult {
  /** Share of the machine's core time taken by the hypervisor during the window. */
  hostSteal: number;
  /** One-way, from the scheduled send time to receipt, in ms. */
  latency: LatencySummary;
  scheduled: number;
  received: number;
  lost: number;
  server: CpuWindow;
  load: CpuWindow;
  unexpected: number;
  /** A server of several processes (a cluster): each one's utilisation, by label. */
  serverParts?: Record<string, number>;
}

export interface ConnectRateResult {
  /** Share of the machine's core time taken by the hypervisor during the window. */
  hostSteal: number;
  connections: number;
  failures: number;
  perSecond: number;
  server: CpuWindow;
  load: CpuWindow;
  /** A server of several processes (a cluster): each one's utilisation, by label. */
  serverParts?: Record<string, number>;
}

export interface IdleOpenResult {
  open: number;
  failures: number;
}

export interface IdleCloseResult {
  closed: number;
}

export interface CallSetupResult {
  /** Share of the machine's core time taken by the hypervisor during the window. */
  hostSteal: number;
  /** Calls completed (through `end`) inside the measurement window. */
  completed: number;
  perSecond: number;
  /** From the scheduled `call` to the last of the signals delivered both ways, in ms. */
  setup: LatencySummary;
  /** Open loop: calls scheduled in the window that did not complete their setup in time. */
  lost: number;
  failures: number;
  server: CpuWindow;
  load: CpuWindow;
  /** A server of several processes (a cluster): each one's utilisation, by label. */
  serverParts?: Record<string, number>;
  /** On a cluster: completed calls by caller node → agent node (`"0>1"`), over the window. */
  nodePairs?: Record<string, number>;
}

export interface JobResults {
  'open-pairs': OpenPairsResult;
  throughput: ThroughputResult;
  latency: LatencyResult;
  'close-pairs': { closed: number };
  'connect-rate': ConnectRateResult;
  'idle-open': IdleOpenResult;
  'idle-close': IdleCloseResult;
  'call-setup': CallSetupResult;
}

export type JobOf<K extends JobKind> = Extract<Job, { kind: K }>;

/** Runner → load process. */
export interface JobEnvelope {
  seq: number;
  job: Job;
}

/** Load process → runner. */
export type ReplyEnvelope =
  | { seq: number; ok: true; result: JobResults[JobKind] }
  | { seq: number; ok: false; error: string };
