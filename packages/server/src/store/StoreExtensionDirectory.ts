import type { ExtensionDirectory } from '../core/ExtensionDirectory.js';
import type { ExtensionStore } from './ExtensionStore.js';
import { verifyPassword } from './passwordHash.js';

/**
 * Reads the store at every `register`, so a password changed with `pbx-peers extension passwd` applies
 * to the next attempt, and a removed extension opens to no password.
 */
export class StoreExtensionDirectory implements ExtensionDirectory {
  constructor(private readonly store: ExtensionStore) {}

  async checkPassword(extensionId: string, password: string): Promise<boolean> {
    const extension = await this.store.get(extensionId);
    return extension !== undefined && (await verifyPassword(password, extension.passwordHash));
  }
}
