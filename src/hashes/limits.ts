import { z } from 'zod';
import { LegacyIdpError } from '../core/errors.js';
import type { HashLimits } from './types.js';

/**
 * Defaults refuse work factors no real deployment uses, so that one corrupt or hostile row cannot hold a
 * core for minutes. Each is well above the strongest setting seen in the wild for its family.
 */
export const defaultHashLimits: HashLimits = Object.freeze({
  // ASP.NET Identity V3 uses 100k (600k in .NET 8+), OWASP 2023 asks 600k for SHA-256, Keycloak 210k.
  maxPbkdf2Iterations: 10_000_000,
  // Cost 16 is about 5 s per check on one core; nobody stores more.
  maxBcryptCost: 16,
  // sha512-crypt default 5,000; some hardened systems use 100k-500k; the format allows 999,999,999.
  maxCryptRounds: 1_000_000,
  // 256 MiB: Django scrypt default is 16 MiB, libxcrypt $7$ up to 1 GiB in theory.
  maxScryptMemoryBytes: 256 * 1024 * 1024,
  // 1 GiB: OWASP's largest recommendation is 46 MiB; RFC 9106's first choice is 2 GiB (not seen for logins).
  maxArgon2MemoryKiB: 1024 * 1024,
  maxArgon2Passes: 64,
  maxArgon2Parallelism: 64,
  // 4 GiB-passes: 1 GiB at t=1..4, 64 MiB up to t=64; about 2 s per check with the native backends. Refused
  // beyond: 1 GiB at t=64 took 28 s and held 1.1 GB per check, so two such rows took every slot.
  maxArgon2WorkKiB: 4 * 1024 * 1024,
  // 512 MiB-passes: every libxcrypt setting the memory cap admits (256 MiB, t=0, about 6 s in the worker),
  // the default $y$j9T$ (16 MiB) up to t=32. 256 MiB at t=64 took 198 s.
  maxYescryptWorkBytes: 512 * 1024 * 1024,
  // No real password is this long; bcrypt reads 72 bytes, most others read everything.
  maxPasswordBytes: 4096,
});

export const hashLimitsSchema = z
  .object({
    maxPbkdf2Iterations: z.number().int().positive(),
    maxBcryptCost: z.number().int().min(4).max(31),
    maxCryptRounds: z.number().int().positive(),
    maxScryptMemoryBytes: z.number().int().positive(),
    maxArgon2MemoryKiB: z.number().int().positive(),
    maxArgon2Passes: z.number().int().positive(),
    maxArgon2Parallelism: z.number().int().positive(),
    maxArgon2WorkKiB: z.number().int().positive(),
    maxYescryptWorkBytes: z.number().int().positive(),
    maxPasswordBytes: z.number().int().positive(),
  })
  .partial()
  .strict();

/** Throws ERR_LEGACY_IDP_HASH_COST_LIMIT when a stored work factor exceeds its cap. */
export function assertWithinLimit(value: number, limit: number, what: string, schemeId: string): void {
  if (!Number.isFinite(value) || value > limit) {
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_HASH_COST_LIMIT',
      `${schemeId}: ${what} ${Number.isFinite(value) ? value : 'non-finite'} exceeds the limit ${limit} (raise it in the registry's limits if the hash is genuine)`,
    );
  }
}
