import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { MemoryReport } from './ipcMessages.js';
import { ManagedProcess } from './managedProcess.js';
import { benchFile, PBX_PEERS_BIN, REPO_ROOT } from './paths.js';
import { CLUSTER_NODES, type ServerKind, type ServerProcess, type Target } from './serverKinds.js';

/**
 * Starts each compared server in its own process.
 *
 * - pbx-peers, for relay, latency, connection and call figures: the real CLI as users start it,
 *   `pbx-peers serve`, with the per-connection message budget lifted (see BENCHMARKS.md).
 * - pbx-peers, for the memory figure: the benchmark's wrapper around the built `startServer` (same
 *   options), which adds forced GC and memory readings over IPC.
 * - PeerJS and the bare relays: the benchmark's scripts, always with `--expose-gc` and IPC.
 * - the pbx-peers cluster (load figures only): a private `redis-server` (no persistence) on a free port,
 *   then `CLUSTER_NODES` processes of the same CLI with the same flags plus `--redis-url` and
 *   `--redis-prefix`, sharing one SQLite file. All of them go to the server core: the cluster gets the
 *   same one core as every other server.
 */

export type LaunchPurpose = 'load' | 'memory';

export interface LaunchOptions {
  purpose: LaunchPurpose;
  /** Core to pin the server to; undefined leaves it unpinned. */
  cpu: number | undefined;
  /** A private temporary folder (pbx-peers keeps its SQLite file there). */
  workDir: string;
  host: string;
  startTimeoutMs: number;
}

export interface LaunchedServer {
  kind: ServerKind;
  target: Target;
  /** The (first node's) process. */
  pid: number;
  /** Every process of the server (a cluster: its nodes and Redis). */
  processes: ServerProcess[];
  /** Forced GC then process.memoryUsage(); only for servers launched for the memory figure (or scripts). */
  memory(): Promise<MemoryReport>;
  stop(): Promise<void>;
  outputTail(): string;
}

/** Far above anything the benchmark sends, so the abuse limit never drops a benchmark message. */
export const LIFTED_MESSAGE_RATE = 1_000_000;
export const LIFTED_MESSAGE_BURST = 1_000_000;

const EXTENSION_ID = 'bench';
const EXTENSION_PASSWORD = 'bench-password-not-secret';

export async function launchServer(kind: ServerKind, options: LaunchOptions): Promise<LaunchedServer> {
  switch (kind) {
    case 'ws-forward':
    case 'ws-parse':
      return launchScript(
        kind,
        benchFile('servers/bareRelay.ts'),
        [kind === 'ws-forward' ? 'forward' : 'parse', options.host],
        options,
      );
    case 'peerjs':
      return launchScript(kind, benchFile('servers/peerjsServer.ts'), [options.host], options);
    case 'pbx-peers':
      return launchPbxPeers(options);
    case 'pbx-peers-cluster':
      if (options.purpose !== 'load') throw new Error('the cluster is measured on load figures only');
      return launchPbxCluster(options);
  }
}

async function launchScript(
  kind: ServerKind,
  script: string,
  args: string[],
  options: LaunchOptions,
): Promise<LaunchedServer> {
  const { process: child, port } = await ManagedProcess.start({
    label: kind,
    command: process.execPath,
    args: ['--expose-gc', '--import', 'tsx', script, ...args],
    cwd: REPO_ROOT,
    cpu: options.cpu,
    ipc: true,
    startTimeoutMs: options.startTimeoutMs,
  });
  return wrap(kind, child, { protocol: 'peerjs', kind, host: options.host, port, serverPid: child.pid });
}

function serveFlags(options: LaunchOptions, db: string): string[] {
  return [
    '--host',
    options.host,
    '--port',
    '0',
    '--db',
    db,
    '--log-level',
    'warn',
    '--message-rate',
    String(LIFTED_MESSAGE_RATE),
    '--message-burst',
    String(LIFTED_MESSAGE_BURST),
    // The load ends its connections by destroying the sockets (no close frame), which to pbx-peers is a
    // dropped connection: with resuming on (protocol section 8) each would leave an absent peer for the
    // grace period, thousands a second in the connection figure. The other servers cannot resume either.
    '--resume-grace',
    '0',
  ];
}

async function launchPbxPeers(options: LaunchOptions): Promise<LaunchedServer> {
  const db = join(options.workDir, `pbx-peers-${options.purpose}-${Date.now()}.db`);
  await addExtension(db, options.startTimeoutMs);
  const flags = serveFlags(options, db);
  const args =
    options.purpose === 'load'
      ? [PBX_PEERS_BIN, 'serve', ...flags]
      : ['--expose-gc', '--import', 'tsx', benchFile('servers/pbxPeersWithGc.ts'), ...flags];
  const { process: child, port } = await ManagedProcess.start({
    label: 'pbx-peers',
    command: process.execPath,
    args,
    cwd: REPO_ROOT,
    cpu: options.cpu,
    ipc: options.purpose === 'memory',
    startTimeoutMs: options.startTimeoutMs,
  });
  return wrap('pbx-peers', child, {
    protocol: 'pbx',
    kind: 'pbx-peers',
    host: options.host,
    port,
    serverPid: child.pid,
    extensionId: EXTENSION_ID,
    password: EXTENSION_PASSWORD,
  });
}

