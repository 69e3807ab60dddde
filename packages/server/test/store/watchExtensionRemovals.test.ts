import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { ExtensionStore, RemovalWatch } from '../../src/store/ExtensionStore.js';
import { SqliteExtensionStore } from '../../src/store/SqliteExtensionStore.js';
import { watchExtensionRemovals } from '../../src/store/watchExtensionRemovals.js';

const log = pino({ level: 'silent' });
const INTERVAL_MS = 50;

/** Records closes; `peers` says which extensions have connections here. */
class FakeSwitchboard {
  readonly closed: string[] = [];
  constructor(readonly peers: Set<string>) {}
  extensionsWithPeers(): string[] {
    return [...this.peers];
  }
  closeExtension(extensionId: string, reason: string): void {
    assert.equal(reason, 'extension removed');
    this.closed.push(extensionId);
    this.peers.delete(extensionId);
  }
}

/** A SQLite store that also announces removals through a watch the test drives by hand. */
async function watchableStore() {
  const inner = SqliteExtensionStore.open(':memory:');
  let watch: RemovalWatch | undefined;
  let stopped = false;
  const store: ExtensionStore = Object.assign(Object.create(inner) as ExtensionStore, {
    exists: (id: string) => inner.exists(id),
    async watchRemovals(given: RemovalWatch) {
      watch = given;
      return async () => {
        stopped = true;
      };
    },
  });
  for (const id of ['door', 'gate']) await inner.add({ id, name: id, passwordHash: 'h' });
  return {
    inner,
    store,
    watch: () => {
      assert.ok(watch, 'watchRemovals was not called');
      return watch;
    },
    isStopped: () => stopped,
  };
}

describe('watchExtensionRemovals', () => {
  it('polls a store that cannot watch, and stops polling when stopped', async () => {
    const store = SqliteExtensionStore.open(':memory:');
    for (const id of ['door', 'gate']) await store.add({ id, name: id, passwordHash: 'h' });
    const switchboard = new FakeSwitchboard(new Set(['door', 'gate']));
    const stop = await watchExtensionRemovals(store, switchboard, log, INTERVAL_MS);
    try {
      await store.remove('door');
      await sleep(INTERVAL_MS * 4);
      assert.deepEqual(switchboard.closed, ['door']);

      await stop();
      await store.remove('gate');
      await sleep(INTERVAL_MS * 4);
      assert.deepEqual(switchboard.closed, ['door']);
    } finally {
      await stop();
      await store.close();
    }
  });

  it('closes on a removal notice at once, only extensions with peers here, and does not poll', async () => {
    const { inner, store, watch, isStopped } = await watchableStore();
    const switchboard = new FakeSwitchboard(new Set(['door']));
    const stop = await watchExtensionRemovals(store, switchboard, log, INTERVAL_MS);
    try {
      await inner.remove('gate');
      await sleep(INTERVAL_MS * 3);
      assert.deepEqual(switchboard.closed, [], 'nothing polled or closed without a notice');

      watch().onRemoved('gate');
      assert.deepEqual(switchboard.closed, [], 'gate has no peers here');
      await inner.remove('door');
      watch().onRemoved('door');
      assert.deepEqual(switchboard.closed, ['door']);
    } finally {
      await stop();
      await inner.close();
    }
    assert.equal(isStopped(), true);
  });

  it('looks again a check interval after a notice, for a peer that joined just after it', async () => {
    const { inner, store, watch } = await watchableStore();
    const switchboard = new FakeSwitchboard(new Set());
    const stop = await watchExtensionRemovals(store, switchboard, log, INTERVAL_MS);
    try {
      await inner.remove('door');
      watch().onRemoved('door');
      switchboard.peers.add('door'); // its upgrade had passed exists() before the removal
      await sleep(INTERVAL_MS * 4);
      assert.deepEqual(switchboard.closed, ['door']);
    } finally {
      await stop();
      await inner.close();
    }
  });

  it('checks every connected extension when the watch resyncs', async () => {
    const { inner, store, watch } = await watchableStore();
    const switchboard = new FakeSwitchboard(new Set(['door', 'gate']));
    const stop = await watchExtensionRemovals(store, switchboard, log, INTERVAL_MS);
    try {
      await inner.remove('gate'); // while the watch was disconnected: no notice
      watch().onError?.(new Error('connection lost'));
      watch().onResync();
      await sleep(INTERVAL_MS);
      assert.deepEqual(switchboard.closed, ['gate']);
    } finally {
      await stop();
      await inner.close();
    }
  });
});
