import { scrypt } from 'node:crypto';
import { malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

export interface ScryptParameters {
  cost: number;
  blockSize: number;
  parallelization: number;
}

/** node:crypto's async scrypt (libuv threadpool), after the memory cap; the password is UTF-8. */
export async function deriveScrypt(id: string, password: string, salt: Uint8Array, parameters: ScryptParameters, keyLength: number, limits: HashLimits): Promise<Buffer> {
  const { cost, blockSize, parallelization } = parameters;
  if (!Number.isSafeInteger(cost) || cost < 2 || (cost & (cost - 1)) !== 0) throw malformed(id, 'scrypt N must be a power of two above 1');
  if (!Number.isSafeInteger(blockSize) || blockSize < 1 || !Number.isSafeInteger(parallelization) || parallelization < 1) {
    throw malformed(id, 'scrypt r and p must be positive');
  }
  if (keyLength < 1) throw malformed(id, 'empty derived key');
  const memory = 128 * cost * blockSize;
  assertWithinLimit(memory, limits.maxScryptMemoryBytes, 'scrypt memory bytes', id);
  assertWithinLimit(parallelization, 64, 'scrypt parallelization', id);
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, { N: cost, r: blockSize, p: parallelization, maxmem: 2 * memory + 1024 * 1024 }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
