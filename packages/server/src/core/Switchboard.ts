import type {
  ClientMessage,
  ClientMessageOf,
  ErrorCode,
  ExtensionStatus,
  RequestId,
  RequestType,
  ResponseFor,
  ServerMessage,
  SessionEvent,
} from '@pbx-peers/protocol';
import { protocolError } from '@pbx-peers/protocol';
import { assertNever } from './assertNever.js';
import type { Clock } from './Clock.js';
import type { ExtensionDirectory } from './ExtensionDirectory.js';
import { LocalPeer, type PeerDispatcher } from './LocalPeer.js';
import type { Audience, Notice } from './Notice.js';
import type { PeerLink } from './PeerLink.js';
import type { ReceivedMessage, ReceivedSignal } from './ReceivedMessage.js';
import type { RegisterAttemptLimiter } from './RegisterAttemptLimiter.js';
import { RegisterAttempts, type RegisterVerdict } from './RegisterAttempts.js';
import type { EndResult, PresenceChange, SwitchboardBackend } from './SwitchboardBackend.js';

/**
 * The call and presence logic of the protocol (`docs/protocol.md` sections 3 to 7). Pure: it imports
 * no transport, storage or Redis library, and talks only to the interfaces it is given.
 */

export interface SwitchboardDependencies {
  backend: SwitchboardBackend;
  directory: ExtensionDirectory;
  registerLimiter: RegisterAttemptLimiter;
  clock: Clock;
  /** Issues peer and call ids: opaque, URL-safe, at least 122 random bits. */
  newId: () => string;
  /** Ring timeout in milliseconds; 0 disables it. */
  ringTimeoutMs: number;
  /** A task failed unexpectedly (the backend threw); the peer's connection is closed with 1011. */
  onInternalError: (error: unknown, peer: { extensionId: string; peerId: string | undefined }) => void;
}

/** What the transport holds for one attached connection. */
export interface AttachedPeer {
  /** For logs. */
  readonly extensionId: string;
  /** Issued by the first `init`; for logs. */
  readonly peerId: string | undefined;
  /** Hands over one validated message; it is processed after those before it. */
  receive(message: ReceivedMessage): void;
  /** The connection is gone: ends its session and registration (protocol section 6). */
  detach(): void;
}

export interface LocalPeerCounts {
  connections: number;
  initialized: number;
  registered: number;
}

/** Close code for a connection whose extension was removed from the store. */
export const EXTENSION_REMOVED_CLOSE_CODE = 4404;
const INTERNAL_ERROR_CLOSE_CODE = 1011;

type ResponseBody<R extends RequestType> =
  ResponseFor<R> extends infer Response
    ? Response extends unknown
      ? Omit<Response, 'type' | 'request' | 'id'>
      : never
    : never;

export class Switchboard {
  private readonly peersByExtension = new Map<string, Set<LocalPeer>>();
  private readonly peersById = new Map<string, LocalPeer>();
  private readonly ringTimers = new Map<string, () => void>();
  private readonly registerAttempts: RegisterAttempts;

  /** Shared by every peer, so that attaching a connection allocates no closures. */
  private readonly dispatcher: PeerDispatcher = {
    handle: (peer, message) => this.handle(peer, message),
    detach: (peer) => this.detach(peer),
    taskFailed: (peer, error) => this.failInternally(peer, error),
  };

  constructor(private readonly deps: SwitchboardDependencies) {
    this.registerAttempts = new RegisterAttempts(deps.directory, deps.registerLimiter);
    deps.backend.onNotice((extensionId, audience, notice) => this.deliver(extensionId, audience, notice));
  }

  attach(extensionId: string, link: PeerLink): AttachedPeer {
    const peer = new LocalPeer(extensionId, link, this.dispatcher);
    let peers = this.peersByExtension.get(extensionId);
    if (peers === undefined) {
      peers = new Set();
      this.peersByExtension.set(extensionId, peers);
    }
    peers.add(peer);
    return peer;
  }

  /** Extensions with at least one connection on this process. */
  extensionsWithPeers(): string[] {
    return [...this.peersByExtension.keys()];
  }

  /** Closes every connection of an extension on this process (it was removed from the store). */
  closeExtension(extensionId: string, reason: string): void {
    for (const peer of this.peersByExtension.get(extensionId) ?? []) {
      peer.close(EXTENSION_REMOVED_CLOSE_CODE, reason);
    }
  }

  localPeerCounts(): LocalPeerCounts {
    const counts: LocalPeerCounts = { connections: 0, initialized: 0, registered: 0 };
    for (const peers of this.peersByExtension.values()) {
      for (const peer of peers) {
        counts.connections++;
        if (peer.initialized) counts.initialized++;
        if (peer.registered) counts.registered++;
      }
    }
    return counts;
  }

