import { createHash, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { type Logger, pino } from 'pino';
import { settlesWithin } from './async/settlesWithin.js';
import { MemoryBackend } from './backend/MemoryBackend.js';
import { RedisBackend, type RedisTrouble } from './backend/RedisBackend.js';
import { OptionError, type ServerOptions, withDefaults } from './config/serverOptions.js';
import { assertNever } from './core/assertNever.js';
import { everyObserver } from './core/CallObserver.js';
import { type Clock, systemClock } from './core/Clock.js';
import { RegisterAttempts } from './core/RegisterAttempts.js';
import { type LocalPeerCounts, Switchboard } from './core/Switchboard.js';
import type { SwitchboardBackend } from './core/SwitchboardBackend.js';
import { CallHistoryRecorder } from './history/CallHistoryRecorder.js';
import { HistoryPruner } from './history/HistoryPruner.js';
import { registerAdminRoutes } from './http/adminRoutes.js';
import { registerEmbedRoutes } from './http/embedRoutes.js';
import { CALLBACKS_PER_ADDRESS_PER_HOUR, registerFrontDeskRoutes } from './http/frontDeskRoutes.js';
import { registerWebRoutes } from './http/webRoutes.js';
import { randomId } from './ids/randomId.js';
import { FixedWindowQuota } from './limits/FixedWindowQuota.js';
import { FlexibleRegisterAttemptLimiter } from './limits/FlexibleRegisterAttemptLimiter.js';
import { ServerMetrics } from './metrics/ServerMetrics.js';
import type { ExtensionStore } from './store/ExtensionStore.js';
import { openExtensionStore } from './store/openExtensionStore.js';
import { StoreAdminDirectory } from './store/StoreAdminDirectory.js';
import { StoreExtensionDirectory } from './store/StoreExtensionDirectory.js';
import { watchExtensionRemovals } from './store/watchExtensionRemovals.js';
import { PeerGateway } from './transport/PeerGateway.js';
import { compileProxyTrust } from './transport/proxyTrust.js';
import { WebhookDispatcher } from './webhooks/WebhookDispatcher.js';
import { WebhookPublisher } from './webhooks/WebhookPublisher.js';

export interface StartServerOptions extends Partial<ServerOptions> {
  /** The extension store; by default the one `db` names (SQLite path or postgres:// URL), closed with the server. A given store is not closed. */
  store?: ExtensionStore;
  /** By default a pino logger at `logLevel` on stdout. */
  logger?: Logger;
  /** By default the single-process memory backend. */
  backend?: SwitchboardBackend;
  /** By default the system clock; tests drive ring timeouts with a fake one. */
  clock?: Clock;
  /** Names this process in logs and metrics; by default `<hostname>-<pid>`. */
  nodeId?: string;
  /** The web app's build output; by default `packages/web/dist` of this repository. */
  webRoot?: string;
}

export interface RunningServer {
  /** `http://HOST:PORT` with the port actually bound. */
  url: string;
  port: number;
  /** Stops accepting, closes every WebSocket with 1012 (service restart), then releases the store it opened. */
  close(): Promise<void>;
}

const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist/', import.meta.url));

export async function startServer(startOptions: StartServerOptions = {}): Promise<RunningServer> {
  const { store: givenStore, logger, backend: givenBackend, clock = systemClock, ...rest } = startOptions;
  const options = withDefaults(rest);
  const nodeId = startOptions.nodeId ?? `${hostname()}-${process.pid}`;
  const log = (logger ?? pino({ level: options.logLevel, name: 'pbx-peers' })).child({ node: nodeId });
  if (givenBackend !== undefined && options.redisUrl !== '') {
    throw new OptionError('Give either a backend or --redis-url, not both.');
  }
  const store = givenStore ?? (await openExtensionStore(options.db, { create: true }));
  // Trouble is handled once the gateway exists; Redis can report it from the first heartbeat on.
  let onRedisTrouble: (trouble: RedisTrouble) => void = () => {};
  let redis: RedisBackend | undefined;
  try {
    redis =
      options.redisUrl === ''
        ? undefined
        : await RedisBackend.start({
            url: options.redisUrl,
            prefix: options.redisPrefix,
            nodeId,
            leaseMs: options.nodeLease * 1000,
            log: log.child({ component: 'redis' }),
            onTrouble: (trouble) => onRedisTrouble(trouble),
          });
  } catch (error) {
    // A PostgreSQL store's connections would keep the process alive.
    if (givenStore === undefined) await store.close();
    throw error;
  }
  const backend = givenBackend ?? redis ?? new MemoryBackend();

  // Read at scrape time only, once the switchboard exists.
  const metrics = new ServerMetrics(
    { localPeerCounts: (): LocalPeerCounts => switchboard.localPeerCounts() },
    { node: nodeId },
  );
  const history = new CallHistoryRecorder(store, metrics, log.child({ component: 'calls' }));
  const pruner = new HistoryPruner(store, options.historyRetention, log.child({ component: 'history' }));
  // In a cluster, every abuse limit is counted in Redis: N processes must not give N times the attempts.
  const quota = (name: string, uses: number, windowSeconds: number) =>
    redis === undefined
      ? FixedWindowQuota.inMemory(uses, windowSeconds)
      : FixedWindowQuota.inRedis(redis.commands, `${options.redisPrefix}${name}`, uses, windowSeconds);
  // The front desk's HTTP API counts against the register limit too.
  const registerLimiter = new FlexibleRegisterAttemptLimiter(
    quota('register', options.registerFailureLimit, options.registerFailureWindow),
  );
  const webhooks =
    options.webhookUrl === ''
      ? undefined
      : webhookSender(store, options, nodeId, metrics, log.child({ component: 'webhooks' }));
  const switchboard = new Switchboard({
    backend,
    calls: webhooks === undefined ? history : everyObserver([history, webhooks.publisher]),
    directory: new StoreExtensionDirectory(store),
    registerLimiter,
    clock,
    newId: randomId,
    // 128 random bits, as section 8 asks of a resume token.
    newToken: randomId,
    ringTimeoutMs: options.ringTimeout * 1000,
    resumeGraceMs: options.resumeGrace * 1000,
    onInternalError: (err, peer) => log.error({ err, ...peer }, 'request failed inside the server'),
  });
  // Compiled once: the WebSocket upgrades and Fastify's request.ip (request logs) agree on the client.
  const proxyTrust = compileProxyTrust(options.trustProxy);
  const gateway = new PeerGateway(switchboard, store, metrics, log, {
    maxMessageBytes: options.maxMessageBytes,
    pingIntervalMs: options.pingInterval * 1000,
    allowedOrigins: options.allowedOrigins,
    messageRate: options.messageRate,
    messageBurst: options.messageBurst,
    maxBufferedBytes: options.maxBufferedBytes,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    proxyTrust,
  });

  // Upgrades are answered 503 while Redis is out of reach and while a dropped connection is not yet back
  // and checked (docs/protocol.md 10.1).
  let unreachable = false;
  let reconnecting = false;
  const refuseUpgradesIfNeeded = () => gateway.refuseUpgrades(unreachable || reconnecting);
  onRedisTrouble = (trouble) => {
    switch (trouble) {
      case 'unreachable':
        unreachable = true;
        refuseUpgradesIfNeeded();
        switchboard.closeAll(TRY_AGAIN_LATER, 'backend unreachable');
        return;
      case 'reachable':
        unreachable = false;
        refuseUpgradesIfNeeded();
        return;
      case 'reconnecting':
      case 'reconnected':
        reconnecting = trouble === 'reconnecting';
        refuseUpgradesIfNeeded();
        return;
      case 'state-lost':
        switchboard.closeAll(SERVICE_RESTART, 'backend restarted');
        return;
      case 'notices-lost':
        switchboard.closeAll(SERVICE_RESTART, 'backend connection lost');
        return;
      default:
        return assertNever(trouble);
    }
  };

  // Request logs are info-level; at warn only failures reach the log.
  const app = Fastify({
    trustProxy: proxyTrust ?? false,
    loggerInstance: log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  });
  // Every answer, pages, assets, JSON and the 404s alike: a browser must never guess another type.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  const startedAt = Date.now();
  app.get('/healthz', async () => ({
    status: 'ok',
    node: nodeId,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    connections: switchboard.localPeerCounts().connections,
  }));
  const metricsAccess = bearerTokenCheck(options.metricsToken);
  app.get('/metrics', async (request, reply) => {
    if (!metricsAccess(request.headers.authorization)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized' });
    }
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
  // Admin sign-ins are limited like registers, on a limiter of their own (an admin name is no extension).
  const adminLimiter = new FlexibleRegisterAttemptLimiter(
    quota('admin-register', options.registerFailureLimit, options.registerFailureWindow),
  );
  registerAdminRoutes(app, {
    store,
    backend,
    signIns: new RegisterAttempts(new StoreAdminDirectory(store), adminLimiter),
    log: log.child({ component: 'admin' }),
  });
  registerFrontDeskRoutes(app, {
    store,
    registerAttempts: new RegisterAttempts(new StoreExtensionDirectory(store), registerLimiter),
    callbackQuota: quota('callbacks', CALLBACKS_PER_ADDRESS_PER_HOUR, 3_600),
    log: log.child({ component: 'front-desk' }),
    onCallbackRequested: (request) => {
      metrics.callbackRequested();
      webhooks?.publisher.callbackRequested(request);
    },
  });
  await registerWebRoutes(app, {
    store,
    webRoot: startOptions.webRoot ?? DEFAULT_WEB_ROOT,
    ice: options,
    log,
    embedOrigins: options.embedOrigins,
  });
  await registerEmbedRoutes(app, { store, backend, webRoot: startOptions.webRoot ?? DEFAULT_WEB_ROOT, log });
  app.server.on('upgrade', (request, socket, head) => {
    gateway.handleUpgrade(request, socket, head).catch((err) => {
      log.error({ err }, 'upgrade failed');
      socket.destroy();
    });
  });

  // Listens for removals when the store announces them (PostgreSQL), else polls every check interval.
  const stopRemovalWatch = await watchExtensionRemovals(
    store,
    switchboard,
    log,
    options.extensionCheckInterval * 1000,
  );

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    // A PostgreSQL store's connections would keep the process alive.
    await stopRemovalWatch();
    if (givenStore === undefined) await store.close();
    await redis?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  log.info({ url }, 'listening');
  pruner.start();
  webhooks?.dispatcher.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= (async () => {
        await stopRemovalWatch();
        const stopAccepting = app.close();
        // One process: its state goes with it, so the connections closed now leave nothing to resume. A
        // cluster node: its peers stay resumable on the others (bounded: Redis may be out of reach).
        await settlesWithin(switchboard.shutDown(), OFFER_TIMEOUT_MS);
        await gateway.close();
        // HTTP connections that are not idle keep server.close() waiting: a request whose headers never
        // finished, a TCP connection that never sent a byte. The WebSockets are closed; nothing else is
        // worth waiting for.
        app.server.closeAllConnections();
        await stopAccepting;
        // In a cluster the peers just closed may resume on another process, which takes them over from
        // here (protocol section 8); those that do not come back in time end as section 6 says.
        if (backend.handsOverPeers && options.resumeGrace > 0) {
          await settlesWithin(
            switchboard.whenDrained(),
            Math.min(options.resumeGrace * 1000, HANDOVER_WAIT_MS),
          );
          switchboard.endAbsentPeers();
        }
        // Each closed connection's section 6 (its calls ended, its registration gone) must reach the backend
        // before this process's state there is released and Redis is closed.
        if (!(await settlesWithin(switchboard.whenDrained(), DRAIN_TIMEOUT_MS))) {
          log.warn('some connections had not finished detaching; releasing the backend anyway');
        }
        await backend.close();
        await pruner.stop();
        await settlesWithin(
          Promise.all([history.flush(), webhooks?.publisher.flush(), webhooks?.dispatcher.stop()]),
          DRAIN_TIMEOUT_MS,
        );
        if (givenStore === undefined) await store.close();
        log.info('closed');
      })();
      return closing;
    },
  };
}

/** `--webhook-url`: events written to the store's outbox by this process, sent by any (issue 11). */
function webhookSender(
  store: ExtensionStore,
  options: ServerOptions,
  nodeId: string,
  metrics: ServerMetrics,
  log: Logger,
): { publisher: WebhookPublisher; dispatcher: WebhookDispatcher } {
  const dispatcher = new WebhookDispatcher({
    outbox: store,
    url: options.webhookUrl,
    secret: options.webhookSecret,
    retryForMs: options.webhookRetryFor * 1000,
    owner: nodeId,
    log,
    onAttempt: (result) => metrics.webhookAttempt(result),
  });
  const publisher = new WebhookPublisher(
    store,
    log,
    () => dispatcher.nudge(),
    options.webhookRetryFor * 1000,
  );
  return { publisher, dispatcher };
}

/** WebSocket close codes of RFC 6455 for a backend in trouble (docs/protocol.md section 10). */
const TRY_AGAIN_LATER = 1013;
const SERVICE_RESTART = 1012;
const DRAIN_TIMEOUT_MS = 5000;
/** How long a cluster node shutting down waits for its peers to resume on the others. */
const HANDOVER_WAIT_MS = 4000;
/** How long a shutting-down node waits for Redis to record its peers as resumable elsewhere. */
const OFFER_TIMEOUT_MS = 2000;

/**
 * `--metrics-token`: an empty token leaves the endpoint open. Compared as SHA-256 digests, so the
 * comparison takes the same time whatever the length or content of the guess.
 */
function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  if (token === '') return () => true;
  const expected = sha256(`Bearer ${token}`);
  return (authorization) => authorization !== undefined && timingSafeEqual(sha256(authorization), expected);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
