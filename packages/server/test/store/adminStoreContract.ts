/** Admin accounts and sessions every ExtensionStore keeps (`AdminStore`); run by `extensionStoreContract`. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuplicateAdminError } from '../../src/store/AdminStore.js';
import type { ExtensionStore } from '../../src/store/ExtensionStore.js';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const later = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

export function adminStoreContract(currentStore: () => ExtensionStore): void {
  describe('admins', () => {
    it('adds, lists oldest first, refuses a taken name, and removes', async () => {
      const store = currentStore();
      const alice = await store.addAdmin('alice', 'hash-a');
      assert.equal(alice.name, 'alice');
      assert.equal(alice.passwordHash, 'hash-a');
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.addAdmin('bob', 'hash-b');
      await assert.rejects(store.addAdmin('alice', 'other'), DuplicateAdminError);
      assert.deepEqual(
        (await store.listAdmins()).map((admin) => admin.name),
        ['alice', 'bob'],
      );
      assert.equal((await store.getAdmin('alice'))?.passwordHash, 'hash-a');
      assert.equal(await store.removeAdmin('alice'), true);
      assert.equal(await store.removeAdmin('alice'), false);
      assert.equal(await store.getAdmin('alice'), undefined);
    });

    it('a session lasts until it expires, is deleted on sign-out, and ends with a new password or removal', async () => {
      const store = currentStore();
      await store.addAdmin('alice', 'hash-a');
      const session = { adminName: 'alice', csrfToken: 'csrf-1', expiresAt: later(3600) };
      await store.createAdminSession('token-1', session);
      assert.deepEqual(await store.getAdminSession('token-1', NOW), session);
      assert.equal(await store.getAdminSession('token-1', later(3600)), undefined, 'expired');
      assert.equal(await store.getAdminSession('unknown', NOW), undefined);

      await store.deleteAdminSession('token-1');
      assert.equal(await store.getAdminSession('token-1', NOW), undefined, 'signed out');

      await store.createAdminSession('token-2', { ...session, csrfToken: 'csrf-2' });
      assert.equal(await store.setAdminPasswordHash('alice', 'hash-new'), true);
      assert.equal(await store.getAdminSession('token-2', NOW), undefined, 'a new password signs out');
      assert.equal((await store.getAdmin('alice'))?.passwordHash, 'hash-new');
      assert.equal(await store.setAdminPasswordHash('nobody', 'x'), false);

      await store.createAdminSession('token-3', { ...session, csrfToken: 'csrf-3' });
      await store.removeAdmin('alice');
      assert.equal(await store.getAdminSession('token-3', NOW), undefined, 'a removed admin signs out');
    });

    it('prunes expired sessions only', async () => {
      const store = currentStore();
      await store.addAdmin('alice', 'hash-a');
      await store.createAdminSession('old', { adminName: 'alice', csrfToken: 'c', expiresAt: later(-1) });
      await store.createAdminSession('new', { adminName: 'alice', csrfToken: 'c', expiresAt: later(60) });
      assert.equal(await store.pruneAdminSessions(NOW), 1);
      assert.ok((await store.getAdminSession('new', NOW)) !== undefined);
    });
  });

  describe('rename', () => {
    it('renames an extension and bumps updatedAt only; false for an unknown id', async () => {
      const store = currentStore();
      const added = await store.add({ id: 'door', name: 'Door', passwordHash: 'h' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await store.rename('door', 'Front door'), true);
      const renamed = await store.get('door');
      assert.equal(renamed?.name, 'Front door');
      assert.equal(renamed?.passwordHash, 'h');
      assert.deepEqual(renamed?.createdAt, added.createdAt);
      assert.ok((renamed?.updatedAt.getTime() ?? 0) > added.updatedAt.getTime());
      assert.equal(await store.rename('nope', 'X'), false);
    });
  });
}
