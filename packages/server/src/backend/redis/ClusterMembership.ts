import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { randomId } from '../../ids/randomId.js';
import { HEARTBEAT, JOIN } from './clusterScripts.js';
import type { RedisClient } from './RedisClient.js';
import type { RedisKeys } from './RedisKeys.js';
import { RedisScript } from './RedisScript.js';

/** What the Redis backend tells the server about Redis, so that trouble is never silent. */
export type RedisTrouble =
  /** Heartbeats have not got through for `unreachableAfterMs`: this process cannot vouch for any state. */
  | 'unreachable'
  /** Heartbeats get through again after `unreachable`. */
  | 'reachable'
  /**
   * The state this process's peers relied on is gone: Redis came back empty (restarted without
   * persistence), or this process's lease ran out and the others swept its peers. It has joined again
   * as a new incarnation; its connections must be closed so that clients reconnect and start over.
   */
  | 'state-lost'
  /**
   * The subscriber connection dropped and came back (Redis also cuts a subscriber that falls too far
   * behind): notices published meanwhile are lost, so its peers' view may disagree with the state; their
   * connections must be closed like `state-lost`.
   */
  | 'notices-lost'
  /**
   * A connection to Redis dropped. Until `reconnected`, take no new peer: one taken in between would be
   * closed again a moment later, by `state-lost` or `notices-lost`, once the node has checked.
   */
  | 'reconnecting'
  /** Both connections are back and checked (see `ReconnectGate`): new peers are welcome again. */
  | 'reconnected';

export interface ClusterMembershipOptions {
  /** The process's name in logs and metrics; incarnations are named after it. */
  nodeId: string;
  leaseMs: number;
  /** Default 5000. */
  unreachableAfterMs?: number;
  /** How often the leases of the others are checked. Default 1000. */
  sweepIntervalMs?: number;
  log: Logger;
}

export interface MembershipHooks {
  /** Does section 6 for every peer a dead incarnation held in one extension. */
  sweep(deadNode: string, extensionId: string): Promise<void>;
  /** This process joined again under a new incarnation name (after `state-lost`). */
  rejoined(previousNode: string, node: string): Promise<void>;
  trouble(trouble: RedisTrouble): void;
}

const SWEEP_LOCK_MS = 30_000;
/** How soon `renewNow` sends another heartbeat when one went unanswered. */
const RENEW_RETRY_MS = 100;
/** How often the leases of the others are checked, unless `sweepIntervalMs` says otherwise. */
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;

/**
 * This process's membership of the cluster: a lease in Redis renewed by heartbeats, the epoch that
 * tells when Redis lost its data, and the sweep of processes whose lease ran out.
 *
 * Each run of the process (and each rejoin) is a new incarnation with its own name: a sweep of an old
 * incarnation can then never remove a newer one's state, whatever the timing.
 */
export class ClusterMembership {
  private incarnation: string;
  private epoch = '';
  /**
   * When the first heartbeat that has not got through was sent; undefined while they get through. The
   * outage began after the last one that did, so "out of reach for more than 5 s" counts from here.
   */
  private unansweredSince: number | undefined;
  private heartbeatSentAt = 0;
  /** The heartbeat under way, with what its answer leads to. */
  private heartbeatRun: Promise<boolean> | undefined;
  private stopped = false;
  private sweepInFlight = false;
  private unreachable = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly join = new RedisScript(JOIN);
  private readonly heartbeat = new RedisScript(HEARTBEAT);
  private readonly unreachableAfterMs: number;

  constructor(
    private readonly commands: RedisClient,
    private readonly keys: RedisKeys,
    private readonly options: ClusterMembershipOptions,
    private readonly hooks: MembershipHooks,
  ) {
    this.incarnation = newIncarnation(options.nodeId);
    this.unreachableAfterMs = options.unreachableAfterMs ?? 5000;
  }

  /** The name of this process in Redis state and channels. */
  get node(): string {
    return this.incarnation;
  }

  async start(): Promise<void> {
    await this.joinAs(this.incarnation);
    const { leaseMs, sweepIntervalMs = DEFAULT_SWEEP_INTERVAL_MS } = this.options;
    this.every(Math.min(leaseMs / 3, 1000), () => void this.renew());
    this.every(Math.min(250, this.unreachableAfterMs / 4), () => this.checkReachable());
    this.every(sweepIntervalMs, () => this.sweepDeadNodes());
  }

