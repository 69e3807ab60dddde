import { displayName } from '../shared/displayName.js';

/** The part of the Web Storage API the store uses (a Map-backed one in the unit tests). */
export type NameStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const KEY = 'pbx-peers.agent-name';

/**
 * The agent's display name, remembered in the browser (localStorage) between visits so that the sign-in
 * form is filled in. Storage that is missing or refuses (private browsing, disabled) is not an error: the
 * name is then simply not remembered.
 */
export class AgentNameStore {
  readonly #storage: () => NameStorage | undefined;

  constructor(storage: () => NameStorage | undefined = () => globalThis.localStorage) {
    this.#storage = storage;
  }

  load(): string {
    try {
      return displayName(this.#storage()?.getItem(KEY) ?? '') ?? '';
    } catch {
      return '';
    }
  }

  /** Remembers `name`; forgets the remembered one when it is undefined (the field was left empty). */
  save(name: string | undefined): void {
    try {
      if (name === undefined) this.#storage()?.removeItem(KEY);
      else this.#storage()?.setItem(KEY, name);
    } catch {
      // Not remembered; signing in works all the same.
    }
  }
}