  // ------------------------------------------------------------------ requests

  private handle(peer: LocalPeer, message: ReceivedMessage): void | Promise<void> {
    if (message.type !== 'init') {
      if (peer.peerId === undefined) {
        return this.fail(peer, message, 'not-initialized', 'Send "init" first.');
      }
      if (message.peerId !== peer.peerId) {
        return this.fail(peer, message, 'bad-peer-id', "That peerId is not this connection's.");
      }
    }
    switch (message.type) {
      case 'init':
        return this.init(peer, message);
      case 'register':
        return this.register(peer, message);
      case 'deregister':
        return this.deregister(peer, message);
      case 'status':
        return this.status(peer, message);
      case 'call':
        return this.call(peer, message);
      case 'answer':
        return this.answer(peer, message);
      case 'end':
        return this.end(peer, message);
      case 'signal':
        return this.signal(peer, message);
      default:
        return assertNever(message);
    }
  }

  private async init(peer: LocalPeer, request: ClientMessageOf<'init'>): Promise<void> {
    if (peer.peerId === undefined) {
      const peerId = this.deps.newId();
      // Initialized before the count is read: an extension event published meanwhile queues behind.
      peer.peerId = peerId;
      this.peersById.set(peerId, peer);
    }
    const status = await this.extensionStatus(peer);
    this.respond(peer, request, { status, peerId: peer.peerId });
  }

  /**
   * The password check is slow (scrypt) and is not a backend operation, so it runs outside the peer's
   * queue: notices published meanwhile are judged on the peer's state before the register and reach it
   * before the response, as the order of events demands (a call placed while the agent's wrong-password
   * register is being checked rang while it was registered, so it hears `ringing`, then `unregistered`).
   * The peer's own later requests wait until the register is answered.
   */
  private register(peer: LocalPeer, request: ClientMessageOf<'register'>): void {
    if (peer.session?.role === 'caller') {
      return this.fail(peer, request, 'busy', 'The caller of a session cannot register.');
    }
    const verdict = this.registerAttempts.check(peer.clientAddress, peer.extensionId, request.password);
    peer.holdRequestsUntil(verdict, (settled) => this.finishRegister(peer, request, settled));
  }

  private async finishRegister(
    peer: LocalPeer,
    request: ClientMessageOf<'register'>,
    verdict: RegisterVerdict,
  ): Promise<void> {
    const refusal = verdict === 'registered' ? undefined : verdict;
    if (refusal !== undefined) {
      // The response states the peer's state: a refused register leaves even a registered peer unregistered.
      const change = peer.registered ? await this.leaveRegistered(peer) : undefined;
      this.respond(peer, request, { status: 'unregistered', reason: refusal });
      if (change !== undefined) this.announcePresence(peer.extensionId, change, false);
      return;
    }
    if (peer.registered) {
      return this.respond(peer, request, { status: 'registered' });
    }
    peer.registered = true;
    const registration = await this.deps.backend.addRegistered(peer.extensionId, request.peerId);
    peer.knownStatus = 'ready';
    this.respond(peer, request, { status: 'registered' });
    for (const call of registration.ringingCalls) {
      this.applyNotice(peer, { kind: 'ringing', callId: call.callId, ...optionalName(call.name) });
    }
    this.announcePresence(peer.extensionId, registration, true);
  }

  private async deregister(peer: LocalPeer, request: ClientMessageOf<'deregister'>): Promise<void> {
    const change = peer.registered ? await this.leaveRegistered(peer) : undefined;
    this.respond(peer, request, { status: 'unregistered' });
    if (change !== undefined) this.announcePresence(peer.extensionId, change, false);
  }

  private async status(peer: LocalPeer, request: ClientMessageOf<'status'>): Promise<void> {
    this.respond(peer, request, { status: await this.extensionStatus(peer) });
  }

  private async call(peer: LocalPeer, request: ClientMessageOf<'call'>): Promise<void> {
    if (peer.registered) {
      return this.fail(peer, request, 'forbidden', 'A registered peer cannot place a call.');
    }
    if (peer.session !== undefined) {
      return this.fail(peer, request, 'busy', 'This peer is already in a session.');
    }
    const { backend, clock, newId, ringTimeoutMs } = this.deps;
    if ((await backend.registeredCount(peer.extensionId)) === 0) {
      return this.respond(peer, request, { status: 'unavailable' });
    }
    const callId = newId();
    peer.session = { callId, role: 'caller', state: 'ringing' };
    await backend.createCall({
      callId,
      extensionId: peer.extensionId,
      callerPeerId: request.peerId,
      createdAt: clock.now(),
      ...optionalName(request.name),
    });
    this.respond(peer, request, { status: 'ringing', callId });
    backend.publish(
      peer.extensionId,
      { kind: 'registered' },
      { kind: 'ringing', callId, ...optionalName(request.name) },
    );
    if (ringTimeoutMs > 0) {
      this.ringTimers.set(
        callId,
        clock.setTimer(() => this.expire(peer, callId), ringTimeoutMs),
      );
    }
  }

