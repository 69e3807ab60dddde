import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/store/passwordHash.js';

describe('passwordHash', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const encoded = await hashPassword('correct horse battery staple');

    assert.equal(await verifyPassword('correct horse battery staple', encoded), true);
    assert.equal(await verifyPassword('correct horse battery stapler', encoded), false);
    assert.equal(await verifyPassword('', encoded), false);
  });

  it('encodes the scheme and its parameters, never the password', async () => {
    const encoded = await hashPassword('s3cret-password');

    assert.match(encoded, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!encoded.includes('s3cret-password'));
  });

  it('salts every hash differently', async () => {
    const first = await hashPassword('same password');
    const second = await hashPassword('same password');

    assert.notEqual(first, second);
    assert.notEqual(first.split('$')[4], second.split('$')[4]);
    assert.equal(await verifyPassword('same password', first), true);
    assert.equal(await verifyPassword('same password', second), true);
  });

  it('verifies hashes made with other parameters, as each encoded hash carries its own', async () => {
    const salt = randomBytes(16);
    const hash = scryptSync('pw', salt, 32, { N: 1024, r: 4, p: 2 });
    const encoded = ['scrypt', 1024, 4, 2, salt.toString('base64url'), hash.toString('base64url')].join('$');

    assert.equal(await verifyPassword('pw', encoded), true);
    assert.equal(await verifyPassword('pw', encoded.replace('$1024$', '$2048$')), false);
  });

  it('treats Unicode-equivalent spellings of a password as the same password', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';

    assert.equal(await verifyPassword(decomposed, await hashPassword(composed)), true);
  });

  it('verifies false, without throwing, for malformed encoded hashes', async () => {
    const valid = await hashPassword('pw');
    const parts = valid.split('$');
    /** `valid` with its field number `index` (0 = scheme, 1 = N, … 5 = hash) replaced. */
    const withField = (index: number, value: string) =>
      parts.map((part, i) => (i === index ? value : part)).join('$');
    const malformed = [
      '',
      'not a hash',
      withField(0, 'bcrypt'),
      parts.slice(0, 5).join('$'),
      `${valid}$extra`,
      withField(1, 'abc'),
      withField(1, '1000'),
      withField(1, '0'),
      withField(1, String(2 ** 30)),
      withField(1, String(2 ** 20)), // with r = 8 it would need 1 GiB
      withField(2, '0'),
      withField(2, '-8'),
      withField(2, '1e3'),
      withField(3, '99999'),
      withField(4, ''),
      withField(4, 'sa!t'),
      withField(5, ''),
      withField(5, 'AAAA'),
      withField(5, `${parts[5]}=`),
    ];
    for (const encoded of malformed) {
      assert.equal(await verifyPassword('pw', encoded), false, `accepted malformed hash "${encoded}"`);
    }
  });
});
