import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { MemoryReport } from '../servers/ipcMessages.js';
import { LIFTED_MESSAGE_BURST, LIFTED_MESSAGE_RATE } from '../servers/launchers.js';
import { ManagedProcess } from '../servers/managedProcess.js';
import { benchFile, PBX_PEERS_BIN, REPO_ROOT } from '../servers/paths.js';

export interface SoakExtension {
  id: string;
  password: string;
}

export interface SoakServer {
  host: string;
  port: number;
  pid: number;
  extensions: SoakExtension[];
  /** Forced GC, then process.memoryUsage(), over IPC (see bench/servers/memoryChannel.ts). */
  memory(): Promise<MemoryReport>;
  running(): boolean;
  outputTail(): string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const CLI_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 30_000;

/**
 * pbx-peers for the soak: extensions created with the real CLI (`pbx-peers extension add ... --json
 * --db F`), then the server started in its own process by the benchmark's wrapper
 * (bench/servers/pbxPeersWithGc.ts: the built `startServer` with the same flags as `pbx-peers serve`,
 * plus forced GC and memory readings over IPC), with the message budget lifted as for the benchmark.
 */
export async function startSoakServer(workDir: string, extensionCount: number): Promise<SoakServer> {
  const db = join(workDir, 'soak.db');
  const extensions: SoakExtension[] = [];
  // One at a time: several processes writing one new SQLite file at once could meet a busy lock.
  for (let index = 0; index < extensionCount; index++) {
    const extension = { id: `soak-${index}`, password: `soak-password-${index}` };
    await addExtension(db, extension);
    extensions.push(extension);
  }
  const serveFlags = ['--host', HOST, '--port', '0', '--db', db, '--log-level', 'warn'];
  serveFlags.push(
    '--message-rate',
    String(LIFTED_MESSAGE_RATE),
    '--message-burst',
    String(LIFTED_MESSAGE_BURST),
  );
  const { process: child, port } = await ManagedProcess.start({
    label: 'pbx-peers',
    command: process.execPath,
    args: ['--expose-gc', '--import', 'tsx', benchFile('servers/pbxPeersWithGc.ts'), ...serveFlags],
    cwd: REPO_ROOT,
    cpu: undefined,
    ipc: true,
    startTimeoutMs: START_TIMEOUT_MS,
  });
  return {
    host: HOST,
    port,
    pid: child.pid,
    extensions,
    memory: () => child.memory(),
    running: () => child.running,
    outputTail: () => child.outputTail,
    stop: () => child.stop(),
  };
}

function addExtension(db: string, extension: SoakExtension): Promise<void> {
  const args = [PBX_PEERS_BIN, 'extension', 'add', `Soak ${extension.id}`, '--id', extension.id];
  args.push('--password', extension.password, '--json', '--db', db);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error !== null)
        return reject(new Error(`pbx-peers extension add failed: ${stderr || error.message}`));
      const added: unknown = JSON.parse(stdout);
      if (typeof added !== 'object' || added === null || (added as { id?: unknown }).id !== extension.id) {
        return reject(new Error(`pbx-peers extension add printed ${stdout}`));
      }
      resolve();
    });
  });
}
