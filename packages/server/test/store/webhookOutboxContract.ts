/** The webhook outbox every ExtensionStore keeps (`WebhookOutbox`); run by `extensionStoreContract`. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExtensionStore } from '../../src/store/ExtensionStore.js';
import type { NewWebhookEvent } from '../../src/store/WebhookOutbox.js';

const T0 = new Date('2026-12-01T09:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function event(eventId: string, orderKey: string, rank: number, createdAt = T0): NewWebhookEvent {
  return { eventId, orderKey, rank, type: `type-${rank}`, body: `{"id":"${eventId}"}`, createdAt };
}

export function webhookOutboxContract(currentStore: () => ExtensionStore): void {
  describe('webhook outbox', () => {
    it('hands out each due event once, first of its key, and keeps the rest of the key back', async () => {
      const store = currentStore();
      // Written out of order, as detached writes from several processes may land.
      await store.enqueueWebhook(event('c1-ended', 'c1', 2));
      await store.enqueueWebhook(event('c1-ringing', 'c1', 0));
      await store.enqueueWebhook(event('c2-ringing', 'c2', 0));
      await store.enqueueWebhook(event('c1-ringing', 'c1', 0)); // a repeat: ignored
      await store.enqueueWebhook(event('later', 'c3', 0, at(60)));

      const first = await store.claimWebhooks('node-a', at(1), at(31), 10);
      assert.deepEqual(
        first.map((pending) => pending.eventId),
        ['c1-ringing', 'c2-ringing'],
      );
      assert.deepEqual(first[0]?.body, '{"id":"c1-ringing"}');
      assert.equal(first[0]?.attempts, 0);
      assert.deepEqual(await store.claimWebhooks('node-b', at(2), at(32), 10), [], 'claimed by node-a');

      await store.webhookDelivered(first[0]?.seq as number, at(3));
      const next = await store.claimWebhooks('node-b', at(4), at(34), 10);
      assert.deepEqual(
        next.map((pending) => pending.eventId),
        ['c1-ended'],
        "the key's next event once the first is delivered; c2's is still claimed",
      );
      assert.deepEqual(await store.webhookCounts(), { pending: 3, delivered: 1, abandoned: 0 });
    });

    it('retries a failed event when due, gives up when told, and lets a lapsed claim be taken', async () => {
      const store = currentStore();
      await store.enqueueWebhook(event('e1', 'k', 0));
      await store.enqueueWebhook(event('e2', 'k', 1));
      const [claimed] = await store.claimWebhooks('node-a', at(1), at(31), 10);
      assert.ok(claimed);
      await store.webhookFailed(claimed.seq, 'HTTP 500', at(10));
      assert.deepEqual(
        await store.claimWebhooks('node-a', at(5), at(35), 10),
        [],
        'not due before its retry',
      );
      const [retried] = await store.claimWebhooks('node-b', at(10), at(40), 10);
      assert.equal(retried?.eventId, 'e1');
      assert.equal(retried?.attempts, 1);
      // node-b dies holding it: once its claim lapses, another takes it.
      const [taken] = await store.claimWebhooks('node-c', at(41), at(71), 10);
      assert.equal(taken?.eventId, 'e1');
      await store.webhookFailed(taken?.seq as number, 'HTTP 500', undefined);
      const [after] = await store.claimWebhooks('node-c', at(42), at(72), 10);
      assert.equal(after?.eventId, 'e2', 'a given-up event no longer holds its key back');
      assert.deepEqual(await store.webhookCounts(), { pending: 1, delivered: 0, abandoned: 1 });
    });

    it('respects the limit, oldest first, and prunes only settled events', async () => {
      const store = currentStore();
      for (let i = 0; i < 5; i++) await store.enqueueWebhook(event(`e${i}`, `k${i}`, 0, at(i)));
      const batch = await store.claimWebhooks('node-a', at(10), at(40), 2);
      assert.deepEqual(
        batch.map((pending) => pending.eventId),
        ['e0', 'e1'],
      );
      await store.webhookDelivered(batch[0]?.seq as number, at(11));
      assert.equal(await store.pruneHistory(at(100)), 1, 'the delivered one only');
      assert.deepEqual(await store.webhookCounts(), { pending: 4, delivered: 0, abandoned: 0 });
    });
  });
}
