/**
 * The scrypt primitive for every scheme in this folder: node:crypto's async scrypt (libuv pool, gated by
 * the registry), with the cost parameters from the stored hash checked before any memory is allocated.
 */
import { scrypt } from 'node:crypto';
import { malformed, minStoredKeyBytes } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

export interface ScryptCost {
  /** CPU/memory cost N, a power of two above 1. */
  N: number;
  /** Block size r. */
  r: number;
  /** Parallelism p. */
  p: number;
}

/**
 * p multiplies the time (not the memory) of a derivation and the limits have no knob for it: allow up to
 * 16 passes over the largest permitted memory, which covers every real setting (p is 1 almost everywhere).
 */
const maxWorkMultiple = 16;

export function checkScryptCost({ N, r, p }: ScryptCost, keyLength: number, limits: HashLimits, id: string): void {
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 40) throw malformed(id, 'scrypt N must be a power of two above 1');
  if (!Number.isSafeInteger(r) || r < 1 || !Number.isSafeInteger(p) || p < 1 || r * p >= 2 ** 30) throw malformed(id, 'scrypt r and p must be positive with r*p < 2^30');
  // Kratos and Spring derive as many bytes as are stored: a short stored key would match many passwords.
  if (!Number.isSafeInteger(keyLength) || keyLength < minStoredKeyBytes || keyLength > 1024) throw malformed(id, `scrypt key must be ${minStoredKeyBytes} to 1024 bytes`);
  const memory = 128 * N * r;
  assertWithinLimit(memory, limits.maxScryptMemoryBytes, 'scrypt memory (128*N*r bytes)', id);
  assertWithinLimit(memory * p, limits.maxScryptMemoryBytes * maxWorkMultiple, 'scrypt work (128*N*r*p bytes)', id);
}

export function deriveScrypt(password: string | Uint8Array, salt: string | Uint8Array, cost: ScryptCost, keyLength: number): Promise<Buffer> {
  // OpenSSL needs the V array (128*r*(N+2)) plus the B array (128*r*p) under maxmem; Node's default is 32 MiB.
  const maxmem = 128 * cost.r * (cost.N + 2) + 128 * cost.r * cost.p + 65_536;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N: cost.N, r: cost.r, p: cost.p, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
