/**
 * Helpers shared by the PBKDF2 schemes (and the Cisco alphabet, shared with scrypt's type 9). Every
 * derivation goes through node:crypto's async pbkdf2 so the work runs on libuv's pool, where the registry
 * gates it; the *Sync variant would block the event loop.
 */
import { pbkdf2 } from 'node:crypto';
import { hash64Alphabet, malformed, minStoredKeyBytes } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

export type PbkdfDigest = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Output sizes, for schemes whose derived key is exactly one digest long. */
export const digestBytes: Readonly<Record<PbkdfDigest, number>> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/**
 * A key longer than this is never a real password hash (the longest seen, 389-DS, is 256 bytes), and
 * each extra digest block multiplies the work: refuse it before deriving.
 */
const maxDerivedKeyBytes = 1024;

export function derivePbkdf2(
  password: string | Uint8Array,
  salt: string | Uint8Array,
  iterations: number,
  keyLength: number,
  digest: PbkdfDigest,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, keyLength, digest, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

/**
 * Checks an iteration count read from a stored hash (and the key length it asks for) before any work:
 * non-positive or fractional counts are malformed, large ones hit the configured cap. A key under 16 bytes is
 * malformed: most schemes derive as many bytes as are stored, so a 1-byte key would accept 1 password in 256.
 */
export function checkPbkdf2Work(iterations: number, keyLength: number, limits: HashLimits, id: string): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw malformed(id, 'iteration count must be a positive integer');
  if (!Number.isSafeInteger(keyLength) || keyLength < minStoredKeyBytes || keyLength > maxDerivedKeyBytes) {
    throw malformed(id, `derived key must be ${minStoredKeyBytes} to ${maxDerivedKeyBytes} bytes`);
  }
  assertWithinLimit(iterations, limits.maxPbkdf2Iterations, 'PBKDF2 iterations', id);
}

/** Canonical decimal (no sign, no leading zero, at most 15 digits); undefined otherwise. */
export function parseDecimal(text: string | undefined): number | undefined {
  return text !== undefined && /^(?:0|[1-9][0-9]{0,14})$/u.test(text) ? Number(text) : undefined;
}

const standardAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Cisco IOS type 8/9 write the key as ordinary big-endian base64 without padding, but with the crypt(3)
 * alphabet `./0-9A-Za-z` instead of `A-Za-z0-9+/`.
 */
export function ciscoBase64Encode(bytes: Uint8Array): string {
  let out = '';
  for (const char of Buffer.from(bytes).toString('base64').replace(/=+$/u, '')) {
    out += hash64Alphabet.charAt(standardAlphabet.indexOf(char));
  }
  return out;
}

/** `$8$`/`$9$` salts are 14 crypt-alphabet characters, used as text; the key is 32 bytes, 43 characters. */
export const ciscoHashPattern = /^\$([89])\$([./0-9A-Za-z]{14})\$([./0-9A-Za-z]{43})$/u;
