import { digest } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { md5Compress } from './md5-block.js';
import { prefixedDigestScheme } from './prefixed-digest.js';

/**
 * The 32 bytes Dovecot stores for CRAM-MD5 (hmac_md5_get_cram_context): the MD5 states of HMAC-MD5 keyed
 * by the password after its opad block, then after its ipad block, each word little-endian. Keys over 64
 * bytes are first hashed, as HMAC does. Password as the UTF-8 bytes the client sends.
 */
export function cramMd5Context(password: string): Buffer {
  const raw = Buffer.from(password, 'utf8');
  const key = Buffer.alloc(64);
  (raw.length > 64 ? digest('md5', raw) : raw).copy(key);
  const out = Buffer.alloc(32);
  const outer = md5Compress(key.map((byte) => byte ^ 0x5c));
  const inner = md5Compress(key.map((byte) => byte ^ 0x36));
  [...outer, ...inner].forEach((word, index) => out.writeUInt32LE(word, index * 4));
  return out;
}

export function dovecotCramScheme(prefix: 'CRAM-MD5' | 'HMAC-MD5'): HashScheme {
  return prefixedDigestScheme({
    id: prefix === 'CRAM-MD5' ? 'dovecot_cram_md5' : 'dovecot_hmac_md5',
    family: 'dovecot',
    prefix,
    algorithm: 'md5',
    salted: false,
    size: 32,
    encodings: ['hex', 'base64'],
    compute: cramMd5Context,
    summary:
      prefix === 'CRAM-MD5'
        ? 'Dovecot {CRAM-MD5}: the two HMAC-MD5 key states in hex, for CRAM-MD5 logins'
        : 'Dovecot {HMAC-MD5}: alias of {CRAM-MD5}, the two HMAC-MD5 key states in hex',
    example: `{${prefix}}hex(md5-state(password ^ opad) + md5-state(password ^ ipad))`,
    source: 'Dovecot doveadm pw',
    upgradeAdvice: 'A password-equivalent MD5 state without salt: re-hash with argon2id or bcrypt at first sign-in.',
  });
}
