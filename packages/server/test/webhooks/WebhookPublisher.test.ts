import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { CallRecord } from '../../src/core/SwitchboardBackend.js';
import type { NewWebhookEvent, WebhookOutbox } from '../../src/store/WebhookOutbox.js';
import { WebhookPublisher } from '../../src/webhooks/WebhookPublisher.js';

/**
 * Issue 11, point 3 ("kept in the store so that none is lost"): a webhook event the store refuses is
 * written once the store takes it again, a call's events still in order; shutdown does not wait for a
 * store that stays down.
 */

/** An outbox that refuses the first `refusals` writes (all of them with `Infinity`) and keeps the rest. */
function refusingOutbox(refusals: number) {
  const written: NewWebhookEvent[] = [];
  let tries = 0;
  const outbox: Pick<WebhookOutbox, 'enqueueWebhook'> = {
    async enqueueWebhook(event) {
      tries++;
      if (tries <= refusals) throw new Error('the store is down');
      written.push(event);
    },
  };
  return { outbox: outbox as WebhookOutbox, written, tries: () => tries };
}

const call: CallRecord = {
  callId: 'c1',
  extensionId: 'front',
  callerPeerId: 'p1',
  name: 'Ann',
  order: 1,
  ringingAt: Date.parse('2026-12-04T10:00:00Z'),
  answeredAt: Date.parse('2026-12-04T10:00:05Z'),
  answererName: 'Bob',
};

describe('WebhookPublisher', () => {
  it('writes an event the store refused once it takes it again, the call’s later events behind it', async () => {
    const { outbox, written, tries } = refusingOutbox(2);
    let nudges = 0;
    const publisher = new WebhookPublisher(outbox, pino({ level: 'silent' }), () => nudges++, 60_000);
    publisher.placed(call);
    publisher.answered(call);
    publisher.ended({
      callId: call.callId,
      extensionId: call.extensionId,
      ringingAt: call.ringingAt,
      answeredAt: call.answeredAt,
      endedAt: Date.parse('2026-12-04T10:01:00Z'),
      outcome: 'answered',
      endedBy: 'caller',
    });
    const deadline = Date.now() + 10_000;
    while (written.length < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(
      written.map((event) => event.type),
      ['call.ringing', 'call.answered', 'call.ended'],
    );
    assert.equal(tries(), 5, 'two refusals, then one write each');
    assert.equal(nudges, 3);
    await publisher.flush();
  });

  it('at shutdown tries a refused event once more at once instead of waiting, then gives it up', async () => {
    const { outbox, written, tries } = refusingOutbox(Number.POSITIVE_INFINITY);
    const publisher = new WebhookPublisher(outbox, pino({ level: 'silent' }), () => {}, 3_600_000);
    publisher.placed(call);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await publisher.flush();
    assert.ok(Date.now() - started < 500, `flush took ${Date.now() - started} ms`);
    assert.equal(tries(), 2);
    assert.deepEqual(written, []);
  });
});
