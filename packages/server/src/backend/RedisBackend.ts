import type { ServerMessage } from '@pbx-peers/protocol';
import type { Logger } from 'pino';
import { settlesWithin } from '../async/settlesWithin.js';
import type { CallEndedByBackend } from '../core/EndedCall.js';
import type { LocalSession } from '../core/LocalPeer.js';
import type { Audience, Notice, NoticeSink, Orphan } from '../core/Notice.js';
import type { KeptMessage, PeerHandover, PeerMove } from '../core/PeerHandover.js';
import type {
  Answerer,
  CallEnding,
  CallRecord,
  ClaimResult,
  EndResult,
  LiveView,
  NewCall,
  OutgoingSignal,
  PlaceResult,
  PresenceChange,
  Registration,
  ResumableRecord,
  SignalRefusal,
  StatusReading,
  SwitchboardBackend,
} from '../core/SwitchboardBackend.js';
import {
  ClusterMembership,
  DEFAULT_SWEEP_INTERVAL_MS,
  type RedisTrouble,
} from './redis/ClusterMembership.js';
import {
  CLAIM_CALL,
  DEREGISTER,
  END_CALL,
  EVENTS_KEPT,
  LIVE_VIEW,
  MOVE_PEER,
  PLACE_CALL,
  REGISTER,
  RELAY_SIGNAL,
  STATUS,
  SWEEP_NODE,
  UNDELIVERED_TTL_MS,
} from './redis/extensionScripts.js';
import {
  decodeHandoverMessage,
  decodePeerMoved,
  encodeHandoverAnswer,
  encodeHandoverRequest,
  HANDOVER_MARK,
  MOVED_MARK,
} from './redis/handoverCodec.js';
import {
  decodeAudienceMessage,
  decodePeerMessages,
  encodePeerMessage,
  encodeSignal,
  encodeSignalRefusal,
  type PeerMessage,
} from './redis/noticeCodec.js';
import { PartyNodes } from './redis/PartyNodes.js';
import { ReconnectGate } from './redis/ReconnectGate.js';
import { connectRedis, type RedisClient } from './redis/RedisClient.js';
import { RedisKeys } from './redis/RedisKeys.js';
import { RedisScript } from './redis/RedisScript.js';
import { SignalOutbox } from './redis/SignalOutbox.js';

export type { RedisTrouble };

export interface RedisBackendOptions {
  url: string;
  /** Of every key and channel (`--redis-prefix`). */
  prefix: string;
  /** Names the process in logs; its incarnations in Redis are named after it. */
  nodeId: string;
  /** `--node-lease`, in milliseconds. */
  leaseMs: number;
  log: Logger;
  /** Told of Redis trouble; the server closes connections and refuses new ones. */
  onTrouble?: (trouble: RedisTrouble) => void;
  /** For tests; default 5000. */
  unreachableAfterMs?: number;
}

const script = {
  register: new RedisScript(REGISTER),
  deregister: new RedisScript(DEREGISTER),
  status: new RedisScript(STATUS),
  liveView: new RedisScript(LIVE_VIEW),
  placeCall: new RedisScript(PLACE_CALL),
  claimCall: new RedisScript(CLAIM_CALL),
  endCall: new RedisScript(END_CALL),
  relaySignal: new RedisScript(RELAY_SIGNAL),
  sweepNode: new RedisScript(SWEEP_NODE),
  movePeer: new RedisScript(MOVE_PEER),
};

/**
 * The backend of a cluster: the state in Redis, changed by one Lua script per operation that also
 * publishes the notices it causes (`extensionScripts.ts`), and this process's membership
 * (`ClusterMembership`).
 *
 * Order: a process receives every notice from Redis over one subscriber connection, in the order the
 * scripts ran, which is the order of the state changes; notices for its own peers that its own scripts
 * caused come back in the script's reply and are handed over at once. The core copes with notices
 * arriving after a reply of the same moment (the extension sequence number, the peer's serial queue).
 *
 * Scoped delivery: a process subscribes to the channel of each extension it has peers of, and to its
 * own channel, where notices for its peers arrive; nothing else reaches it.
 */
export class RedisBackend implements SwitchboardBackend {
  private sink: NoticeSink | undefined;
  private readonly keys: RedisKeys;
  private readonly watched = new Set<string>();
  /** Extensions whose channel this process is subscribed to: those watched, and one being adopted into. */
  private readonly subscribed = new Set<string>();
  private readonly membership: ClusterMembership;
  /** What the subscriber connection brought, in Redis's order, not yet handed over. */
  private readonly inbox: Array<{ channel: string | undefined; message: string }> = [];
  /** Set from a fence until its operation's continuation has run (see `pump`). */
  private paused = false;
  private readonly fences = new Map<string, Fence>();
  private fenceSerial = 0;
  private readonly partyNodes = new PartyNodes();
  private readonly outbox: SignalOutbox;
  /** Handovers this process asked for (section 8), by request id: settled by the answer. */
  private readonly handoverWaits = new Map<string, (handover: PeerHandover | undefined) => void>();
  private handoverSerial = 0;
  /**
   * While a handover is awaited, messages for peers this process does not have (yet) are held: those
   * published after the move, for the peer on its way here, must reach it after its kept messages.
   */
  private readonly heldForHandover: PeerMessage[] = [];
  /** Event numbers seen since the last write (see `sawEvent`). */
  private readonly unwrittenSeen = new Map<string, number>();
  private seenWriteScheduled = false;
  /** Peers handed over to another process, and where: what still reaches this one for them goes on. */
  private readonly movedPeers = new Map<string, string>();

