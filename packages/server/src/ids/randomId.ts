import { randomBytes } from 'node:crypto';

const ID_BYTES = 16;
const IDS_PER_DRAW = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * Peer and call ids: 16 random bytes (128 bits), URL-safe base64. The bytes come from the CSPRNG 4 KiB
 * at a time (as crypto.randomUUID does) rather than one call into it per id, which showed in call-setup
 * profiles.
 */
export function randomId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * IDS_PER_DRAW);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
