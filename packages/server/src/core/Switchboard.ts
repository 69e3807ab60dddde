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
import type { CallObserver } from './CallObserver.js';
import type { Clock } from './Clock.js';
import { endedCallOf, historyEntry } from './EndedCall.js';
import type { ExtensionDirectory } from './ExtensionDirectory.js';
import { LocalPeer, type LocalSession, type PeerDispatcher, type PeerView } from './LocalPeer.js';
import type { Audience, Notice, NoticeSink, Orphan } from './Notice.js';
import type { KeptMessage, PeerHandover, PeerMove } from './PeerHandover.js';
import type { PeerLink } from './PeerLink.js';
import type { ReceivedMessage, ReceivedSignal } from './ReceivedMessage.js';
import type { RegisterAttemptLimiter } from './RegisterAttemptLimiter.js';
import { RegisterAttempts, type RegisterVerdict } from './RegisterAttempts.js';
import type { CallEnding, EndResult, SwitchboardBackend } from './SwitchboardBackend.js';

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
  /** Issues resume tokens: opaque, URL-safe, at least 128 random bits (section 8). */
  newToken: () => string;
  /** Ring timeout in milliseconds; 0 disables it. */
  ringTimeoutMs: number;
  /** How long a peer whose connection dropped may resume, in milliseconds; 0 turns resuming off. */
  resumeGraceMs: number;
  /** Hears calls placed, answered and ended, by this process (logs, metrics, the call history). */
  calls?: CallObserver;
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
  /**
   * The connection `link` is gone: ends its session and registration (protocol section 6), or, when it
   * `dropped` (no close frame from the client, or the server's own 1001 or 1012), leaves the peer
   * resumable for the grace period (section 8).
   */
  detach(dropped: boolean, link: PeerLink): void;
}

export interface LocalPeerCounts {
  connections: number;
  initialized: number;
  registered: number;
  /**
   * Calls whose caller is on this process, by state: each call is counted on exactly one process, so the
   * figures of every process add up to the cluster's.
   */
  ringingCalls: number;
  connectedCalls: number;
}

