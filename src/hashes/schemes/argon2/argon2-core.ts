/**
 * Argon2 PHC strings, shared by the argon2 family: strict parsing, caps checked before any memory is
 * allocated, and the raw computation through an optional native peer.
 *
 * We parse the string ourselves and ask the backend only for the raw tag (salt, parameters, version and
 * type given explicitly), then compare the re-encoded tag. That keeps one set of rules whichever backend
 * is installed: both parameter orders, a missing `v=` meaning version 16 (hash-formats.md finding 4),
 * argon2d, and the strict base64 the reference decoder applies.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LegacyIdpError, isLegacyIdpError } from '../../../core/errors.js';
import { importOptional } from '../../../core/optional-import.js';
import { parseOptions } from '../../../core/validate.js';
import { constantTimeEqual, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits, HashScheme } from '../../types.js';

export type Argon2Type = 'argon2d' | 'argon2i' | 'argon2id';

export interface Argon2Params {
  type: Argon2Type;
  /** 16 (0x10) or 19 (0x13). */
  version: 16 | 19;
  memoryKiB: number;
  passes: number;
  parallelism: number;
  salt: Buffer;
  /** The stored tag exactly as written (unpadded standard base64). */
  tag: string;
  tagLength: number;
}

const number = '(\\d{1,10})';
const b64 = '([A-Za-z0-9+/]+)';
// The reference encoder writes m,t,p; the `argon2` npm package writes m,p,t. Both npm backends and
// passlib read either; nothing writes another order, and keyid/data are not used for passwords.
const phcShape = new RegExp(
  `^\\$(argon2id|argon2i|argon2d)(?:\\$v=${number})?\\$m=${number},(?:t=${number},p=${number}|p=${number},t=${number})\\$${b64}\\$${b64}$`,
  'u',
);

/** Unpadded standard base64, the PHC encoding. */
export function toPhcBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/u, '');
}

/**
 * Strict PHC base64: a length that is not a whole number of bits, or unused trailing bits that are set,
 * is refused, as the reference decoder (libargon2) refuses it. Node's decoder would silently accept both.
 */
function fromPhcBase64(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return toPhcBase64(bytes) === text ? bytes : undefined;
}

export function isPhcArgon2(hash: string, types: readonly Argon2Type[]): boolean {
  const match = phcShape.exec(hash);
  return match !== null && types.includes(match[1] as Argon2Type);
}

/**
 * Parses a PHC argon2 string and applies the caps BEFORE anything is computed: a corrupt row asking
 * for 4 TiB or a billion passes fails fast. Malformed shapes and values no implementation accepts
 * (salt < 8 bytes, tag < 4 bytes, memory below 8 KiB per lane) are typed errors.
 */
export function parsePhcArgon2(hash: string, id: string, types: readonly Argon2Type[], limits: HashLimits): Argon2Params {
  const match = phcShape.exec(hash);
  if (!match) throw malformed(id, 'expected $argon2<type>$v=<n>$m=<n>,t=<n>,p=<n>$<salt>$<hash> (base64 without padding)');
  const [, typeText = '', versionText, m = '', t1, p1, p2, t2, saltText = '', tag = ''] = match;
  const type = typeText as Argon2Type;
  if (!types.includes(type)) throw malformed(id, `expected ${types.map((x) => `$${x}$`).join(' or ')}`);
  const version = versionText === undefined ? 16 : Number(versionText);
  if (version !== 16 && version !== 19) throw malformed(id, 'version must be 16 or 19');
  const memoryKiB = Number(m);
  const passes = Number(t1 ?? t2);
  const parallelism = Number(p1 ?? p2);
  assertWithinLimit(memoryKiB, limits.maxArgon2MemoryKiB, 'argon2 memory (KiB)', id);
  assertWithinLimit(passes, limits.maxArgon2Passes, 'argon2 passes', id);
  assertWithinLimit(parallelism, limits.maxArgon2Parallelism, 'argon2 parallelism', id);
  assertWithinLimit(memoryKiB * passes, limits.maxArgon2WorkKiB, 'argon2 work (memory KiB x passes, limits.maxArgon2WorkKiB)', id);
  if (passes < 1 || parallelism < 1 || parallelism > 255) throw malformed(id, 'passes must be >= 1 and parallelism 1..255');
  if (memoryKiB < 8 * parallelism) throw malformed(id, 'memory must be at least 8 KiB per lane');
  const salt = fromPhcBase64(saltText);
  if (!salt) throw malformed(id, 'salt is not canonical unpadded base64');
  if (salt.length < 8) throw malformed(id, 'salt shorter than 8 bytes');
  // The tag's validity (canonical base64) is settled by the final string comparison, as a verdict.
  const tagLength = Math.floor((tag.length * 3) / 4);
  if (tag.length % 4 === 1 || tagLength < 4) throw malformed(id, 'hash shorter than 4 bytes');
  return { type, version, memoryKiB, passes, parallelism, salt, tag, tagLength };
}

