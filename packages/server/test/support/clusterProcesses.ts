/**
 * Real processes for cluster tests: `pbx-peers serve --redis-url` nodes (started by serveNodes, each in a
 * process group of its own) on one SQLite store file, wire clients on them, and, where a test must kill or
 * restart Redis, a private `redis-server` on a port of its own. Every wait is bounded; `stop` ends whatever
 * is still running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { delay } from './delay.js';
import { GroupProcess } from './GroupProcess.js';
import { type ClusterNode, freePort, startNodes } from './serveNodes.js';
import { storeWithExtensions, type TestExtension } from './startServerWithExtensions.js';
import { WireClient } from './WireClient.js';

const REDIS_START_TIMEOUT_MS = 10_000;
const REDIS_EXIT_TIMEOUT_MS = 10_000;

/** A `redis-server` of the test's own, keeping nothing on disk: a restart comes back empty. */
export class PrivateRedis {
  private server: GroupProcess | undefined;

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
    const server = GroupProcess.start(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { label: `redis-server on ${this.port}` },
    );
    this.server = server;
    const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
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
        if (server.hasExited || Date.now() > deadline) {
          await this.kill();
          throw new Error(`redis-server on ${this.port} did not start:\n${server.output()}`);
        }
        await delay(50);
      }
    }
  }

  /** kill -9: gone at once, with everything it held. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined || server.hasExited) return;
    server.signal('SIGKILL');
    await server.exited(REDIS_EXIT_TIMEOUT_MS);
  }
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

  /** The SQLite store file every node serves from (the call history is there too). */
  get dbPath(): string {
    return join(this.dir, 'extensions.db');
  }

  static async start(options: ClusterOptions): Promise<ClusterProcesses> {
    const cluster = new ClusterProcesses(mkdtempSync(join(tmpdir(), 'pbx-cluster-')));
    try {
      const db = cluster.dbPath;
      await (await storeWithExtensions(db, options.extensions)).close();
      const nodes = await startNodes(options.nodes, {
        redisUrl: options.redisUrl,
        redisPrefix: options.redisPrefix,
        db,
        args: ['--ring-timeout', '0', ...(options.args ?? [])],
      });
      cluster.nodes.push(...nodes);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
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
    await this.node(n).kill();
  }

  /** Closes the clients, then stops every node still running (SIGTERM, SIGKILL after a grace period). */
  async stop(): Promise<void> {
    await Promise.all([...this.clients].map((client) => client.close()));
    await Promise.all(this.nodes.map((node) => node.process.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