  private constructor(
    /** The command connection; the register limiter shares it. */
    readonly commands: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly options: RedisBackendOptions,
  ) {
    this.keys = new RedisKeys(options.prefix);
    this.outbox = new SignalOutbox((channel, message) =>
      commands.publish(channel, message).then((listeners) => {
        if (listeners === 0) this.undelivered(channel, message);
      }),
    );
    this.membership = new ClusterMembership(
      commands,
      this.keys,
      {
        nodeId: options.nodeId,
        leaseMs: options.leaseMs,
        log: options.log,
        ...(options.unreachableAfterMs === undefined
          ? {}
          : { unreachableAfterMs: options.unreachableAfterMs }),
      },
      {
        sweep: (deadNode, extensionId) => this.sweep(deadNode, extensionId),
        rejoined: (previous, node) => this.rejoined(previous, node),
        trouble: (trouble) => options.onTrouble?.(trouble),
      },
    );
  }

  /** Connects to Redis and joins the cluster. */
  static async start(options: RedisBackendOptions): Promise<RedisBackend> {
    const commands = await connectRedis(options.url, options.log, 'commands');
    let subscriber: RedisClient | undefined;
    try {
      subscriber = await connectRedis(options.url, options.log, 'subscriber');
      const backend = new RedisBackend(commands, subscriber, options);
      await subscriber.subscribe(backend.keys.nodeChannel(backend.membership.node), backend.onPeerMessage);
      await backend.membership.start();
      const gate = new ReconnectGate((open) => options.onTrouble?.(open ? 'reconnected' : 'reconnecting'));
      commands.on('reconnecting', () => gate.dropped('commands'));
      subscriber.on('reconnecting', () => gate.dropped('subscriber'));
      // After an outage, check at once whether Redis kept its data.
      commands.on('ready', () => void gate.back('commands', () => backend.membership.renewNow()));
      // node-redis subscribes again by itself, but what was published while it was away is gone.
      subscriber.on('ready', () => {
        options.log.warn('subscriber connection back; notices may have been lost');
        options.onTrouble?.('notices-lost');
        void gate.back('subscriber', async () => {});
      });
      return backend;
    } catch (error) {
      commands.destroy();
      subscriber?.destroy();
      throw error;
    }
  }

  connect(sink: NoticeSink): void {
    this.sink = sink;
  }

  async watch(extensionId: string): Promise<void> {
    this.watched.add(extensionId);
    await this.subscribeTo(extensionId);
  }

  /** Listed before any state is written, so a sweep of this process finds the extension. */
  private async subscribeTo(extensionId: string): Promise<void> {
    const listing = this.commands.sAdd(this.keys.nodeExtensions(this.membership.node), extensionId);
    // Subscribed already for an adoption (see `sweep`): a second subscription would deliver twice.
    if (this.subscribed.has(extensionId)) return void (await listing);
    this.subscribed.add(extensionId);
    await Promise.all([
      listing,
      this.subscriber.subscribe(this.keys.extensionChannel(extensionId), this.onAudienceMessage),
    ]);
  }

  unwatch(extensionId: string): void {
    this.watched.delete(extensionId);
    this.subscribed.delete(extensionId);
    const failed = (err: unknown) => this.options.log.warn({ err, extensionId }, 'unwatching failed');
    this.subscriber
      .unsubscribe(this.keys.extensionChannel(extensionId), this.onAudienceMessage)
      .catch(failed);
    // Every local peer of the extension has detached, so this process holds nothing there any more.
    this.commands.sRem(this.keys.nodeExtensions(this.membership.node), extensionId).catch(failed);
  }

  async addRegistered(extensionId: string, peerId: string, name?: string): Promise<Registration> {
    const reply = await this.fenced(
      script.register,
      extensionId,
      ['registered', 'calls', 'seq', 'agentNames'],
      [peerId, name ?? '', name === undefined ? '0' : '1'],
    );
    const ringingCalls = reply
      .slice(2)
      .map((raw) => toCallRecord(extensionId, parseStoredCall(raw)))
      .sort((a, b) => a.order - b.order);
    return { changed: reply[0] === 1, status: 'ready', seq: integer(reply[1]), ringingCalls };
  }

  async removeRegistered(extensionId: string, peerId: string): Promise<PresenceChange> {
    const [removed, count, seq] = await this.fenced(
      script.deregister,
      extensionId,
      ['registered', 'seq', 'agentNames'],
      [peerId],
    );
    return { changed: removed === 1, status: integer(count) > 0 ? 'ready' : 'offline', seq: integer(seq) };
  }

  async liveView(extensionId: string): Promise<LiveView> {
    const [ids, names, calls] = await this.run(
      script.liveView,
      extensionId,
      ['registered', 'calls', 'agentNames'],
      [],
    );
    const nameOf = new Map<string, string>();
    const flat = Array.isArray(names) ? names.map(String) : [];
    for (let i = 0; i + 1 < flat.length; i += 2) nameOf.set(flat[i] as string, flat[i + 1] as string);
    const agents = (Array.isArray(ids) ? ids.map(String) : []).map((peerId) => {
      const name = nameOf.get(peerId);
      return name === undefined ? { peerId } : { peerId, name };
    });
    const liveCalls = (Array.isArray(calls) ? calls : []).map((raw) => {
      const stored = parseStoredCall(raw);
      const call = toCallRecord(extensionId, stored);
      return typeof stored.answererPeerId === 'string'
        ? { ...call, answererPeerId: stored.answererPeerId }
        : call;
    });
    return { agents, calls: liveCalls.sort((a, b) => a.order - b.order) };
  }

