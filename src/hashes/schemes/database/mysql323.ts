import { constantTimeEqual, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'mysql323';

/**
 * MySQL < 4.1 OLD_PASSWORD(): two 31-bit accumulators over the password bytes, skipping spaces and tabs
 * (hash-formats.md finding 11). MySQL works in 64-bit longs, but only additions, XORs, products and left
 * shifts feed the low 31 bits that are kept, so 32-bit arithmetic gives the same result.
 */
function oldPassword(password: Uint8Array): Buffer {
  let nr = 1345345333;
  let add = 7;
  let nr2 = 0x12345671;
  for (const byte of password) {
    if (byte === 0x20 || byte === 0x09) continue;
    nr = (nr ^ (Math.imul((nr & 63) + add, byte) + (nr << 8))) >>> 0;
    nr2 = (nr2 + ((nr2 << 8) ^ nr)) >>> 0;
    add += byte;
  }
  const out = Buffer.alloc(8);
  out.writeUInt32BE(nr & 0x7fffffff, 0);
  out.writeUInt32BE(nr2 & 0x7fffffff, 4);
  return out;
}

export const mysql323: HashScheme = {
  id,
  family: 'database',
  summary: 'MySQL 3.2.3 OLD_PASSWORD(): 16 hex digits, ignores spaces and tabs, not cryptographic',
  example: '16 hex digits',
  source: 'MySQL hash_password() (sql/password.c); passlib mysql323',
  execution: 'inline',
  upgradeAdvice: 'Trivially reversible: re-hash with argon2id or bcrypt at the first successful sign-in, and expire the rest.',
  verify({ password, hash }) {
    const stored = hash.length === 16 ? fromHex(hash) : undefined;
    if (!stored) throw malformed(id, 'expected 16 hex digits');
    // The bytes the client sent: UTF-8 for a UTF-8 connection, as passlib does.
    return constantTimeEqual(oldPassword(Buffer.from(password, 'utf8')), stored);
  },
};
