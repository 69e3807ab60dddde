import type { DisconnectReason, ExtensionStatus, RequestId } from '@pbx-peers/protocol';
import type { NoticeSink } from './Notice.js';
import type { KeptMessage, PeerHandover } from './PeerHandover.js';

/**
 * The state every server process of an extension must agree on, and the delivery of notices between
 * them. The single-process (memory) and the Redis backends differ only here.
 *
 * Each state change is one atomic operation that returns a typed result saying what happened and, in the
 * same step, publishes the notices it causes (which are part of this contract: see each method). What a
 * process hears can therefore never disagree with the stored state, and the core never reads state and
 * then writes it in two steps.
 */

export interface CallRecord {
  callId: string;
  extensionId: string;
  callerPeerId: string;
  name?: string;
  /**
   * Assigned by the backend when the call started ringing, from the extension's sequence (see
   * `StatusReading.seq`): orders ringing calls oldest first, the same on every process, whatever their
   * clocks say.
   */
  order: number;
  /** When it started ringing (ms since the epoch, the placing process's clock): for the call history. */
  ringingAt: number;
  /** When it was answered, once it has been (the answering process's clock). */
  answeredAt?: number;
  /** The answering agent's display name, when it gave one (protocol 1.1). */
  answererName?: string;
}

export interface NewCall {
  callId: string;
  extensionId: string;
  callerPeerId: string;
  name?: string;
  ringingAt: number;
}

/**
 * The extension's status with the extension's sequence number when it was read. Every status change
 * takes a new, higher number from the same sequence, and the `extension` notice it publishes carries it:
 * a notice numbered at or below what a peer last read is older than that reading (protocol section 10).
 */
export interface StatusReading {
  status: ExtensionStatus;
  seq: number;
}

export interface PresenceChange extends StatusReading {
  /** Whether the operation changed membership (register and deregister are idempotent). */
  changed: boolean;
}

export interface Registration extends PresenceChange {
  /** The calls ringing at the moment of registration, oldest first. */
  ringingCalls: CallRecord[];
}

/** What the web admin's live view shows of one extension. */
export interface LiveView {
  agents: { peerId: string; name?: string }[];
  /** Ringing (no `answererPeerId`) and connected calls, oldest first. */
  calls: (CallRecord & { answererPeerId?: string })[];
}

export type PlaceResult = { outcome: 'ringing'; call: CallRecord } | { outcome: 'unavailable' };

/** Who answers a call: the agent's peer id and the display name it registered with, if any. */
export interface Answerer {
  peerId: string;
  name?: string;
  /** When it answered (ms since the epoch): kept with the call for the history. */
  answeredAt: number;
}

export type ClaimResult = { outcome: 'claimed'; call: CallRecord } | { outcome: 'not-ringing' };

/** Why a call ends, and who ended it: decides the notices `endCall` publishes. */
export type CallEnding =
  /** The party `peerId` hung up (`end`) or its connection closed (`dropped`). */
  | { reason: Extract<DisconnectReason, 'hangup' | 'dropped'>; peerId: string }
  /** The ring timeout: ends the call only while it is still ringing. */
  | { reason: 'timeout' };

export type EndResult =
  | { outcome: 'was-ringing'; call: CallRecord }
  | { outcome: 'was-connected'; call: CallRecord; answererPeerId: string }
  | { outcome: 'not-found' };

/** A signal on its way to the other party of a connected call. */
export interface OutgoingSignal {
  callId: string;
  toPeerId: string;
  senderPeerId: string;
  /** The signal message's own `id`, for the sender's error if it is refused. */
  id?: RequestId;
  /** The data's JSON text, as it arrived (see `ReceivedSignal`). */
  dataJson: string;
}

/** A signal that came after its call had ended, going back to its sender. */
export interface SignalRefusal {
  callId: string;
  senderPeerId: string;
  id?: RequestId;
}

/** What another process needs to take a peer on (see `recordResumable`). */
export interface ResumableRecord {
  token: string;
  peerId: string;
  name?: string;
}

export interface SwitchboardBackend {
  /** Starts handing this process's notices to `sink`; called once, before any other method. */
  connect(sink: NoticeSink): void;

  /**
   * This process now has peers of the extension: from when the returned promise settles, notices for the
   * extension's `registered` and `unregistered` audiences reach this process. Called once per extension
   * while it has local peers; `unwatch` after its last local peer is gone.
   */
  watch(extensionId: string): Promise<void>;
  unwatch(extensionId: string): void;

