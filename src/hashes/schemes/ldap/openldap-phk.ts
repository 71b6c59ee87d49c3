import { constantTimeEqual, fromBase64, hash64EncodeLE, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { md5CryptChecksum } from '../crypt/md5-crypt-core.js';
import { stripPrefix } from './prefix.js';

/** MD5-crypt's hash64 byte order: triples (0,6,12) (1,7,13) (2,8,14) (3,9,15) (4,10,5), then 11. */
const transposition = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];

/**
 * OpenLDAP contrib pw-apr1: `{APR1}`/`{BSDMD5}` + base64(raw MD5-crypt digest + salt). The 16 digest
 * bytes are the loop's final state, not the hash64 text of `$apr1$`/`$1$` strings; slappasswd makes an
 * 8-character salt, and the module reads whatever follows the digest as the salt. The crypt family's
 * MD5-crypt loop computes; the stored raw digest is put in the same hash64 order to compare (a bijection
 * on 16 bytes).
 */
export function openldapPhkScheme(options: { id: string; prefix: 'APR1' | 'BSDMD5'; magic: '$apr1$' | '$1$'; summary: string }): HashScheme {
  const { id, prefix, magic } = options;
  const decode = (hash: string): Buffer | undefined => {
    const body = stripPrefix(hash, prefix);
    const raw = body === undefined || (body.includes('=') && body.length % 4 !== 0) ? undefined : fromBase64(body);
    return raw && raw.length > 16 ? raw : undefined;
  };
  return {
    id,
    family: 'ldap',
    summary: options.summary,
    example: `{${prefix}}base64(md5crypt-digest(password, "${magic}", salt) + salt)`,
    source: 'OpenLDAP slappasswd with the pw-apr1 module',
    // 1,000 MD5 rounds: a millisecond or two of JavaScript, kept off the event loop.
    execution: 'worker',
    upgradeAdvice: 'MD5-crypt strength (1,000 MD5 rounds): re-hash with argon2id or bcrypt at first sign-in.',
    identify: (hash) => decode(hash) !== undefined,
    verify({ password, hash }) {
      const raw = decode(hash);
      if (!raw) throw malformed(id, `expected {${prefix}} and base64 of a 16-byte digest plus a salt`);
      const stored = hash64EncodeLE(Uint8Array.from(transposition, (index) => raw[index] ?? 0));
      return constantTimeEqual(md5CryptChecksum(Buffer.from(password, 'utf8'), raw.subarray(16), magic), stored);
    },
  };
}
