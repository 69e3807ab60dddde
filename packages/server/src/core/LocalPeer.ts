import type { ExtensionStatus, ServerMessage } from '@pbx-peers/protocol';
import type { KeptMessage, PeerHandover } from './PeerHandover.js';
import type { PeerLink } from './PeerLink.js';
import type { ReceivedMessage } from './ReceivedMessage.js';
import { SerialQueue, type TaskOwner } from './SerialQueue.js';

const SETTLED_MEMORY = 32;
/** Messages kept for a peer whose connection dropped (protocol section 8: at least 256). */
export const KEPT_MESSAGES_LIMIT = 256;

/** A peer whose connection dropped, within its resume grace period (protocol section 8). */
interface Absence {
  readonly kept: KeptMessage[];
  readonly cancelGraceTimer: () => void;
}

/** The session a peer is in, as this process knows it. */
export type LocalSession =
  | { callId: string; role: 'caller'; state: 'ringing' }
  | { callId: string; role: 'caller' | 'answerer'; state: 'connected'; otherPeerId: string };

/** What notices are judged on: a peer's own state, or the state it had before a pending step. */
export interface PeerView {
  registered: boolean;
  session: LocalSession | undefined;
}

/** The switchboard's side of every peer: one object shared by all, so a peer holds no closures. */
export interface PeerDispatcher {
  handle(peer: LocalPeer, message: ReceivedMessage): void | Promise<void>;
  /** `dropped`: the connection ended without the client closing it (section 8), so it may resume. */
  detach(peer: LocalPeer, dropped: boolean): Promise<void>;
  taskFailed(peer: LocalPeer, error: unknown): void;
  /** An absent peer was sent more than `KEPT_MESSAGES_LIMIT` messages: its grace ends now. */
  keptTooMany(peer: LocalPeer): void;
  /** A message was kept for the absent peer. */
  kept(peer: LocalPeer, message: KeptMessage): void;
}

/**
 * One connection attached to this process, with the protocol state the core keeps for it. It is also
 * what the transport holds (as an `AttachedPeer`): messages and the detach go through its queue.
 */
export class LocalPeer implements TaskOwner, PeerView {
  /** Issued by the first `init`; undefined until then. */
  peerId: string | undefined;
  /**
   * Set before the backend is told, cleared before the backend is told: notices published while the
   * backend call is in flight then already address this peer, and queue behind the request.
   */
  registered = false;
  session: LocalSession | undefined;
  /** The display name the agent registered with (protocol 1.1); sent with `connected` and `claimed`. */
  name: string | undefined;
  /**
   * Set while a backend operation of this peer awaits its result: the peer's state from before it. With a
   * networked backend, a notice published before the operation ran can arrive meanwhile; it belongs
   * before the operation's outcome, judged on this state (docs/protocol.md section 10.1).
   */
  beforePendingStep: PeerView | undefined;
  private announced: Set<string> | undefined;
  /**
   * The extension status this peer last learned (from `init`, `status`, registering, or an event). A
   * notice numbered at or below the reading it was learnt from is older than that reading and ignored;
   * one repeating it is not sent: with a backend whose notices arrive late, a `ready` published before this
   * peer's own `init` would otherwise reach it after the response that already said `ready` or `offline`.
   */
  private knownStatus: ExtensionStatus | undefined;
  /** The extension sequence number of what `knownStatus` was learnt from; -1 before any. */
  private knownStatusSeq = -1;
  /** Calls that ended before this peer heard them ring (see `rememberSettled`), oldest first. */
  private settled: string[] | undefined;
  closed = false;
  /** Set when this connection's end must not leave a resumable peer (the server closed it for good). */
  endOnDetach = false;
  /** The secret that resumes this peer (section 8); undefined when resuming is off or before `init`. */
  resumeToken: string | undefined;
  /** Set while the peer is absent: its connection dropped and it may still resume. */
  private absence: Absence | undefined;
  /** Set once this connection resumed another peer: what it receives goes to that peer. */
  private resumed: LocalPeer | undefined;
  /** The client's address, remembered while the peer has no connection. */
  private lastAddress: string | undefined;
  readonly queue: SerialQueue;
  /** This peer's requests that came while one of its requests waits outside the queue, in order. */
  private heldRequests: ReceivedMessage[] | undefined;

