import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { PendingWebhook, WebhookOutbox } from '../store/WebhookOutbox.js';

export interface WebhookDispatcherOptions {
  outbox: WebhookOutbox;
  url: string;
  secret: string;
  /** How long after an event happened it is still retried (`--webhook-retry-for`). */
  retryForMs: number;
  /** Names this process's claims (the node id). */
  owner: string;
  log: Logger;
  /** Each attempt's result, for the metrics. */
  onAttempt?(result: WebhookAttemptResult): void;
}

export type WebhookAttemptResult = 'delivered' | 'retrying' | 'abandoned';

/** How often the outbox is read when nothing nudged the dispatcher (events written by other processes). */
const POLL_MS = 1_000;
/**
 * Events are taken this long after they were written, so that a call's events written at almost the
 * same moment by different processes (detached writes may land out of order) are all there, and the
 * outbox sends them in the call's order.
 */
const SETTLE_MS = 500;
const BATCH = 5;
const REQUEST_TIMEOUT_MS = 10_000;
/** Longer than a batch can take (BATCH requests of at most REQUEST_TIMEOUT_MS each). */
const CLAIM_MS = 2 * BATCH * REQUEST_TIMEOUT_MS;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 5 * 60_000;

/**
 * Sends the outbox's events to `--webhook-url` (issue 11; docs/webhooks.md), at least once, one call's
 * events in order, retried with doubling delays until `retryForMs` after the event, then given up. Every
 * process runs one; the outbox's claims make each event go out from one process at a time. Runs beside
 * the calls, never in their way: a receiver that is slow or down only delays its own events.
 */
export class WebhookDispatcher {
  #timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (epoch ms). */
  #dueAt = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    this.#schedule(0);
  }

  /** An event was written here: look soon rather than at the next poll. */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) this.#again = true;
    else this.#schedule(SETTLE_MS);
  }

  /** Stops polling and waits for the batch under way (bounded by the request timeout). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Runs in `delayMs`, unless a run is already due sooner: a stream of nudges must not put it off. */
  #schedule(delayMs: number): void {
    const dueAt = Date.now() + delayMs;
    if (this.#timer !== undefined && this.#dueAt <= dueAt) return;
    clearTimeout(this.#timer);
    this.#dueAt = dueAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dueAt = Number.POSITIVE_INFINITY;
      this.#running = this.#runOnce().finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        const again = this.#again;
        this.#again = false;
        this.#schedule(again ? SETTLE_MS : POLL_MS);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #runOnce(): Promise<void> {
    const { outbox, owner, log } = this.options;
    try {
      for (;;) {
        const now = Date.now();
        const batch = await outbox.claimWebhooks(
          owner,
          new Date(now - SETTLE_MS),
          new Date(now + CLAIM_MS),
          BATCH,
        );
        for (const pending of batch) {
          if (this.#stopped) return;
          await this.#deliver(pending);
        }
        // A full batch may have more behind it, and a delivered event may have freed its call's next.
        if (batch.length === 0 || this.#stopped) return;
      }
    } catch (err) {
      log.error({ err }, 'webhook outbox unavailable; trying again shortly');
    }
  }

  async #deliver(pending: PendingWebhook): Promise<void> {
    const { outbox, url, secret, retryForMs, log } = this.options;
    let problem: string;
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', secret).update(`${timestamp}.${pending.body}`).digest('hex');
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'pbx-peers-webhooks',
          'x-pbx-peers-event': pending.type,
          'x-pbx-peers-delivery': pending.eventId,
          'x-pbx-peers-signature': `t=${timestamp},v1=${signature}`,
        },
        body: pending.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) {
        await outbox.webhookDelivered(pending.seq, new Date());
        this.options.onAttempt?.('delivered');
        return;
      }
      problem = `HTTP ${response.status}`;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    const delay = Math.min(FIRST_RETRY_MS * 2 ** pending.attempts, MAX_RETRY_MS);
    const retryAt = new Date(Date.now() + delay);
    const givenUp = retryAt.getTime() > pending.createdAt.getTime() + retryForMs;
    await outbox.webhookFailed(pending.seq, problem, givenUp ? undefined : retryAt);
    this.options.onAttempt?.(givenUp ? 'abandoned' : 'retrying');
    const fields = { eventId: pending.eventId, type: pending.type, attempt: pending.attempts + 1, problem };
    if (givenUp) log.error(fields, 'webhook event given up: the receiver kept refusing it');
    else log.warn({ ...fields, retryInMs: delay }, 'webhook delivery failed; will retry');
  }
}
