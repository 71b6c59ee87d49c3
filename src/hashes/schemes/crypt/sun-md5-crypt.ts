import { hash as oneShotDigest } from 'node:crypto';
import { constantTimeEqual, digest, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes, encodeTransposed, parseRounds } from './crypt-common.js';
import { sunMd5Hamlet } from './sun-md5-hamlet.js';

const id = 'sun_md5_crypt';
const basicRounds = 4096;
const maxRounds = 0xffffffff - basicRounds;
// Same digest byte order as md5-crypt.
const order = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];
// `$md5,rounds=N$` is Solaris; `$md5$rounds=N$` is how libxcrypt's gensalt (and mkpasswd -R) writes it.
const parse = /^\$md5(?:[,$]rounds=([^$]*))?\$([./0-9A-Za-z]*)(\$?)\$([./0-9A-Za-z]{22})$/u;
const identifyShape = /^\$md5(?:[,$]rounds=[1-9][0-9]{0,9})?\$[./0-9A-Za-z]*\$?\$[./0-9A-Za-z]{22}$/u;

/** Bit `n` (mod 128) of a 16-byte digest, least significant bit of each byte first. */
function bitAt(d: Uint8Array, n: number): number {
  return ((d[(n >>> 3) & 15] ?? 0) >>> (n & 7)) & 1;
}

/**
 * Muffett's coin flip: two 8-bit numbers built bit by bit from digest-indexed digest bits, each halved or
 * masked to 7 bits by a digest bit chosen by the round number; the coin is the XOR of the digest bits
 * they point at. Heads mixes the Hamlet passage into the next digest.
 */
function coinFlip(d: Uint8Array, round: number): number {
  const pick = (a: number, b: number): number => {
    let v = d[(a >>> (b % 5)) & 15] ?? 0;
    if ((b >>> (a & 7)) & 1) v >>>= 1;
    return bitAt(d, v);
  };
  let x = 0;
  let y = 0;
  for (let i = 0; i < 8; i++) {
    x |= pick(d[i] ?? 0, d[(i + 3) & 15] ?? 0) << i;
    y |= pick(d[i + 8] ?? 0, d[(i + 11) & 15] ?? 0) << i;
  }
  x = bitAt(d, round) ? x >>> 1 : x & 127;
  y = bitAt(d, round + 64) ? y >>> 1 : y & 127;
  return bitAt(d, x) ^ bitAt(d, y);
}

export function sunMd5Checksum(password: Uint8Array, config: string, rounds: number): string {
  let result = digest('md5', password, Buffer.from(config, 'latin1'));
  // Two preassembled inputs, digest + [Hamlet] + round number: one crypto.hash call per round.
  const heads = Buffer.alloc(16 + sunMd5Hamlet.length + 12);
  sunMd5Hamlet.copy(heads, 16);
  const tails = Buffer.alloc(16 + 12);
  const total = basicRounds + rounds;
  for (let round = 0; round < total; round++) {
    const input = coinFlip(result, round) ? heads : tails;
    result.copy(input, 0);
    const start = input === heads ? 16 + sunMd5Hamlet.length : 16;
    const end = start + input.write(String(round), start, 'latin1');
    result = oneShotDigest('md5', input.subarray(0, end), 'buffer');
  }
  return encodeTransposed(result, order);
}

/**
 * Solaris SunMD5. The digest's starting input is the password followed by the whole setting string as
 * stored, up to the `$` before the checksum: so `$md5$salt$$hash` hashes `$md5$salt$` while the older
 * "bare salt" `$md5$salt$hash` hashes `$md5$salt`. Password as UTF-8 bytes (no documented encoding).
 */
export const sunMd5Crypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'Solaris SunMD5 `$md5$` / `$md5,rounds=N$`: MD5 rounds with a data-dependent coin flip; Solaris 9u2+',
  example: '$md5,rounds=N$salt$$ + 22 hash64 characters',
  source: 'Solaris crypt_sunmd5 (Alec Muffett); libxcrypt sunmd5; passlib sun_md5_crypt',
  execution: 'worker',
  upgradeAdvice: 'MD5-based: re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => identifyShape.test(hash),
  verify({ password, hash, limits }) {
    const match = parse.exec(hash);
    if (!match) throw malformed(id, 'expected $md5[,rounds=N]$salt$[$] + 22 hash64 characters');
    const [, roundsText, , , checksum = ''] = match;
    let rounds = 0;
    if (roundsText !== undefined) {
      rounds = parseRounds(roundsText, id);
      if (rounds < 1 || rounds > maxRounds) throw malformed(id, `rounds outside 1..${maxRounds}`);
    }
    assertWithinLimit(rounds, limits.maxCryptRounds, 'rounds', id);
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    const config = hash.slice(0, hash.length - checksum.length - 1);
    return constantTimeEqual(sunMd5Checksum(bytes, config, rounds), checksum);
  },
};
