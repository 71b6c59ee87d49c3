/**
 * Helpers shared by the crypt(3) family: password bytes as libc sees them, strict round counts, and the
 * byte transpositions md5-crypt, sha-crypt and sha1-crypt apply before hash64 encoding.
 */
import { hash as oneShotDigest } from 'node:crypto';
import { hash64EncodeLE, hash64Value, malformed } from '../../codec.js';
import { shaCryptRoundsWasm } from '../../wasm/sha-crypt.js';

/**
 * The password as crypt(3) receives it: UTF-8 bytes of a C string. A NUL byte would end the string, so
 * libc would check only the part before it; such a password can never have been typed at the original
 * system, and accepting a prefix match would make `secret\0junk` verify. Callers treat undefined as a
 * mismatch.
 */
export function cPasswordBytes(password: string): Buffer | undefined {
  const bytes = Buffer.from(password, 'utf8');
  return bytes.includes(0) ? undefined : bytes;
}

/** Decimal round count as printed by the owning implementation: digits only, no sign, no leading zero. */
export function parseRounds(text: string, id: string): number {
  if (!/^(?:0|[1-9][0-9]{0,15})$/u.test(text)) throw malformed(id, 'rounds must be a plain decimal number');
  return Number(text);
}

/** hash64 (little-endian groups) over the digest bytes taken in the scheme's own order. */
export function encodeTransposed(bytes: Uint8Array, order: readonly number[]): string {
  return hash64EncodeLE(Uint8Array.from(order, (index) => bytes[index] ?? 0));
}

/** Little-endian hash64 integer (BSDi rounds and salt, scrypt $7$ parameters); -1 on a bad character. */
export function hash64Int(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = hash64Value(text.charAt(i));
    if (digit < 0) return -1;
    value += digit * 2 ** (6 * i);
  }
  return value;
}

/**
 * The round loop md5-crypt and SHA-crypt share: each round hashes (odd ? P : C) [+ S if round % 3]
 * [+ P if round % 7] + (odd ? C : P), where C is the previous digest. SHA-256 and SHA-512 run the whole
 * loop in WebAssembly (one call instead of one per round); MD5, and SHA wherever WebAssembly is
 * unavailable, go through node:crypto.
 */
export function cryptRounds(algorithm: 'md5' | 'sha256' | 'sha512', p: Buffer, s: Buffer, start: Buffer, rounds: number): Buffer {
  return (algorithm === 'md5' ? undefined : shaCryptRoundsWasm(algorithm, p, s, start, rounds)) ?? cryptRoundsNode(algorithm, p, s, start, rounds);
}

/**
 * cryptRounds on node:crypto. The input depends only on round mod 42, so the 42 layouts are built once
 * with a hole for C; a round copies C in and hashes the layout in one call (crypto.hash, which skips the
 * per-call Hash object).
 */
export function cryptRoundsNode(algorithm: 'md5' | 'sha256' | 'sha512', p: Buffer, s: Buffer, start: Buffer, rounds: number): Buffer {
  const size = start.length;
  const layouts = Array.from({ length: 42 }, (_, round) => {
    const odd = (round & 1) === 1;
    const pieces = [odd ? p : Buffer.alloc(size)];
    if (round % 3) pieces.push(s);
    if (round % 7) pieces.push(p);
    const hole = odd ? pieces.reduce((sum, piece) => sum + piece.length, 0) : 0;
    pieces.push(odd ? Buffer.alloc(size) : p);
    return { buffer: Buffer.concat(pieces), hole };
  });
  let c = start;
  for (let round = 0; round < rounds; round++) {
    const layout = layouts[round % 42];
    if (!layout) break;
    c.copy(layout.buffer, layout.hole);
    c = oneShotDigest(algorithm, layout.buffer, 'buffer');
  }
  return c;
}