  async status(extensionId: string): Promise<StatusReading> {
    const [count, seq] = await this.run(script.status, extensionId, ['registered', 'seq'], []);
    return { status: integer(count) > 0 ? 'ready' : 'offline', seq: integer(seq) };
  }

  async placeCall(call: NewCall): Promise<PlaceResult> {
    const { callId, extensionId, callerPeerId, name, ringingAt } = call;
    const reply = await this.fenced(
      script.placeCall,
      extensionId,
      ['registered', 'calls', 'seq'],
      [callId, callerPeerId, name ?? '', name === undefined ? '0' : '1', String(ringingAt)],
    );
    if (reply[0] !== 1) return { outcome: 'unavailable' };
    return { outcome: 'ringing', call: { ...call, order: integer(reply[1]) } };
  }

  async claimCall(extensionId: string, callId: string, answerer: Answerer): Promise<ClaimResult> {
    const { peerId, name, answeredAt } = answerer;
    const reply = await this.fenced(
      script.claimCall,
      extensionId,
      ['calls'],
      [callId, peerId, name ?? '', name === undefined ? '0' : '1', String(answeredAt)],
    );
    if (reply[0] !== 1) return { outcome: 'not-ringing' };
    const stored = parseStoredCall(reply[1]);
    const call = {
      ...toCallRecord(extensionId, stored),
      answeredAt,
      ...(name === undefined ? {} : { answererName: name }),
    };
    if (typeof stored.callerNode === 'string')
      this.partyNodes.learn(callId, call.callerPeerId, stored.callerNode);
    return { outcome: 'claimed', call };
  }

  async endCall(extensionId: string, callId: string, ending: CallEnding): Promise<EndResult> {
    const by = ending.reason === 'timeout' ? '' : ending.peerId;
    const reply = await this.fenced(script.endCall, extensionId, ['calls'], [callId, ending.reason, by]);
    this.partyNodes.forget(callId);
    if (reply[0] !== 1 && reply[0] !== 2) return { outcome: 'not-found' };
    const stored = parseStoredCall(reply[1]);
    const call = toCallRecord(extensionId, stored);
    return reply[0] === 1
      ? { outcome: 'was-ringing', call }
      : { outcome: 'was-connected', call, answererPeerId: String(stored.answererPeerId) };
  }

  async relaySignal(extensionId: string, signal: OutgoingSignal): Promise<void> {
    const { callId, toPeerId, senderPeerId, id } = signal;
    const node = this.partyNodes.nodeOf(callId, toPeerId);
    const message = encodeSignal(extensionId, signal, this.membership.node);
    // Known: straight to that process, batched, on the command connection, so after the claim or
    // `connected` that told us and before this party's hang-up. Unknown: the script finds the process.
    if (node !== undefined) return this.outbox.send(this.keys.nodeChannel(node), message);
    const refusal = encodeSignalRefusal(extensionId, {
      callId,
      senderPeerId,
      ...(id === undefined ? {} : { id }),
    });
    await this.run(script.relaySignal, extensionId, ['calls'], [callId, toPeerId, message, refusal]);
  }

  async refuseSignal(extensionId: string, refusal: SignalRefusal): Promise<void> {
    const node = this.partyNodes.nodeOf(refusal.callId, refusal.senderPeerId);
    if (node === undefined) {
      this.options.log.warn(
        { extensionId, callId: refusal.callId },
        'cannot tell a refused signal to its sender',
      );
      return;
    }
    // Published after this process heard the call end, so after the sender's notice of that end.
    return this.outbox.send(this.keys.nodeChannel(node), encodeSignalRefusal(extensionId, refusal));
  }

  readonly handsOverPeers = true;

  async offerResumable(extensionId: string, token: string, graceMs: number): Promise<void> {
    await this.commands
      .set(this.keys.resumable(token), this.membership.node, { PX: Math.max(1, Math.round(graceMs)) })
      .catch((err: unknown) =>
        this.options.log.warn({ err, extensionId }, 'could not offer a peer for resuming'),
      );
  }

  withdrawResumable(extensionId: string, token: string): void {
    this.commands
      .del([this.keys.resumable(token), this.keys.kept(extensionId, token)])
      .catch((err: unknown) => this.options.log.warn({ err }, 'could not withdraw a resumable peer'));
  }

  recordResumable(extensionId: string, resume: ResumableRecord, previousToken?: string): void {
    const { token, peerId, name } = resume;
    const record: StoredRecord = {
      p: peerId,
      n: this.membership.node,
      ...(name === undefined ? {} : { name }),
    };
    const peers = this.keys.peers(extensionId);
    const writing = this.commands.multi().hSet(peers, token, JSON.stringify(record));
    if (previousToken !== undefined)
      writing.hDel(peers, previousToken).del(this.keys.kept(extensionId, previousToken));
    writing
      .exec()
      .catch((err: unknown) => this.options.log.warn({ err, extensionId }, 'could not record a peer'));
  }

  keepForAbsent(extensionId: string, token: string, kept: KeptMessage, graceMs: number): void {
    this.append(this.keys.kept(extensionId, token), JSON.stringify(kept), graceMs).catch((err: unknown) =>
      this.options.log.warn({ err, extensionId }, 'could not keep a message'),
    );
  }

