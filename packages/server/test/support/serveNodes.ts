/**
 * Real `pbx-peers serve` processes (nodes of a cluster with `--redis-url`, or single processes), each in its own process group (see GroupProcess): start one
 * and know its URL, `/healthz`, stop it with SIGTERM, kill it with SIGKILL, wait for its exit; free ports and
 * waiting for a port. The cluster tests (ClusterProcesses) and the deployment tests build their nodes with
 * this. Every wait is bounded; whatever a test leaves running is killed when the test process exits.
 */
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { CLI_PATH, cleanEnv } from './cliProcess.js';
import { delay } from './delay.js';
import { type ExitInfo, GroupProcess } from './GroupProcess.js';
import { request } from './httpRequest.js';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 15_000;

export interface Healthz {
  status: string;
  node: string;
  uptimeSeconds: number;
  connections: number;
}

export interface NodeOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** With `redisPrefix`, a node of that cluster; without, a single process. */
  redisUrl?: string;
  redisPrefix?: string;
  db: string;
  /** More `serve` flags, e.g. `['--trust-proxy', '127.0.0.1']`. */
  args?: readonly string[];
  /** PBX_PEERS_* variables; the test's own are never passed on. */
  env?: Record<string, string>;
  /** Names the node in failure messages; default `pbx-peers serve --port PORT`. */
  label?: string;
}

export interface ClusterNode {
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly process: GroupProcess;
  /** `ws://…/peers/<extension>` on this node. */
  wsUrl(extensionId: string): string;
  /** stdout and stderr so far, for failure messages. */
  output(): string;
  healthz(): Promise<Healthz>;
  /** SIGTERM, as systemd stops it; resolves with the exit. */
  stop(): Promise<ExitInfo>;
  /** SIGKILL, as `kill -9`: no close frames, no cleanup of its own; resolves with the exit. */
  kill(): Promise<ExitInfo>;
}

/** Starts one `pbx-peers serve` and resolves once it prints its URL; on failure nothing is left running. */
export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  const args = [
    CLI_PATH,
    'serve',
    '--port',
    String(options.port ?? 0),
    ...(options.redisUrl === undefined
      ? []
      : ['--redis-url', options.redisUrl, '--redis-prefix', options.redisPrefix ?? 'pbx-peers:']),
    '--db',
    options.db,
    ...(options.args ?? []),
  ];
  const child = GroupProcess.start(process.execPath, args, {
    env: cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn', ...options.env }),
    label: options.label ?? `pbx-peers serve --port ${options.port ?? 0}`,
  });
  const listening = await child.untilReady(
    child.waitForOutput(/^pbx-peers listening on (http:\/\/\S+)$/m, START_TIMEOUT_MS),
  );
  const url = listening[1] as string;
  return {
    port: Number(new URL(url).port),
    url,
    process: child,
    wsUrl: (extensionId) => `${url.replace(/^http/, 'ws')}/peers/${encodeURIComponent(extensionId)}`,
    output: () => child.output(),
    healthz: async () => JSON.parse((await request(`${url}/healthz`)).body) as Healthz,
    async stop() {
      child.signal('SIGTERM');
      return child.exited(STOP_TIMEOUT_MS);
    },
    async kill() {
      child.signal('SIGKILL');
      return child.exited(STOP_TIMEOUT_MS);
    },
  };
}

/** Starts `count` nodes at once (labelled `node 1` …); when one fails, the others are stopped. */
export async function startNodes(count: number, options: NodeOptions): Promise<ClusterNode[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, index) =>
      startNode({ label: `pbx-peers serve (node ${index + 1} of ${count})`, ...options }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(nodes.map((node) => node.process.stop()));
    throw failure.reason;
  }
  return nodes;
}

/** Each node's `/healthz` connection count, in the nodes' order. */
export async function connectionCounts(nodes: readonly ClusterNode[]): Promise<number[]> {
  return Promise.all(nodes.map(async (node) => (await node.healthz()).connections));
}

/** Polls the nodes' connection counts until `accept` holds; fails with the last counts after `timeoutMs`. */
export async function waitForCounts(
  nodes: readonly ClusterNode[],
  accept: (counts: number[]) => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await connectionCounts(nodes);
    if (accept(counts)) return counts;
    if (Date.now() > deadline) throw new Error(`${what}: connection counts ${JSON.stringify(counts)}`);
    await delay(50);
  }
}

/**
 * Runs `open` (which opens one connection) and returns the index of the node it landed on: the one whose
 * connection count went up by one.
 */
export async function landedOn<T>(
  nodes: readonly ClusterNode[],
  open: () => Promise<T>,
): Promise<{ opened: T; node: number }> {
  const before = await connectionCounts(nodes);
  const opened = await open();
  const total = before.reduce((sum, count) => sum + count, 0) + 1;
  const after = await waitForCounts(
    nodes,
    (counts) => counts.reduce((sum, count) => sum + count, 0) === total,
    'the new connection never showed in /healthz',
  );
  const node = after.findIndex((count, index) => count === (before[index] ?? 0) + 1);
  assert.ok(node >= 0, `no node gained the connection: before ${before}, after ${after}`);
  return { opened, node };
}

/** A TCP port that was free a moment ago (the kernel's pick), for programs that need a number up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) {
        server.close(() => reject(new Error('no port')));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; rejects when `child` exits first. */
export async function waitForPort(port: number, child: GroupProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.hasExited)
      throw new Error(`${child.label} exited before listening on ${port}:\n${child.output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`${child.label}: nothing listening on ${port}:\n${child.output()}`);
    await delay(50);
  }
}
