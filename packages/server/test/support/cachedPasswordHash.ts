import { hashPassword } from '../../src/store/passwordHash.js';

const hashes = new Map<string, Promise<string>>();

/** scrypt is slow on purpose; in tests each password is hashed once per process and reused. */
export function cachedPasswordHash(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (hash === undefined) {
    hash = hashPassword(password);
    hashes.set(password, hash);
  }
  return hash;
}