/** Close code for a connection whose extension was removed from the store. */
export const EXTENSION_REMOVED_CLOSE_CODE = 4404;
/** Close code for an old connection whose peer another connection resumed (docs/protocol.md section 10). */
export const RESUMED_ELSEWHERE_CLOSE_CODE = 4409;
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
  /** Per extension with local peers: settles once the backend delivers the extension's notices here. */
  private readonly watching = new Map<string, Promise<void>>();
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  private readonly registerAttempts: RegisterAttempts;
  /** Resume token -> its peer, attached or absent (section 8). */
  private readonly resumable = new Map<string, LocalPeer>();
  /** Set once the server shuts down: a connection that ends then leaves nothing to resume. */
  private shuttingDown = false;
  /** Set once the server begins to shut down, in a cluster too: it takes on no dead process's peers. */
  private stopping = false;

  /** Shared by every peer, so that attaching a connection allocates no closures. */
  private readonly dispatcher: PeerDispatcher = {
    handle: (peer, message) => this.handle(peer, message),
    detach: (peer, dropped) => this.detachOrLeave(peer, dropped),
    taskFailed: (peer, error) => this.failInternally(peer, error),
    keptTooMany: (peer) => this.stopWaiting(peer),
    kept: (peer, message) => {
      if (this.recordsResumable && peer.resumeToken !== undefined)
        this.deps.backend.keepForAbsent(peer.extensionId, peer.resumeToken, message, this.deps.resumeGraceMs);
    },
  };

  constructor(private readonly deps: SwitchboardDependencies) {
    this.registerAttempts = new RegisterAttempts(deps.directory, deps.registerLimiter);
    const sink: NoticeSink = {
      deliver: (extensionId, audience, notice, precedesPendingSteps = false) =>
        this.deliver(extensionId, audience, notice, precedesPendingSteps),
      hasPeer: (peerId) => this.peersById.has(peerId),
      handOver: (extensionId, token, move) => this.handOver(extensionId, token, move),
      adopt: (extensionId, orphans) => this.adopt(extensionId, orphans),
      endedCalls: (_extensionId, calls) => {
        const now = deps.clock.now();
        for (const { call, outcome, endedBy } of calls) {
          deps.calls?.ended(historyEntry(call, now, outcome, endedBy));
        }
      },
      get adopts() {
        return adopts();
      },
    };
    const adopts = () => this.recordsResumable && !this.shuttingDown && !this.stopping;
    deps.backend.connect(sink);
  }

  attach(extensionId: string, link: PeerLink): AttachedPeer {
    const peer = new LocalPeer(extensionId, link, this.dispatcher);
    this.addLocal(peer);
    return peer;
  }

  private addLocal(peer: LocalPeer): void {
    const { extensionId } = peer;
    let peers = this.peersByExtension.get(extensionId);
    if (peers === undefined) {
      peers = new Set();
      this.peersByExtension.set(extensionId, peers);
      const watching = this.deps.backend.watch(extensionId);
      // Awaited by `init`; a failure closes that peer there, so it is not an unhandled rejection here.
      watching.catch(() => {});
      this.watching.set(extensionId, watching);
    }
    peers.add(peer);
  }

  /** Extensions with at least one connection on this process. */
  extensionsWithPeers(): string[] {
    return [...this.peersByExtension.keys()];
  }

  /** Closes every connection of an extension on this process (it was removed from the store). */
  closeExtension(extensionId: string, reason: string): void {
    for (const peer of this.peersByExtension.get(extensionId) ?? []) {
      this.endPeer(peer, EXTENSION_REMOVED_CLOSE_CODE, reason);
    }
  }

  /**
   * Closes every connection on this process (the backend's state is gone or out of reach), and ends the
   * absent peers: what they would resume into is not there any more.
   */
  closeAll(code: number, reason: string): void {
    for (const peers of this.peersByExtension.values()) {
      for (const peer of peers) this.endPeer(peer, code, reason);
    }
  }

  /**
   * The server is shutting down: from now on a connection that ends leaves nothing to resume (the
   * state it would resume into goes with this process), and the absent peers end now (section 6).
   */
  shutDown(): Promise<void> {
    // In a cluster another process can take them over: each is made absent before its connection is
    // closed, and settles once Redis names this process as holding it, so a client that reconnects at
    // once to another process finds it there.
    this.stopping = true;
    if (this.recordsResumable) {
      const offers: Promise<void>[] = [];
      for (const peers of this.peersByExtension.values()) {
        for (const peer of peers) {
          if (peer.initialized && !peer.absent && !peer.closed && !peer.endOnDetach)
            offers.push(this.leave(peer));
        }
      }
      return Promise.all(offers).then(() => undefined);
    }
    this.shuttingDown = true;
    for (const peers of this.peersByExtension.values()) {
      for (const peer of peers) this.stopWaiting(peer);
    }
    return Promise.resolve();
  }

  /** Ends every absent peer now (section 6): a process shutting down waited long enough for resumes. */
  endAbsentPeers(): void {
    for (const peers of this.peersByExtension.values()) {
      for (const peer of peers) this.stopWaiting(peer);
    }
  }

  private endPeer(peer: LocalPeer, code: number, reason: string): void {
    peer.endOnDetach = true;
    this.stopWaiting(peer);
    peer.close(code, reason);
  }

  /**
   * Settles once no connection is attached any more: each closed connection's detach (section 6) has
   * then reached the backend, so the backend may be released.
   */
  whenDrained(): Promise<void> {
    if (this.peersByExtension.size === 0) return Promise.resolve();
    this.drained ??= new Promise<void>((resolve) => {
      this.resolveDrained = () => {
        this.drained = undefined;
        this.resolveDrained = undefined;
        resolve();
      };
    });
    return this.drained;
  }

  localPeerCounts(): LocalPeerCounts {
    const counts: LocalPeerCounts = {
      connections: 0,
      initialized: 0,
      registered: 0,
      ringingCalls: 0,
      connectedCalls: 0,
    };
    for (const peers of this.peersByExtension.values()) {
      for (const peer of peers) {
        if (!peer.absent) counts.connections++;
        if (peer.initialized) counts.initialized++;
        if (peer.registered) counts.registered++;
        if (peer.session?.role === 'caller') {
          if (peer.session.state === 'ringing') counts.ringingCalls++;
          else counts.connectedCalls++;
        }
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
    const { resume } = request;
    if (resume !== undefined && peer.initialized) {
      return this.fail(
        peer,
        request,
        'bad-request',
        '"resume" is only for the first "init" of a connection.',
      );
    }
    // Until the backend delivers the extension's notices here, a status read could miss a change.
    await this.watching.get(peer.extensionId);
    if (resume !== undefined && (await this.resume(peer, request, resume))) return;
    if (peer.peerId === undefined) {
      const peerId = this.deps.newId();
      // Initialized before the count is read: an extension event published meanwhile queues behind.
      peer.peerId = peerId;
      this.peersById.set(peerId, peer);
    }
    const status = await this.extensionStatus(peer);
    this.respond(peer, request, {
      status,
      peerId: peer.peerId,
      ...this.newResumeToken(peer),
      ...(resume === undefined ? {} : { resumed: false }),
    });
  }

  /**
   * Section 8: `connection` (a new connection's peer) becomes the peer `token` resumes, if that peer is
   * still there. A peer whose old connection still looks open (it died without the server noticing yet)
   * is taken over too: the token proves it is the same client. The response, then the messages kept
   * while the peer was away, in order, then everything else.
   */
  private async resume(
    connection: LocalPeer,
    request: ClientMessageOf<'init'>,
    token: string,
  ): Promise<boolean> {
    const target = this.resumable.get(token);
    if (target === undefined) return this.resumeFromElsewhere(connection, request, token);
    if (target.extensionId !== connection.extensionId) return false;
    const reading = await this.deps.backend.status(target.extensionId);
    // Read again: its grace may have ended, or another connection resumed it, while the status was read.
    if (this.resumable.get(token) !== target || target.closed) return false;
    const resumeToken = this.newResumeToken(target);
    const { kept, previousLink } = target.resumeOn(connection);
    this.forgetConnection(connection);
    this.respond(target, request, {
      status: reading.status,
      peerId: target.peerId as string,
      ...resumeToken,
      resumed: true,
    });
    target.sendKept(kept);
    target.learnStatus(reading);
    previousLink?.close(RESUMED_ELSEWHERE_CLOSE_CODE, 'resumed on another connection');
    return true;
  }

  /** The peer of `token` is absent on another process: it moves here, kept messages and all. */
  private async resumeFromElsewhere(
    connection: LocalPeer,
    request: ClientMessageOf<'init'>,
    token: string,
  ): Promise<boolean> {
    const { backend } = this.deps;
    const handover = await backend.takeResumable(connection.extensionId, token);
    if (handover === undefined) {
      // Its process died meanwhile, and this one took the peer on (`adopt`).
      return this.resumable.has(token) ? this.resume(connection, request, token) : false;
    }
    connection.takeOver(handover);
    // The token it came with is void from now on, its record replaced (see `newResumeToken`).
    connection.resumeToken = token;
    this.peersById.set(handover.peerId, connection);
    // Its ring timer stayed on the other process: it starts again here, in full.
    this.restartRingTimer(connection);
    const reading = await backend.status(connection.extensionId);
    this.respond(connection, request, {
      status: reading.status,
      peerId: handover.peerId,
      ...this.newResumeToken(connection),
      resumed: true,
    });
    connection.sendKept(handover.kept);
    connection.learnStatus(reading);
    return true;
  }

  /**
   * `NoticeSink.handOver`: in the peer's turn, so that what it was doing is done; the move is a step, so
   * what was published to it before the move reaches it (and is kept) first.
   */
  private handOver(
    extensionId: string,
    token: string,
    move: (peer: PeerMove) => Promise<void>,
  ): Promise<PeerHandover | undefined> {
    const peer = this.resumable.get(token);
    if (peer === undefined || peer.extensionId !== extensionId || !peer.absent) {
      return Promise.resolve(undefined);
    }
    return new Promise<PeerHandover | undefined>((resolve, reject) => {
      peer.queue.push(async () => {
        if (this.resumable.get(token) !== peer || !peer.absent) return resolve(undefined);
        const callId = peer.session?.callId;
        try {
          await this.step(
            peer,
            peer.view(),
            move({ peerId: peer.peerId as string, ...(callId === undefined ? {} : { callId }) }),
          );
        } catch (error) {
          reject(error);
          return;
        }
        if (callId !== undefined) this.cancelRingTimer(callId);
        const handover = peer.handOver();
        this.resumable.delete(token);
        this.deps.backend.withdrawResumable(extensionId, token);
        this.forget(peer);
        resolve(handover);
      });
    });
  }

  /** Each successful `init` issues a new token and voids the previous one; none while resuming is off. */
  private newResumeToken(peer: LocalPeer): { resumeToken?: string } {
    if (this.deps.resumeGraceMs <= 0) return {};
    const previousToken = peer.resumeToken;
    if (previousToken !== undefined) this.resumable.delete(previousToken);
    const resumeToken = this.deps.newToken();
    peer.resumeToken = resumeToken;
    this.resumable.set(resumeToken, peer);
    this.recordResumable(peer, previousToken);
    return { resumeToken };
  }

  /** In a cluster, where a dead process's peers are taken on by the others (section 8). */
  private get recordsResumable(): boolean {
    return this.deps.backend.handsOverPeers && this.deps.resumeGraceMs > 0;
  }

  private recordResumable(peer: LocalPeer, previousToken?: string): void {
    if (!this.recordsResumable || peer.resumeToken === undefined) return;
    const record = {
      token: peer.resumeToken,
      peerId: peer.peerId as string,
      ...(peer.name === undefined ? {} : { name: peer.name }),
    };
    this.deps.backend.recordResumable(peer.extensionId, record, previousToken);
  }

  /**
   * `NoticeSink.adopt`: each peer of a dead process lives on here as if its connection had dropped here
   * (section 8), for a full grace from now, and another process can take it over from here.
   */
  private adopt(extensionId: string, orphans: readonly Orphan[]): void {
    for (const { token, ...handover } of orphans) {
      if (this.resumable.has(token) || this.peersById.has(handover.peerId)) continue;
      const peer = new LocalPeer(extensionId, undefined, this.dispatcher);
      peer.takeOver(handover);
      peer.resumeToken = token;
      this.resumable.set(token, peer);
      this.peersById.set(handover.peerId, peer);
      this.addLocal(peer);
      this.restartRingTimer(peer);
      void this.leave(peer, handover.kept);
    }
  }

  /** A ringing caller that came from another process: its ring timer starts again here, in full. */
  private restartRingTimer(peer: LocalPeer): void {
    const { clock, ringTimeoutMs } = this.deps;
    const { session } = peer;
    if (session?.role !== 'caller' || session.state !== 'ringing' || ringTimeoutMs <= 0) return;
    const { callId } = session;
    this.ringTimers.set(
      callId,
      clock.setTimer(() => this.expire(peer, callId), ringTimeoutMs),
    );
  }

  /** A connection that resumed another peer: it is that peer now, and no longer one of its own. */
  private forgetConnection(connection: LocalPeer): void {
    this.peersByExtension.get(connection.extensionId)?.delete(connection);
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
      if (peer.registered) await this.leaveRegistered(peer);
      this.respond(peer, request, { status: 'unregistered', reason: refusal });
      return;
    }
    // Section 8: a later register with another name replaces it (one without a name keeps it).
    const renamed = request.name !== undefined && request.name !== peer.name;
    if (renamed) {
      peer.name = request.name;
      this.recordResumable(peer);
    }
    if (peer.registered) {
      // The backend keeps each agent's name for the admin's live view: a new one is stored there too.
      // Nothing else changes (the peer counted already), so the ringing calls it answers are not resent.
      if (renamed) {
        await this.step(
          peer,
          peer.view(),
          this.deps.backend.addRegistered(peer.extensionId, request.peerId, peer.name),
        );
      }
      return this.respond(peer, request, { status: 'registered' });
    }
    const before = peer.view();
    peer.registered = true;
    const registration = await this.step(
      peer,
      before,
      this.deps.backend.addRegistered(peer.extensionId, request.peerId, peer.name),
    );
    peer.learnStatus(registration);
    this.respond(peer, request, { status: 'registered' });
    for (const call of registration.ringingCalls) {
      this.applyNotice(peer, { kind: 'ringing', callId: call.callId, ...optionalName(call.name) });
    }
  }

  private async deregister(peer: LocalPeer, request: ClientMessageOf<'deregister'>): Promise<void> {
    // The status it returns is not learnt: the last agent deregistering hears the `offline` it caused.
    if (peer.registered) await this.leaveRegistered(peer);
    this.respond(peer, request, { status: 'unregistered' });
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
    const callId = newId();
    const placed = await this.step(
      peer,
      peer.view(),
      backend.placeCall({
        callId,
        extensionId: peer.extensionId,
        callerPeerId: request.peerId,
        ...optionalName(request.name),
        ringingAt: clock.now(),
      }),
    );
    if (placed.outcome === 'unavailable') {
      return this.respond(peer, request, { status: 'unavailable' });
    }
    this.deps.calls?.placed(placed.call);
    // Set in the same task as the response: a `connected` published meanwhile waits in the queue behind it.
    peer.session = { callId, role: 'caller', state: 'ringing' };
    this.respond(peer, request, { status: 'ringing', callId });
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
    const { backend, clock } = this.deps;
    const { callId } = request;
    const claim = await this.step(
      peer,
      peer.view(),
      backend.claimCall(peer.extensionId, callId, {
        peerId: request.peerId,
        ...optionalName(peer.name),
        answeredAt: clock.now(),
      }),
    );
    if (claim.outcome === 'not-ringing') {
      return this.respond(peer, request, { status: 'unavailable', callId });
    }
    this.deps.calls?.answered(claim.call);
    const callerPeerId = claim.call.callerPeerId;
    peer.session = { callId, role: 'answerer', state: 'connected', otherPeerId: callerPeerId };
    // A signal from the caller (who may hear `connected` before this task ends) waits in this peer's queue,
    // so the response goes out before any signal of the call (section 7).
    this.respond(peer, request, { status: 'connected', callId });
  }

  private async end(peer: LocalPeer, request: ClientMessageOf<'end'>): Promise<void> {
    const { callId } = request;
    if (peer.session?.callId !== callId) {
      return this.respond(peer, request, { status: 'disconnected', callId });
    }
    await this.endSession(peer, { reason: 'hangup', peerId: peer.peerId as string });
    this.respond(peer, request, { status: 'disconnected', callId });
  }

  private signal(peer: LocalPeer, message: ReceivedSignal): void {
    const session = peer.session;
    if (session?.callId !== message.callId || session.state !== 'connected') {
      return this.fail(peer, message, 'unknown-call', NOT_IN_CALL);
    }
    const sent = {
      callId: message.callId,
      dataJson: message.dataJson,
      senderPeerId: peer.peerId as string,
      ...(message.id === undefined ? {} : { id: message.id }),
    };
    const other = this.peersById.get(session.otherPeerId);
    if (other?.session?.callId === message.callId && other.session.state === 'connected') {
      // The other party is on this process and already connected: no backend round trip. (One still
      // waiting for its `connected` gets the signal through the backend, behind that `connected`.)
      const notice: Notice = { kind: 'signal', ...sent };
      return this.deliver(peer.extensionId, { kind: 'peer', peerId: other.peerId as string }, notice, false);
    }
    // Not awaited, so one peer's signals are not held to one backend round trip each; the backend sends
    // them in the order it is given them.
    this.deps.backend
      .relaySignal(peer.extensionId, { ...sent, toPeerId: session.otherPeerId })
      .catch((error: unknown) => this.failInternally(peer, error));
  }

  /** Section 8: a dropped connection leaves its peer absent for the grace period, then section 6. */
  private async detachOrLeave(peer: LocalPeer, dropped: boolean): Promise<void> {
    const { resumeGraceMs } = this.deps;
    const resumable = dropped && resumeGraceMs > 0 && !this.shuttingDown && !peer.endOnDetach;
    if (!resumable || !peer.initialized || peer.closed) return this.detach(peer);
    void this.leave(peer);
  }

  /** The peer is absent from now on, for the grace; settles once other processes can find it. */
  private leave(peer: LocalPeer, kept?: readonly KeptMessage[]): Promise<void> {
    const { resumeGraceMs, clock, backend } = this.deps;
    peer.leave(
      clock.setTimer(() => this.stopWaiting(peer), resumeGraceMs),
      kept,
    );
    if (peer.resumeToken === undefined) return Promise.resolve();
    return backend.offerResumable(peer.extensionId, peer.resumeToken, resumeGraceMs);
  }

  /** The grace of an absent peer ends without a resume: section 6, reason `dropped`. */
  private stopWaiting(peer: LocalPeer): void {
    if (!peer.stopWaiting()) return;
    if (peer.resumeToken !== undefined)
      this.deps.backend.withdrawResumable(peer.extensionId, peer.resumeToken);
    peer.queue.push(() => this.detach(peer));
  }

  private async detach(peer: LocalPeer): Promise<void> {
    peer.closed = true;
    if (peer.resumeToken !== undefined) {
      this.resumable.delete(peer.resumeToken);
      if (this.recordsResumable) this.deps.backend.forgetResumable(peer.extensionId, peer.resumeToken);
    }
    try {
      if (peer.session !== undefined) {
        await this.endSession(peer, { reason: 'dropped', peerId: peer.peerId as string });
      }
      if (peer.registered) await this.leaveRegistered(peer);
    } finally {
      this.forget(peer);
    }
  }

  /** The peer is gone from this process: detached, or handed over to another. */
  private forget(peer: LocalPeer): void {
    const peers = this.peersByExtension.get(peer.extensionId);
    peers?.delete(peer);
    if (peers?.size === 0) {
      this.peersByExtension.delete(peer.extensionId);
      this.watching.delete(peer.extensionId);
      this.deps.backend.unwatch(peer.extensionId);
    }
    if (peer.peerId !== undefined && this.peersById.get(peer.peerId) === peer) {
      this.peersById.delete(peer.peerId);
    }
    if (this.peersByExtension.size === 0) this.resolveDrained?.();
  }

  // ------------------------------------------------------------------ shared steps

  /** Reads the extension's status and remembers that this peer now knows it. */
  private async extensionStatus(peer: LocalPeer): Promise<ExtensionStatus> {
    const reading = await this.deps.backend.status(peer.extensionId);
    peer.learnStatus(reading);
    return reading.status;
  }

  private async leaveRegistered(peer: LocalPeer): Promise<void> {
    const before = peer.view();
    peer.registered = false;
    await this.step(
      peer,
      before,
      this.deps.backend.removeRegistered(peer.extensionId, peer.peerId as string),
    );
    peer.announcedCalls.clear();
  }

  private async endSession(peer: LocalPeer, ending: CallEnding): Promise<void> {
    const before = peer.view();
    const { callId } = peer.session as { callId: string };
    peer.session = undefined;
    this.cancelRingTimer(callId);
    const result = await this.step(peer, before, this.deps.backend.endCall(peer.extensionId, callId, ending));
    this.reportEnd(result, ending);
  }

  /** Only the process whose `endCall` ended the call hears `ended`, so each call is reported once. */
  private reportEnd(result: EndResult, ending: CallEnding): void {
    const { calls, clock } = this.deps;
    if (calls === undefined) return;
    const ended = endedCallOf(result, ending, clock.now());
    if (ended !== undefined) calls.ended(ended);
  }

  /**
   * Awaits one backend operation of `peer`. The operation is called before this (so a backend that
   * publishes synchronously has queued its own notices already); `before` is the peer's state from before
   * the request changed it, on which notices published ahead of the operation are judged.
   */
  private async step<R>(peer: LocalPeer, before: PeerView, operation: Promise<R>): Promise<R> {
    peer.beforePendingStep = before;
    try {
      return await operation;
    } finally {
      peer.beforePendingStep = undefined;
    }
  }

  private expire(caller: LocalPeer, callId: string): void {
    this.ringTimers.delete(callId);
    // The caller hears `disconnected timeout` from the backend, through its queue, if the call still rang.
    caller.queue.push(async () => {
      const before = caller.view();
      const ending: CallEnding = { reason: 'timeout' };
      const result = await this.step(
        caller,
        before,
        this.deps.backend.endCall(caller.extensionId, callId, ending),
      );
      this.reportEnd(result, ending);
    });
  }

  private cancelRingTimer(callId: string): void {
    this.ringTimers.get(callId)?.();
    this.ringTimers.delete(callId);
  }

  // ------------------------------------------------------------------ notices

  /**
   * A notice is queued behind what the peer is doing and judged when its turn comes; one the backend
   * says was published ahead of a step the peer awaits goes first, judged on the state from before the
   * step (an agent deregistering while a call is placed elsewhere hears the `ringing` that came first).
   */
  private deliver(
    extensionId: string,
    audience: Audience,
    notice: Notice,
    precedesPendingSteps: boolean,
  ): void {
    const deliverTo = (peer: LocalPeer, wantRegistered?: boolean) => {
      const before = precedesPendingSteps ? peer.beforePendingStep : undefined;
      const view: PeerView = before ?? peer;
      if (wantRegistered !== undefined && !(peer.initialized && view.registered === wantRegistered)) return;
      if (before !== undefined) this.applyNotice(peer, notice, before);
      else peer.queue.push(() => this.applyNotice(peer, notice, peer));
    };
    switch (audience.kind) {
      case 'peer': {
        const peer = this.peersById.get(audience.peerId);
        if (peer !== undefined) deliverTo(peer);
        // Its connection closed, which ended the call (its other party heard that first).
        else if (notice.kind === 'signal') this.refuseSignal(extensionId, notice);
        return;
      }
      case 'registered':
      case 'unregistered': {
        const wantRegistered = audience.kind === 'registered';
        for (const peer of this.peersByExtension.get(extensionId) ?? []) deliverTo(peer, wantRegistered);
        return;
      }
      default:
        return assertNever(audience);
    }
  }

  /**
   * Turns a notice into what this peer sees, judged on `view`: the peer's state when its queue reaches
   * the notice, or the state from before a pending step (see `deliver`).
   */
  private applyNotice(peer: LocalPeer, notice: Notice, view: PeerView = peer): void {
    const session = view.session;
    // A session the pending step left as it was (a ring timeout's check) is the peer's own: it changes too.
    const setSession = (next: LocalSession | undefined) => {
      if (view !== peer && peer.session === session) peer.session = next;
      view.session = next;
    };
    switch (notice.kind) {
      case 'ringing':
        if (!view.registered || peer.announcedCalls.has(notice.callId) || peer.wasSettled(notice.callId))
          return;
        peer.announcedCalls.add(notice.callId);
        return this.sendSessionEvent(peer, {
          status: 'ringing',
          callId: notice.callId,
          ...optionalName(notice.name),
        });
      case 'claimed':
      case 'abandoned':
        if (!view.registered) return;
        if (!peer.announcedCalls.delete(notice.callId)) {
          // Its `ringing` may still be on its way from another process: it must not ring after this.
          peer.rememberSettled(notice.callId);
          return;
        }
        return this.sendSessionEvent(
          peer,
          notice.kind === 'claimed'
            ? { status: 'claimed', callId: notice.callId, ...optionalName(notice.name) }
            : { status: 'abandoned', callId: notice.callId },
        );
      case 'connected':
        if (session?.callId !== notice.callId || session.state !== 'ringing') return;
        this.cancelRingTimer(notice.callId);
        setSession({ ...session, state: 'connected', otherPeerId: notice.answererPeerId });
        return this.sendSessionEvent(peer, {
          status: 'connected',
          callId: notice.callId,
          ...optionalName(notice.name),
        });
      case 'disconnected':
        if (session?.callId !== notice.callId) return;
        setSession(undefined);
        this.cancelRingTimer(notice.callId);
        return this.sendSessionEvent(peer, {
          status: 'disconnected',
          callId: notice.callId,
          reason: notice.reason,
        });
      case 'extension':
        if (!peer.initialized || view.registered || !peer.learnStatus(notice)) return;
        return peer.send({ type: 'event', topic: 'extension', status: notice.status });
      case 'signal':
        // The call ended before the signal got here, so the sender (who had not heard yet) is told, as
        // one process would have answered a signal sent after the end (section 4: `unknown-call`).
        if (session?.callId !== notice.callId || session.state !== 'connected') {
          return this.refuseSignal(peer.extensionId, notice);
        }
        return peer.relaySignal(notice.callId, notice.dataJson);
      case 'signal-refused':
        return peer.send(
          protocolError('unknown-call', NOT_IN_CALL, {
            request: 'signal',
            ...(notice.id === undefined ? {} : { id: notice.id }),
          }),
        );
      default:
        return assertNever(notice);
    }
  }

  private refuseSignal(
    extensionId: string,
    { callId, senderPeerId, id }: Extract<Notice, { kind: 'signal' }>,
  ): void {
    this.deps.backend
      .refuseSignal(extensionId, { callId, senderPeerId, ...(id === undefined ? {} : { id }) })
      .catch((error: unknown) => this.deps.onInternalError(error, { extensionId, peerId: senderPeerId }));
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

const NOT_IN_CALL = 'This peer is not connected in that call.';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function optionalName(name: string | undefined): { name?: string } {
  return name === undefined ? {} : { name };
}