  /** Appends to a list that expires `ttlMs` after its last append. */
  private async append(key: string, value: string, ttlMs: number): Promise<void> {
    await this.commands
      .multi()
      .rPush(key, value)
      .pExpire(key, Math.max(1, Math.round(ttlMs)))
      .exec();
  }

  forgetResumable(extensionId: string, token: string): void {
    this.commands
      .multi()
      .hDel(this.keys.peers(extensionId), token)
      .del(this.keys.kept(extensionId, token))
      .exec()
      .catch((err: unknown) => this.options.log.warn({ err, extensionId }, 'could not forget a peer'));
  }

  async takeResumable(extensionId: string, token: string): Promise<PeerHandover | undefined> {
    const offered = await this.commands.get(this.keys.resumable(token));
    const node = offered ?? (await this.holderOfRecord(extensionId, token));
    if (node === undefined || node === this.membership.node) return undefined;
    const handover = await this.askForHandover(extensionId, token, node);
    if (handover !== 'nobody listens') return handover;
    // That process is dead: once a live one has taken its peers on, ask that one.
    const adopter = await this.adopterOf(extensionId, token, node);
    if (adopter === undefined || adopter === this.membership.node) return undefined;
    const adopted = await this.askForHandover(extensionId, token, adopter);
    return adopted === 'nobody listens' ? undefined : adopted;
  }

  /** The process the record of `token` names (protocol section 8), if any. */
  private async holderOfRecord(extensionId: string, token: string): Promise<string | undefined> {
    const raw = await this.commands.hGet(this.keys.peers(extensionId), token);
    return raw === null || raw === undefined ? undefined : parseStoredRecord(raw)?.n;
  }

  /**
   * Waits until the record of `token` names a process other than `dead` (the one that took the peer on),
   * or is gone: at most a lease and two sweeps, the time the others take to notice the death.
   */
  private async adopterOf(extensionId: string, token: string, dead: string): Promise<string | undefined> {
    const until = Date.now() + this.options.leaseMs + 2 * DEFAULT_SWEEP_INTERVAL_MS + ADOPTION_MARGIN_MS;
    while (Date.now() < until) {
      const holder = await this.holderOfRecord(extensionId, token);
      if (holder !== dead) return holder;
      await new Promise((resolve) => setTimeout(resolve, ADOPTION_POLL_MS));
    }
    return undefined;
  }

