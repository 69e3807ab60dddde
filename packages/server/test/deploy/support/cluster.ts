/**
 * Real `pbx-peers serve` processes for the deployment tests, each in its own process group, and what the
 * tests ask of them: `/healthz`, plain HTTP(S) requests with a chosen source address, free ports.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CLI_PATH, cleanEnv, runCli } from '../../support/cliProcess.js';
import { delay } from '../../support/delay.js';
import { type ExitInfo, GroupProcess } from './GroupProcess.js';

/** The repository root, for what the docs call `/opt/pbx-peers`. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

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
  redisUrl: string;
  redisPrefix: string;
  db: string;
  /** More `serve` flags, e.g. `['--trust-proxy', '127.0.0.1']`. */
  args?: readonly string[];
  /** PBX_PEERS_* variables; the test's own are never passed on. */
  env?: Record<string, string>;
}

export interface ClusterNode {
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly process: GroupProcess;
  healthz(): Promise<Healthz>;
  /** SIGTERM, as systemd stops it; resolves with the exit. */
  stop(): Promise<ExitInfo>;
  /** SIGKILL, as `kill -9`. */
  kill(): Promise<ExitInfo>;
}

export async function startNode(options: NodeOptions): Promise<ClusterNode> {
  const args = [
    CLI_PATH,
    'serve',
    '--port',
    String(options.port ?? 0),
    '--redis-url',
    options.redisUrl,
    '--redis-prefix',
    options.redisPrefix,
    '--db',
    options.db,
    ...(options.args ?? []),
  ];
  const child = GroupProcess.start(process.execPath, args, {
    env: cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn', ...options.env }),
    label: `pbx-peers serve --port ${options.port ?? 0}`,
  });
  let url: string;
  try {
    url = (
      await child.waitForOutput(/^pbx-peers listening on (http:\/\/\S+)$/m, START_TIMEOUT_MS)
    )[1] as string;
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    port: Number(new URL(url).port),
    url,
    process: child,
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

/** Starts `count` nodes at once. */
export async function startNodes(count: number, options: NodeOptions): Promise<ClusterNode[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startNode(options)));
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(nodes.map((node) => node.process.stop()));
    throw failure.reason;
  }
  return nodes;
}

export interface DeployExtension {
  id: string;
  name: string;
  password: string;
}

/** `pbx-peers extension add` against a store, as an operator would. */
export async function addExtension(db: string, extension: DeployExtension): Promise<void> {
  const added = await runCli([
    'extension',
    'add',
    extension.name,
    '--id',
    extension.id,
    '--password',
    extension.password,
    '--db',
    db,
  ]);
  assert.equal(added.code, 0, `extension add failed: ${added.stderr}`);
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

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One GET (http or https), redirects not followed. For https the certificate is not checked: the tests'
 * proxies use a self-signed one.
 */
export function request(
  url: string,
  options: { headers?: Record<string, string>; localAddress?: string; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const { headers = {}, localAddress, timeoutMs = 5_000 } = options;
  const secure = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const sent = (secure ? https : http).get(
      url,
      {
        headers,
        ...(localAddress === undefined ? {} : { localAddress }),
        ...(secure ? { rejectUnauthorized: false } : {}),
        agent: false,
        timeout: timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
        response.on('error', reject);
      },
    );
    sent.on('timeout', () => sent.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    sent.on('error', reject);
  });
}

/** A TCP port that was free a moment ago (the kernel's pick), for programs that need a number up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
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
