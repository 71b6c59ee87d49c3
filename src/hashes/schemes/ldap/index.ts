import type { HashScheme } from '../../types.js';
import { aixSmd5 } from './aix-smd5.js';
import { dovecotArgon2i } from './dovecot-argon2i.js';
import { dovecotArgon2id } from './dovecot-argon2id.js';
import { dovecotBlfCrypt } from './dovecot-blf-crypt.js';
import { dovecotCleartext } from './dovecot-cleartext.js';
import { dovecotCramMd5 } from './dovecot-cram-md5.js';
import { dovecotCrypt } from './dovecot-crypt.js';
import { dovecotDesCrypt } from './dovecot-des-crypt.js';
import { dovecotDigestMd5 } from './dovecot-digest-md5.js';
import { dovecotHmacMd5 } from './dovecot-hmac-md5.js';
import { dovecotLdapMd5 } from './dovecot-ldap-md5.js';
import { dovecotMd5 } from './dovecot-md5.js';
import { dovecotMd5Crypt } from './dovecot-md5-crypt.js';
import { dovecotPlain } from './dovecot-plain.js';
import { dovecotPlainMd4 } from './dovecot-plain-md4.js';
import { dovecotPlainMd5 } from './dovecot-plain-md5.js';
import { dovecotScramSha1 } from './dovecot-scram-sha-1.js';
import { dovecotScramSha256 } from './dovecot-scram-sha-256.js';
import { dovecotSha } from './dovecot-sha.js';
import { dovecotSha1 } from './dovecot-sha1.js';
import { dovecotSha256 } from './dovecot-sha256.js';
import { dovecotSha256Crypt } from './dovecot-sha256-crypt.js';
import { dovecotSha512 } from './dovecot-sha512.js';
import { dovecotSha512Crypt } from './dovecot-sha512-crypt.js';
import { dovecotSmd5 } from './dovecot-smd5.js';
import { dovecotSsha } from './dovecot-ssha.js';
import { dovecotSsha256 } from './dovecot-ssha256.js';
import { dovecotSsha512 } from './dovecot-ssha512.js';
import { fshp } from './fshp.js';
import { ldapArgon2 } from './ldap-argon2.js';
import { ldapBcrypt } from './ldap-bcrypt.js';
import { ldapBigcrypt } from './ldap-bigcrypt.js';
import { ldapBsdiCrypt } from './ldap-bsdi-crypt.js';
import { ldapDesCrypt } from './ldap-des-crypt.js';
import { ldapHexMd5 } from './ldap-hex-md5.js';
import { ldapHexSha1 } from './ldap-hex-sha1.js';
import { ldapMd5 } from './ldap-md5.js';
import { ldapMd5Crypt } from './ldap-md5-crypt.js';
import { ldapPlaintext } from './ldap-plaintext.js';
import { ldapSaltedMd5 } from './ldap-salted-md5.js';
import { ldapSaltedSha1 } from './ldap-salted-sha1.js';
import { ldapSaltedSha256 } from './ldap-salted-sha256.js';
import { ldapSaltedSha384 } from './ldap-salted-sha384.js';
import { ldapSaltedSha512 } from './ldap-salted-sha512.js';
import { ldapSha1 } from './ldap-sha1.js';
import { ldapSha1Crypt } from './ldap-sha1-crypt.js';
import { ldapSha256 } from './ldap-sha256.js';
import { ldapSha256Crypt } from './ldap-sha256-crypt.js';
import { ldapSha384 } from './ldap-sha384.js';
import { ldapSha512 } from './ldap-sha512.js';
import { ldapSha512Crypt } from './ldap-sha512-crypt.js';
import { openldapApr1 } from './openldap-apr1.js';
import { openldapBsdmd5 } from './openldap-bsdmd5.js';
import { postgresScramSha256 } from './postgres-scram-sha256.js';
import { roundupPlaintext } from './roundup-plaintext.js';
import { scram } from './scram.js';

/**
 * The ldap and dovecot families (plus the SCRAM verifiers), in identify order. One file per scheme in this
 * folder; variants share the factories in prefixed-digest.ts, wrapped-scheme.ts and friends.
 */
export const ldapSchemes: readonly HashScheme[] = [
  // {CRYPT} wrappers: the specific crypt(3) shapes first, Dovecot's any-crypt {CRYPT} last
  ldapBcrypt,
  ldapMd5Crypt,
  ldapSha1Crypt,
  ldapSha256Crypt,
  ldapSha512Crypt,
  ldapBsdiCrypt,
  ldapDesCrypt,
  ldapBigcrypt,
  dovecotCrypt,
  // PHC argon2 behind OpenLDAP's and Dovecot's prefixes
  ldapArgon2,
  dovecotArgon2i,
  dovecotArgon2id,
  // LDAP digests. The LDAP id wins for strings Dovecot writes identically ({SHA}, {SSHA}, {SMD5}, {SHA256}...):
  // LDAP is the wider meaning of those prefixes, and the Dovecot ids below stay usable by name. {SHA} and
  // {MD5} are told apart from their hex variants by length (finding 5).
  ldapSha1,
  ldapHexSha1,
  ldapMd5,
  ldapHexMd5,
  ldapSaltedMd5,
  ldapSaltedSha1,
  ldapSha256,
  ldapSha384,
  ldapSha512,
  ldapSaltedSha256,
  ldapSaltedSha384,
  ldapSaltedSha512,
  // OpenLDAP contrib, AIX, FSHP, Roundup
  openldapApr1,
  openldapBsdmd5,
  aixSmd5,
  fshp,
  roundupPlaintext,
  // Dovecot. {MD5}$1$ is Dovecot's (finding 2): ldap_md5 never claims it because `$` is not base64.
  dovecotMd5,
  dovecotMd5Crypt,
  dovecotSha256Crypt,
  dovecotSha512Crypt,
  dovecotBlfCrypt,
  dovecotDesCrypt,
  dovecotSha,
  dovecotSha1,
  dovecotSha256,
  dovecotSha512,
  dovecotSsha,
  dovecotSsha256,
  dovecotSsha512,
  dovecotSmd5,
  dovecotLdapMd5,
  dovecotPlainMd5,
  dovecotPlainMd4,
  dovecotCramMd5,
  dovecotHmacMd5,
  dovecotDigestMd5,
  dovecotScramSha1,
  dovecotScramSha256,
  dovecotCleartext,
  dovecotPlain,
  // SCRAM verifiers of passlib and PostgreSQL
  scram,
  postgresScramSha256,
  // No identify: used only by name
  ldapPlaintext,
];