/** `pbx-peers extension add` on the server's database, as an operator would before starting it. */
function addExtension(db: string, timeoutMs: number): Promise<void> {
  const args = [PBX_PEERS_BIN, 'extension', 'add', 'Benchmark', '--id', EXTENSION_ID];
  args.push('--password', EXTENSION_PASSWORD, '--json', '--db', db);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error !== null)
        return reject(new Error(`pbx-peers extension add failed: ${stderr || error.message}`));
      const added: unknown = JSON.parse(stdout);
      if (typeof added !== 'object' || added === null || (added as { id?: unknown }).id !== EXTENSION_ID) {
        return reject(new Error(`pbx-peers extension add printed ${stdout}`));
      }
      resolve();
    });
  });
}

const REDIS_PREFIX = 'pbx-bench:';

let redisServerVersion: string | null | undefined;

/** `redis-server --version`'s version, or undefined when there is no redis-server to start. */
export function redisServerAvailable(): string | undefined {
  if (redisServerVersion === undefined) {
    try {
      const printed = execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 });
      redisServerVersion = /v=(\S+)/.exec(printed)?.[1] ?? printed.trim();
    } catch {
      redisServerVersion = null;
    }
  }
  return redisServerVersion ?? undefined;
}

/** A port nothing listens on at this moment (the kernel's pick, released again). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A private Redis (no snapshots, no append-only file, nothing else on it), then the nodes on it, each the
 * real CLI on the same SQLite file. Everything already started is stopped again if a later step fails.
 */
async function launchPbxCluster(options: LaunchOptions): Promise<LaunchedServer> {
  const started: ManagedProcess[] = [];
  const stopAll = () => Promise.all(started.map((child) => child.stop())).then(() => {});
  try {
    const redisPort = await freePort(options.host);
    const redis = await ManagedProcess.start({
      label: 'redis',
      command: 'redis-server',
      args: [
        '--port',
        String(redisPort),
        '--bind',
        options.host,
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'notice',
      ],
      cwd: options.workDir,
      cpu: options.cpu,
      ipc: false,
      startTimeoutMs: options.startTimeoutMs,
      readyPattern: /Ready to accept connections/,
    });
    started.push(redis.process);
    const db = join(options.workDir, `pbx-peers-cluster-${Date.now()}.db`);
    await addExtension(db, options.startTimeoutMs);
    const flags = [
      ...serveFlags(options, db),
      '--redis-url',
      `redis://${options.host}:${redisPort}`,
      '--redis-prefix',
      REDIS_PREFIX,
    ];
    const nodes = await Promise.allSettled(
      Array.from({ length: CLUSTER_NODES }, (_, index) =>
        ManagedProcess.start({
          label: `pbx-peers node ${index + 1}`,
          command: process.execPath,
          args: [PBX_PEERS_BIN, 'serve', ...flags],
          cwd: REPO_ROOT,
          cpu: options.cpu,
          ipc: false,
          startTimeoutMs: options.startTimeoutMs,
        }),
      ),
    );
    for (const node of nodes) if (node.status === 'fulfilled') started.push(node.value.process);
    const failed = nodes.find((node) => node.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const running = nodes.map((node) => (node as PromiseFulfilledResult<typeof redis>).value);
    const first = running[0] as (typeof running)[number];
    const processes: ServerProcess[] = [
      ...running.map((node, index) => ({ label: `node ${index + 1}`, pid: node.process.pid })),
      { label: 'redis', pid: redis.process.pid },
    ];
    return {
      kind: 'pbx-peers-cluster',
      target: {
        protocol: 'pbx',
        kind: 'pbx-peers-cluster',
        host: options.host,
        port: first.port,
        serverPid: first.process.pid,
        processes,
        nodePorts: running.map((node) => node.port),
        extensionId: EXTENSION_ID,
        password: EXTENSION_PASSWORD,
      },
      pid: first.process.pid,
      processes,
      memory: () => Promise.reject(new Error('the cluster has no memory figure')),
      // Nodes first (they leave the cluster in Redis), then Redis.
      stop: async () => {
        await Promise.all(started.filter((child) => child !== redis.process).map((child) => child.stop()));
        await redis.process.stop();
      },
      outputTail: () => started.map((child) => `--- ${child.label}\n${child.outputTail}`).join('\n'),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function wrap(kind: ServerKind, child: ManagedProcess, target: Target): LaunchedServer {
  return {
    kind,
    target,
    pid: child.pid,
    processes: [{ label: 'server', pid: child.pid }],
    memory: () => child.memory(),
    stop: () => child.stop(),
    outputTail: () => child.outputTail,
  };
}
