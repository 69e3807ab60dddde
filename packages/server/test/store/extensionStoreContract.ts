/**
 * The behaviour every ExtensionStore must have. Each implementation's test file calls
 * `extensionStoreContract` with a factory; every test gets a fresh, empty store and cleans it up.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuplicateExtensionError, type ExtensionStore } from '../../src/store/ExtensionStore.js';
import { adminStoreContract } from './adminStoreContract.js';
import { callHistoryContract } from './callHistoryContract.js';
import { webhookOutboxContract } from './webhookOutboxContract.js';

export interface StoreUnderTest {
  store: ExtensionStore;
  /** Also releases whatever `openAnother` and `fresh` left behind. */
  cleanup(): Promise<void>;
  /** Another store on the same data, as a second process opens it; the test closes it. */
  openAnother?(): Promise<ExtensionStore>;
  /** A database location nothing has opened yet (its own file or schema). */
  fresh?(): FreshLocation;
}

export interface FreshLocation {
  /** Opens a store there, migrating it when needed; the test closes it. */
  open(): Promise<ExtensionStore>;
  /** The migration versions recorded there, in order. */
  appliedVersions(): Promise<number[]>;
}

/** Long enough that two writes separated by it get different millisecond timestamps. */
const CLOCK_TICK_MS = 5;
/** How soon a watching store must hear a removal made elsewhere. */
const REMOVAL_NOTICE_MS = 2_000;
/** How long to wait for a notice that must not come. */
const QUIET_MS = 300;

