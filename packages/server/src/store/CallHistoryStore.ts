import type { CallEndedBy, CallOutcome, EndedCall } from '../core/EndedCall.js';

/**
 * The front desk's memory (issue 10): one record per finished call, and the callback requests callers
 * leave. Part of every `ExtensionStore`; the contract suite (`test/store/extensionStoreContract.ts`)
 * covers it on each. Records outlive their extension (a removed extension's history stays listable).
 */

export interface CallHistoryRecord {
  callId: string;
  extensionId: string;
  callerName?: string;
  agentName?: string;
  ringingAt: Date;
  answeredAt?: Date;
  endedAt: Date;
  outcome: CallOutcome;
  endedBy: CallEndedBy;
  /** Set once an agent marked the missed call done (for every agent of the extension). */
  doneAt?: Date;
  /** The agent's name who marked it done, when it gave one. */
  doneBy?: string;
}

export interface CallListFilter {
  extensionId?: string;
  /** Calls that started ringing at or after this instant. */
  since?: Date;
  /** Only these outcomes (default: every outcome). */
  outcomes?: readonly CallOutcome[];
  /** At most this many, newest first (default: all). */
  limit?: number;
}

export interface NewCallbackRequest {
  extensionId: string;
  /** The caller's name, 1 to 100 characters. */
  name: string;
  /** A phone number or an e-mail address, 3 to 200 characters. */
  contact: string;
  /** Up to 500 characters; may be empty. */
  message: string;
}

export interface CallbackRequestRecord extends NewCallbackRequest {
  /** Issued by the store: opaque, URL-safe. */
  id: string;
  createdAt: Date;
  doneAt?: Date;
  doneBy?: string;
}

export interface CallbackListFilter {
  extensionId?: string;
  since?: Date;
  /** Whether to include those marked done (default: true). */
  includeDone?: boolean;
  /** At most this many, newest first (default: all). */
  limit?: number;
}

/** What marking done changed; `not-found` when the extension has no such record. */
export type MarkDoneResult = 'marked' | 'already-done' | 'not-found';

export interface CallHistoryStore {
  /**
   * Writes the call's record once: a second write of the same call id changes nothing and answers
   * false (a retry, or two processes both reporting it).
   */
  recordCall(call: EndedCall): Promise<boolean>;
  /** Newest first (by when they started ringing). */
  listCalls(filter?: CallListFilter): Promise<CallHistoryRecord[]>;
  /** Marks a call of the extension done; the first mark wins and is kept. */
  markCallDone(extensionId: string, callId: string, doneBy?: string): Promise<MarkDoneResult>;

  addCallbackRequest(request: NewCallbackRequest): Promise<CallbackRequestRecord>;
  /** Newest first. */
  listCallbackRequests(filter?: CallbackListFilter): Promise<CallbackRequestRecord[]>;
  markCallbackDone(extensionId: string, id: string, doneBy?: string): Promise<MarkDoneResult>;

  /** Deletes the calls that started ringing, and callback requests made, before `before`; returns how many. */
  pruneHistory(before: Date): Promise<number>;
}
