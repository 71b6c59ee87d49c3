import { constantTimeEqual, digest, fromBase64, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const prefix = /^\{SSHA\}/iu;
const id = 'ldap_salted_sha1';

/** RFC 2307-style `{SSHA}base64(sha1(password + salt) + salt)`; prefix case varies in the wild (Spring). */
export const ldapSaltedSha1: HashScheme = {
  id,
  family: 'ldap',
  summary: 'LDAP {SSHA}: salted SHA-1, the OpenLDAP default; also 389-DS and Spring LdapShaPasswordEncoder',
  example: '{SSHA}base64(sha1(password + salt) + salt)',
  source: 'OpenLDAP slappasswd; passlib ldap_salted_sha1',
  execution: 'inline',
  upgradeAdvice: 'Fast salted SHA-1: re-hash with argon2id or bcrypt at first sign-in.',
  identify: (hash) => prefix.test(hash),
  verify({ password, hash }) {
    const raw = fromBase64(hash.replace(prefix, ''));
    // 20 digest bytes plus at least one salt byte (Dovecot accepts short salts; hash-formats.md finding 6).
    if (!raw || raw.length <= 20) throw malformed(id, 'expected base64 of a 20-byte digest and a salt');
    const salt = raw.subarray(20);
    return constantTimeEqual(digest('sha1', password, salt), raw.subarray(0, 20));
  },
};