  private async answer(peer: LocalPeer, request: ClientMessageOf<'answer'>): Promise<void> {
    if (!peer.registered) {
      return this.fail(peer, request, 'forbidden', 'Only a registered peer can answer.');
    }
    if (peer.session !== undefined) {
      return this.fail(peer, request, 'busy', 'This peer is already in a session.');
    }
    const { backend } = this.deps;
    const { callId } = request;
    const claim = await backend.claimCall(peer.extensionId, callId, request.peerId);
    if (claim.outcome === 'not-ringing') {
      return this.respond(peer, request, { status: 'unavailable', callId });
    }
    const callerPeerId = claim.call.callerPeerId;
    peer.session = { callId, role: 'answerer', state: 'connected', otherPeerId: callerPeerId };
    // The response goes out before the caller hears `connected`, so before any signal can come back.
    this.respond(peer, request, { status: 'connected', callId });
    backend.publish(
      peer.extensionId,
      { kind: 'peer', peerId: callerPeerId },
      { kind: 'connected', callId, answererPeerId: request.peerId },
    );
    backend.publish(peer.extensionId, { kind: 'registered' }, { kind: 'claimed', callId });
  }

  private async end(peer: LocalPeer, request: ClientMessageOf<'end'>): Promise<void> {
    const { callId } = request;
    if (peer.session?.callId !== callId) {
      return this.respond(peer, request, { status: 'disconnected', callId });
    }
    const ended = await this.endSession(peer);
    this.respond(peer, request, { status: 'disconnected', callId });
    this.announceEnd(peer, ended, 'hangup');
  }

  private signal(peer: LocalPeer, message: ReceivedSignal): void {
    const session = peer.session;
    if (session?.callId !== message.callId || session.state !== 'connected') {
      return this.fail(peer, message, 'unknown-call', 'This peer is not connected in that call.');
    }
    this.deps.backend.publish(
      peer.extensionId,
      { kind: 'peer', peerId: session.otherPeerId },
      { kind: 'signal', callId: message.callId, dataJson: message.dataJson },
    );
  }

  private async detach(peer: LocalPeer): Promise<void> {
    peer.closed = true;
    if (peer.session !== undefined) this.announceEnd(peer, await this.endSession(peer), 'dropped');
    if (peer.registered) this.announcePresence(peer.extensionId, await this.leaveRegistered(peer), false);
    const peers = this.peersByExtension.get(peer.extensionId);
    peers?.delete(peer);
    if (peers?.size === 0) this.peersByExtension.delete(peer.extensionId);
    if (peer.peerId !== undefined) this.peersById.delete(peer.peerId);
  }

  // ------------------------------------------------------------------ shared steps

  /** Reads the extension's status and remembers that this peer now knows it. */
  private async extensionStatus(peer: LocalPeer): Promise<ExtensionStatus> {
    const status = (await this.deps.backend.registeredCount(peer.extensionId)) > 0 ? 'ready' : 'offline';
    peer.knownStatus = status;
    return status;
  }

  private async leaveRegistered(peer: LocalPeer): Promise<PresenceChange> {
    peer.registered = false;
    peer.announcedCalls.clear();
    return this.deps.backend.removeRegistered(peer.extensionId, peer.peerId as string);
  }

  /** Readiness events go out only when the count crosses 0 and 1, and only to unregistered peers. */
  private announcePresence(extensionId: string, change: PresenceChange, joined: boolean): void {
    if (!change.changed || change.registeredCount !== (joined ? 1 : 0)) return;
    this.deps.backend.publish(
      extensionId,
      { kind: 'unregistered' },
      { kind: 'extension', status: joined ? 'ready' : 'offline' },
    );
  }

  private async endSession(peer: LocalPeer): Promise<EndResult> {
    const { callId } = peer.session as { callId: string };
    peer.session = undefined;
    this.cancelRingTimer(callId);
    return this.deps.backend.endCall(peer.extensionId, callId);
  }

  /** Tells the others how a session this peer left ended. */
  private announceEnd(peer: LocalPeer, ended: EndResult, reason: 'hangup' | 'dropped'): void {
    const { backend } = this.deps;
    switch (ended.outcome) {
      case 'was-ringing':
        backend.publish(
          peer.extensionId,
          { kind: 'registered' },
          { kind: 'abandoned', callId: ended.call.callId },
        );
        return;
      case 'was-connected': {
        const { callId, callerPeerId } = ended.call;
        const otherPeerId = peer.peerId === callerPeerId ? ended.answererPeerId : callerPeerId;
        backend.publish(
          peer.extensionId,
          { kind: 'peer', peerId: otherPeerId },
          { kind: 'disconnected', callId, reason },
        );
        return;
      }
      case 'not-found':
        return; // The other party ended it first and has told this peer.
      default:
        return assertNever(ended);
    }
  }

