import { constantTimeEqual, hash64EncodeLE, hash64Value, malformed } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashLimits, HashScheme } from '../../types.js';
import { cPasswordBytes } from './crypt-common.js';
import { yescryptDefaultFlags, yescryptKdf, type YescryptParams } from './yescrypt-core.js';

const id = 'yescrypt';
const shape = /^\$y\$([./0-9A-Za-z]+)\$([./0-9A-Za-z]*)\$([./0-9A-Za-z]{43})$/u;

/**
 * yescrypt's variable-length parameter integers: the first character's range says how many characters
 * follow (0-47 alone; then progressively narrower ranges announce 1, 2, ... more characters of 6 bits).
 */
function decodeParamInt(text: string, position: number, min: number): { value: number; next: number } | undefined {
  let c = hash64Value(text.charAt(position));
  if (c < 0) return undefined;
  let at = position + 1;
  let value = min;
  let start = 0;
  let end = 47;
  let chars = 1;
  let bits = 0;
  while (c > end) {
    value += (end + 1 - start) * 2 ** bits;
    start = end + 1;
    end = start + Math.floor((62 - end) / 2);
    chars++;
    bits += 6;
  }
  value += (c - start) * 2 ** bits;
  while (--chars > 0) {
    c = hash64Value(text.charAt(at++));
    if (c < 0) return undefined;
    bits -= 6;
    value += c * 2 ** bits;
  }
  return { value, next: at };
}

/** Parameters of `$y$<params>$`; undefined for anything libxcrypt would refuse or we cannot compute. */
export function parseYescryptParams(text: string): (YescryptParams & { rom: boolean }) | undefined {
  const flavor = decodeParamInt(text, 0, 0);
  const logN = flavor && decodeParamInt(text, flavor.next, 1);
  const r = logN && decodeParamInt(text, logN.next, 1);
  if (!flavor || !logN || !r) return undefined;
  // Flavors 0 (classic scrypt) and 1 (WORM) never come out of crypt(3); only pwxform flavors map to flags.
  const flags = flavor.value >= 2 && flavor.value <= 2 + (0x3fc >> 2) ? 2 + ((flavor.value - 2) << 2) : -1;
  const params = { flags, n: 2 ** logN.value, r: r.value, p: 1, t: 0, rom: false };
  let at = r.next;
  if (at < text.length) {
    const have = decodeParamInt(text, at, 1);
    if (!have) return undefined;
    at = have.next;
    const optional: [number, number, (value: number) => void][] = [
      [1, 2, (value) => (params.p = value)],
      [2, 1, (value) => (params.t = value)],
      // g (hash upgrades): libxcrypt refuses these; ROM: needs a shared ROM nobody ships in crypt(3).
      [4, 1, () => (params.flags = -1)],
      [8, 1, () => (params.rom = true)],
    ];
    for (const [bit, min, set] of optional) {
      if (!(have.value & bit)) continue;
      const field = decodeParamInt(text, at, min);
      if (!field) return undefined;
      set(field.value);
      at = field.next;
    }
  }
  if (at !== text.length || logN.value > 63) return undefined;
  return params;
}

/** yescrypt's strict hash64 decode: little-endian groups, leftover bits of a short group must be zero. */
export function decodeYescryptSalt(text: string): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const group = text.slice(i, i + 4);
    if (group.length < 2) return undefined;
    let value = 0;
    for (let k = 0; k < group.length; k++) value += hash64Value(group.charAt(k)) * 2 ** (6 * k);
    const bytes = Math.floor((6 * group.length) / 8);
    for (let j = 0; j < bytes; j++) out.push(Math.floor(value / 2 ** (8 * j)) & 0xff);
    if (Math.floor(value / 2 ** (8 * bytes)) !== 0) return undefined;
  }
  return out.length > 64 ? undefined : Buffer.from(out);
}

/**
 * How many times yescrypt walks its memory: one fill, then a third of N more blocks at t=0, two thirds at
 * t=1, t-1 times N from t=2 (yescrypt_kdf_body's loop counts; p splits the work, it does not add to it).
 */
function yescryptPasses(t: number): number {
  if (t === 0) return 4 / 3;
  return t === 1 ? 5 / 3 : t;
}

/** Checks the parameters against what libxcrypt computes and the registry's caps; throws on refusal. */
export function checkYescryptParams(
  params: (YescryptParams & { rom: boolean }) | undefined,
  limits: HashLimits,
  schemeId: string,
): YescryptParams {
  if (params?.flags !== yescryptDefaultFlags || params.rom) throw malformed(schemeId, 'unsupported yescrypt flavor or parameters');
  const { n, r, p, t } = params;
  if (n < 2 || n > 2 ** 32 || r < 1 || p < 1 || r * p >= 2 ** 30 || n / p <= 1) throw malformed(schemeId, 'yescrypt parameters out of range');
  const memory = 128 * n * r;
  assertWithinLimit(memory, limits.maxScryptMemoryBytes, 'memory (128*N*r bytes)', schemeId);
  // t multiplies the time at the same memory, like argon2's passes.
  assertWithinLimit(t, limits.maxArgon2Passes, 'time factor t', schemeId);
  assertWithinLimit(Math.ceil(memory * yescryptPasses(t)), limits.maxYescryptWorkBytes, 'work (memory bytes x passes, limits.maxYescryptWorkBytes)', schemeId);
  return { flags: params.flags, n, r, p, t };
}

/**
 * libxcrypt `$y$`: the Debian 11+/Ubuntu 22.04+/Fedora 35+ shadow default. Password as UTF-8 bytes of a C
 * string. Pure JavaScript: about an order of magnitude slower than libxcrypt's C, so it runs in the worker pool.
 */
export const yescrypt: HashScheme = {
  id,
  family: 'crypt',
  summary: 'yescrypt `$y$`: default shadow hash of current Debian, Ubuntu and Fedora; increasingly common in Linux migrations',
  example: '$y$j9T$salt$ + 43 hash64 characters',
  source: 'libxcrypt yescrypt (Openwall yescrypt 1.1 reference)',
  execution: 'worker',
  upgradeAdvice: 'yescrypt is sound; re-hash only to move every user to one format (argon2id).',
  identify: (hash) => shape.test(hash),
  verify({ password, hash, limits }) {
    const run = runYescrypt(id, shape, '$y$', password, hash, limits);
    return run !== false && constantTimeEqual(hash64EncodeLE(run.output), run.checksum);
  },
};

/**
 * Parses `<prefix>params$salt$checksum`, checks the cost against the limits and runs yescrypt. Shared with
 * gost_yescrypt, which post-processes the output. False when the password cannot be a C string.
 */
export function runYescrypt(
  schemeId: string,
  pattern: RegExp,
  prefix: string,
  password: string,
  hash: string,
  limits: HashLimits,
): false | { bytes: Buffer; output: Buffer; checksum: string } {
  const match = pattern.exec(hash);
  if (!match) throw malformed(schemeId, `expected ${prefix}params$salt$ + 43 hash64 characters`);
  const [, paramText = '', saltText = '', checksum = ''] = match;
  const params = checkYescryptParams(parseYescryptParams(paramText), limits, schemeId);
  const salt = decodeYescryptSalt(saltText);
  if (!salt) throw malformed(schemeId, 'salt is not valid yescrypt base64');
  const bytes = cPasswordBytes(password);
  if (!bytes) return false;
  return { bytes: Buffer.from(bytes), output: Buffer.from(yescryptKdf(bytes, salt, params)), checksum };
}
