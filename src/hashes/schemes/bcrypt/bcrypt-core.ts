/**
 * What every bcrypt-based scheme shares: the modular-crypt shape `$2<variant>$<cost>$<22 salt><31 digest>`,
 * the cost checks, and one verification through bcryptjs. Schemes that wrap bcrypt (passlib, Django,
 * WordPress, WoltLab, pre-hashed digests) only differ in the key they feed it.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { decodeBase64, encodeBase64, hash as bcryptjsHash, hashSync } from 'bcryptjs';
import { z } from 'zod';
import { LegacyIdpError } from '../../../core/errors.js';
import { parseOptions } from '../../../core/validate.js';
import { constantTimeEqual, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits } from '../../types.js';

/** What the native bcrypt packages export for "hash with this salt", loosely typed: the shapes differ by major. */
interface NativeBcryptModule {
  hashSync(...args: unknown[]): string;
  hash(...args: unknown[]): Promise<string>;
}

/** A native backend reduced to what the schemes need: bcrypt(key, setting) as a full modular string. */
interface NativeBcrypt {
  readonly name: NativeBcryptName;
  computeSync(key: string, setting: string): string;
  compute(key: string, setting: string): Promise<string>;
}

/** The optional native packages, in order of preference (measured: docs/benchmarks.md). */
export const nativeBcryptNames = ['bcrypt', '@node-rs/bcrypt'] as const;
export type NativeBcryptName = (typeof nativeBcryptNames)[number];

/** Puts the stored variant letter back on a string computed under another letter (same algorithm for these keys). */
const withVariant = (computed: string, setting: string): string => setting.slice(0, 4) + computed.slice(4);
const asB = (setting: string): string => `$2b$${setting.slice(4)}`;

/**
 * The call shapes each package has had. `bcrypt` (OpenBSD's C code) takes the setting string but refuses
 * `$2y$`; @node-rs/bcrypt 2.x takes `(key, { salt: setting })`; 1.x takes `(key, cost, 16 raw salt bytes)`
 * and always writes `$2b$`. $2a$/$2b$/$2y$ differ only in name for the keys that reach here (bcryptjs and
 * crypt_blowfish treat them alike), so the stored letter is put back.
 */
function candidateShapes(name: NativeBcryptName, module: NativeBcryptModule): NativeBcrypt[] {
  if (name === 'bcrypt') {
    return [
      {
        name,
        computeSync: (key, setting) => withVariant(module.hashSync(key, asB(setting)), setting),
        compute: async (key, setting) => withVariant(await module.hash(key, asB(setting)), setting),
      },
    ];
  }
  const v1Args = (key: string, setting: string): unknown[] => [key, Number(setting.slice(4, 6)), Buffer.from(decodeBase64(setting.slice(7, 29), 16))];
  return [
    { name, computeSync: (key, setting) => module.hashSync(key, { salt: setting }), compute: (key, setting) => module.hash(key, { salt: setting }) },
    {
      name,
      computeSync: (key, setting) => withVariant(module.hashSync(...v1Args(key, setting)), setting),
      compute: async (key, setting) => withVariant(await module.hash(...v1Args(key, setting)), setting),
    },
  ];
}

/**
 * Loads one native package and keeps the call shape that reproduces bcryptjs on a probe (a non-ASCII key
 * longer than 72 bytes, under `$2y$`): an unknown future API, or a build that truncates differently, falls
 * back to bcryptjs instead of giving wrong answers. Null when the package is missing or fails the probe.
 */
export function loadNativeBcrypt(name: NativeBcryptName): NativeBcrypt | null {
  let module: NativeBcryptModule;
  try {
    module = createRequire(import.meta.url)(name) as NativeBcryptModule;
  } catch {
    return null;
  }
  const probeKey = 'pr\u00f6be \u{1f511}'.repeat(8);
  const probeSetting = '$2y$04$abcdefghijklmnopqrstuu';
  const expected = hashSync(probeKey, probeSetting);
  for (const shape of candidateShapes(name, module)) {
    try {
      if (shape.computeSync(probeKey, probeSetting) === expected) return shape;
    } catch {
      // Not this API shape.
    }
  }
  return null;
}