  /**
   * Adds the peer to the extension's registered set (with the name it registered with, for `liveView`)
   * and reads the ringing calls in the same step. Publishes `extension ready` to `unregistered` when the
   * count went from 0 to 1.
   */
  addRegistered(extensionId: string, peerId: string, name?: string): Promise<Registration>;
  /** Publishes `extension offline` to `unregistered` when the count went from 1 to 0. */
  removeRegistered(extensionId: string, peerId: string): Promise<PresenceChange>;
  status(extensionId: string): Promise<StatusReading>;
  /** The extension's registered agents and its calls, on every process, read at one instant (web admin). */
  liveView(extensionId: string): Promise<LiveView>;

  /**
   * Creates the call only if a peer is registered at that moment ("create if ready", one step), and then
   * publishes `ringing` to `registered`.
   */
  placeCall(call: NewCall): Promise<PlaceResult>;
  /**
   * First answer wins: moves a ringing call of this extension to connected, exactly once, keeping the
   * answerer's `answeredAt` and `name` with it (the result's call has them). Publishes `connected` to the
   * caller and `claimed` to `registered`, both with the answerer's `name` if given.
   */
  claimCall(extensionId: string, callId: string, answerer: Answerer): Promise<ClaimResult>;
  /**
   * Removes a call and says what state it was in. Publishes, for a ringing call, `abandoned` to
   * `registered` (and, on a timeout, `disconnected timeout` to the caller); for a connected call,
   * `disconnected` with the reason to the party that did not end it. A timeout leaves a connected call
   * alone and answers `not-found`: the ring timeout must not end a call that was just answered. A party's
   * hang-up or drop counts only from the process holding that party (else `not-found`), and so does
   * `removeRegistered`: a process taken for dead must not end peers that another took on (section 8).
   */
  endCall(extensionId: string, callId: string, ending: CallEnding): Promise<EndResult>;

  /**
   * Delivers a signal notice to a peer of a connected call, wherever it is; changes no state. (The core
   * hands a signal to a local peer that is already connected itself, without calling this.) A party's
   * signals arrive in the order given, and before any notice its later operations publish. When the call
   * has ended by the time the signal gets there, the sender is sent `signal-refused` instead, after the
   * notices of that end. Rejects when it could not be sent.
   */
  relaySignal(extensionId: string, signal: OutgoingSignal): Promise<void>;
  /**
   * Sends `signal-refused` to the sender of a signal that reached this process after its call ended here
   * (the core judged it on the receiving peer's state). It arrives after the notices of that end.
   */
  refuseSignal(extensionId: string, refusal: SignalRefusal): Promise<void>;

  /**
   * Section 8 across processes. Whether an absent peer can be handed to another process (a cluster):
   * a process shutting down then keeps its dropped peers for their grace, to be resumed elsewhere.
   */
  readonly handsOverPeers: boolean;
  /**
   * An absent peer of this process may be resumed with `token` for `graceMs`, on any process. Settles
   * once other processes can find it; never rejects (a failure is logged: the peer then resumes only here).
   */
  offerResumable(extensionId: string, token: string, graceMs: number): Promise<void>;
  /** It may not any more (it resumed here, was handed over, or its grace ended). */
  withdrawResumable(extensionId: string, token: string): void;
  /**
   * A message kept for the absent peer of `token` (in order): should this process die, the one that
   * takes the peer on sends it too. Gone with the token (a resume, `withdrawResumable`, `forgetResumable`).
   */
  keepForAbsent(extensionId: string, token: string, kept: KeptMessage, graceMs: number): void;
  /**
   * The peer of this process that `resume.token` resumes (attached or absent), so that, should this
   * process die, another can take it on, absent, for its grace (`NoticeSink.adopt`). Called again with
   * each new token (`previousToken` is void from then on) and name. Never rejects; a failure is logged.
   */
  recordResumable(extensionId: string, resume: ResumableRecord, previousToken?: string): void;
  /** The peer of `token` ended (section 6): nobody takes it on. */
  forgetResumable(extensionId: string, token: string): void;
  /**
   * The absent peer of `token` on another process, handed over to this one (see `NoticeSink.handOver`),
   * with its notices routed here from then on; undefined when no other process has it.
   */
  takeResumable(extensionId: string, token: string): Promise<PeerHandover | undefined>;

  /** Releases what this process holds in the backend; called after every peer has detached. */
  close(): Promise<void>;
}
