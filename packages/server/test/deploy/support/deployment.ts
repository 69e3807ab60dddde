/**
 * A deployment as docs/deploy.md describes it, for real: a store (the doc's PostgreSQL role and schema, or
 * one SQLite file), a Redis prefix of the test's own on the machine's Redis, `pbx-peers serve` nodes, and
 * nginx or haproxy in front, configured from the doc's blocks with only ports, certificate paths and names
 * replaced.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../../support/cliProcess.js';
import { TEST_POSTGRES_URL, withAdminClient } from '../../support/postgres.js';
import { type ClusterNode, freePort, type NodeOptions, startNode } from '../../support/serveNodes.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../../support/testRedis.js';
import { type ConnectOptions, WireClient } from '../../support/WireClient.js';
import { deployConfig, substitute } from './deployDoc.js';
import {
  type Certificate,
  type RunningProxy,
  selfSignedCertificate,
  startHaproxy,
  startNginx,
  workFolder,
} from './proxies.js';

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

/** The node ports the doc's proxy configs name, in order. */
const DOC_NODE_PORTS = ['8081', '8082', '8083'];

let roleCount = 0;

/**
 * The doc's PostgreSQL setup (`<!-- config: postgres -->`) run as written, with a role and schema name of
 * this test's own, and the doc's store URL (`<!-- config: systemd-env -->`) pointed at it.
 */
async function documentedPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  roleCount += 1;
  const name = `pbx_deploy_${process.pid}_${roleCount}`;
  const setup = substitute(deployConfig('postgres'), [['pbx_peers', name]]);
  await withAdminClient(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
    await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`);
    await client.query(setup);
  });
  const test = new URL(TEST_POSTGRES_URL);
  const line = deployConfig('systemd-env').trim();
  const url = substitute(line.slice(line.indexOf('=') + 1), [
    ['pbx_peers', name],
    ['127.0.0.1:5432/pbx?', `${test.host}${test.pathname}?`],
  ]);
  return {
    url,
    async drop() {
      await withAdminClient(async (client) => {
        await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
        await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(name)}`);
      });
    },
  };
}

export interface DeploymentOptions {
  /** Default 3. */
  nodes?: number;
  extensions: readonly DeployExtension[];
  /** `postgres`: the doc's role and schema; `sqlite`: one file shared by the nodes. */
  store: 'postgres' | 'sqlite';
  /** `serve` flags for every node besides the store and Redis ones; default the doc's `--trust-proxy 127.0.0.1`. */
  nodeArgs?: readonly string[];
  nodeEnv?: Record<string, string>;
}

export interface Deployment {
  readonly folder: string;
  readonly db: string;
  readonly redisPrefix: string;
  readonly nodes: ClusterNode[];
  readonly certificate: Certificate;
  /** Options every node was started with, for starting one again. */
  readonly nodeOptions: NodeOptions;
  /** Starts node `index` again (same port) after it was stopped. */
  restartNode(index: number): Promise<ClusterNode>;
  /** Another node on the same store and Redis, outside the proxies' upstreams unless they are given its port. */
  extraNode(args?: readonly string[]): Promise<ClusterNode>;
  /** nginx from the doc, in front of `ports` (default: the nodes'). */
  nginx(options?: ProxyOptions): Promise<ProxyInFront>;
  haproxy(options?: ProxyOptions): Promise<ProxyInFront>;
  close(): Promise<void>;
}

export interface ProxyOptions {
  nodePorts?: readonly number[];
  /** More replacements in the doc's text, after the ports and certificate ones. */
  replace?: readonly (readonly [string, string])[];
}

export interface ProxyInFront {
  readonly httpPort: number;
  readonly httpsPort: number;
  /** `https://127.0.0.1:PORT`. */
  readonly httpsUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly httpUrl: string;
  /** The configuration as run. */
  readonly config: string;
  wssUrl(extensionId: string): string;
  /** A WebSocket through the proxy (certificate not checked), closed with the deployment. */
  connect(extensionId: string, options?: ConnectOptions): Promise<WireClient>;
  readonly process: RunningProxy['process'];
  stop(): Promise<void>;
}

