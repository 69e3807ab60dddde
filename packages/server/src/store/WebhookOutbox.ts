/**
 * Webhook events waiting to be delivered (issue 11): written once when they happen, claimed by one
 * process at a time with a lease, delivered in order per call, kept until delivered or given up. Part of
 * every `ExtensionStore`, so a restart loses none and any process of a cluster can send them.
 */

export interface NewWebhookEvent {
  /** Unique: enqueueing the same id twice keeps the first. */
  eventId: string;
  /** Events of one key (a call id, a callback request id) are delivered one at a time, in `rank` order. */
  orderKey: string;
  /** Order within the key (`call.ringing` before `call.answered` before `call.ended`). */
  rank: number;
  type: string;
  /** The JSON body, as it is sent. */
  body: string;
  createdAt: Date;
}

export interface PendingWebhook {
  seq: number;
  eventId: string;
  type: string;
  body: string;
  createdAt: Date;
  attempts: number;
}

export interface WebhookOutbox {
  enqueueWebhook(event: NewWebhookEvent): Promise<void>;
  /**
   * Claims for `owner` until `until` at most `limit` events that are due (`next attempt` at or before
   * `now`), not held by another owner's unexpired claim, and first of their key among those not yet
   * delivered or given up: so one process sends each, and a key's events go one after another.
   */
  claimWebhooks(owner: string, now: Date, until: Date, limit: number): Promise<PendingWebhook[]>;
  webhookDelivered(seq: number, at: Date): Promise<void>;
  /** A failed attempt: retried at `retryAt` (the claim released), or given up when it is undefined. */
  webhookFailed(seq: number, error: string, retryAt: Date | undefined): Promise<void>;
  /** Counts by state, for tests and metrics. */
  webhookCounts(): Promise<{ pending: number; delivered: number; abandoned: number }>;
}