function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function extensionStoreContract(name: string, createStore: () => Promise<StoreUnderTest>): void {
  describe(`ExtensionStore contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: ExtensionStore;

    beforeEach(async () => {
      subject = await createStore();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    callHistoryContract(() => store);
    webhookOutboxContract(() => store);
    adminStoreContract(() => store);

    it('add returns the record with both timestamps set to the time of adding', async () => {
      const before = Date.now();
      const record = await store.add({ id: 'front-desk', name: 'Front desk', passwordHash: 'hash-1' });
      const after = Date.now();

      assert.equal(record.id, 'front-desk');
      assert.equal(record.name, 'Front desk');
      assert.equal(record.passwordHash, 'hash-1');
      assert.ok(record.createdAt instanceof Date);
      assert.ok(record.createdAt.getTime() >= before && record.createdAt.getTime() <= after);
      assert.equal(record.updatedAt.getTime(), record.createdAt.getTime());
    });

    it('get returns what add stored, and undefined for an unknown id', async () => {
      const added = await store.add({ id: 'door', name: 'Door', passwordHash: 'hash-door' });

      assert.deepEqual(await store.get('door'), added);
      assert.equal(await store.get('nobody'), undefined);
    });

    it('exists says whether an id is taken, following add and remove', async () => {
      assert.equal(await store.exists('door'), false);
      await store.add({ id: 'door', name: 'Door', passwordHash: 'hash-door' });
      assert.equal(await store.exists('door'), true);
      assert.equal(await store.exists('Door'), false);
      await store.remove('door');
      assert.equal(await store.exists('door'), false);
    });

    it('ids are case-sensitive', async () => {
      await store.add({ id: 'door', name: 'lower', passwordHash: 'h' });
      await store.add({ id: 'DOOR', name: 'upper', passwordHash: 'h' });

      assert.equal((await store.get('door'))?.name, 'lower');
      assert.equal((await store.get('DOOR'))?.name, 'upper');
    });

    it('add rejects a taken id with DuplicateExtensionError and keeps the original', async () => {
      await store.add({ id: 'door', name: 'Door', passwordHash: 'original' });

      await assert.rejects(store.add({ id: 'door', name: 'Impostor', passwordHash: 'other' }), (error) => {
        assert.ok(error instanceof DuplicateExtensionError);
        assert.equal(error.extensionId, 'door');
        return true;
      });
      const kept = await store.get('door');
      assert.equal(kept?.name, 'Door');
      assert.equal(kept?.passwordHash, 'original');
    });

    it('list is empty for a new store', async () => {
      assert.deepEqual(await store.list(), []);
    });

    it('list returns every extension oldest first, not in id order', async () => {
      await store.add({ id: 'zulu', name: 'First', passwordHash: 'h' });
      await sleep(CLOCK_TICK_MS);
      await store.add({ id: 'alpha', name: 'Second', passwordHash: 'h' });
      await sleep(CLOCK_TICK_MS);
      await store.add({ id: 'mike', name: 'Third', passwordHash: 'h' });

      const listed = await store.list();
      assert.deepEqual(
        listed.map((record) => record.id),
        ['zulu', 'alpha', 'mike'],
      );
      assert.deepEqual(listed[1], await store.get('alpha'));
    });

    it('remove deletes an existing extension and returns true, then false', async () => {
      await store.add({ id: 'door', name: 'Door', passwordHash: 'h' });
      await store.add({ id: 'gate', name: 'Gate', passwordHash: 'h' });

      assert.equal(await store.remove('door'), true);
      assert.equal(await store.get('door'), undefined);
      assert.deepEqual(
        (await store.list()).map((record) => record.id),
        ['gate'],
      );
      assert.equal(await store.remove('door'), false);
    });

    it('remove returns false for an id that never existed', async () => {
      assert.equal(await store.remove('nobody'), false);
    });

    it('a removed id can be added again', async () => {
      await store.add({ id: 'door', name: 'Old door', passwordHash: 'h' });
      await store.remove('door');

      const readded = await store.add({ id: 'door', name: 'New door', passwordHash: 'h2' });
      assert.equal(readded.name, 'New door');
    });

    it('setPasswordHash replaces the hash and bumps updatedAt only', async () => {
      const added = await store.add({ id: 'door', name: 'Door', passwordHash: 'old' });
      await sleep(CLOCK_TICK_MS);
      const before = Date.now();

      assert.equal(await store.setPasswordHash('door', 'new'), true);

      const changed = await store.get('door');
      assert.ok(changed);
      assert.equal(changed.passwordHash, 'new');
      assert.equal(changed.name, 'Door');
      assert.equal(changed.createdAt.getTime(), added.createdAt.getTime());
      assert.ok(changed.updatedAt.getTime() > added.updatedAt.getTime());
      assert.ok(changed.updatedAt.getTime() >= before);
    });

    it('setPasswordHash returns false for an unknown id and creates nothing', async () => {
      assert.equal(await store.setPasswordHash('nobody', 'hash'), false);
      assert.deepEqual(await store.list(), []);
    });

    it('close resolves', async () => {
      await store.close();
    });

    it('five stores opening a fresh database at once all succeed, and each migration runs once', async (t) => {
      const fresh = subject.fresh?.();
      if (fresh === undefined) {
        t.skip('this store has no fresh location to open');
        return;
      }
      const stores = await Promise.all(Array.from({ length: 5 }, () => fresh.open()));
      try {
        await stores[0]?.add({ id: 'door', name: 'Door', passwordHash: 'h' });
        for (const opened of stores) assert.equal((await opened.get('door'))?.name, 'Door');
        const versions = await fresh.appliedVersions();
        assert.ok(versions.length > 0, 'no migration recorded');
        assert.deepEqual(
          versions,
          versions.map((_version, index) => index + 1),
          'each migration recorded exactly once, in order',
        );
      } finally {
        await Promise.all(stores.map((opened) => opened.close()));
      }
    });

    it('watchRemovals hears a removal made through another store instance, and only real removals', async (t) => {
      if (store.watchRemovals === undefined || subject.openAnother === undefined) {
        t.skip('this store cannot watch removals');
        return;
      }
      await store.add({ id: 'door', name: 'Door', passwordHash: 'h' });
      await store.add({ id: 'gate', name: 'Gate', passwordHash: 'h' });
      const heard: string[] = [];
      let doorHeard: () => void = () => {};
      const doorRemoved = new Promise<void>((resolve) => {
        doorHeard = resolve;
      });
      const stop = await store.watchRemovals({
        onRemoved(extensionId) {
          heard.push(extensionId);
          if (extensionId === 'door') doorHeard();
        },
        onResync() {},
      });
      const other = await subject.openAnother();
      try {
        assert.equal(await other.remove('door'), true);
        await withinMs(doorRemoved, REMOVAL_NOTICE_MS, 'hearing the removal of "door"');

        assert.equal(await other.remove('door'), false);
        assert.equal(await other.setPasswordHash('gate', 'h2'), true);
        await sleep(QUIET_MS);
        assert.deepEqual(heard, ['door'], 'only the one real removal is heard');

        await stop();
        assert.equal(await other.remove('gate'), true);
        await sleep(QUIET_MS);
        assert.deepEqual(heard, ['door'], 'a stopped watch hears nothing');
      } finally {
        await stop();
        await other.close();
      }
    });
  });
}