  private async askForHandover(
    extensionId: string,
    token: string,
    node: string,
  ): Promise<PeerHandover | undefined | 'nobody listens'> {
    const requestId = `${this.membership.node}/${++this.handoverSerial}`;
    const answered = new Promise<PeerHandover | undefined>((resolve) =>
      this.handoverWaits.set(requestId, resolve),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), HANDOVER_TIMEOUT_MS);
    });
    try {
      const listeners = await this.commands.publish(
        this.keys.nodeChannel(node),
        encodeHandoverRequest({ extensionId, token, requestId, from: this.membership.node }),
      );
      if (listeners === 0) return 'nobody listens';
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
      this.handoverWaits.delete(requestId);
      // After the core has taken the peer in (its continuation runs first), what was held reaches it.
      setImmediate(() => this.releaseHeld());
    }
  }

  async close(): Promise<void> {
    this.outbox.flush();
    // With Redis out of reach the others sweep this process once its lease runs out; do not wait for it.
    const left = await settlesWithin(this.membership.stop(), LEAVE_TIMEOUT_MS);
    this.subscriber.destroy();
    if (left) await this.commands.close();
    else this.commands.destroy();
  }

  // ------------------------------------------------------------------ internals

  /**
   * Runs a fenced extension script: its result is handed back at the script's fence in the subscriber
   * stream, after everything published before the script has been handed over.
   */
  private fenced(
    redisScript: RedisScript,
    extensionId: string,
    keyNames: ExtensionKey[],
    args: string[],
  ): Promise<unknown[]> {
    const token = String(++this.fenceSerial);
    return new Promise<unknown[]>((resolve, reject) => {
      const fence: Fence = { token, reply: undefined, arrived: false, resolve, timer: undefined };
      this.fences.set(token, fence);
      this.run(redisScript, extensionId, keyNames, [token, ...args]).then(
        (reply) => {
          fence.reply = reply;
          if (fence.arrived) return this.settle(fence);
          // A fence published to a channel this process has just left (it joined again) never comes.
          fence.timer = setTimeout(() => {
            this.options.log.warn({ token }, 'fence did not arrive; settling without it');
            this.settle(fence);
          }, FENCE_TIMEOUT_MS);
        },
        (error: unknown) => {
          this.fences.delete(token);
          if (fence.arrived) setImmediate(() => this.resume());
          reject(error);
        },
      );
    });
  }

  /** Runs an extension script with the extension's keys (by name, in order) and the common arguments. */
  private async run(
    redisScript: RedisScript,
    extensionId: string,
    keyNames: ExtensionKey[],
    args: string[],
  ): Promise<unknown[]> {
    // The signals given before this script are published before it, on the same connection (Redis runs
    // one connection's commands in order), so a hang-up never overtakes the party's last signals.
    this.outbox.flush();
    // The undelivered messages are those of the process a script names last (a dead one).
    const keys = keyNames.map((name) =>
      name === 'undelivered'
        ? this.keys.undelivered(extensionId, args[args.length - 1] as string)
        : this.keys[name](extensionId),
    );
    const reply = await redisScript.run(this.commands, keys, [
      this.keys.prefix,
      extensionId,
      this.membership.node,
      ...args,
    ]);
    if (!Array.isArray(reply)) throw new Error(`unexpected reply from redis: ${JSON.stringify(reply)}`);
    return reply;
  }

  /**
   * Protocol section 8, or else section 6, for the peers a dead process held in one extension: with
   * resuming on here, this process takes on those that may resume (`SWEEP_NODE`), absent, and hands them
   * the messages that reached nobody since the death; the others end.
   */
  private async sweep(deadNode: string, extensionId: string): Promise<void> {
    const keyNames: ExtensionKey[] = ['registered', 'calls', 'seq', 'peers', 'undelivered', 'agentNames'];
    if (this.sink?.adopts !== true) {
      const reply = await this.run(script.sweepNode, extensionId, keyNames, ['', '', '0', deadNode]);
      this.reportEnded(extensionId, reply);
      return;
    }
    // Subscribed before the script runs, so that no notice of the extension published after it is missed.
    const wasSubscribed = this.subscribed.has(extensionId);
    await this.subscribeTo(extensionId);
    const seen = (await this.commands.hGet(this.keys.seenEvents(deadNode), extensionId)) ?? '';
    const reply = await this.fenced(script.sweepNode, extensionId, keyNames, [seen, '1', deadNode]);
    // At the fence: before anything the script published, the peers are here and hear what they missed.
    const adoption = readAdoption(extensionId, reply, seen === '' ? undefined : Number(seen));
    this.reportEnded(extensionId, reply);
    if (adoption.orphans.length > 0) this.sink?.adopt(extensionId, adoption.orphans);
    else if (!wasSubscribed && !this.watched.has(extensionId)) this.unwatch(extensionId);
    for (const orphan of adoption.orphans) this.catchUp(extensionId, orphan, adoption);
    for (const message of adoption.undelivered) this.fromRedis(undefined, message);
    this.options.log.warn(
      { deadNode, extensionId, adopted: adoption.orphans.length, undelivered: adoption.undelivered.length },
      'took on the peers of a dead process',
    );
  }

  /** The calls a sweep ended (its reply's last element), for the call history. */
  private reportEnded(extensionId: string, reply: unknown[]): void {
    const ended = readEndedCalls(extensionId, reply[5]);
    if (ended.length > 0) this.sink?.endedCalls(extensionId, ended);
  }

  /**
   * What an adopted agent missed on the extension's channel after the last event its process had seen:
   * those events again (`Adoption.missed`), judged as any notice (it heard the calls that rang before,
   * see `readAdoption`). When that is not known, each call still ringing (again, perhaps). Any other peer
   * learns the extension's status from the response to its resume, as every resumed peer does.
   */
  private catchUp(extensionId: string, orphan: Orphan, adoption: Adoption): void {
    if (!orphan.registered) return;
    const to: Audience = { kind: 'peer', peerId: orphan.peerId };
    if (adoption.missed !== undefined) {
      for (const notice of adoption.missed) this.handOver(extensionId, to, notice);
      return;
    }
    for (const call of adoption.ringing) {
      this.handOver(extensionId, to, {
        kind: 'ringing',
        callId: call.callId,
        ...(call.name === undefined ? {} : { name: call.name }),
      });
    }
  }

  /**
   * A batch of signals published to a process nobody listens on (it died, not yet noticed or swept).
   * Each goes again through the script, which finds where the party is now, or keeps it for whoever
   * takes the party on, or refuses it if the call has ended; this process no longer sends that call's
   * signals straight there. Anything else is kept for whoever takes the peer on.
   */
  private undelivered(channel: string, batch: string): void {
    const node = this.keys.nodeOfChannel(channel);
    for (const message of decodePeerMessages(batch) ?? []) {
      const { extensionId, peerId, notice, otherNode } = message;
      const failed = (err: unknown) =>
        this.options.log.warn({ err, extensionId }, 'could not deliver a message to a dead process');
      if (notice.kind === 'signal' && otherNode !== undefined) {
        this.partyNodes.forget(notice.callId);
        const { kind: _, ...signal } = notice;
        this.relaySignal(extensionId, { ...signal, toPeerId: peerId }).catch(failed);
      } else if (node !== undefined) {
        const held = this.keys.undelivered(extensionId, node);
        this.append(held, encodePeerMessage(message), UNDELIVERED_TTL_MS).catch(failed);
      }
    }
  }

  private async rejoined(previous: string, node: string): Promise<void> {
    await this.subscriber.unsubscribe(this.keys.nodeChannel(previous), this.onPeerMessage);
    await this.subscriber.subscribe(this.keys.nodeChannel(node), this.onPeerMessage);
    if (this.watched.size > 0) await this.commands.sAdd(this.keys.nodeExtensions(node), [...this.watched]);
  }

  private readonly onPeerMessage = (message: string): void => {
    this.inbox.push({ channel: undefined, message });
    this.pump();
  };

  private readonly onAudienceMessage = (message: string, channel: string): void => {
    this.inbox.push({ channel, message });
    this.pump();
  };

  /**
   * Hands over the subscriber stream in order. At the fence of one of this process's operations it
   * settles that operation and pauses until the next macrotask: node-redis hands over a whole chunk of
   * messages at once, and what the operation's script published after its fence must reach the peers
   * after the operation's continuation has run.
   */
  private pump(): void {
    while (!this.paused) {
      const next = this.inbox.shift();
      if (next === undefined) return;
      this.fromRedis(next.channel, next.message);
    }
  }

  /** One message of this process's channel (`channel` undefined) or of an extension's. */
  private fromRedis(channel: string | undefined, message: string): void {
    if (channel === undefined && message.startsWith(FENCE_MARK)) {
      return this.fenceArrived(message.slice(FENCE_MARK.length));
    }
    if (channel === undefined && message.startsWith(HANDOVER_MARK)) return this.onHandoverMessage(message);
    if (channel === undefined && message.startsWith(MOVED_MARK)) {
      const moved = decodePeerMoved(message);
      if (moved === undefined) return this.dropped(message);
      return this.partyNodes.learn(moved.callId, moved.peerId, moved.node);
    }
    if (channel === undefined) {
      const decoded = decodePeerMessages(message);
      if (decoded === undefined) return this.dropped(message);
      for (const peerMessage of decoded) this.toPeer(peerMessage);
      return;
    }
    const extensionId = this.keys.extensionOfChannel(channel);
    const decoded = decodeAudienceMessage(message);
    if (extensionId === undefined || decoded === undefined) this.dropped(message);
    else {
      if (decoded.eventNumber !== undefined) this.sawEvent(extensionId, decoded.eventNumber);
      this.handOver(extensionId, decoded.audience, decoded.notice);
    }
  }

  /**
   * Remembers the last event number handed to this process's registered peers of an extension, and
   * writes it to Redis a little later, together with others (`seenEvents`): if this process dies, the one
   * that takes its agents on replays them what came after (see `sweep`).
   */
  private sawEvent(extensionId: string, eventNumber: number): void {
    this.unwrittenSeen.set(extensionId, eventNumber);
    if (this.seenWriteScheduled) return;
    this.seenWriteScheduled = true;
    setTimeout(() => {
      this.seenWriteScheduled = false;
      const seen = Object.fromEntries(this.unwrittenSeen);
      this.unwrittenSeen.clear();
      const key = this.keys.seenEvents(this.membership.node);
      this.commands
        .multi()
        .hSet(key, seen)
        .pExpire(key, UNDELIVERED_TTL_MS)
        .exec()
        .catch((err: unknown) => this.options.log.warn({ err }, 'could not write the events seen'));
    }, SEEN_WRITE_DELAY_MS).unref();
  }

  /** A message for one of this process's peers, one that moved away, or one on its way here. */
  private toPeer(message: PeerMessage): void {
    const { peerId } = message;
    if (this.sink !== undefined && !this.sink.hasPeer(peerId)) {
      const movedTo = this.movedPeers.get(peerId);
      if (movedTo !== undefined) {
        this.outbox.send(this.keys.nodeChannel(movedTo), encodePeerMessage(message));
        return;
      }
      if (this.handoverWaits.size > 0) {
        this.heldForHandover.push(message);
        return;
      }
    }
    this.learnParties(message);
    this.handOver(message.extensionId, { kind: 'peer', peerId }, message.notice);
  }

  private releaseHeld(): void {
    if (this.handoverWaits.size > 0) return;
    for (const message of this.heldForHandover.splice(0)) {
      this.learnParties(message);
      this.handOver(message.extensionId, { kind: 'peer', peerId: message.peerId }, message.notice);
    }
  }

  private onHandoverMessage(message: string): void {
    const decoded = decodeHandoverMessage(message);
    if (decoded === undefined) return this.dropped(message);
    if (decoded.kind === 'answer') {
      const wait = this.handoverWaits.get(decoded.requestId);
      if (wait !== undefined) wait(decoded.handover);
      else if (decoded.handover !== undefined)
        this.abandonLateHandover(decoded.extensionId, decoded.handover);
      return;
    }
    const { extensionId, token, requestId, from } = decoded;
    const move = async ({ peerId, callId }: PeerMove) => {
      await this.fenced(
        script.movePeer,
        extensionId,
        ['registered', 'calls', 'peers'],
        [peerId, callId ?? '', from, token],
      );
    };
    const handing = this.sink?.handOver(extensionId, token, move) ?? Promise.resolve(undefined);
    handing
      .then((handover) => {
        if (handover !== undefined) this.rememberMoved(handover.peerId, from);
        // Behind what this process sent there before, and ahead of what it forwards from now on.
        this.outbox.flush();
        return this.commands.publish(
          this.keys.nodeChannel(from),
          encodeHandoverAnswer(requestId, extensionId, handover),
        );
      })
      .catch((err: unknown) => this.options.log.warn({ err, extensionId }, 'handing over a peer failed'));
  }

  private rememberMoved(peerId: string, node: string): void {
    if (this.movedPeers.size >= MOVED_PEERS_LIMIT) {
      this.movedPeers.delete(this.movedPeers.keys().next().value as string);
    }
    this.movedPeers.set(peerId, node);
  }

  /**
   * A handover that came after this process stopped waiting (its client got a new peer): the peer's
   * routing already points here, so this process ends it as section 6 says for a closed connection.
   */
  private abandonLateHandover(extensionId: string, { peerId, session, registered }: PeerHandover): void {
    this.options.log.warn({ extensionId, peerId }, 'a handover came too late; ending that peer');
    const failed = (err: unknown) =>
      this.options.log.warn({ err, extensionId }, 'ending a late handover failed');
    if (session !== undefined)
      this.endCall(extensionId, session.callId, { reason: 'dropped', peerId }).catch(failed);
    if (registered) this.removeRegistered(extensionId, peerId).catch(failed);
  }

  private learnParties({ notice, otherNode }: PeerMessage): void {
    if (notice.kind === 'connected' && otherNode !== undefined) {
      this.partyNodes.learn(notice.callId, notice.answererPeerId, otherNode);
    } else if (notice.kind === 'signal' && otherNode !== undefined) {
      // Where a refusal would go, should the call have ended here (see `refuseSignal`).
      this.partyNodes.learn(notice.callId, notice.senderPeerId, otherNode);
    } else if (notice.kind === 'disconnected') {
      this.partyNodes.forget(notice.callId);
    }
  }

  private fenceArrived(token: string): void {
    const fence = this.fences.get(token);
    if (fence === undefined) return; // Settled already, by its timeout.
    fence.arrived = true;
    // Until the reply comes (on the command connection), nothing after the fence may be handed over.
    this.paused = true;
    if (fence.reply !== undefined) this.settle(fence);
  }

  private settle(fence: Fence): void {
    if (!this.fences.delete(fence.token)) return;
    clearTimeout(fence.timer);
    fence.resolve(fence.reply as unknown[]);
    this.paused = true;
    setImmediate(() => this.resume());
  }

  private resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Every notice from Redis was published before each operation of this process still unsettled. */
  private handOver(extensionId: string, audience: Audience, notice: Notice): void {
    this.sink?.deliver(extensionId, audience, notice, true);
  }

  private dropped(message: string): void {
    this.options.log.warn({ length: message.length }, 'dropped an unreadable message from redis');
  }
}