  constructor(
    readonly extensionId: string,
    /** The connection; undefined while the peer is absent. */
    private link: PeerLink | undefined,
    private readonly dispatcher: PeerDispatcher,
  ) {
    this.queue = new SerialQueue(this);
  }

  /** Hands over one validated message; it is processed after those before it. */
  receive(message: ReceivedMessage): void {
    if (this.resumed !== undefined) return this.resumed.receive(message);
    this.queue.push(() => this.handleInTurn(message));
  }

  private handleInTurn(message: ReceivedMessage): void | Promise<void> {
    // Sent behind the `init` that resumed another peer, before its response: that peer's now.
    if (this.resumed !== undefined) return this.resumed.receive(message);
    if (this.heldRequests !== undefined) {
      this.heldRequests.push(message);
      return;
    }
    return this.dispatcher.handle(this, message);
  }

  /**
   * Lets a request wait for slow work outside the queue: notices keep flowing to the peer meanwhile,
   * while its later requests are held. Once `pending` settles, `finish` runs in the queue (not for a peer
   * that has closed meanwhile), then the held requests, in order.
   */
  holdRequestsUntil<T>(pending: Promise<T>, finish: (value: T) => void | Promise<void>): void {
    this.heldRequests = [];
    pending.then(
      (value) =>
        this.queue.push(async () => {
          try {
            if (!this.closed) await finish(value);
          } finally {
            await this.releaseHeldRequests();
          }
        }),
      (error: unknown) =>
        this.queue.push(() => {
          this.heldRequests = undefined;
          throw error;
        }),
    );
  }

  private async releaseHeldRequests(): Promise<void> {
    const held = this.heldRequests ?? [];
    this.heldRequests = undefined;
    for (let next = 0; next < held.length && !this.closed; next++) {
      // A released request that holds again (another register) keeps the rest waiting behind it.
      // (Read through a cast: the compiler cannot see that `handle` may set it again.)
      const holdingAgain = this.heldRequests as ReceivedMessage[] | undefined;
      if (holdingAgain !== undefined) {
        holdingAgain.push(...held.slice(next));
        return;
      }
      await this.dispatcher.handle(this, held[next] as ReceivedMessage);
    }
  }

  /**
   * The connection `link` is gone: ends the peer's session and registration (protocol section 6), or,
   * when it `dropped`, may leave the peer absent, to resume (section 8). A connection this peer has
   * already moved off (another connection resumed it) is ignored.
   */
  detach(dropped: boolean, link: PeerLink): void {
    if (this.resumed !== undefined) return this.resumed.detach(dropped, link);
    // Checked when its turn comes: a resume queued before it may have moved the peer to a new link.
    this.queue.push(() => (link === this.link ? this.dispatcher.detach(this, dropped) : undefined));
  }

  get absent(): boolean {
    return this.absence !== undefined;
  }

  /**
   * The connection dropped: from now on what is sent to the peer is kept (after `kept`, what was kept for
   * it elsewhere), until it resumes or `stopWaiting`.
   */
  leave(cancelGraceTimer: () => void, kept: readonly KeptMessage[] = []): void {
    this.lastAddress = this.link?.clientAddress;
    this.link = undefined;
    this.absence = { kept: [...kept], cancelGraceTimer };
  }

  /** Ends the absence without a resume; returns whether the peer was absent. */
  stopWaiting(): boolean {
    const { absence } = this;
    if (absence === undefined) return false;
    this.absence = undefined;
    absence.cancelGraceTimer();
    return true;
  }

  /**
   * `connection`, a new connection's peer, becomes this peer: what it receives comes here and what this
   * peer sends goes to its link. Returns the messages kept while absent (send them with `sendKept` after
   * the `init` response) and the previous link if it was still open (a connection that died without the
   * server noticing yet), to be closed.
   */
  resumeOn(connection: LocalPeer): { kept: readonly KeptMessage[]; previousLink: PeerLink | undefined } {
    const kept = this.absence?.kept ?? [];
    this.absence?.cancelGraceTimer();
    this.absence = undefined;
    const previousLink = this.link;
    this.link = connection.link;
    connection.resumed = this;
    return { kept, previousLink };
  }