  private expire(caller: LocalPeer, callId: string): void {
    this.ringTimers.delete(callId);
    caller.queue.push(async () => {
      const { backend } = this.deps;
      const ended = await backend.endCall(caller.extensionId, callId, true);
      if (ended.outcome !== 'was-ringing') return;
      backend.publish(caller.extensionId, { kind: 'registered' }, { kind: 'abandoned', callId });
      backend.publish(
        caller.extensionId,
        { kind: 'peer', peerId: ended.call.callerPeerId },
        { kind: 'disconnected', callId, reason: 'timeout' },
      );
    });
  }

  private cancelRingTimer(callId: string): void {
    this.ringTimers.get(callId)?.();
    this.ringTimers.delete(callId);
  }

  // ------------------------------------------------------------------ notices

  private deliver(extensionId: string, audience: Audience, notice: Notice): void {
    switch (audience.kind) {
      case 'peer': {
        const peer = this.peersById.get(audience.peerId);
        if (peer !== undefined) peer.queue.push(() => this.applyNotice(peer, notice));
        return;
      }
      case 'registered':
      case 'unregistered': {
        const wantRegistered = audience.kind === 'registered';
        for (const peer of this.peersByExtension.get(extensionId) ?? []) {
          if (peer.initialized && peer.registered === wantRegistered) {
            peer.queue.push(() => this.applyNotice(peer, notice));
          }
        }
        return;
      }
      default:
        return assertNever(audience);
    }
  }

  /** Turns a notice into what this peer sees, judged on the peer's state when its queue reaches it. */
  private applyNotice(peer: LocalPeer, notice: Notice): void {
    const session = peer.session;
    switch (notice.kind) {
      case 'ringing':
        if (!peer.registered || peer.announcedCalls.has(notice.callId)) return;
        peer.announcedCalls.add(notice.callId);
        return this.sendSessionEvent(peer, {
          status: 'ringing',
          callId: notice.callId,
          ...optionalName(notice.name),
        });
      case 'claimed':
      case 'abandoned':
        if (!peer.registered || !peer.announcedCalls.delete(notice.callId)) return;
        return this.sendSessionEvent(peer, { status: notice.kind, callId: notice.callId });
      case 'connected':
        if (session?.callId !== notice.callId || session.state !== 'ringing') return;
        this.cancelRingTimer(notice.callId);
        peer.session = { ...session, state: 'connected', otherPeerId: notice.answererPeerId };
        return this.sendSessionEvent(peer, { status: 'connected', callId: notice.callId });
      case 'disconnected':
        if (session?.callId !== notice.callId) return;
        peer.session = undefined;
        this.cancelRingTimer(notice.callId);
        return this.sendSessionEvent(peer, {
          status: 'disconnected',
          callId: notice.callId,
          reason: notice.reason,
        });
      case 'extension':
        if (!peer.initialized || peer.registered || peer.knownStatus === notice.status) return;
        peer.knownStatus = notice.status;
        return peer.send({ type: 'event', topic: 'extension', status: notice.status });
      case 'signal':
        if (session?.callId !== notice.callId || session.state !== 'connected') return;
        return peer.relaySignal(notice.callId, notice.dataJson);
      default:
        return assertNever(notice);
    }
  }

  private sendSessionEvent(peer: LocalPeer, event: DistributiveOmit<SessionEvent, 'type' | 'topic'>): void {
    peer.send({ type: 'event', topic: 'session', ...event } as SessionEvent);
  }

  // ------------------------------------------------------------------ replies

  private respond<R extends RequestType>(
    peer: LocalPeer,
    request: { type: R; id?: RequestId | undefined },
    body: ResponseBody<R>,
  ): void {
    // Built field by field so the wire order is type, request, id, then the body, as in the contract.
    const response: Record<string, unknown> = { type: 'response', request: request.type };
    if (request.id !== undefined) response.id = request.id;
    peer.send(Object.assign(response, body) as unknown as ServerMessage);
  }

  private fail(peer: LocalPeer, message: ClientMessage, code: ErrorCode, text: string): void {
    peer.send(protocolError(code, text, { request: message.type, id: message.id }));
  }

  private failInternally(peer: LocalPeer, error: unknown): void {
    this.deps.onInternalError(error, { extensionId: peer.extensionId, peerId: peer.peerId });
    peer.close(INTERNAL_ERROR_CLOSE_CODE, 'internal error');
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function optionalName(name: string | undefined): { name?: string } {
  return name === undefined ? {} : { name };
}
