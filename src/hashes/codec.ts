/**
 * Byte and text helpers shared by every scheme. All comparisons of secrets go through constantTimeEqual.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LegacyIdpError } from '../core/errors.js';
import { md4 } from './md4.js';

/** Malformed stored hash: a typed error that names the scheme and never quotes the hash. */
export function malformed(schemeId: string, why: string): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_HASH_MALFORMED', `${schemeId}: malformed hash (${why})`);
}

/**
 * The shortest derived key a KDF scheme accepts from a stored hash (PBKDF2, scrypt, Firebase's ciphertext):
 * a 1-byte key matches one wrong password in 256. No product writes less than 16 bytes (128 bits).
 */
export const minStoredKeyBytes = 16;

export function missingContext(schemeId: string, key: string): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${schemeId}: needs context "${key}"`);
}

/** Reads a string context value, throwing ERR_LEGACY_IDP_HASH_CONTEXT when absent. */
export function contextString(context: Readonly<Record<string, unknown>>, key: string, schemeId: string): string {
  const value = context[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw missingContext(schemeId, key);
}

/** Equal-length comparison in constant time; different lengths return false without early exit on content. */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) {
    // Still spend a comparison so the length mismatch costs about as much as a content mismatch.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

export type DigestName = 'md4' | 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export function digest(algorithm: DigestName, ...parts: (Uint8Array | string)[]): Buffer {
  // Node's OpenSSL 3 has no MD4 (legacy provider): our own implementation serves it.
  if (algorithm === 'md4') return md4(Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part))));
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function hmac(algorithm: DigestName, key: Uint8Array | string, ...parts: (Uint8Array | string)[]): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const hexPattern = /^(?:[0-9a-fA-F]{2})*$/u;
/** Strict hex decode (even length, hex digits only); undefined when the text is not hex. */
export function fromHex(text: string): Buffer | undefined {
  return hexPattern.test(text) ? Buffer.from(text, 'hex') : undefined;
}

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/u;
const base64UrlPattern = /^[A-Za-z0-9_-]*={0,2}$/u;
/**
 * Strict base64 decode (standard alphabet, padding optional); undefined when the text has characters
 * outside the alphabet or an impossible length. Node's own decoder silently skips bad characters.
 */
export function fromBase64(text: string): Buffer | undefined {
  if (!base64Pattern.test(text) || text.replace(/=+$/u, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

export function fromBase64Url(text: string): Buffer | undefined {
  if (!base64UrlPattern.test(text) || text.replace(/=+$/u, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64url');
}

/** passlib's "adapted base64": standard alphabet with `.` for `+`, no padding. */
export function fromAb64(text: string): Buffer | undefined {
  return fromBase64(text.replace(/\./gu, '+'));
}

export function toAb64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/gu, '.').replace(/=+$/u, '');
}

/** The crypt(3) alphabet, used by des/md5/sha-crypt, phpass and friends. */
export const hash64Alphabet = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Little-endian hash64 ("h64" in passlib): each group of 3 bytes b0,b1,b2 becomes the 24-bit value
 * b0 | b1 << 8 | b2 << 16, written 6 bits at a time from the low end. A short final group writes only the
 * characters its bits need. md5-crypt, sha-crypt and phpass reorder the digest bytes first; that order is
 * each scheme's business.
 */
export function hash64EncodeLE(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const remaining = Math.min(3, bytes.length - i);
    let value = 0;
    for (let j = 0; j < remaining; j++) value |= (bytes[i + j] ?? 0) << (8 * j);
    const chars = remaining + 1;
    for (let k = 0; k < chars; k++) {
      out += hash64Alphabet.charAt(value & 63);
      value >>>= 6;
    }
  }
  return out;
}

const hash64Index = new Map(Array.from({ length: 64 }, (_, index) => [hash64Alphabet.charAt(index), index]));

/** Index of a crypt-alphabet character, or -1. */
export function hash64Value(char: string): number {
  return hash64Index.get(char) ?? -1;
}

/** Inverse of hash64EncodeLE; undefined on a character outside the alphabet. */
export function hash64DecodeLE(text: string): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const group = text.slice(i, i + 4);
    let value = 0;
    for (let k = 0; k < group.length; k++) {
      const index = hash64Value(group[k] ?? '');
      if (index < 0) return undefined;
      value |= index << (6 * k);
    }
    const bytes = Math.max(0, group.length - 1);
    for (let j = 0; j < bytes; j++) out.push((value >>> (8 * j)) & 0xff);
  }
  return Buffer.from(out);
}

/** UTF-8 length of a password, for byte limits. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