interface Fence {
  token: string;
  /** The script's reply, once the command connection brought it. */
  reply: unknown[] | undefined;
  /** Whether the subscriber stream brought the fence. */
  arrived: boolean;
  resolve: (reply: unknown[]) => void;
  timer: NodeJS.Timeout | undefined;
}

const FENCE_MARK = 'F';
const LEAVE_TIMEOUT_MS = 2000;
const FENCE_TIMEOUT_MS = 2000;
/** How long a resume on this process waits for the process holding the peer to hand it over. */
const HANDOVER_TIMEOUT_MS = 3000;
const MOVED_PEERS_LIMIT = 10_000;
const ADOPTION_POLL_MS = 200;
const ADOPTION_MARGIN_MS = 1000;
/** How soon the event numbers seen are written: the events a dead process's agents hear twice at most. */
const SEEN_WRITE_DELAY_MS = 200;

type ExtensionKey = 'registered' | 'calls' | 'seq' | 'peers' | 'undelivered' | 'agentNames';

/** A record of `peers` (see `extensionScripts.ts`). */
interface StoredRecord {
  p: string;
  n: string;
  name?: string;
}

function parseStoredRecord(raw: unknown): StoredRecord | undefined {
  const value: unknown = JSON.parse(String(raw));
  if (typeof value !== 'object' || value === null) return undefined;
  const { p, n, name } = value as Record<string, unknown>;
  if (typeof p !== 'string' || typeof n !== 'string') return undefined;
  return { p, n, ...(typeof name === 'string' ? { name } : {}) };
}

