import type { DisconnectReason, ExtensionStatus, RequestId } from '@pbx-peers/protocol';
import type { CallEndedByBackend } from './EndedCall.js';
import type { PeerHandover, PeerMove } from './PeerHandover.js';

/**
 * What one part of the core tells peers of an extension, possibly on another server process.
 * A notice is addressed to an audience and turned into wire messages (and local state changes) by the
 * process that holds each addressed peer, at the moment that peer's queue runs it.
 */
export type Notice =
  | { kind: 'ringing'; callId: string; name?: string }
  /** `name`: the winning agent's display name, when it gave one (protocol 1.1). */
  | { kind: 'claimed'; callId: string; name?: string }
  | { kind: 'abandoned'; callId: string }
  /** `name`: the answering agent's display name, when it gave one (protocol 1.1). */
  | { kind: 'connected'; callId: string; answererPeerId: string; name?: string }
  | { kind: 'disconnected'; callId: string; reason: DisconnectReason }
  /** `seq`: the extension's sequence number this change took (see `StatusReading`). */
  | { kind: 'extension'; status: ExtensionStatus; seq: number }
  /**
   * `dataJson`: the signal's data as the JSON text it arrived in (see `ReceivedSignal`); `senderPeerId`
   * and `id` (the signal's own, if it had one) say where `signal-refused` goes.
   */
  | { kind: 'signal'; callId: string; dataJson: string; senderPeerId: string; id?: RequestId }
  /**
   * To a signal's sender: it reached the other party's process after the call had ended there (the
   * sender had not heard yet). The sender's `unknown-call` error, as on one process, after the end.
   */
  | { kind: 'signal-refused'; callId: string; id?: RequestId };

/** Who a notice is for, within one extension. */
export type Audience =
  | { kind: 'peer'; peerId: string }
  /** Every peer registered to the extension. */
  | { kind: 'registered' }
  /** Every initialized peer of the extension that is not registered. */
  | { kind: 'unregistered' };

/** Where a backend hands the notices addressed to this process. */
export interface NoticeSink {
  /**
   * Queues the notice on each addressed peer of this process; a notice for no local peer is dropped.
   * `precedesPendingSteps`: the backend vouches that the notice was published before every operation of
   * this process still awaiting its result (see `LocalPeer.beforePendingStep`); such a notice reaches a peer awaiting one
   * before that operation's outcome, judged on the peer's state from before it.
   */
  deliver(extensionId: string, audience: Audience, notice: Notice, precedesPendingSteps?: boolean): void;
  /** Whether the peer is attached to this process (a backend may route peer notices by it). */
  hasPeer(peerId: string): boolean;
  /**
   * Another process was asked to resume the absent peer of `token` (protocol section 8): if it is here,
   * it is handed over. `move` moves the routing of its notices (and its calls) to that process; what was
   * published to it before the move is kept and goes with it. Undefined when no such peer is here.
   */
  handOver(
    extensionId: string,
    token: string,
    move: (peer: PeerMove) => Promise<void>,
  ): Promise<PeerHandover | undefined>;
  /**
   * Peers of a process that died, now routed here (protocol section 8): each lives on here, absent, for
   * the resume grace, as if its connection had dropped here. Synchronous, so the notices the backend
   * delivers next reach them. Only while `adopts`.
   */
  adopt(extensionId: string, orphans: readonly Orphan[]): void;
  /**
   * Calls the backend ended for the peers of a process that died, reported here once, by the one process
   * that ended them, as the core reports its own (`CallObserver.ended`).
   */
  endedCalls(extensionId: string, calls: readonly CallEndedByBackend[]): void;
  /**
   * Whether this process takes such peers on: not while resuming is off or it is shutting down; the
   * backend then ends them as section 6 says.
   */
  readonly adopts: boolean;
}

/** A peer of a dead process, to be taken on: its state and the token it resumes with. */
export interface Orphan extends PeerHandover {
  token: string;
}
