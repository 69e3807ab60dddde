/**
 * The call history and callback requests every ExtensionStore keeps (`CallHistoryStore`); run by
 * `extensionStoreContract`, so on each store, each test on a fresh one.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndedCall } from '../../src/core/EndedCall.js';
import type { ExtensionStore } from '../../src/store/ExtensionStore.js';

const T0 = Date.parse('2026-11-30T09:00:00.000Z');
const SECOND = 1000;

function call(callId: string, overrides: Partial<EndedCall> = {}): EndedCall {
  return {
    callId,
    extensionId: 'front',
    callerName: `Caller ${callId}`,
    ringingAt: T0,
    endedAt: T0 + 20 * SECOND,
    outcome: 'timeout',
    endedBy: 'server',
    ...overrides,
  };
}

export function callHistoryContract(currentStore: () => ExtensionStore): void {
  describe('call history', () => {
    it('records a call once with every field, and reads it back', async () => {
      const store = currentStore();
      const answered = call('a1', {
        agentName: 'Alice ☎ <b>',
        answeredAt: T0 + 3 * SECOND,
        endedAt: T0 + 63 * SECOND,
        outcome: 'answered',
        endedBy: 'agent',
      });
      assert.equal(await store.recordCall(answered), true);
      assert.equal(
        await store.recordCall({ ...answered, outcome: 'dropped' }),
        false,
        'a second write of the id',
      );
      assert.deepEqual(await store.listCalls(), [
        {
          callId: 'a1',
          extensionId: 'front',
          callerName: 'Caller a1',
          agentName: 'Alice ☎ <b>',
          ringingAt: new Date(T0),
          answeredAt: new Date(T0 + 3 * SECOND),
          endedAt: new Date(T0 + 63 * SECOND),
          outcome: 'answered',
          endedBy: 'agent',
        },
      ]);
    });

    it('leaves out the names and the answer time a call did not have', async () => {
      const store = currentStore();
      const { callerName: _, ...nameless } = call('n1');
      await store.recordCall(nameless);
      const [record] = await store.listCalls();
      assert.ok(record !== undefined);
      assert.equal('callerName' in record, false);
      assert.equal('agentName' in record, false);
      assert.equal('answeredAt' in record, false);
      assert.equal('doneAt' in record, false);
    });

    it('lists newest first, filtered by extension, start and outcome, with a limit', async () => {
      const store = currentStore();
      await store.recordCall(call('old', { ringingAt: T0 - 60 * SECOND }));
      await store.recordCall(call('mid', { outcome: 'abandoned', endedBy: 'caller' }));
      await store.recordCall(
        call('new', { ringingAt: T0 + 60 * SECOND, outcome: 'answered', endedBy: 'caller' }),
      );
      await store.recordCall(call('other', { extensionId: 'back', ringingAt: T0 + 30 * SECOND }));
      const ids = (records: { callId: string }[]) => records.map((record) => record.callId);
      assert.deepEqual(ids(await store.listCalls()), ['new', 'other', 'mid', 'old']);
      assert.deepEqual(ids(await store.listCalls({ extensionId: 'front' })), ['new', 'mid', 'old']);
      assert.deepEqual(ids(await store.listCalls({ since: new Date(T0) })), ['new', 'other', 'mid']);
      assert.deepEqual(
        ids(await store.listCalls({ extensionId: 'front', outcomes: ['abandoned', 'timeout'] })),
        ['mid', 'old'],
      );
      assert.deepEqual(ids(await store.listCalls({ limit: 2 })), ['new', 'other']);
      assert.deepEqual(await store.listCalls({ outcomes: [] }), []);
      assert.deepEqual(await store.listCalls({ extensionId: 'nobody' }), []);
    });

    it('marks a call done once, for its extension only, keeping the first mark', async () => {
      const store = currentStore();
      await store.recordCall(call('m1'));
      assert.equal(await store.markCallDone('back', 'm1', 'Bob'), 'not-found', 'another extension');
      assert.equal(await store.markCallDone('front', 'nope'), 'not-found');
      const before = Date.now();
      assert.equal(await store.markCallDone('front', 'm1', 'Alice'), 'marked');
      assert.equal(await store.markCallDone('front', 'm1', 'Bob'), 'already-done');
      const [record] = await store.listCalls();
      assert.equal(record?.doneBy, 'Alice');
      assert.ok(record?.doneAt !== undefined && record.doneAt.getTime() >= before - 1000);
      await store.recordCall(call('m2'));
      assert.equal(await store.markCallDone('front', 'm2'), 'marked');
      const m2 = (await store.listCalls()).find((record) => record.callId === 'm2');
      assert.ok(m2?.doneAt !== undefined);
      assert.equal('doneBy' in (m2 ?? {}), false);
    });

    it('keeps callback requests, newest first, exactly as typed, and marks them done', async () => {
      const store = currentStore();
      const text = {
        name: '<img src=x onerror=alert(1)> Zoë',
        contact: '+44 20 7946 0000',
        message: "It's\nurgent",
      };
      const first = await store.addCallbackRequest({ extensionId: 'front', ...text });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await store.addCallbackRequest({
        extensionId: 'front',
        name: 'Ann',
        contact: 'ann@example.org',
        message: '',
      });
      await store.addCallbackRequest({
        extensionId: 'back',
        name: 'Other',
        contact: 'o@example.org',
        message: '',
      });
      assert.match(first.id, /^[A-Za-z0-9_-]{16,}$/);
      assert.notEqual(first.id, second.id);
      assert.deepEqual({ name: first.name, contact: first.contact, message: first.message }, text);
      const listed = await store.listCallbackRequests({ extensionId: 'front' });
      assert.deepEqual(
        listed.map((request) => request.id),
        [second.id, first.id],
      );
      assert.deepEqual(listed[1], first);
      assert.equal(await store.markCallbackDone('back', first.id), 'not-found');
      assert.equal(await store.markCallbackDone('front', first.id, 'Alice'), 'marked');
      assert.equal(await store.markCallbackDone('front', first.id, 'Bob'), 'already-done');
      const open = await store.listCallbackRequests({ extensionId: 'front', includeDone: false });
      assert.deepEqual(
        open.map((request) => request.id),
        [second.id],
      );
      const done = (await store.listCallbackRequests({ extensionId: 'front' })).find(
        (r) => r.id === first.id,
      );
      assert.equal(done?.doneBy, 'Alice');
      assert.equal((await store.listCallbackRequests({ limit: 1 })).length, 1);
      assert.equal((await store.listCallbackRequests({ since: new Date(Date.now() + 60_000) })).length, 0);
    });

    it('prunes calls and callback requests older than the cut-off, and nothing newer', async () => {
      const store = currentStore();
      await store.recordCall(call('ancient', { ringingAt: T0 - 100 * SECOND }));
      await store.recordCall(call('recent', { ringingAt: T0 + 100 * SECOND }));
      await store.addCallbackRequest({
        extensionId: 'front',
        name: 'N',
        contact: 'n@example.org',
        message: '',
      });
      assert.equal(await store.pruneHistory(new Date(T0)), 1);
      assert.deepEqual(
        (await store.listCalls()).map((record) => record.callId),
        ['recent'],
      );
      assert.equal((await store.listCallbackRequests()).length, 1, 'made now, after the cut-off');
      assert.equal(await store.pruneHistory(new Date(Date.now() + 60_000)), 2);
      assert.deepEqual(await store.listCalls(), []);
      assert.deepEqual(await store.listCallbackRequests(), []);
    });

    it('keeps the history of a removed extension', async () => {
      const store = currentStore();
      await store.add({ id: 'front', name: 'Front', passwordHash: 'h' });
      await store.recordCall(call('kept'));
      await store.remove('front');
      assert.equal((await store.listCalls({ extensionId: 'front' })).length, 1);
    });
  });
}