export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Best effort: the others still run.
      }
    }
  };
  try {
    const folder = await workFolder('pbx-deploy-');
    cleanups.push(() => folder.remove());
    const certificate = await selfSignedCertificate(folder.path);

    let db: string;
    if (options.store === 'postgres') {
      const postgres = await documentedPostgres();
      cleanups.push(() => postgres.drop());
      db = postgres.url;
    } else {
      db = join(folder.path, 'pbx-peers.db');
    }
    for (const extension of options.extensions) await addExtension(db, extension);

    const redisPrefix = uniqueRedisPrefix();
    cleanups.push(() => deleteRedisKeys(redisPrefix));
    const nodeOptions: NodeOptions = {
      redisUrl: TEST_REDIS_URL,
      redisPrefix,
      db,
      args: options.nodeArgs ?? ['--trust-proxy', '127.0.0.1'],
      ...(options.nodeEnv === undefined ? {} : { env: options.nodeEnv }),
    };
    const all: ClusterNode[] = [];
    cleanups.push(() => Promise.all(all.map((node) => node.process.stop())));
    const startOne = async (extra: Partial<NodeOptions> = {}) => {
      const node = await startNode({ ...nodeOptions, ...extra });
      all.push(node);
      return node;
    };
    const nodes = await Promise.all(Array.from({ length: options.nodes ?? 3 }, () => startOne()));

    const clients = new Set<WireClient>();
    cleanups.push(() => Promise.all([...clients].map((client) => client.close())));
    const proxy = async (
      kind: 'nginx' | 'haproxy',
      proxyOptions: ProxyOptions = {},
    ): Promise<ProxyInFront> => {
      const nodePorts = proxyOptions.nodePorts ?? nodes.map((node) => node.port);
      const httpPort = await freePort();
      const httpsPort = await freePort();
      const config = documentedProxyConfig(
        kind,
        { nodePorts, httpPort, httpsPort, certificate },
        proxyOptions,
      );
      const proxyFolder = await workFolder(`pbx-${kind}-`);
      cleanups.push(() => proxyFolder.remove());
      const running =
        kind === 'nginx'
          ? await startNginx(config, proxyFolder.path, httpsPort)
          : await startHaproxy(config, proxyFolder.path, httpsPort);
      cleanups.push(() => running.stop());
      const httpsUrl = `https://127.0.0.1:${httpsPort}`;
      const wssUrl = (extensionId: string) =>
        `wss://127.0.0.1:${httpsPort}/peers/${encodeURIComponent(extensionId)}`;
      return {
        httpPort,
        httpsPort,
        httpsUrl,
        httpUrl: `http://127.0.0.1:${httpPort}`,
        config,
        wssUrl,
        async connect(extensionId, connectOptions = {}) {
          const client = await WireClient.connect(wssUrl(extensionId), {
            rejectUnauthorized: false,
            timeoutMs: 5_000,
            ...connectOptions,
          });
          clients.add(client);
          return client;
        },
        process: running.process,
        stop: running.stop,
      };
    };

    return {
      folder: folder.path,
      db,
      redisPrefix,
      nodes,
      certificate,
      nodeOptions,
      async restartNode(index) {
        const old = nodes[index];
        if (old === undefined) throw new Error(`no node ${index}`);
        const node = await startOne({ port: old.port });
        nodes[index] = node;
        return node;
      },
      extraNode: (args = []) => startOne({ args: [...(nodeOptions.args ?? []), ...args] }),
      nginx: (proxyOptions) => proxy('nginx', proxyOptions),
      haproxy: (proxyOptions) => proxy('haproxy', proxyOptions),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The doc's nginx or haproxy block, pointed at this machine's ports and certificate. */
export function documentedProxyConfig(
  kind: 'nginx' | 'haproxy',
  where: { nodePorts: readonly number[]; httpPort: number; httpsPort: number; certificate: Certificate },
  options: ProxyOptions = {},
): string {
  const { nodePorts, httpPort, httpsPort, certificate } = where;
  let text = deployConfig(kind);
  // The doc lists three nodes: any other number of upstreams is made from its first line's pattern.
  const upstreamLine =
    kind === 'nginx' ? /^[ \t]*server 127\.0\.0\.1:8081;\n/m : /^[ \t]*server node1 127\.0\.0\.1:8081 .*\n/m;
  const first = upstreamLine.exec(text)?.[0];
  if (first === undefined)
    throw new Error(`the ${kind} config no longer names 127.0.0.1:8081 as its first node`);
  text = substitute(
    text,
    DOC_NODE_PORTS.slice(1).map(
      (port, index) => [first.replaceAll('8081', port).replace('node1', `node${index + 2}`), ''] as const,
    ),
  );
  text = substitute(text, [
    [
      first,
      nodePorts
        .map((port, index) => first.replaceAll('8081', String(port)).replace('node1', `node${index + 1}`))
        .join(''),
    ],
  ]);
  if (kind === 'nginx') {
    text = substitute(text, [
      ['listen 80;', `listen 127.0.0.1:${httpPort};`],
      ['listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`],
      ['/etc/letsencrypt/live/pbx.example.com/fullchain.pem', certificate.certPath],
      ['/etc/letsencrypt/live/pbx.example.com/privkey.pem', certificate.keyPath],
    ]);
  } else {
    text = substitute(text, [
      ['bind :80\n', `bind 127.0.0.1:${httpPort}\n`],
      [
        'bind :443 ssl crt /etc/haproxy/certs/pbx.example.com.pem',
        `bind 127.0.0.1:${httpsPort} ssl crt ${certificate.pemPath}`,
      ],
    ]);
  }
  return substitute(text, options.replace ?? []);
}
