import { randomBytes, scryptSync } from 'node:crypto';
import { type RunningServer, startServer } from '../../src/startServer.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { FakeClock } from '../core/FakeClock.js';
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from '../support/testRedis.js';
import type { ModelExtension } from './protocolModel.js';

/**
 * What the model-based test runs against: one server process, or a cluster. Each peer slot is told where
 * to connect, so a cluster factory spreads the slots over its nodes.
 */
export interface ModelServer {
  /** `ws://.../peers/<extensionId>` for the peer in `slot`. */
  peerUrl(slot: number, extensionId: string): string;
  /** Moves every node's fake clock; due ring timers fire. */
  advanceClock(ms: number): void;
  /** Connections open on all nodes: tells when the server has noticed a close. */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

export interface ModelServerSetup {
  extensions: readonly ModelExtension[];
  ringTimeoutSeconds: number;
}

export type ModelServerFactory = (setup: ModelServerSetup) => Promise<ModelServer>;

/** Limits that must never trigger in a model run: the model does not describe them. */
const UNREACHABLE_LIMITS = { messageRate: 1e6, messageBurst: 1e6, registerFailureLimit: 1e6 } as const;

/**
 * A password hash in the server's own `scrypt$N$r$p$salt$hash` format, with the smallest cost. The server
 * verifies with the parameters the hash carries, so a `register` costs microseconds instead of the ~60 ms
 * of the real cost: the model test sends hundreds of them. Verification stays asynchronous (libuv's pool),
 * as with the real cost, so a `register` still races what other peers do meanwhile.
 */
function cheapPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFKC'), salt, 32, { N: 2, r: 1, p: 1 });
  return ['scrypt', 2, 1, 1, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** The real server, in this process, on a free port, with a fake clock and its own in-memory store. */
export const startSingleModelServer: ModelServerFactory = async ({ extensions, ringTimeoutSeconds }) => {
  const clock = new FakeClock();
  const store = SqliteExtensionStore.open(':memory:');
  for (const { id, password } of extensions) {
    await store.add({ id, name: id, passwordHash: cheapPasswordHash(password) });
  }
  const server = await startServer({
    port: 0,
    logLevel: 'silent',
    store,
    ringTimeout: ringTimeoutSeconds,
    // The model is of sections 1 to 7: a dropped connection is cleaned up at once.
    resumeGrace: 0,
    clock,
    ...UNREACHABLE_LIMITS,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const wsBase = server.url.replace(/^http/, 'ws');
  return {
    peerUrl: (_slot, extensionId) => `${wsBase}/peers/${encodeURIComponent(extensionId)}`,
    advanceClock: (ms) => clock.advance(ms),
    async openConnections() {
      const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      const health = (await response.json()) as { connections: number };
      return health.connections;
    },
    async close() {
      try {
        await server.close();
      } finally {
        await store.close();
      }
    },
  };
};

const CLUSTER_NODES = 3;

/**
 * Three nodes in this process on the machine's Redis (a prefix of the run's own), sharing one fake clock
 * and one store; slot n connects to node n mod 3, so the parties of most calls are on different nodes.
 */
export const startClusterModelServer: ModelServerFactory = async ({ extensions, ringTimeoutSeconds }) => {
  const clock = new FakeClock();
  const store = SqliteExtensionStore.open(':memory:');
  const redisPrefix = uniqueRedisPrefix();
  const nodes: RunningServer[] = [];
  const close = async () => {
    try {
      await Promise.all(nodes.map((node) => node.close()));
    } finally {
      await store.close();
      await deleteRedisKeys(redisPrefix);
    }
  };
  try {
    for (const { id, password } of extensions) {
      await store.add({ id, name: id, passwordHash: cheapPasswordHash(password) });
    }
    for (let n = 0; n < CLUSTER_NODES; n++) {
      nodes.push(
        await startServer({
          port: 0,
          logLevel: 'silent',
          store,
          ringTimeout: ringTimeoutSeconds,
          resumeGrace: 0,
          clock,
          redisUrl: TEST_REDIS_URL,
          redisPrefix,
          nodeId: `model-node-${n}`,
          ...UNREACHABLE_LIMITS,
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  const wsBases = nodes.map((node) => node.url.replace(/^http/, 'ws'));
  return {
    peerUrl: (slot, extensionId) =>
      `${wsBases[slot % wsBases.length]}/peers/${encodeURIComponent(extensionId)}`,
    advanceClock: (ms) => clock.advance(ms),
    async openConnections() {
      let total = 0;
      for (const node of nodes) {
        const response = await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        total += ((await response.json()) as { connections: number }).connections;
      }
      return total;
    },
    close,
  };
};
