import type { Logger } from 'pino';
import { DetachedWrites } from '../async/DetachedWrites.js';
import type { CallObserver } from '../core/CallObserver.js';
import type { EndedCall } from '../core/EndedCall.js';
import type { CallRecord } from '../core/SwitchboardBackend.js';
import { randomId } from '../ids/randomId.js';
import type { CallbackRequestRecord } from '../store/CallHistoryStore.js';
import type { NewWebhookEvent, WebhookOutbox } from '../store/WebhookOutbox.js';

/** The events a receiver gets (docs/webhooks.md), each with its `data`. */
export type WebhookEventType = 'call.ringing' | 'call.answered' | 'call.ended' | 'callback.requested';

/** A call's events in the order they happen: the outbox delivers a call's events in this order. */
const RANK: { [K in WebhookEventType]: number } = {
  'call.ringing': 0,
  'call.answered': 1,
  'call.ended': 2,
  'callback.requested': 0,
};

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const seconds = (from: number, to: number) => Math.max(0, Math.round((to - from) / 100) / 10);

/** Events held in memory while the store refuses them; past this, new ones are dropped and logged. */
const MAX_HELD_EVENTS = 10_000;

/**
 * Turns what happens to calls and callback requests into webhook events in the store's outbox
 * (issue 11), where `WebhookDispatcher` finds them. Each event is written by the one process that saw
 * it happen (see `CallObserver`), detached from the call path (`DetachedWrites`): a slow store delays no
 * message, and a write the store refuses is tried again for as long as the dispatcher would retry a
 * delivery (`--webhook-retry-for`). Writes of one call wait behind each other, so its events reach the
 * outbox in order even when one had to be retried.
 */
export class WebhookPublisher implements CallObserver {
  readonly #writes: DetachedWrites;
  /** The last write of each order key still under way: the next one of the key goes after it. */
  readonly #lastWrite = new Map<string, Promise<void>>();

  constructor(
    private readonly outbox: WebhookOutbox,
    private readonly log: Logger,
    /** An event was written: the dispatcher may look at once. */
    private readonly onEnqueued: () => void,
    /** How long a refused write is tried again (the dispatcher's `retryForMs`). */
    retryWritesForMs: number,
  ) {
    this.#writes = new DetachedWrites({ retryForMs: retryWritesForMs, maxHeld: MAX_HELD_EVENTS });
  }

  placed(call: CallRecord): void {
    this.#enqueue('call.ringing', call.callId, {
      callId: call.callId,
      extensionId: call.extensionId,
      callerName: call.name ?? null,
      ringingAt: iso(call.ringingAt),
    });
  }

  answered(call: CallRecord): void {
    const answeredAt = call.answeredAt ?? call.ringingAt;
    this.#enqueue('call.answered', call.callId, {
      callId: call.callId,
      extensionId: call.extensionId,
      callerName: call.name ?? null,
      agentName: call.answererName ?? null,
      ringingAt: iso(call.ringingAt),
      answeredAt: iso(answeredAt),
      ringSeconds: seconds(call.ringingAt, answeredAt),
    });
  }

  ended(call: EndedCall): void {
    this.#enqueue('call.ended', call.callId, {
      callId: call.callId,
      extensionId: call.extensionId,
      outcome: call.outcome,
      endedBy: call.endedBy,
      callerName: call.callerName ?? null,
      agentName: call.agentName ?? null,
      ringingAt: iso(call.ringingAt),
      answeredAt: iso(call.answeredAt),
      endedAt: iso(call.endedAt),
      ringSeconds: seconds(call.ringingAt, call.answeredAt ?? call.endedAt),
      talkSeconds: call.answeredAt === undefined ? null : seconds(call.answeredAt, call.endedAt),
    });
  }

  callbackRequested(request: CallbackRequestRecord): void {
    this.#enqueue('callback.requested', request.id, {
      id: request.id,
      extensionId: request.extensionId,
      name: request.name,
      contact: request.contact,
      message: request.message,
      createdAt: request.createdAt.toISOString(),
    });
  }

  /**
   * Settles once the writes under way have (at shutdown, before the store closes); a write waiting to be
   * tried again gets one last try.
   */
  flush(): Promise<void> {
    return this.#writes.flush();
  }

  #enqueue(type: WebhookEventType, orderKey: string, data: Record<string, unknown>): void {
    const eventId = randomId();
    const createdAt = new Date();
    const body = JSON.stringify({ id: eventId, type, createdAt: createdAt.toISOString(), data });
    const event: NewWebhookEvent = { eventId, orderKey, rank: RANK[type], type, body, createdAt };
    // The same event id written twice is kept once, so a write that landed but failed to say so is
    // safe to try again.
    const write = this.#writes.run(
      async () => {
        await this.outbox.enqueueWebhook(event);
        this.onEnqueued();
      },
      ({ error, attempt, retryInMs }) => {
        const fields = { err: error, type, orderKey, attempt };
        if (retryInMs === undefined) {
          this.log.error(fields, 'could not store a webhook event; it will not be sent');
        } else {
          this.log.warn({ ...fields, retryInMs }, 'could not store a webhook event; will retry');
        }
      },
      this.#lastWrite.get(orderKey),
    );
    if (write === undefined) {
      this.log.error({ type, orderKey }, 'webhook event dropped: too many events wait for the store');
      return;
    }
    this.#lastWrite.set(orderKey, write);
    void write.finally(() => {
      if (this.#lastWrite.get(orderKey) === write) this.#lastWrite.delete(orderKey);
    });
  }
}
