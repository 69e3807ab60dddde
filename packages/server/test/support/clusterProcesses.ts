/**
 * Real processes for cluster tests: `pbx-peers serve --redis-url` nodes and, where a test must kill or
 * restart Redis, a private `redis-server` on a port of its own. Every wait is bounded; `stop` kills
 * whatever is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { hashPassword } from '../../src/store/passwordHash.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { cleanEnv, startCli, waitForExit, waitForListening } from './cliProcess.js';
import type { TestExtension } from './startServerWithExtensions.js';
import { WireClient } from './WireClient.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** A `redis-server` of the test's own, keeping nothing on disk: a restart comes back empty. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it again on the same port (empty), and waits until it answers. */
  async restart(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = createClient({
        url: this.url,
        socket: { connectTimeout: 500, reconnectStrategy: false },
      });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        client.destroy();
        return;
      } catch {
        client.destroy();
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** kill -9: gone at once, with everything it held. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

export interface ClusterNode {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  child: ChildProcess;
  /** `ws://…/peers/<extension>` on this node. */
  wsUrl(extensionId: string): string;
  /** Output so far, for failure messages. */
  output(): string;
}

export interface ClusterOptions {
  nodes: number;
  redisUrl: string;
  redisPrefix: string;
  extensions: readonly TestExtension[];
  /** More `serve` flags for every node. */
  args?: string[];
}

/** Several `pbx-peers serve` processes on one Redis and one SQLite store file. */
export class ClusterProcesses {
  readonly nodes: ClusterNode[] = [];
  private readonly clients = new Set<WireClient>();

  private constructor(private readonly dir: string) {}

  static async start(options: ClusterOptions): Promise<ClusterProcesses> {
    const cluster = new ClusterProcesses(mkdtempSync(join(tmpdir(), 'pbx-cluster-')));
    try {
      const db = join(cluster.dir, 'extensions.db');
      const store = SqliteExtensionStore.open(db);
      for (const extension of options.extensions) {
        await store.add({
          id: extension.id,
          name: extension.name ?? extension.id,
          passwordHash: await hashPassword(extension.password),
        });
      }
      await store.close();
      const starting = Array.from({ length: options.nodes }, (_, n) =>
        cluster.startNode(n + 1, [
          'serve',
          '--port',
          '0',
          '--db',
          db,
          '--redis-url',
          options.redisUrl,
          '--redis-prefix',
          options.redisPrefix,
          '--ring-timeout',
          '0',
          ...(options.args ?? []),
        ]),
      );
      cluster.nodes.push(...(await Promise.all(starting)));
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  private async startNode(n: number, args: string[]): Promise<ClusterNode> {
    const child = startCli(args, cleanEnv({ PBX_PEERS_LOG_LEVEL: 'warn' }));
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let url: string;
    try {
      url = await waitForListening(child);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`node ${n}: ${(error as Error).message}`);
    }
    return {
      url,
      child,
      wsUrl: (extensionId) => `${url.replace(/^http/, 'ws')}/peers/${encodeURIComponent(extensionId)}`,
      output: () => output,
    };
  }

  /** An initialized peer on node `n` (0-based). */
  async peer(n: number, extensionId: string, label: string): Promise<WireClient> {
    const client = await WireClient.connect(this.node(n).wsUrl(extensionId), { label });
    this.clients.add(client);
    await client.init();
    return client;
  }

  async agent(n: number, extension: TestExtension, label: string): Promise<WireClient> {
    const client = await this.peer(n, extension.id, label);
    const reply = await client.register(extension.password);
    if (reply.status !== 'registered') throw new Error(`${label}: register failed: ${JSON.stringify(reply)}`);
    return client;
  }

  node(n: number): ClusterNode {
    const node = this.nodes[n];
    if (node === undefined) throw new Error(`no node ${n}`);
    return node;
  }

  /** kill -9 of one node: no close frames, no cleanup of its own. */
  async kill(n: number): Promise<void> {
    const { child } = this.node(n);
    child.kill('SIGKILL');
    await waitForExit(child);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.clients].map((client) => client.close()));
    await Promise.all(
      this.nodes.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        try {
          await waitForExit(child);
        } catch {
          child.kill('SIGKILL');
        }
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
