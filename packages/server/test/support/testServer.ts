import assert from 'node:assert/strict';
import type { RunningServer, StartServerOptions } from '../../src/startServer.js';
import type { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { startServerWithExtensions, type TestExtension } from './startServerWithExtensions.js';
import { type ConnectOptions, WireClient } from './WireClient.js';

export type { TestExtension };

/** Server options (the store is always the test server's own) plus the extensions to create. */
export type TestServerOptions = Omit<Partial<StartServerOptions>, 'store'> & { extensions?: TestExtension[] };

export interface TestServer {
  server: RunningServer;
  store: SqliteExtensionStore;
  /** `ws://127.0.0.1:PORT/peers/<extensionId>`. */
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

/** The real server on a free port with its own in-memory SQLite store, logging nothing. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { extensions = [], ...serverOptions } = options;
  const { server, store } = await startServerWithExtensions(extensions, serverOptions);

  const clients = new Set<WireClient>();
  const wsUrl = (extensionId: string) =>
    `${server.url.replace(/^http/, 'ws')}/peers/${encodeURIComponent(extensionId)}`;
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
      await server.close();
      await store.close();
    },
  };
}