  /**
   * Renews the lease at once, e.g. when the connection to Redis is back, and settles once a heartbeat has
   * been answered and acted on (a rejoin after `state-lost` included), trying again while none is.
   */
  async renewNow(): Promise<void> {
    while (!this.stopped && !(await this.renew())) await sleep(RENEW_RETRY_MS);
  }

  /** Leaves the cluster: the others need not sweep this incarnation. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.commands
      .multi()
      .del(this.keys.lease(this.incarnation))
      .sRem(this.keys.nodes, this.incarnation)
      .del(this.keys.nodeExtensions(this.incarnation))
      .exec();
  }

  private every(ms: number, task: () => Promise<void> | void): void {
    const timer = setInterval(task, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async joinAs(node: string): Promise<void> {
    const epoch = await this.join.run(
      this.commands,
      [this.keys.epoch, this.keys.lease(node), this.keys.nodes],
      [node, randomId(), String(this.options.leaseMs)],
    );
    this.epoch = String(epoch);
  }

  /** True once the heartbeat under way, or a new one, was answered. */
  private renew(): Promise<boolean> {
    if (this.heartbeatRun !== undefined) return this.heartbeatRun;
    this.heartbeatRun = this.heartbeatOnce().finally(() => {
      this.heartbeatRun = undefined;
    });
    return this.heartbeatRun;
  }

  private async heartbeatOnce(): Promise<boolean> {
    this.heartbeatSentAt = Date.now();
    try {
      const outcome = await this.heartbeat.run(
        this.commands,
        [this.keys.epoch, this.keys.lease(this.incarnation)],
        [this.epoch, String(this.options.leaseMs)],
      );
      if (outcome !== 'ok') await this.rejoin(outcome === 'reset' ? 'redis lost its data' : 'lease ran out');
      this.unansweredSince = undefined;
      if (this.unreachable) {
        this.unreachable = false;
        this.options.log.warn('redis reachable again');
        this.hooks.trouble('reachable');
      }
      return true;
    } catch (err) {
      this.unansweredSince ??= this.heartbeatSentAt;
      this.options.log.debug({ err }, 'heartbeat failed');
      return false;
    }
  }

  private async rejoin(why: string): Promise<void> {
    const previous = this.incarnation;
    this.incarnation = newIncarnation(this.options.nodeId);
    this.options.log.warn({ why, previous, node: this.incarnation }, 'state in redis lost; joining again');
    this.hooks.trouble('state-lost');
    await this.joinAs(this.incarnation);
    await this.hooks.rejoined(previous, this.incarnation);
  }

  private checkReachable(): void {
    const since =
      this.unansweredSince ?? (this.heartbeatRun === undefined ? undefined : this.heartbeatSentAt);
    if (this.unreachable || since === undefined || Date.now() - since <= this.unreachableAfterMs) return;
    this.unreachable = true;
    this.options.log.error({ silentMs: Date.now() - since }, 'redis unreachable');
    this.hooks.trouble('unreachable');
  }

  /** Sweeps, under a lock, each incarnation whose lease ran out (killed, frozen, cut off). */
  private async sweepDeadNodes(): Promise<void> {
    if (this.sweepInFlight || this.unreachable) return;
    this.sweepInFlight = true;
    try {
      for (const node of await this.commands.sMembers(this.keys.nodes)) {
        if (node === this.incarnation || (await this.commands.exists(this.keys.lease(node))) === 1) continue;
        const locked = await this.commands.set(this.keys.sweepLock(node), this.incarnation, {
          condition: 'NX',
          expiration: { type: 'PX', value: SWEEP_LOCK_MS },
        });
        if (locked === null) continue; // Another process is sweeping it.
        const extensions = await this.commands.sMembers(this.keys.nodeExtensions(node));
        for (const extensionId of extensions) await this.hooks.sweep(node, extensionId);
        await this.commands
          .multi()
          .del(this.keys.nodeExtensions(node))
          .sRem(this.keys.nodes, node)
          .del(this.keys.sweepLock(node))
          .exec();
        this.options.log.warn(
          { deadNode: node, extensions: extensions.length },
          'swept a process whose lease ran out',
        );
      }
    } catch (err) {
      this.options.log.warn({ err }, 'sweep of dead processes failed; retrying');
    } finally {
      this.sweepInFlight = false;
    }
  }
}

function newIncarnation(nodeId: string): string {
  return `${nodeId}~${randomId().slice(0, 8)}`;
}
