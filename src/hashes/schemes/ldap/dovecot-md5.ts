import type { HashScheme } from '../../types.js';
import { cryptShapes } from './crypt-shapes.js';
import { prefixedDigestScheme } from './prefixed-digest.js';
import { stripPrefix } from './prefix.js';
import { wrappedScheme } from './wrapped-scheme.js';

const id = 'dovecot_md5';

/**
 * Dovecot's {MD5} is MD5-crypt (`$1$`), not LDAP's base64 MD5 (hash-formats.md finding 2). Dovecot's
 * md5_verify falls back to PLAIN-MD5 (hex or base64 by length) when the value is not `$1$`, so this
 * scheme does too when named; identify claims only the `$1$` shape and leaves plain {MD5} to ldap_md5.
 */
const crypt = wrappedScheme({
  id,
  family: 'dovecot',
  prefix: 'MD5',
  inner: 'md5_crypt',
  shape: cryptShapes.md5,
  summary: 'Dovecot {MD5}: MD5-crypt $1$ (not LDAP {MD5}); plain MD5 also accepted as Dovecot does',
  example: '{MD5}$1$salt$hash',
  source: 'Dovecot doveadm pw',
  upgradeAdvice: 'Re-hash with argon2id or bcrypt at first sign-in.',
});

const plain = prefixedDigestScheme({
  id,
  family: 'dovecot',
  prefix: 'MD5',
  algorithm: 'md5',
  salted: false,
  encodings: ['hex', 'base64'],
  summary: crypt.summary,
  source: crypt.source,
});

export const dovecotMd5: HashScheme = {
  ...crypt,
  verify: (args) => (stripPrefix(args.hash, 'MD5')?.startsWith('$1$') === false ? plain.verify(args) : crypt.verify(args)),
};
