import { randomBytes } from 'node:crypto';
import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, fromBase64, malformed } from '../../codec.js';
import type { HashLimits, HashScheme } from '../../types.js';
import { checkScryptCost, deriveScrypt, type ScryptCost } from './primitive.js';

const id = 'scrypt';
// passlib: ln 1-31 (log2 N), a raw salt and a 32-byte key in unpadded standard base64 (passlib's b64s, not
// the `.` alphabet of its PBKDF2 hashes).
const shape = /^\$scrypt\$ln=([1-9][0-9]?),r=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,9})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]{43})$/u;
const keyLength = 32;

/** OWASP 2023's first scrypt setting: N=2^17 (128 MiB), r=8, p=1. */
const defaults = { ln: 17, r: 8, p: 1, saltSize: 16 };

function parse(hash: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const match = shape.exec(hash);
  const ln = Number(match?.[1]);
  const salt = fromBase64(match?.[4] ?? '');
  const key = fromBase64(match?.[5] ?? '');
  if (!match || ln > 31 || !salt || key?.length !== keyLength) return undefined;
  return { cost: { N: 2 ** ln, r: Number(match[2]), p: Number(match[3]) }, salt, key };
}

function b64s(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/u, '');
}

function option(options: Readonly<Record<string, unknown>>, key: keyof typeof defaults, min: number, max: number): number {
  const value = options[key] ?? defaults[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `scrypt: option ${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

async function makeHash(password: string, options: Readonly<Record<string, unknown>>, limits: HashLimits): Promise<string> {
  const ln = option(options, 'ln', 10, 31);
  const r = option(options, 'r', 1, 64);
  const p = option(options, 'p', 1, 64);
  const saltSize = option(options, 'saltSize', 8, 1024);
  const cost = { N: 2 ** ln, r, p };
  checkScryptCost(cost, keyLength, limits, id);
  const salt = randomBytes(saltSize);
  const key = await deriveScrypt(password, salt, cost, keyLength);
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64s(salt)}$${b64s(key)}`;
}

/** passlib's `$scrypt$`: the format this library writes for scrypt. The password is UTF-8. */
export const scrypt: HashScheme = {
  id,
  family: 'scrypt',
  summary: "passlib's scrypt `$scrypt$ln=,r=,p=$salt$key`; the scrypt format this library writes",
  example: '$scrypt$ln=17,r=8,p=1$salt-b64$key-b64',
  source: 'passlib scrypt',
  execution: 'threadpool',
  upgradeAdvice: 'Keep at N*r*p >= 2^20 (e.g. ln=17, r=8, p=1, OWASP 2023); re-hash weaker settings at sign-in.',
  identify: (hash) => parse(hash) !== undefined,
  needsUpgrade(hash) {
    const parsed = parse(hash);
    return parsed === undefined || parsed.cost.N * parsed.cost.r * parsed.cost.p < 2 ** defaults.ln * defaults.r;
  },
  async verify({ password, hash, limits }) {
    const parsed = parse(hash);
    if (!parsed) throw malformed(id, 'expected $scrypt$ln=1..31,r=N,p=N$salt$43-character key (unpadded base64)');
    checkScryptCost(parsed.cost, keyLength, limits, id);
    return constantTimeEqual(await deriveScrypt(password, parsed.salt, parsed.cost, keyLength), parsed.key);
  },
  hash: makeHash,
};
