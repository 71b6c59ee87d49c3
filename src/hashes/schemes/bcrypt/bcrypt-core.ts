/**
 * What every bcrypt-based scheme shares: the modular-crypt shape `$2<variant>$<cost>$<22 salt><31 digest>`,
 * the cost checks, and one verification through bcryptjs. Schemes that wrap bcrypt (passlib, Django,
 * WordPress, WoltLab, pre-hashed digests) only differ in the key they feed it.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { encodeBase64, hash as bcryptjsHash, hashSync } from 'bcryptjs';
import { z } from 'zod';
import { LegacyIdpError } from '../../../core/errors.js';
import { parseOptions } from '../../../core/validate.js';
import { constantTimeEqual, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

interface NativeBcrypt {
  hashSync(password: string, options: { salt: string }): string;
}

let nativeBackend: NativeBcrypt | null | undefined;

/**
 * @node-rs/bcrypt, an optional peer, runs at C speed where bcryptjs reaches about 0.7x of it
 * (perf-baselines.md). It is loaded synchronously on first use because verification runs inside worker
 * threads, where the call may block; without it bcryptjs does the same work. LEGACY_IDP_BCRYPT=js forces
 * the pure-JS backend (tests compare the two).
 */
function nativeBcrypt(): NativeBcrypt | null {
  if (nativeBackend === undefined) {
    try {
      nativeBackend = process.env.LEGACY_IDP_BCRYPT === 'js' ? null : (createRequire(import.meta.url)('@node-rs/bcrypt') as NativeBcrypt);
    } catch {
      nativeBackend = null;
    }
  }
  return nativeBackend;
}

/**
 * bcrypt(key, setting) as a full modular string. `setting` is `$2<v>$<cost>$<22 salt chars>`. The native
 * backend knows $2a$/$2b$/$2y$ with canonical salts; anything else (the original `$2$`, salts with unused
 * bits set) goes to bcryptjs, whose re-encoding then differs from the stored string, as the owners decide.
 */
export function bcryptCompute(key: string, setting: string): string {
  const native = nativeBcrypt();
  if (native && /^\$2[aby]\$/u.test(setting)) {
    try {
      return native.hashSync(key, { salt: setting });
    } catch {
      // A salt the native parser refuses (non-canonical trailing bits): the JS path answers.
    }
  }
  return hashSync(key, setting);
}

/** Which backend bcryptCompute uses here, for `legacy-idp doctor` and the benchmarks. */
export function bcryptBackend(): 'native' | 'js' {
  return nativeBcrypt() ? 'native' : 'js';
}

/** bcrypt's own base64 alphabet, as a regex character class. */
export const bcryptChars = '[./A-Za-z0-9]';

const modularShape = new RegExp(`^\\$2([abxy]?)\\$(\\d\\d)\\$(${bcryptChars}{22})(${bcryptChars}{31})$`, 'u');

export type BcryptVariant = '' | 'a' | 'b' | 'x' | 'y';

export interface BcryptParts {
  /** The letter after `$2` (empty for the original `$2$`). */
  variant: BcryptVariant;
  cost: number;
  salt: string;
  checksum: string;
}

/** Exact shape test, for identify(): never throws. */
export function isBcryptShape(hash: string, variants: readonly BcryptVariant[]): boolean {
  const match = modularShape.exec(hash);
  return match !== null && variants.includes(match[1] as BcryptVariant);
}

/**
 * Splits a modular bcrypt hash and checks its cost before any work: a cost outside 4..31 is not a
 * bcrypt hash (every implementation refuses it), and a valid one above the configured cap is refused
 * with ERR_LEGACY_IDP_HASH_COST_LIMIT.
 */
export function parseBcrypt(hash: string, id: string, variants: readonly BcryptVariant[], limits: HashLimits): BcryptParts {
  const match = modularShape.exec(hash);
  if (!match) throw malformed(id, 'expected $2<variant>$<cost>$ followed by 53 characters of bcrypt base64');
  const [, variant = '', costText = '', salt = '', checksum = ''] = match;
  if (!variants.includes(variant as BcryptVariant)) {
    throw malformed(id, `expected one of ${variants.map((v) => `$2${v}$`).join(' ')}`);
  }
  const cost = Number(costText);
  if (cost < 4 || cost > 31) throw malformed(id, 'bcrypt cost must be between 04 and 31');
  assertWithinLimit(cost, limits.maxBcryptCost, 'bcrypt cost', id);
  return { variant: variant as BcryptVariant, cost, salt, checksum };
}

/**
 * Recomputes a modular bcrypt hash from `key` and compares the whole string in constant time.
 *
 * Comparing the re-encoded string (not decoded bytes) is deliberate: the last salt and digest
 * characters carry 2 and 4 unused bits, and Go, PHP and libxcrypt reject a stored hash whose unused bits
 * are set (hash-formats.md finding 3); passlib's normalisation to "true" is the minority.
 *
 * bcryptjs reads the key as UTF-8, appends the NUL terminator for `$2a$/$2b$/$2y$` (not for the original
 * `$2$`) and uses at most 72 bytes, as OpenBSD and crypt_blowfish do. A key containing NUL cannot have
 * been hashed by a C implementation (they stop at it, python-bcrypt and passlib refuse it): false.
 */
export function bcryptMatches(key: string, hash: string, id: string, variants: readonly BcryptVariant[], limits: HashLimits): boolean {
  parseBcrypt(hash, id, variants, limits);
  if (key.includes('\0')) return false;
  // The first 29 characters are the setting: $2y$10$ + 22 salt characters.
  return constantTimeEqual(bcryptCompute(key, hash.slice(0, 29)), hash);
}

/** Variants every modern bcrypt library accepts; `$2x$` and the original `$2$` need their own handling. */
export const modernVariants: readonly BcryptVariant[] = ['a', 'b', 'y'];

const hashOptionsSchema = z
  .object({
    /** log2 rounds; 12 is the common default today (PHP 8.4, Laravel, passlib). */
    cost: z.number().int().min(4).max(31).default(12),
  })
  .strict();

/**
 * A new `$2b$` hash from a fresh 16-byte salt. Called on the main thread by the registry: bcryptjs's
 * asynchronous API yields to the event loop between slices of rounds (at most ~100 ms each).
 */
export async function newBcryptHash(key: string, rawOptions: Readonly<Record<string, unknown>>, limits: HashLimits, id: string): Promise<string> {
  const { cost } = parseOptions(hashOptionsSchema, rawOptions, `${id} hash options`);
  if (cost > limits.maxBcryptCost) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: cost ${cost} exceeds the registry's maxBcryptCost ${limits.maxBcryptCost}`);
  }
  if (key.includes('\0')) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: a bcrypt password cannot contain NUL characters`);
  const salt = encodeBase64(randomBytes(16), 16);
  return bcryptjsHash(key, `$2b$${String(cost).padStart(2, '0')}$${salt}`);
}