/** The reply of SWEEP_NODE taking peers on, read. */
interface Adoption {
  orphans: Orphan[];
  ringing: CallRecord[];
  undelivered: string[];
  /**
   * The events for the registered audience after the last one the dead process had seen, in order;
   * undefined when that is not known (or the kept events do not reach back that far).
   */
  missed: Notice[] | undefined;
}

function readEndedCalls(extensionId: string, raw: unknown): CallEndedByBackend[] {
  return (Array.isArray(raw) ? raw : []).map((encoded: unknown) => {
    const value: unknown = JSON.parse(String(encoded));
    if (typeof value !== 'object' || value === null) throw new Error('unreadable ended call in redis');
    const { c, o, b } = value as { c?: unknown; o?: unknown; b?: unknown };
    if ((o !== 'abandoned' && o !== 'dropped') || (b !== 'caller' && b !== 'agent')) {
      throw new Error('unreadable ended call in redis');
    }
    return { call: toCallRecord(extensionId, c as StoredCall), outcome: o, endedBy: b };
  });
}

function readAdoption(extensionId: string, reply: unknown[], seen: number | undefined): Adoption {
  const [taken, theirCalls, ringing, undelivered, events] = reply;
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  const calls = list(theirCalls).map(parseStoredCall);
  const ringingCalls = list(ringing)
    .map((raw) => toCallRecord(extensionId, parseStoredCall(raw)))
    .sort((a, b) => a.order - b.order);
  const held = list(undelivered);
  // Decoded once: what each peer taken on missed winds its session back (`sessionAtDeath`).
  const heldForPeers = held.flatMap((message) => decodePeerMessages(message) ?? []);
  // Four entries per peer taken on: token, record, registered, what was kept for it.
  const records: unknown[] = Array.isArray(taken) ? taken : [];
  const missed = missedEvents(list(events), seen);
  // The agents heard the calls that rang up to `seen`: those still ringing, and those whose end they missed.
  const heard = missed === undefined ? [] : heardBefore(ringingCalls, missed, seen as number);
  const orphans: Orphan[] = [];
  for (let i = 0; i + 3 < records.length; i += 4) {
    const record = parseStoredRecord(records[i + 1]);
    if (record === undefined) continue;
    const session = sessionAtDeath(record.p, calls, heldForPeers);
    orphans.push({
      token: String(records[i]),
      peerId: record.p,
      registered: records[i + 2] === 1,
      ...(record.name === undefined ? {} : { name: record.name }),
      ...(session === undefined ? {} : { session }),
      announcedCalls: records[i + 2] === 1 ? heard : [],
      settledCalls: [],
      knownStatusSeq: -1,
      kept: list(records[i + 3]).flatMap((raw) => parseKept(raw) ?? []),
    });
  }
  return { orphans, ringing: ringingCalls, undelivered: held, missed };
}

