import { LegacyIdpError } from '../../../core/errors.js';
import { constantTimeEqual, contextString, digest, fromHex, malformed, type DigestName } from '../../codec.js';
import { assertWithinLimit } from '../../limits.js';
import type { HashContext, HashScheme, SchemeVerifyArgs } from '../../types.js';
import { springDigestMatches } from './spring-digest.js';

const id = 'spring_delegating';

type Encoder = (args: SchemeVerifyArgs, encoded: string) => boolean | Promise<boolean>;

const messageDigest =
  (algorithm: DigestName): Encoder =>
  ({ password, limits }, encoded) =>
    springDigestMatches(id, password, encoded, { algorithm, encoding: 'hex', iterations: 1 }, limits);

/** StandardPasswordEncoder: hex(salt + SHA-256^iterations(salt + secret + password)), 8-byte salt, 1024 iterations. */
function standardPasswordEncoder({ password, context, limits }: SchemeVerifyArgs, encoded: string): boolean {
  const raw = fromHex(encoded);
  if (!raw || raw.length <= 32) throw malformed(id, '{sha256} expects hex of a salt and a 32-byte SHA-256 digest');
  const secret = context.secret === undefined ? '' : contextString(context, 'secret', id);
  const iterations = context.iterations === undefined ? 1024 : Number(contextString(context, 'iterations', id));
  if (!Number.isInteger(iterations) || iterations < 1) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${id}: context "iterations" must be a positive integer`);
  assertWithinLimit(iterations, limits.maxCryptRounds, 'iterations', id);
  const salt = raw.subarray(0, raw.length - 32);
  let value = digest('sha256', salt, secret, password);
  for (let round = 1; round < iterations; round++) value = digest('sha256', value);
  return constantTimeEqual(value, raw.subarray(raw.length - 32));
}

/** LdapShaPasswordEncoder: {SSHA}/{SHA} in either case, and plain text when there is no prefix at all. */
function ldapSha(args: SchemeVerifyArgs, encoded: string): boolean | Promise<boolean> {
  const { password } = args;
  const prefix = /^\{(s?sha)\}/iu.exec(encoded)?.[1]?.toLowerCase();
  if (prefix === 'ssha') return args.verifyInner(password, encoded, 'ldap_salted_sha1');
  if (prefix === 'sha') return args.verifyInner(password, encoded, 'ldap_sha1');
  if (encoded.startsWith('{')) throw malformed(id, '{ldap} holds {SSHA} or {SHA} values only');
  return constantTimeEqual(password, encoded);
}

// PasswordEncoderFactories' Pbkdf2PasswordEncoder defaults; explicit context values win.
const pbkdf2V55 = { secret: '', saltLength: 8, iterations: 185_000, hashWidth: 256, algorithm: 'PBKDF2WithHmacSHA1' };
const pbkdf2V58 = { secret: '', saltLength: 16, iterations: 310_000, hashWidth: 256, algorithm: 'PBKDF2WithHmacSHA256' };

const pbkdf2 =
  (defaults: HashContext): Encoder =>
  (args, encoded) =>
    args.verifyInner(args.password, encoded, 'spring_pbkdf2', { encoder: 'Pbkdf2PasswordEncoder', ...defaults, ...args.context });

const argon2: Encoder = (args, encoded) => {
  const variant = /^\$(argon2id|argon2i|argon2d)\$/u.exec(encoded)?.[1];
  if (!variant) throw malformed(id, '{argon2} expects a $argon2id$, $argon2i$ or $argon2d$ string');
  return args.verifyInner(args.password, encoded, variant);
};

const scrypt: Encoder = (args, encoded) => args.verifyInner(args.password, encoded, 'spring_scrypt');
const bcrypt: Encoder = (args, encoded) => args.verifyInner(args.password, encoded, 'bcrypt');

/** PasswordEncoderFactories.createDelegatingPasswordEncoder's ids (Spring Security 5.0-6.x). */
const encoders = new Map<string, Encoder>([
  ['bcrypt', bcrypt],
  ['ldap', ldapSha],
  ['MD4', messageDigest('md4')],
  ['MD5', messageDigest('md5')],
  ['noop', ({ password }, encoded) => constantTimeEqual(password, encoded)],
  ['pbkdf2', pbkdf2(pbkdf2V55)],
  ['pbkdf2@SpringSecurity_v5_8', pbkdf2(pbkdf2V58)],
  ['scrypt', scrypt],
  ['scrypt@SpringSecurity_v5_8', scrypt],
  ['SHA-1', messageDigest('sha1')],
  ['SHA-256', messageDigest('sha256')],
  ['sha256', standardPasswordEncoder],
  ['argon2', argon2],
  ['argon2@SpringSecurity_v5_8', argon2],
]);

// Shapes of what each id holds, for identify only: strict enough that LDAP `{MD5}base64` or `{SHA256}base64`
// values are not claimed.
const bodyShapes = new Map<string, RegExp>([
  ['bcrypt', /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/u],
  ['ldap', /^\{(?:ssha|sha)\}[A-Za-z0-9+/]+={0,2}$/iu],
  ['MD4', /^(?:\{[^}]*\})?[0-9a-f]{32}$/u],
  ['MD5', /^\{[^}]*\}[0-9a-f]{32}$/u],
  ['noop', /^/u],
  ['pbkdf2', /^(?:[0-9a-f]{2}){17,}$|^[A-Za-z0-9+/]{22,}={0,2}$/u],
  ['scrypt', /^\$[0-9a-f]{1,12}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/u],
  ['SHA-1', /^(?:\{[^}]*\})?[0-9a-f]{40}$/u],
  ['SHA-256', /^(?:\{[^}]*\})?[0-9a-f]{64}$/u],
  ['sha256', /^(?:[0-9a-f]{2}){33,}$/u],
  ['argon2', /^\$argon2(?:id|i|d)\$/u],
]);

function split(hash: string): { encoderId: string; encoded: string } | undefined {
  const end = hash.startsWith('{') ? hash.indexOf('}') : -1;
  return end < 0 ? undefined : { encoderId: hash.slice(1, end), encoded: hash.slice(end + 1) };
}

/**
 * Spring Security 5+ DelegatingPasswordEncoder: `{id}encoded`. Standard encoders are delegated to the
 * registry's schemes (bcrypt, argon2*, ldap_*, spring_pbkdf2, spring_scrypt), which run where their work
 * belongs; the digest encoders are computed here. Encoder parameters that are not in the string
 * (Pbkdf2PasswordEncoder's secret, StandardPasswordEncoder's secret) come from context.
 */
export const springDelegating: HashScheme = {
  id,
  family: 'application',
  summary: 'Spring Security DelegatingPasswordEncoder {id}encoded (bcrypt, pbkdf2, scrypt, argon2, ldap, MD4, MD5, SHA-1, SHA-256, sha256, noop)',
  example: '{bcrypt}$2a$10$...',
  contextKeys: [
    { key: 'secret', required: false, description: 'Pbkdf2PasswordEncoder / StandardPasswordEncoder secret (default empty)' },
    { key: 'iterations', required: false, description: 'Pbkdf2PasswordEncoder / StandardPasswordEncoder iterations when not the factory default' },
    { key: 'algorithm', required: false, description: 'Pbkdf2PasswordEncoder algorithm (PBKDF2WithHmacSHA1/SHA256/SHA512)' },
    { key: 'hashWidth', required: false, description: 'Pbkdf2PasswordEncoder hash width in bits' },
    { key: 'saltLength', required: false, description: 'Pbkdf2PasswordEncoder salt length in bytes' },
    { key: 'encoding', required: false, description: 'Pbkdf2PasswordEncoder output encoding (hex or base64)' },
  ],
  source: 'Spring Security PasswordEncoderFactories / DelegatingPasswordEncoder',
  // A dispatcher: heavy encoders run as their own schemes (worker or threadpool) through verifyInner.
  execution: 'inline',
  upgradeAdvice: 'Anything but {bcrypt}/{argon2}/{scrypt}/{pbkdf2} with today’s parameters: re-hash with argon2id or bcrypt at the first successful sign-in.',
  identify(hash) {
    const parts = split(hash);
    if (!parts) return false;
    const base = parts.encoderId.replace(/@SpringSecurity_v5_8$/u, '');
    return encoders.has(parts.encoderId) && (bodyShapes.get(base)?.test(parts.encoded) ?? false);
  },
  needsUpgrade(hash) {
    const encoderId = split(hash)?.encoderId ?? '';
    return !/^(?:bcrypt|argon2|scrypt)(?:@|$)/u.test(encoderId);
  },
  verify(args) {
    const parts = split(args.hash);
    if (!parts) throw malformed(id, 'expected {id} before the encoded password');
    const encoder = encoders.get(parts.encoderId);
    // Spring throws "There is no PasswordEncoder mapped for the id" here; a row we cannot read is malformed.
    if (!encoder) throw malformed(id, 'unknown encoder id');
    return encoder(args, parts.encoded);
  },
};