  /**
   * Ends the absence and returns everything this peer is, for another process to carry on with it; this
   * object is done with afterwards.
   */
  handOver(): PeerHandover {
    const kept = this.absence?.kept ?? [];
    this.absence?.cancelGraceTimer();
    this.absence = undefined;
    this.closed = true;
    return {
      peerId: this.peerId as string,
      registered: this.registered,
      ...(this.name === undefined ? {} : { name: this.name }),
      ...(this.session === undefined ? {} : { session: this.session }),
      announcedCalls: [...(this.announced ?? [])],
      settledCalls: [...(this.settled ?? [])],
      ...(this.knownStatus === undefined ? {} : { knownStatus: this.knownStatus }),
      knownStatusSeq: this.knownStatusSeq,
      kept,
    };
  }

  /** This new connection's peer becomes the handed-over one (see `handOver`). */
  takeOver(handover: PeerHandover): void {
    this.peerId = handover.peerId;
    this.registered = handover.registered;
    this.name = handover.name;
    this.session = handover.session;
    if (handover.announcedCalls.length > 0) this.announced = new Set(handover.announcedCalls);
    if (handover.settledCalls.length > 0) this.settled = [...handover.settledCalls];
    this.knownStatus = handover.knownStatus;
    this.knownStatusSeq = handover.knownStatusSeq;
  }

  sendKept(kept: readonly KeptMessage[]): void {
    for (const message of kept) {
      if ('message' in message) this.send(message.message);
      else this.relaySignal(message.callId, message.dataJson);
    }
  }

  private keep(message: KeptMessage): void {
    const absence = this.absence as Absence;
    if (absence.kept.length >= KEPT_MESSAGES_LIMIT) return this.dispatcher.keptTooMany(this);
    absence.kept.push(message);
    this.dispatcher.kept(this, message);
  }

  taskFailed(error: unknown): void {
    this.dispatcher.taskFailed(this, error);
  }

  /**
   * Calls this registered peer has heard `ringing` for and not yet `claimed` or `abandoned`. It
   * enforces "never `claimed` or `abandoned` before `ringing`" and drops a duplicate `ringing` when a
   * call is both in the register catch-up list and broadcast. Created on first use: most connections
   * (callers) never register, and an idle connection should cost as little as possible.
   */
  get announcedCalls(): Set<string> {
    this.announced ??= new Set();
    return this.announced;
  }

  /**
   * Takes in a status reading or an `extension` notice, unless it is older than what the peer knows.
   * True when the peer should be told: it is newer and says something else than the peer last heard.
   */
  learnStatus(reading: { status: ExtensionStatus; seq: number }): boolean {
    if (reading.seq <= this.knownStatusSeq) return false;
    this.knownStatusSeq = reading.seq;
    if (reading.status === this.knownStatus) return false;
    this.knownStatus = reading.status;
    return true;
  }

  /**
   * A call was `claimed` or `abandoned` before this registered peer heard it ring: with notices from
   * several processes its `ringing` can still be on the way, and must then not ring. Only the last
   * `SETTLED_MEMORY` such calls are kept; a `ringing` older than that is long delivered.
   */
  rememberSettled(callId: string): void {
    this.settled ??= [];
    this.settled.push(callId);
    if (this.settled.length > SETTLED_MEMORY) this.settled.shift();
  }

  wasSettled(callId: string): boolean {
    return this.settled?.includes(callId) ?? false;
  }

  /** The peer's state now, as a pending step will want it judged. */
  view(): PeerView {
    return { registered: this.registered, session: this.session };
  }

  get clientAddress(): string {
    return this.link?.clientAddress ?? this.lastAddress ?? '';
  }

  get initialized(): boolean {
    return this.peerId !== undefined;
  }

  send(message: ServerMessage): void {
    if (this.closed) return;
    if (this.absence !== undefined) this.keep({ message });
    else this.link?.send(message);
  }

  relaySignal(callId: string, dataJson: string): void {
    if (this.closed) return;
    if (this.absence !== undefined) this.keep({ callId, dataJson });
    else this.link?.relaySignal(callId, dataJson);
  }

  close(code: number, reason: string): void {
    this.link?.close(code, reason);
  }
}
