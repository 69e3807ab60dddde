import type { ExtensionDirectory } from '../core/ExtensionDirectory.js';
import type { ExtensionStore } from './ExtensionStore.js';
import { verifyPassword } from './passwordHash.js';

/**
 * Admin passwords, checked as extension passwords are (so `RegisterAttempts` rations and rate-limits
 * admin sign-ins too); read at every sign-in, so `pbx-peers admin passwd` applies at once.
 */
export class StoreAdminDirectory implements ExtensionDirectory {
  constructor(private readonly store: ExtensionStore) {}

  async checkPassword(adminName: string, password: string): Promise<boolean> {
    const admin = await this.store.getAdmin(adminName);
    return admin !== undefined && (await verifyPassword(password, admin.passwordHash));
  }
}
