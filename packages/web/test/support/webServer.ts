import { type RunningServer, type StartServerOptions, startServer } from '../../../server/src/startServer.js';
import type { SqliteExtensionStore } from '../../../server/src/store/SqliteExtensionStore.js';
import {
  startServerWithExtensions,
  type TestExtension,
} from '../../../server/test/support/startServerWithExtensions.js';

/** An extension the web tests create; pages show its name, so it is required. */
export type WebTestExtension = TestExtension & { name: string };

export interface WebTestServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly store: SqliteExtensionStore;
  /** The caller page, with an optional query string such as `?relay=1`. */
  callerUrl(extensionId: string, query?: string): string;
  agentUrl(extensionId: string, query?: string): string;
  /**
   * Stops the server (every WebSocket closes with 1012), waits `downMs`, and starts a new one on the same
   * port with the same store: what a page sees when the server restarts.
   */
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real pbx-peers server (web routes, API, WebSocket) on a free port, with its own in-memory store
 * holding `extensions`, serving the built web app from packages/web/dist.
 */
export async function startWebServer(
  extensions: WebTestExtension[],
  options: Omit<StartServerOptions, 'store' | 'port'> = {},
): Promise<WebTestServer> {
  const { server, store } = await startServerWithExtensions(extensions, options);
  const port = server.port;
  const url = server.url;
  let running: RunningServer | undefined = server;
  let restarting: Promise<void> | undefined;
  let closed = false;
  const page = (path: string, query = '') => `${url}${path}${query}`;
  return {
    url,
    port,
    store,
    callerUrl: (id, query) => page(`/ext/${encodeURIComponent(id)}`, query),
    agentUrl: (id, query) => page(`/ext/${encodeURIComponent(id)}/agent`, query),
    restart(downMs) {
      restarting = (async () => {
        await running?.close();
        running = undefined;
        await new Promise((resolve) => setTimeout(resolve, downMs));
        if (!closed) running = await startServer({ port, logLevel: 'silent', ...options, store });
      })();
      return restarting;
    },
    async close() {
      closed = true;
      // A restart still in progress (a failed test) must not leave a server behind.
      await restarting?.catch(() => undefined);
      await running?.close();
      running = undefined;
      await store.close();
    },
  };
}
