/** The servers compared, in the order the table shows them. */
export const SERVER_KINDS = ['ws-forward', 'ws-parse', 'peerjs', 'pbx-peers', 'pbx-peers-cluster'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** Processes of the cluster kind (`pbx-peers serve --redis-url …`), all on one private Redis. */
export const CLUSTER_NODES = 3;

export const SERVER_LABELS: Record<ServerKind, string> = {
  'ws-forward': 'ws relay (forward)',
  'ws-parse': 'ws relay (parse)',
  peerjs: 'PeerJS server',
  'pbx-peers': 'pbx-peers',
  'pbx-peers-cluster': `pbx-peers cluster (${CLUSTER_NODES} nodes)`,
};

/** The reference every figure is also given against: the bare relay that parses and re-serialises. */
export const REFERENCE_KIND: ServerKind = 'ws-parse';

/**
 * The server each kind's ratios are taken against, in the same round: the parse relay, except for the
 * cluster, which is compared with pbx-peers on one process.
 */
export function referenceOf(kind: ServerKind): ServerKind {
  return kind === 'pbx-peers-cluster' ? 'pbx-peers' : REFERENCE_KIND;
}

/**
 * Which kinds take part in which figures. The cluster is measured on relay throughput, latency and call
 * setups (issue 8); connection rate and memory are per process, so it has no column there. The latency
 * rates are derived from the single-process servers only, so adding the cluster does not move them.
 */
export const CONNECTION_KINDS: readonly ServerKind[] = ['ws-forward', 'ws-parse', 'peerjs', 'pbx-peers'];
export const LATENCY_BASIS_KINDS: readonly ServerKind[] = CONNECTION_KINDS;
export const CALL_KINDS: readonly ServerKind[] = ['pbx-peers', 'pbx-peers-cluster'];

/** What the load generator speaks: the PeerJS wire format (also the bare relays') or pbx-webrtc-peers. */
export type WireProtocol = 'peerjs' | 'pbx';

export function protocolOf(kind: ServerKind): WireProtocol {
  return kind === 'pbx-peers' || kind === 'pbx-peers-cluster' ? 'pbx' : 'peerjs';
}

/** One process whose CPU counts as the server's (a cluster has several: its nodes and Redis). */
export interface ServerProcess {
  label: string;
  pid: number;
}

interface TargetBase {
  kind: ServerKind;
  host: string;
  /** The port of the (first) node. */
  port: number;
  /** The (first) node's process. */
  serverPid: number;
  /** Every process whose CPU is the server's; unset: `serverPid` alone. */
  processes?: ServerProcess[];
  /** A cluster's nodes, one port each (the first is `port`); unset: one process. */
  nodePorts?: number[];
}

/** Where and how the load generator reaches one running server; plain data, sent over IPC. */
export type Target =
  | (TargetBase & { protocol: 'peerjs' })
  | (TargetBase & { protocol: 'pbx'; extensionId: string; password: string });

export function serverProcessesOf(target: Target): ServerProcess[] {
  return target.processes ?? [{ label: 'server', pid: target.serverPid }];
}

export function nodeCountOf(target: Target): number {
  return target.nodePorts?.length ?? 1;
}

/** The same target, reaching node `index` (modulo the node count) of a cluster. */
export function onNode<T extends Target>(target: T, index: number): T {
  const ports = target.nodePorts;
  if (ports === undefined || ports.length === 0) return target;
  return { ...target, port: ports[index % ports.length] as number };
}
