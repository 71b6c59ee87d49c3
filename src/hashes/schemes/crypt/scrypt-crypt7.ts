import { constantTimeEqual, hash64DecodeLE, hash64Value, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { checkScryptCost, deriveScrypt } from '../scrypt/primitive.js';
import { cPasswordBytes, hash64Int } from './crypt-common.js';

const id = 'scrypt_crypt7';
const parse = /^\$7\$([./0-9A-Za-z])([./0-9A-Za-z]{5})([./0-9A-Za-z]{5})([^$]{0,64})\$([./0-9A-Za-z]{43})$/u;
const identifyShape = /^\$7\$[./0-9A-Za-z]{11}[./0-9A-Za-z]{0,64}\$[./0-9A-Za-z]{43}$/u;

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
    if (logN < 1) throw malformed(id, 'scrypt N out of range');
    // The shared scrypt check bounds work (128*N*r*p), not only memory: p multiplies the time, and a `$7$`
    // string can carry p up to 2^30 (a fuzzed hash once held a core for 45 minutes).
    const cost = { N: 2 ** logN, r, p };
    checkScryptCost(cost, 32, limits, id);
    const expected = hash64DecodeLE(checksum);
    if (expected?.length !== 32) throw malformed(id, 'checksum is not 32 bytes');
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const key = await deriveScrypt(bytes, Buffer.from(salt, 'utf8'), cost, 32);
    return constantTimeEqual(key, expected);
  },
};
