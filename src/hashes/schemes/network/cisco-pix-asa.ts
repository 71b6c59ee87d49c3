import { constantTimeEqual, digest, hash64EncodeLE, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const shape = /^[./0-9A-Za-z]{16}$/u;

/**
 * Cisco PIX / ASA "encrypted" passwords: MD5 over the password (plus the first 4 bytes of the user name,
 * repeated to 4, for user accounts), zero-padded or cut to 16 bytes (ASA: 32 when the input is longer
 * than 16), keeping bytes whose index is not 3 mod 4, in the crypt alphabet. Passwords longer than the
 * device allows (16 / 32 bytes) can never match. Written after passlib's cisco_pix/cisco_asa notes,
 * which were checked against ASA 9.6.
 */
export function ciscoEncrypted(options: { id: string; asa: boolean; summary: string; source: string }): HashScheme {
  const { id, asa } = options;
  const maxBytes = asa ? 32 : 16;
  return {
    id,
    family: 'network',
    summary: options.summary,
    example: '16 crypt-alphabet characters; context { user } for user accounts',
    contextKeys: [{ key: 'user', required: false, description: 'the user name for `username ... password` entries; absent for enable passwords' }],
    source: options.source,
    execution: 'inline',
    upgradeAdvice: 'Truncated unsalted MD5: re-hash with argon2id or bcrypt at the first successful sign-in.',
    verify({ password, hash, context }) {
      if (!shape.test(hash)) throw malformed(id, 'expected 16 characters from the crypt alphabet');
      let secret = Buffer.from(password, 'utf8');
      if (secret.length > maxBytes) return false;
      const user = typeof context.user === 'string' && context.user !== '' ? Buffer.from(context.user, 'utf8') : undefined;
      if (user && (!asa || secret.length < 28)) {
        const repeated = Buffer.concat(Array.from({ length: 4 }, () => user)).subarray(0, 4);
        secret = Buffer.concat([secret, repeated]);
      }
      const size = asa && secret.length > 16 ? 32 : 16;
      const block = Buffer.alloc(size);
      secret.copy(block, 0, 0, size);
      const md5 = digest('md5', block);
      const kept = Buffer.from(md5.filter((_, index) => (index + 1) % 4 !== 0));
      return constantTimeEqual(hash64EncodeLE(kept), hash);
    },
  };
}
