import { constantTimeEqual, contextString, fromHex, malformed } from '../../codec.js';
import { desCbcEncrypt } from '../../des.js';
import type { HashScheme } from '../../types.js';

const id = 'oracle10';
const magicKey = Buffer.from('0123456789abcdef', 'hex');
const zeroIv = Buffer.alloc(8);

/** DES-CBC with a zero IV, keeping the last ciphertext block; the input is zero-padded to 8 bytes. */
function lastCbcBlock(key: Uint8Array, data: Buffer): Buffer {
  const padded = Buffer.alloc(Math.ceil(data.length / 8) * 8 || 8);
  data.copy(padded);
  const cipher = desCbcEncrypt(key, zeroIv, padded);
  return cipher.subarray(cipher.length - 8);
}

/**
 * Oracle 7-10g: UTF-16BE(upper(user + password)) encrypted with DES-CBC under a fixed key; the last block
 * is the key for a second pass over the same input, whose last block is stored.
 */
export const oracle10: HashScheme = {
  id,
  family: 'database',
  summary: 'Oracle 7-10g DES hash of upper(user + password) in UTF-16BE (case-insensitive)',
  example: '16 hex digits; context { user }',
  contextKeys: [{ key: 'user', required: true, description: 'the user name (sys.user$.name); it is upper-cased here' }],
  source: 'Oracle 10g sys.user$.password; passlib oracle10',
  execution: 'inline',
  upgradeAdvice: 'Case-insensitive and salted only by the user name: re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash, context }) {
    const stored = hash.length === 16 ? fromHex(hash) : undefined;
    if (!stored) throw malformed(id, 'expected 16 hex digits');
    const text = (contextString(context, 'user', id) + password).toUpperCase();
    const input = Buffer.from(text, 'utf16le').swap16();
    const secondKey = lastCbcBlock(magicKey, input);
    return constantTimeEqual(lastCbcBlock(secondKey, input), stored);
  },
};
