import type { Audience, Notice, NoticeHandler } from './Notice.js';

/**
 * The state every server process of an extension must agree on, and the delivery of notices between
 * them. The single-process (memory) and the Redis backends differ only here. Each state change is one
 * atomic operation that returns a typed result saying what happened, so the core never reads state and
 * then writes it in two steps.
 */

export interface CallRecord {
  callId: string;
  extensionId: string;
  callerPeerId: string;
  name?: string;
  /** Clock time the call started ringing; orders ringing calls oldest first. */
  createdAt: number;
}

export interface PresenceChange {
  /** Whether the operation changed membership (register and deregister are idempotent). */
  changed: boolean;
  /** Registered peers of the extension right after the operation, across every process. */
  registeredCount: number;
}

export interface Registration extends PresenceChange {
  /** The calls ringing at the moment of registration, oldest first. */
  ringingCalls: CallRecord[];
}

export type ClaimResult = { outcome: 'claimed'; call: CallRecord } | { outcome: 'not-ringing' };

export type EndResult =
  | { outcome: 'was-ringing'; call: CallRecord }
  | { outcome: 'was-connected'; call: CallRecord; answererPeerId: string }
  | { outcome: 'not-found' };

export interface CallCounts {
  ringing: number;
  connected: number;
}

export interface SwitchboardBackend {
  /** Adds the peer to the extension's registered set and reads the ringing calls in the same step. */
  addRegistered(extensionId: string, peerId: string): Promise<Registration>;
  removeRegistered(extensionId: string, peerId: string): Promise<PresenceChange>;
  registeredCount(extensionId: string): Promise<number>;

  createCall(call: CallRecord): Promise<void>;
  /** First answer wins: moves a ringing call of this extension to connected, exactly once. */
  claimCall(extensionId: string, callId: string, answererPeerId: string): Promise<ClaimResult>;
  /**
   * Removes a call and says what state it was in. With `onlyIfRinging` a connected call is left alone
   * and `not-found` is answered (the ring timeout must not end a call that was just answered).
   */
  endCall(extensionId: string, callId: string, onlyIfRinging?: boolean): Promise<EndResult>;
  callCounts(): Promise<CallCounts>;

  /** Delivers a notice to the handler on every process, this one included, in publish order. */
  publish(extensionId: string, audience: Audience, notice: Notice): void;
  onNotice(handler: NoticeHandler): void;

  close(): Promise<void>;
}
