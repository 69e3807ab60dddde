/**
 * Salted scrypt password hashes, encoded as `scrypt$N$r$p$salt$hash` (salt and hash in base64url) so the
 * cost parameters travel with each hash and can be raised later without invalidating stored ones.
 */

import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

const SCHEME = 'scrypt';
const CURRENT_PARAMETERS: ScryptParameters = { N: 16_384, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/**
 * Bounds on parameters read back from an encoded hash. A stored hash is not fully trusted input: absurd
 * parameters would make verification hang or exhaust memory, so they are treated as malformed instead.
 */
const MAX_LOG2_N = 20;
const MAX_R = 32;
const MAX_P = 16;
/** scrypt uses about 128 * N * r bytes. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MIN_SALT_BYTES = 8;
const MIN_HASH_BYTES = 16;
const MAX_HASH_BYTES = 64;

interface ScryptParameters {
  N: number;
  r: number;
  p: number;
}

interface DecodedHash extends ScryptParameters {
  salt: Buffer;
  hash: Buffer;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, HASH_BYTES, CURRENT_PARAMETERS);
  const { N, r, p } = CURRENT_PARAMETERS;
  return [SCHEME, N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** False for a wrong password and for an encoded hash this module cannot read; never throws. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (typeof password !== 'string' || typeof encoded !== 'string') return false;
  const decoded = decodeHash(encoded);
  if (decoded === undefined) return false;
  try {
    const candidate = await deriveKey(password, decoded.salt, decoded.hash.length, decoded);
    return timingSafeEqual(candidate, decoded.hash);
  } catch {
    return false;
  }
}

function deriveKey(password: string, salt: Buffer, keyLength: number, parameters: ScryptParameters) {
  const options: ScryptOptions = {
    ...parameters,
    // scrypt needs about 128 * N * r bytes; Node's 32 MiB default would reject the larger allowed N.
    maxmem: 256 * parameters.N * parameters.r + 1024 * 1024,
  };
  return new Promise<Buffer>((resolve, reject) => {
    // Visually identical passwords typed on different systems can differ in Unicode composition.
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function decodeHash(encoded: string): DecodedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6) return undefined;
  const [scheme, rawN, rawR, rawP, rawSalt, rawHash] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (scheme !== SCHEME) return undefined;
  const N = parsePositiveInteger(rawN);
  const r = parsePositiveInteger(rawR);
  const p = parsePositiveInteger(rawP);
  const salt = decodeBase64Url(rawSalt);
  const hash = decodeBase64Url(rawHash);
  if (N === undefined || r === undefined || p === undefined || salt === undefined || hash === undefined) {
    return undefined;
  }
  const nIsPowerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!nIsPowerOfTwo || N > 2 ** MAX_LOG2_N || r > MAX_R || p > MAX_P || 128 * N * r > MAX_MEMORY_BYTES) {
    return undefined;
  }
  if (salt.length < MIN_SALT_BYTES || hash.length < MIN_HASH_BYTES || hash.length > MAX_HASH_BYTES) {
    return undefined;
  }
  return { N, r, p, salt, hash };
}

function parsePositiveInteger(raw: string): number | undefined {
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  return Number(raw);
}

/** Strict decoding: Buffer.from(…, 'base64url') silently skips characters outside the alphabet. */
function decodeBase64Url(raw: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return undefined;
  const bytes = Buffer.from(raw, 'base64url');
  return bytes.toString('base64url') === raw ? bytes : undefined;
}
