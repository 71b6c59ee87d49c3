import { scrypt } from 'node:crypto';
import { constantTimeEqual, hash64DecodeLE, hash64Value, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes, hash64Int } from './crypt-common.js';

const id = 'scrypt_crypt7';
const parse = /^\$7\$([./0-9A-Za-z])([./0-9A-Za-z]{5})([./0-9A-Za-z]{5})([^$]{0,64})\$([./0-9A-Za-z]{43})$/u;
const identifyShape = /^\$7\$[./0-9A-Za-z]{11}[./0-9A-Za-z]{0,64}\$[./0-9A-Za-z]{43}$/u;

function scryptAsync(password: Buffer, salt: Buffer, n: number, r: number, p: number, maxmem: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 32, { N: n, r, p, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/**
 * libxcrypt / Colin Percival `$7$`: log2(N) as one character, r and p as 30-bit little-endian hash64, then
 * the salt, whose *encoded text* is the scrypt salt (it is never decoded). Password as UTF-8 C string.
 */
export const scryptCrypt7: HashScheme = {
  id,
  family: 'crypt',
  summary: 'scrypt in crypt(3) form `$7$` (libxcrypt, Debian mkpasswd -m scrypt); rare',
  example: '$7$ + N r p (11 characters) + salt$ + 43 hash64 characters',
  source: 'libxcrypt crypt-scrypt.c (Colin Percival escrypt format)',
  execution: 'threadpool',
  upgradeAdvice: 'scrypt is sound; re-hash only to move every user to one format (argon2id or scrypt).',
  identify: (hash) => identifyShape.test(hash),
  async verify({ password, hash, limits }) {
    const match = parse.exec(hash);
    if (!match) throw malformed(id, 'expected $7$ + 11 parameter characters + salt$ + 43 hash64 characters');
    const [, logNText = '', rText = '', pText = '', salt = '', checksum = ''] = match;
    const logN = hash64Value(logNText);
    const r = hash64Int(rText);
    const p = hash64Int(pText);
    if (logN < 1 || r < 1 || p < 1 || r * p >= 2 ** 30) throw malformed(id, 'scrypt parameters out of range');
    const memory = 128 * r * 2 ** logN;
    assertWithinLimit(memory, limits.maxScryptMemoryBytes, 'memory (128*N*r bytes)', id);
    const expected = hash64DecodeLE(checksum);
    if (expected?.length !== 32) throw malformed(id, 'checksum is not 32 bytes');
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    // OpenSSL also counts the p blocks of 128*r bytes and two extra rows against maxmem.
    const maxmem = memory + 128 * r * (p + 2) + 1024 * 1024;
    const key = await scryptAsync(bytes, Buffer.from(salt, 'utf8'), 2 ** logN, r, p, maxmem);
    return constantTimeEqual(key, expected);
  },
};