let nativeBackend: NativeBcrypt | null | undefined;

/**
 * The first native package that loads, else null (bcryptjs). `bcrypt` (OpenBSD C) measured 0.95-1.05x of C,
 * @node-rs/bcrypt 0.90-0.96x, bcryptjs about 0.7x (perf-baselines.md). Loaded synchronously on first use:
 * verification may run inside a worker thread, where blocking is fine. LEGACY_IDP_BCRYPT=js forces bcryptjs,
 * LEGACY_IDP_BCRYPT=<package> picks one (tests compare them).
 */
function nativeBcrypt(): NativeBcrypt | null {
  if (nativeBackend === undefined) {
    const choice = process.env.LEGACY_IDP_BCRYPT;
    const names = choice === 'js' ? [] : nativeBcryptNames.filter((name) => choice === undefined || choice === '' || choice === name);
    nativeBackend = null;
    for (const name of names) {
      nativeBackend = loadNativeBcrypt(name);
      if (nativeBackend) break;
    }
  }
  return nativeBackend;
}

/** The native backend takes $2a$/$2b$/$2y$ with canonical salts; anything else is bcryptjs's. */
const nativeSetting = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{21}[.Oeu]$/u;

/**
 * bcrypt(key, setting) as a full modular string. `setting` is `$2<v>$<cost>$<22 salt chars>`. The native
 * backend knows $2a$/$2b$/$2y$ with canonical salts; anything else (the original `$2$`, salts with unused
 * bits set) goes to bcryptjs, whose re-encoding then differs from the stored string, as the owners decide.
 */
export function bcryptCompute(key: string, setting: string): string {
  const native = nativeBcrypt();
  if (native && nativeSetting.test(setting)) return native.computeSync(key, setting);
  return hashSync(key, setting);
}

/**
 * The same computation, on libuv's threadpool when a native backend is loaded: the registry then runs bcrypt
 * schemes as `threadpool`, behind its gate, which saves the worker messaging and leaves both cores to the
 * hashes. Without one this is bcryptjs, synchronously, inside a worker.
 */
export async function bcryptComputeAsync(key: string, setting: string): Promise<string> {
  const native = nativeBcrypt();
  if (native && nativeSetting.test(setting)) return native.compute(key, setting);
  return hashSync(key, setting);
}

/** Which backend bcryptCompute uses here (a package name, or `bcryptjs`), for the CLI and the benchmarks. */
export function bcryptBackend(): NativeBcryptName | 'bcryptjs' {
  return nativeBcrypt()?.name ?? 'bcryptjs';
}

/** HashScheme.threadpoolWith for every scheme built on bcryptCompute: off the worker pool once native is loaded. */
export const nativeBcryptBackend = { backend: nativeBcryptNames.join(' or '), loaded: (): boolean => nativeBcrypt() !== null } as const;

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
export async function bcryptMatches(key: string, hash: string, id: string, variants: readonly BcryptVariant[], limits: HashLimits): Promise<boolean> {
  parseBcrypt(hash, id, variants, limits);
  if (key.includes('\0')) return false;
  // The first 29 characters are the setting: $2y$10$ + 22 salt characters.
  return constantTimeEqual(await bcryptComputeAsync(key, hash.slice(0, 29)), hash);
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
 * A new `$2b$` hash from a fresh 16-byte salt. Called on the main thread by the registry when the native
 * backend is loaded (threadpool); otherwise inside a worker, where bcryptjs's asynchronous API simply
 * runs to completion.
 */
export async function newBcryptHash(key: string, rawOptions: Readonly<Record<string, unknown>>, limits: HashLimits, id: string): Promise<string> {
  const { cost } = parseOptions(hashOptionsSchema, rawOptions, `${id} hash options`);
  if (cost > limits.maxBcryptCost) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: cost ${cost} exceeds the registry's maxBcryptCost ${limits.maxBcryptCost}`);
  }
  if (key.includes('\0')) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: a bcrypt password cannot contain NUL characters`);
  const setting = `$2b$${String(cost).padStart(2, '0')}$${encodeBase64(randomBytes(16), 16)}`;
  return nativeBcrypt() ? bcryptComputeAsync(key, setting) : bcryptjsHash(key, setting);
}
