/**
 * Shared by the data-driven hash tests (vectors, foreign, fuzz): loading test/vectors/<id>.jsonl and the
 * list of scheme pairs whose stored strings are legitimately the same shape (so one may identify, or even
 * verify, the other's hashes). Everything else must reject a foreign scheme's hash.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isLegacyIdpError } from '../../src/core/errors.js';

export interface HashVector {
  password: string;
  hash: string;
  context?: Record<string, unknown>;
  expected: boolean;
  source: string;
}

const vectorsDir = fileURLToPath(new URL('../vectors/', import.meta.url));

/** Every vector file, keyed by scheme id (the file name), in file order. */
export function loadVectors(): Map<string, HashVector[]> {
  const byId = new Map<string, HashVector[]>();
  for (const file of readdirSync(vectorsDir).filter((name) => name.endsWith('.jsonl')).sort()) {
    const lines = readFileSync(`${vectorsDir}${file}`, 'utf8').split('\n').filter((line) => line.trim() !== '');
    byId.set(file.slice(0, -'.jsonl'.length), lines.map((line) => JSON.parse(line) as HashVector));
  }
  return byId;
}

/** What a failure message may say: the library's own code and message (never written to quote secrets). */
export function describeFailure(error: unknown): string {
  if (isLegacyIdpError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `untyped ${error.name}` : 'untyped non-Error throw';
}

/**
 * Pairs of scheme ids whose stored strings can be identical, so that one may claim (and verify) the
 * other's hash. Symmetric. Anything not listed here is a foreign hash and must be refused.
 */
const sameShapePairs: readonly (readonly [string, string, string])[] = [
  // Dovecot's names for the RFC 2307 LDAP layouts: byte-for-byte the same strings.
  ['dovecot_sha', 'ldap_sha1', 'Dovecot {SHA} is LDAP {SHA}'],
  ['dovecot_sha1', 'ldap_sha1', 'Dovecot {SHA1} is an alias of {SHA}'],
  ['dovecot_sha1', 'dovecot_sha', 'Dovecot aliases'],
  ['dovecot_ssha', 'ldap_salted_sha1', 'Dovecot {SSHA} is LDAP {SSHA}'],
  ['dovecot_smd5', 'ldap_salted_md5', 'Dovecot {SMD5} is LDAP {SMD5}'],
  ['dovecot_sha256', 'ldap_sha256', 'same {SHA256} layout'],
  ['dovecot_sha512', 'ldap_sha512', 'same {SHA512} layout'],
  ['dovecot_ssha256', 'ldap_salted_sha256', 'same {SSHA256} layout'],
  ['dovecot_ssha512', 'ldap_salted_sha512', 'same {SSHA512} layout'],
  // Dovecot reads an unsalted digest as hex or base64 by its length (doveadm pw -t accepts both).
  ['dovecot_sha', 'ldap_hex_sha1', 'Dovecot {SHA} also takes 40 hex characters'],
  ['dovecot_sha1', 'ldap_hex_sha1', 'Dovecot {SHA1} also takes 40 hex characters'],
  ['dovecot_plain', 'dovecot_cleartext', 'Dovecot aliases for the clear password'],
  ['dovecot_cram_md5', 'dovecot_hmac_md5', 'Dovecot aliases (same HMAC-MD5 context)'],
  // {CRYPT}: Dovecot hands the value to crypt(3), LDAP names each crypt(3) format.
  ...['ldap_des_crypt', 'ldap_bigcrypt', 'ldap_bsdi_crypt', 'ldap_md5_crypt', 'ldap_sha256_crypt', 'ldap_sha512_crypt', 'ldap_bcrypt', 'ldap_sha1_crypt'].map(
    (id) => ['dovecot_crypt', id, 'Dovecot {CRYPT} is crypt(3) of any format'] as const,
  ),
  // bigcrypt's first block is DES crypt; a two-block bigcrypt has crypt16's length and alphabet.
  ['des_crypt', 'bigcrypt', 'a 13-character bigcrypt is a DES crypt'],
  ['ldap_des_crypt', 'ldap_bigcrypt', 'a 13-character bigcrypt is a DES crypt'],
  ['bigcrypt', 'crypt16', '24 characters of the crypt alphabet either way'],
  // passlib's argon2 handler takes all three types.
  ['argon2', 'argon2i', 'passlib argon2 covers argon2i'],
  ['argon2', 'argon2d', 'passlib argon2 covers argon2d'],
  ['argon2', 'argon2id', 'passlib argon2 covers argon2id'],
  // Pre-hashed and double bcrypt store a plain bcrypt string; $2x$ is bcrypt's bug-compatible variant.
  ...['bcrypt_2x', 'bcrypt_md5', 'bcrypt_sha1', 'bcrypt_sha256_hex', 'bcrypt_sha512_hex', 'wbb4_double_bcrypt'].map(
    (id) => ['bcrypt', id, 'a bcrypt string either way'] as const,
  ),
  // Spring's {MD5} with an empty salt is md5 hex after the prefix, exactly ldap_hex_md5's string.
  ['spring_delegating', 'ldap_hex_md5', 'Spring {MD5}hex with no {salt}'],
  // Disabled-account markers: Django's "!" + 40 characters is also a shadow-file "!" marker.
  ['unix_disabled', 'django_disabled', 'both are "!"-prefixed markers'],
  // Django's unsalted MD5 hasher accepts the bare 32-hex digest it once wrote.
  ['django_unsalted_md5', 'hex_md5', 'Django UnsaltedMD5PasswordHasher stores bare md5 hex'],
  // The registry's own ids for Kratos' import sub-formats (all listed under kratos_import in the vectors).
  ['kratos_import', 'kratos_pbkdf2', 'Kratos PBKDF2 import strings'],
  ['kratos_import', 'kratos_scrypt', 'Kratos scrypt import strings'],
  ['kratos_import', 'kratos_firescrypt', 'Kratos firescrypt import strings'],
];

/**
 * [S, T, why]: scheme S (named explicitly) verifies T's strings because the product S stands for accepts
 * them too, though S must not claim them in identify. Not symmetric.
 */
const acceptsPairs: readonly (readonly [string, string, string])[] = [
  // Dovecot's {MD5} is MD5-CRYPT, but its verifier also takes a plain MD5 digest in base64 or hex.
  ['dovecot_md5', 'ldap_md5', 'doveadm pw -t accepts {MD5}base64(md5)'],
  ['dovecot_md5', 'ldap_hex_md5', 'doveadm pw -t accepts {MD5}hex(md5)'],
  // Kratos' identity import takes PHC argon2, bcrypt and LDAP salted SHA strings as they are.
  ...['argon2', 'argon2i', 'argon2id', 'bcrypt', 'ldap_salted_sha1', 'ldap_salted_sha256', 'ldap_salted_sha512', 'dovecot_ssha', 'dovecot_ssha256', 'dovecot_ssha512'].map(
    (id) => ['kratos_import', id, 'Kratos hashed_password import accepts this string natively'] as const,
  ),
];

const pairKeys = new Set(sameShapePairs.flatMap(([a, b]) => [`${a} ${b}`, `${b} ${a}`]));
const acceptKeys = new Set(acceptsPairs.map(([a, b]) => `${a} ${b}`));

/** a and b can store the very same string: either may identify and verify the other's hashes. */
export function sameShape(a: string, b: string): boolean {
  return a === b || pairKeys.has(`${a} ${b}`);
}

/** Scheme `verifier`, named explicitly, may verify `owner`'s hash as valid. */
export function acceptsForeign(verifier: string, owner: string): boolean {
  return sameShape(verifier, owner) || acceptKeys.has(`${verifier} ${owner}`);
}