/** A backend computes the raw argon2 tag for explicit parameters. */
export interface Argon2Backend {
  readonly name: '@node-rs/argon2' | 'argon2';
  hashRaw(password: string, params: Omit<Argon2Params, 'tag'>): Promise<Buffer>;
}

const typeCodes: Record<Argon2Type, 0 | 1 | 2> = { argon2d: 0, argon2i: 1, argon2id: 2 };

/** The slice of @node-rs/argon2 we use (checked against its typings at the import below). */
interface NodeRsArgon2 {
  hashRaw(
    password: string,
    options: { memoryCost: number; timeCost: number; parallelism: number; outputLen: number; algorithm: 0 | 1 | 2; version: 0 | 1; salt: Uint8Array },
  ): Promise<Buffer>;
}

/** The slice of the `argon2` package we use. */
interface Argon2Npm {
  hash(
    password: string,
    options: { raw: true; type: 0 | 1 | 2; version: number; memoryCost: number; timeCost: number; parallelism: number; hashLength: number; salt: Buffer },
  ): Promise<Buffer>;
}

export type Argon2BackendLoader = () => Promise<Argon2Backend>;

const neededFor = 'argon2 password hashes';

/** @node-rs/argon2 (Rust, at C speed: perf-baselines.md) through its raw API; both versions, all three types. */
export const loadNodeRsArgon2: Argon2BackendLoader = async () => {
  const lib: NodeRsArgon2 = await importOptional('@node-rs/argon2', neededFor, () => import('@node-rs/argon2') as Promise<NodeRsArgon2>);
  return {
    name: '@node-rs/argon2',
    hashRaw: (password, p) =>
      lib.hashRaw(password, {
        memoryCost: p.memoryKiB,
        timeCost: p.passes,
        parallelism: p.parallelism,
        outputLen: p.tagLength,
        algorithm: typeCodes[p.type],
        version: p.version === 16 ? 0 : 1,
        salt: p.salt,
      }),
  };
};

/** The `argon2` package (libargon2 reference code, about 2x slower here): same coverage, used as fallback. */
export const loadArgon2Npm: Argon2BackendLoader = async () => {
  const lib: Argon2Npm = await importOptional('argon2', neededFor, () => import('argon2') as Promise<Argon2Npm>);
  return {
    name: 'argon2',
    hashRaw: (password, p) =>
      lib.hash(password, {
        raw: true,
        type: typeCodes[p.type],
        version: p.version === 16 ? 0x10 : 0x13,
        memoryCost: p.memoryKiB,
        timeCost: p.passes,
        parallelism: p.parallelism,
        hashLength: p.tagLength,
        salt: p.salt,
      }),
  };
};

/** First installed backend in preference order; a typed error naming both packages when neither is. */
export async function firstArgon2Backend(loaders: readonly Argon2BackendLoader[]): Promise<Argon2Backend> {
  for (const load of loaders) {
    try {
      return await load();
    } catch (error) {
      if (!isLegacyIdpError(error, 'ERR_LEGACY_IDP_MISSING_DEPENDENCY')) throw error;
    }
  }
  throw new LegacyIdpError(
    'ERR_LEGACY_IDP_MISSING_DEPENDENCY',
    `${neededFor} need the optional package "@node-rs/argon2" (preferred) or "argon2": run npm install @node-rs/argon2`,
  );
}

let defaultBackend: Promise<Argon2Backend> | undefined;

/** Loaded once per thread, on first use: importing the registry never loads a native module. */
export function argon2Backend(): Promise<Argon2Backend> {
  defaultBackend ??= firstArgon2Backend([loadNodeRsArgon2, loadArgon2Npm]).catch((error: unknown) => {
    // A later install (or a test) may fix it: do not cache the failure.
    defaultBackend = undefined;
    throw error;
  });
  return defaultBackend;
}

