import { constantTimeEqual, digest, hmac, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashScheme } from '../../types.js';
import { cPasswordBytes, encodeTransposed, parseRounds } from './crypt-common.js';

const id = 'sha1_crypt';
const parse = /^\$sha1\$([^$]*)\$([./0-9A-Za-z]{0,64})\$([./0-9A-Za-z]{28})$/u;
const identifyShape = /^\$sha1\$[1-9][0-9]{0,9}\$[./0-9A-Za-z]{0,64}\$[./0-9A-Za-z]{28}$/u;
const maxRounds = 0xffffffff;
// NetBSD writes 20 digest bytes as seven 3-byte groups (big-endian triples, byte 0 reused at the end).
const order = [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 17, 16, 15, 0, 19, 18];

const words = new Int32Array(80);

/** One SHA-1 compression of `block` (16 big-endian words) from `state`, written to `out` (may be `block`). */
function sha1Compress(state: Int32Array, block: Int32Array, out: Int32Array): void {
  for (let t = 0; t < 16; t++) words[t] = block[t] ?? 0;
  for (let t = 16; t < 80; t++) {
    const x = (words[t - 3] ?? 0) ^ (words[t - 8] ?? 0) ^ (words[t - 14] ?? 0) ^ (words[t - 16] ?? 0);
    words[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0] ?? 0;
  let b = state[1] ?? 0;
  let c = state[2] ?? 0;
  let d = state[3] ?? 0;
  let e = state[4] ?? 0;
  for (let t = 0; t < 80; t++) {
    let f: number;
    let k: number;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const next = (((a << 5) | (a >>> 27)) + f + e + k + (words[t] ?? 0)) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = next;
  }
  out[0] = (state[0] ?? 0) + a;
  out[1] = (state[1] ?? 0) + b;
  out[2] = (state[2] ?? 0) + c;
  out[3] = (state[3] ?? 0) + d;
  out[4] = (state[4] ?? 0) + e;
}

const sha1Initial = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

/**
 * HMAC-SHA1 keyed with the password, iterated `rounds` times from `message`. Node's HMAC per round costs
 * about 3.5 us in object churn (1.7 s at passlib's default 480,000 rounds); after the first round every
 * message is a 20-byte digest, so with the pad states hashed once each round is exactly two compressions
 * over fixed-layout blocks, done here in 32-bit words.
 */
function iteratedHmacSha1(key: Buffer, message: Buffer, rounds: number): Buffer {
  const padded = Buffer.alloc(64);
  (key.length > 64 ? digest('sha1', key) : key).copy(padded);
  const padState = (pad: number): Int32Array => {
    const block = new Int32Array(16);
    for (let i = 0; i < 16; i++) block[i] = padded.readInt32BE(4 * i) ^ pad;
    const state = new Int32Array(5);
    sha1Compress(sha1Initial, block, state);
    return state;
  };
  const innerState = padState(0x36363636);
  const outerState = padState(0x5c5c5c5c);
  // First round: the message is arbitrary length, so let node:crypto do it.
  const first = hmac('sha1', key, message);
  // A 20-byte message after a 64-byte pad block: five data words, the 0x80 terminator, the bit length 672.
  const block = new Int32Array(16);
  block[5] = 0x80000000 | 0;
  block[15] = (64 + 20) * 8;
  for (let i = 0; i < 5; i++) block[i] = first.readInt32BE(4 * i);
  // The first five words of `block` carry the running digest: each compression writes its result there.
  for (let round = 1; round < rounds; round++) {
    sha1Compress(innerState, block, block);
    sha1Compress(outerState, block, block);
  }
  const out = Buffer.alloc(20);
  for (let i = 0; i < 5; i++) out.writeInt32BE(block[i] ?? 0, 4 * i);
  return out;
}

/** NetBSD `$sha1$`: password as UTF-8 bytes of a C string. */
export const sha1Crypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'NetBSD sha1crypt `$sha1$rounds$salt$hash`: iterated HMAC-SHA1; NetBSD, some Juniper devices',
  example: '$sha1$rounds$salt$ + 28 hash64 characters',
  source: 'NetBSD libcrypt crypt-sha1.c; passlib sha1_crypt',
  execution: 'worker',
  upgradeAdvice: 'Iterated HMAC-SHA1 (GPU-friendly): re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => identifyShape.test(hash),
  verify({ password, hash, limits }) {
    const match = parse.exec(hash);
    if (!match) throw malformed(id, 'expected $sha1$rounds$salt$ + 28 hash64 characters (salt up to 64)');
    const [, roundsText = '', salt = '', checksum = ''] = match;
    const rounds = parseRounds(roundsText, id);
    if (rounds < 1 || rounds > maxRounds) throw malformed(id, 'rounds outside 1..4294967295');
    assertWithinLimit(rounds, limits.maxCryptRounds, 'rounds', id);
    const bytes = cPasswordBytes(password);
    if (!bytes) return false;
    // The first HMAC message is the salt, the magic and the round count as decimal text.
    const result = iteratedHmacSha1(bytes, Buffer.from(`${salt}$sha1$${String(rounds)}`, 'utf8'), rounds);
    return constantTimeEqual(encodeTransposed(result, order), checksum);
  },
};