/** A message kept for an absent peer, as `keepForAbsent` wrote it; undefined when unreadable. */
function parseKept(raw: string): KeptMessage | undefined {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null) return undefined;
  const { message, callId, dataJson } = value as Record<string, unknown>;
  // Written by this version from a message it had built: trusted as such.
  if (typeof message === 'object' && message !== null) return { message: message as ServerMessage };
  if (typeof callId === 'string' && typeof dataJson === 'string') return { callId, dataJson };
  return undefined;
}

/** The kept events numbered after `seen`, in order; undefined unless they surely reach back to it. */
function missedEvents(events: string[], seen: number | undefined): Notice[] | undefined {
  if (seen === undefined) return undefined;
  const numbered = events.flatMap((raw) => {
    const decoded = decodeAudienceMessage(raw);
    return decoded?.eventNumber === undefined
      ? []
      : [{ number: decoded.eventNumber, notice: decoded.notice }];
  });
  // A full list may have lost events after `seen` off its front.
  const first = numbered[0];
  if (events.length >= EVENTS_KEPT && (first === undefined || first.number > seen + 1)) return undefined;
  return numbered.filter((event) => event.number > seen).map((event) => event.notice);
}

/**
 * The calls an agent of the dead process had heard ringing and not heard end, when it had seen events up
 * to `seen`: those ringing now that rang by then, and those whose end it missed but whose ringing it did not.
 */
function heardBefore(ringing: CallRecord[], missed: Notice[], seen: number): string[] {
  const rangSince = new Set(missed.flatMap((notice) => (notice.kind === 'ringing' ? [notice.callId] : [])));
  const heard = new Set(ringing.filter((call) => call.order <= seen).map((call) => call.callId));
  for (const notice of missed) {
    if ((notice.kind === 'claimed' || notice.kind === 'abandoned') && !rangSince.has(notice.callId))
      heard.add(notice.callId);
  }
  return [...heard];
}

/**
 * The session a peer of a dead process was in when it died, as far as its client knows: the call it is
 * in now, wound back by the messages that never reached it (`undelivered`, which it hears next). A
 * `connected` it missed means it was still ringing; a `disconnected` it missed means it was in that call
 * (ended since, so it is no longer stored: the other party is not known, and not needed, since the
 * `disconnected` it hears next ends it).
 */
function sessionAtDeath(
  peerId: string,
  calls: StoredCall[],
  undelivered: PeerMessage[],
): LocalSession | undefined {
  const missed = undelivered.filter((message) => message.peerId === peerId);
  const missedEnd = missed.find((message) => message.notice.kind === 'disconnected');
  const missedConnected = missed.find((message) => message.notice.kind === 'connected');
  if (missedEnd !== undefined) {
    const { callId } = missedEnd.notice as { callId: string };
    if (missedConnected?.notice.kind === 'connected' && missedConnected.notice.callId === callId) {
      return { callId, role: 'caller', state: 'ringing' };
    }
    if (missedEnd.notice.kind === 'disconnected' && missedEnd.notice.reason === 'timeout') {
      return { callId, role: 'caller', state: 'ringing' };
    }
    return { callId, role: 'caller', state: 'connected', otherPeerId: '' };
  }
  const call = calls.find((stored) => stored.callerPeerId === peerId || stored.answererPeerId === peerId);
  if (call === undefined || typeof call.callId !== 'string') return undefined;
  const { callId } = call;
  if (missedConnected?.notice.kind === 'connected' && missedConnected.notice.callId === callId) {
    return { callId, role: 'caller', state: 'ringing' };
  }
  if (typeof call.answererPeerId !== 'string') return { callId, role: 'caller', state: 'ringing' };
  return call.callerPeerId === peerId
    ? { callId, role: 'caller', state: 'connected', otherPeerId: call.answererPeerId }
    : { callId, role: 'answerer', state: 'connected', otherPeerId: String(call.callerPeerId) };
}

interface StoredCall {
  callId: unknown;
  callerPeerId: unknown;
  name?: unknown;
  order: unknown;
  callerNode?: unknown;
  answererPeerId?: unknown;
  answererNode?: unknown;
  ringingAt?: unknown;
  answeredAt?: unknown;
  answererName?: unknown;
}

function parseStoredCall(raw: unknown): StoredCall {
  const value: unknown = JSON.parse(String(raw));
  if (typeof value !== 'object' || value === null) throw new Error('unreadable call in redis');
  return value as StoredCall;
}

function toCallRecord(extensionId: string, stored: StoredCall): CallRecord {
  if (typeof stored.callId !== 'string' || typeof stored.callerPeerId !== 'string') {
    throw new Error('unreadable call in redis');
  }
  return {
    callId: stored.callId,
    extensionId,
    callerPeerId: stored.callerPeerId,
    ...(typeof stored.name === 'string' ? { name: stored.name } : {}),
    order: integer(stored.order),
    // Calls stored by an older version carry no times: the history then shows 0 (the epoch).
    ringingAt: typeof stored.ringingAt === 'number' ? stored.ringingAt : 0,
    ...(typeof stored.answeredAt === 'number' ? { answeredAt: stored.answeredAt } : {}),
    ...(typeof stored.answererName === 'string' ? { answererName: stored.answererName } : {}),
  };
}

function integer(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`unexpected number from redis: ${JSON.stringify(value)}`);
  }
  return value;
}
