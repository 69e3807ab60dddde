import assert from 'node:assert/strict';
import { type RunningServer, type StartServerOptions, startServer } from '../../src/startServer.js';
import type { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { LaggingCluster } from './LaggingBackend.js';
import { startServerWithExtensions, type TestExtension } from './startServerWithExtensions.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from './testRedis.js';
import { type ConnectOptions, WireClient } from './WireClient.js';

export type { TestExtension };

/** Server options (the store is always the test server's own) plus the extensions to create. */
export type TestServerOptions = Omit<Partial<StartServerOptions>, 'store'> & {
  extensions?: TestExtension[];
  /** Runs on one process even on a cluster run: for what is per process by design (connection limits). */
  onOneProcess?: boolean;
};

export interface TestServer {
  /** The first node when the test runs on a cluster (see `startTestServer`). */
  server: RunningServer;
  /** Every node: one, or three on a cluster. */
  nodes: RunningServer[];
  store: SqliteExtensionStore;
  /** `ws://127.0.0.1:PORT/peers/<extensionId>`; on a cluster, each call names the next node. */
  wsUrl(extensionId: string): string;
  /** Opens a WebSocket to an extension; `close()` closes it. */
  connect(extensionId: string, options?: ConnectOptions): Promise<WireClient>;
  /** An initialized peer of the extension. */
  peer(extensionId: string, label?: string): Promise<WireClient>;
  /** An initialized peer registered with `password` (asserted). */
  agent(extensionId: string, password: string, label?: string): Promise<WireClient>;
  /**
   * Agents registered one after another, so none hears `ready`: agents registering at the same moment
   * may rightly hear the `ready` another one's registration caused while they were still unregistered.
   */
  agents(extensionId: string, password: string, labels: string[]): Promise<WireClient[]>;
  /** Closes every client it opened, then the server, then the store. */
  close(): Promise<void>;
}

/**
 * How the protocol tests' servers run, from `PBX_PEERS_TEST_CLUSTER`: unset, one process; `redis`, three
 * nodes on the machine's Redis under a prefix of the test's own; `lagging`, three nodes on a
 * `LaggingCluster`. On a cluster each new connection goes to the next node, so the parties of every call
 * sit on different nodes. A test that brings its own backend runs on one process.
 */
const CLUSTER_MODE = process.env.PBX_PEERS_TEST_CLUSTER;
const CLUSTER_NODES = 3;

/** The real server on a free port with its own in-memory SQLite store, logging nothing. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { extensions = [], onOneProcess = false, ...givenOptions } = options;
  // Sections 1 to 7 are tested as a version 1 server behaves, with resuming off, so that a dropped
  // connection is cleaned up at once (section 6); section 8's tests turn it on.
  const serverOptions = { resumeGrace: 0, ...givenOptions };
  const clustered =
    CLUSTER_MODE !== undefined && CLUSTER_MODE !== '' && serverOptions.backend === undefined && !onOneProcess;
  const redisPrefix = uniqueRedisPrefix();
  const lagging =
    CLUSTER_MODE === 'lagging' ? new LaggingCluster({ seed: 3, maxLag: 3, unit: 'ms' }) : undefined;
  const nodeOptions = (n: number): Omit<StartServerOptions, 'store'> => {
    if (!clustered) return serverOptions;
    if (lagging !== undefined) return { ...serverOptions, backend: lagging.node(), nodeId: `node-${n}` };
    if (CLUSTER_MODE !== 'redis')
      throw new Error(`PBX_PEERS_TEST_CLUSTER=${CLUSTER_MODE}: use redis or lagging`);
    return { ...serverOptions, redisUrl: TEST_REDIS_URL, redisPrefix, nodeId: `node-${n}` };
  };
  const { server, store } = await startServerWithExtensions(extensions, nodeOptions(1));
  const nodes = [server];
  try {
    for (let n = 2; clustered && n <= CLUSTER_NODES; n++) {
      nodes.push(await startServer({ port: 0, logLevel: 'silent', ...nodeOptions(n), store }));
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.close()));
    await store.close();
    throw error;
  }

  const clients = new Set<WireClient>();
  let nextNode = 0;
  const wsUrl = (extensionId: string) => {
    const node = nodes[nextNode++ % nodes.length] as RunningServer;
    return `${node.url.replace(/^http/, 'ws')}/peers/${encodeURIComponent(extensionId)}`;
  };
  const connect = async (extensionId: string, connectOptions: ConnectOptions = {}) => {
    const client = await WireClient.connect(wsUrl(extensionId), connectOptions);
    clients.add(client);
    return client;
  };
  const peer = async (extensionId: string, label?: string) => {
    const client = await connect(extensionId, label === undefined ? {} : { label });
    await client.init();
    return client;
  };

  const agent = async (extensionId: string, password: string, label?: string) => {
    const client = await peer(extensionId, label);
    const reply = await client.register(password);
    assert.equal(reply.status, 'registered', `${client.label}: register failed: ${JSON.stringify(reply)}`);
    return client;
  };

  return {
    server,
    nodes,
    store,
    wsUrl,
    connect,
    peer,
    agent,
    async agents(extensionId, password, labels) {
      const registered: WireClient[] = [];
      for (const label of labels) registered.push(await agent(extensionId, password, label));
      return registered;
    },
    async close() {
      await Promise.all([...clients].map((client) => client.close()));
      await Promise.all(nodes.map((node) => node.close()));
      await store.close();
      if (clustered && CLUSTER_MODE === 'redis') await deleteRedisKeys(redisPrefix);
    },
  };
}