/** Verifies a PHC argon2 string (already stripped of any wrapper prefix). Password as UTF-8, as libargon2 callers pass it. */
export async function verifyPhcArgon2(
  password: string,
  hash: string,
  id: string,
  types: readonly Argon2Type[],
  limits: HashLimits,
  backend?: Argon2Backend,
): Promise<boolean> {
  const params = parsePhcArgon2(hash, id, types, limits);
  const computed = await (backend ?? (await argon2Backend())).hashRaw(password, params);
  // String comparison: a stored tag whose unused base64 bits are set does not verify (libargon2 refuses it).
  return constantTimeEqual(toPhcBase64(computed), params.tag);
}

/** The parameters new hashes get, and below which a stored argon2id hash is reported for upgrade. */
export const argon2idDefaults = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const hashOptionsSchema = z
  .object({
    memoryCost: z.number().int().min(8).default(argon2idDefaults.memoryCost),
    timeCost: z.number().int().min(1).default(argon2idDefaults.timeCost),
    parallelism: z.number().int().min(1).max(255).default(argon2idDefaults.parallelism),
  })
  .strict();

/** A new `$argon2id$v=19$m=..,t=..,p=..$salt$tag` with a 16-byte salt and 32-byte tag (PHC/RFC 9106 sizes). */
export async function newArgon2idHash(password: string, rawOptions: Readonly<Record<string, unknown>>, limits: HashLimits, id: string): Promise<string> {
  const options = parseOptions(hashOptionsSchema, rawOptions, `${id} hash options`);
  const tooBig = (value: number, limit: number, what: string): LegacyIdpError =>
    new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: ${what} ${value} exceeds the registry's limit ${limit}`);
  if (options.memoryCost > limits.maxArgon2MemoryKiB) throw tooBig(options.memoryCost, limits.maxArgon2MemoryKiB, 'memoryCost');
  if (options.timeCost > limits.maxArgon2Passes) throw tooBig(options.timeCost, limits.maxArgon2Passes, 'timeCost');
  if (options.parallelism > limits.maxArgon2Parallelism) throw tooBig(options.parallelism, limits.maxArgon2Parallelism, 'parallelism');
  if (options.memoryCost * options.timeCost > limits.maxArgon2WorkKiB) throw tooBig(options.memoryCost * options.timeCost, limits.maxArgon2WorkKiB, 'memoryCost x timeCost');
  if (options.memoryCost < 8 * options.parallelism) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${id}: memoryCost must be at least 8 KiB per lane`);
  }
  const salt = randomBytes(16);
  const params = { type: 'argon2id', version: 19, memoryKiB: options.memoryCost, passes: options.timeCost, parallelism: options.parallelism, salt, tagLength: 32 } as const;
  const tag = await (await argon2Backend()).hashRaw(password, params);
  return `$argon2id$v=19$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${toPhcBase64(salt)}$${toPhcBase64(tag)}`;
}

/** Below today's parameters: version 16, or less memory or fewer passes than new hashes get. */
export function argon2idBelowDefaults(hash: string): boolean {
  const match = phcShape.exec(hash.startsWith('argon2$') ? hash.slice('argon2'.length) : hash);
  if (!match) return true;
  const [, type, versionText, m = '0', t1, , , t2] = match;
  return type !== 'argon2id' || versionText !== '19' || Number(m) < argon2idDefaults.memoryCost || Number(t1 ?? t2) < argon2idDefaults.timeCost;
}

/** The PHC schemes differ only in the types they accept: argon2 (passlib: any), argon2i, argon2d, argon2id. */
export function phcArgon2Scheme(
  id: string,
  types: readonly Argon2Type[],
  details: Pick<HashScheme, 'summary' | 'source' | 'upgradeAdvice'> & Partial<Pick<HashScheme, 'hash' | 'needsUpgrade'>>,
): HashScheme {
  return {
    id,
    family: 'argon2',
    example: `$${types[types.length - 1] ?? 'argon2id'}$v=19$m=19456,t=2,p=1$<salt b64>$<hash b64>`,
    execution: 'threadpool',
    ...details,
    identify: (hash) => isPhcArgon2(hash, types),
    verify: ({ password, hash, limits }) => verifyPhcArgon2(password, hash, id, types, limits),
  };
}
