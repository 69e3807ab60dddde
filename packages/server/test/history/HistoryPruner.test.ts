import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { EndedCall } from '../../src/core/EndedCall.js';
import { HistoryPruner } from '../../src/history/HistoryPruner.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00.000Z');

function call(callId: string, daysAgo: number): EndedCall {
  const ringingAt = NOW - daysAgo * DAY;
  return {
    callId,
    extensionId: 'front',
    ringingAt,
    endedAt: ringingAt + 1000,
    outcome: 'timeout',
    endedBy: 'server',
  };
}

describe('HistoryPruner (--history-retention)', () => {
  it('deletes calls older than the retention at start, keeps the rest, and survives a failing store', async () => {
    const store = SqliteExtensionStore.open(':memory:');
    try {
      for (const [id, age] of [
        ['ancient', 400],
        ['old', 91],
        ['recent', 89],
        ['today', 0],
      ] as const) {
        await store.recordCall(call(id, age));
      }
      const pruner = new HistoryPruner(store, 90, pino({ level: 'silent' }), () => NOW);
      pruner.start();
      await pruner.stop();
      assert.deepEqual(
        (await store.listCalls()).map((record) => record.callId),
        ['today', 'recent'],
      );

      const failing = new HistoryPruner(
        {
          ...store,
          pruneHistory: () => Promise.reject(new Error('store down')),
        } as unknown as SqliteExtensionStore,
        90,
        pino({ level: 'silent' }),
        () => NOW,
      );
      await failing.pruneOnce(); // logged, not thrown
    } finally {
      await store.close();
    }
  });
});
