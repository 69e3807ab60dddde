import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { MemoryReport } from './ipcMessages.js';
import { ManagedProcess } from './managedProcess.js';
import { benchFile, PBX_PEERS_BIN, REPO_ROOT } from './paths.js';
import type { ServerKind, Target } from './serverKinds.js';

/**
 * Starts each compared server in its own process.
 *
 * - pbx-peers, for relay, latency, connection and call figures: the real CLI as users start it,
 *   `pbx-peers serve`, with the per-connection message budget lifted (see BENCHMARKS.md).
 * - pbx-peers, for the memory figure: the benchmark's wrapper around the built `startServer` (same
 *   options), which adds forced GC and memory readings over IPC.
 * - PeerJS and the bare relays: the benchmark's scripts, always with `--expose-gc` and IPC.
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
  pid: number;
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

async function launchPbxPeers(options: LaunchOptions): Promise<LaunchedServer> {
  const db = join(options.workDir, `pbx-peers-${options.purpose}-${Date.now()}.db`);
  await addExtension(db, options.startTimeoutMs);
  const serveFlags = [
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
  ];
  const args =
    options.purpose === 'load'
      ? [PBX_PEERS_BIN, 'serve', ...serveFlags]
      : ['--expose-gc', '--import', 'tsx', benchFile('servers/pbxPeersWithGc.ts'), ...serveFlags];
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

function wrap(kind: ServerKind, child: ManagedProcess, target: Target): LaunchedServer {
  return {
    kind,
    target,
    pid: child.pid,
    memory: () => child.memory(),
    stop: () => child.stop(),
    outputTail: () => child.outputTail,
  };
}
