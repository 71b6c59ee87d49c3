import { constantTimeEqual, digest, fromBase64, hmac, malformed, type DigestName } from '../../codec.js';
import type { HashScheme, SchemeVerifyArgs } from '../../types.js';

const id = 'kratos_import';
const b64 = '[A-Za-z0-9+/]*={0,2}';
const templated = new RegExp(`^\\$(sha1|sha256|sha512|md5)\\$pf=(${b64})\\$(${b64})\\$(${b64})$`, 'u');
const unsaltedMd5 = /^\$md5\$([A-Za-z0-9+/]{22}==)$/u;
const hmacForm = new RegExp(`^\\$hmac-(md4|md5|sha1|sha224|sha256|sha384|sha512)\\$(${b64})\\$(${b64})$`, 'u');
const cryptForm = /^\$(md5|sha256|sha512)-crypt(\$.*)$/u;
const kratosScryptForm = /^\$scrypt\$ln=(\d+),r=\d+,p=\d+\$[A-Za-z0-9+/]*(={0,2})\$[A-Za-z0-9+/]*(={0,2})$/u;

const cryptSchemes: Record<string, { prefix: string; scheme: string }> = {
  md5: { prefix: '$1', scheme: 'md5_crypt' },
  sha256: { prefix: '$5', scheme: 'sha256_crypt' },
  sha512: { prefix: '$6', scheme: 'sha512_crypt' },
};

/** Kratos forms that are another scheme's format, and the scheme that owns each. */
const delegated: readonly (readonly [RegExp, string])[] = [
  [/^\$2[abzy]?\$/u, 'bcrypt'],
  [/^\$argon2id\$/u, 'argon2id'],
  [/^\$argon2i\$/u, 'argon2i'],
  [/^\{SSHA\}/u, 'ldap_salted_sha1'],
  [/^\{SSHA256\}/u, 'ldap_salted_sha256'],
  [/^\{SSHA512\}/u, 'ldap_salted_sha512'],
  // Only Kratos' own `i=,l=` layout: passlib's `$pbkdf2-sha256$rounds$` strings are not a Kratos form.
  [/^\$pbkdf2-sha\d{1,3}\$i=/u, 'kratos_pbkdf2'],
  [/^\$firescrypt\$/u, 'kratos_firescrypt'],
];

function decode(text: string | undefined): Buffer {
  const bytes = fromBase64(text ?? '');
  if (!bytes || (text ?? '').length % 4 !== 0) throw malformed(id, 'a field is not padded standard base64');
  return bytes;
}

/**
 * Kratos' `pf=` template: `{SALT}` and `{PASSWORD}` are replaced in one left-to-right pass (Go's
 * strings.Replacer), so a salt that itself contains `{PASSWORD}` is not expanded again.
 */
function expandTemplate(template: Buffer, salt: Buffer, password: string): Buffer {
  return Buffer.concat(
    template
      .toString('latin1')
      .split(/(\{SALT\}|\{PASSWORD\})/u)
      .map((piece) => (piece === '{SALT}' ? salt : piece === '{PASSWORD}' ? Buffer.from(password, 'utf8') : Buffer.from(piece, 'latin1'))),
  );
}

/** HMAC over MD4, which Node's OpenSSL 3 cannot do: RFC 2104 with a 64-byte block. */
function hmacMd4(key: Buffer, message: string): Buffer {
  const block = Buffer.alloc(64);
  (key.length > 64 ? digest('md4', key) : key).copy(block);
  const inner = Buffer.from(block.map((byte) => byte ^ 0x36));
  const outer = Buffer.from(block.map((byte) => byte ^ 0x5c));
  return digest('md4', outer, digest('md4', inner, message));
}

function isKratosScrypt(hash: string): boolean {
  const match = kratosScryptForm.exec(hash);
  if (!match) return false;
  // passlib's $scrypt$ carries log2 N (never above 63) in unpadded adapted base64: Kratos' N or padding tells them apart.
  return Number(match[1]) > 63 || match[2] !== '' || match[3] !== '';
}

function verifyNative({ password, hash }: SchemeVerifyArgs): boolean | undefined {
  const salted = templated.exec(hash);
  if (salted) {
    const [, algorithm = '', template, salt, stored] = salted;
    const format = decode(template);
    // Kratos itself would hash a template without the password to a constant that every password matches.
    if (!format.toString('latin1').includes('{PASSWORD}')) throw malformed(id, 'the pf= template has no {PASSWORD}');
    return constantTimeEqual(digest(algorithm as DigestName, expandTemplate(format, decode(salt), password)), decode(stored));
  }
  const md5 = unsaltedMd5.exec(hash);
  if (md5) return constantTimeEqual(digest('md5', password), decode(md5[1]));
  const mac = hmacForm.exec(hash);
  if (mac) {
    const [, algorithm = '', stored, key] = mac;
    const keyBytes = decode(key);
    const computed = algorithm === 'md4' ? hmacMd4(keyBytes, password) : hmac(algorithm as DigestName, keyBytes, password);
    // Kratos stores base64 of the lower-case hex text of the MAC and compares that text.
    return constantTimeEqual(Buffer.from(computed.toString('hex'), 'latin1'), decode(stored));
  }
  return undefined;
}

/**
 * Ory Kratos' identity-import `hashed_password` strings that are not another scheme's: `$sha1$/$sha256$/
 * $sha512$/$md5$pf=<template>$<salt>$<hash>`, unsalted `$md5$`, `$hmac-<digest>$<hash>$<key>`,
 * `$md5-crypt$`/`$sha256-crypt$`/`$sha512-crypt$` (crypt(3) renamed) and `$scrypt$ln=N`. Named
 * explicitly, it also passes the other Kratos forms (bcrypt, argon2, `$pbkdf2-*$i=,l=`, `$firescrypt$`,
 * `{SSHA*}`) to whichever registered scheme identifies them.
 */
export const kratosImport: HashScheme = {
  id,
  family: 'application',
  summary: 'Ory Kratos import strings: $sha*/md5$pf=template$salt$hash, $hmac-*$, $md5-crypt$/$sha*-crypt$, $scrypt$ln=N',
  example: '$sha256$pf=<base64 template>$<base64 salt>$<base64 hash>',
  source: 'ory/kratos hash/hash_comparator.go',
  // A dispatcher for the crypt and scrypt forms; the digest forms are a few microseconds.
  execution: 'inline',
  upgradeAdvice: 'Kratos itself re-hashes imported passwords at first sign-in: do the same with argon2id or bcrypt.',
  identify: (hash) => templated.test(hash) || unsaltedMd5.test(hash) || hmacForm.test(hash) || cryptForm.test(hash) || isKratosScrypt(hash),
  async verify(args) {
    const native = verifyNative(args);
    if (native !== undefined) return native;
    const { password, hash } = args;
    const crypt = cryptForm.exec(hash);
    const target = cryptSchemes[crypt?.[1] ?? ''];
    if (crypt && target) return args.verifyInner(password, `${target.prefix}${crypt[2] ?? ''}`, target.scheme);
    if (hash.startsWith('$scrypt$')) return args.verifyInner(password, hash, 'kratos_scrypt');
    const owner = delegated.find(([pattern]) => pattern.test(hash));
    if (!owner) throw malformed(id, 'not one of the Kratos import forms');
    return args.verifyInner(password, hash, owner[1]);
  },
};
