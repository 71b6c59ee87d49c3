import { constantTimeEqual, fromHex, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'cisco_type7';
const shape = /^(\d{2})((?:[0-9A-Fa-f]{2})*)$/u;
/** The fixed XOR key every IOS device uses; the two leading digits are the offset into it. */
const key = Buffer.from('dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87', 'latin1');

/**
 * Cisco IOS type 7 is reversible obfuscation, not a hash: decode it and compare with the password
 * (UTF-8 bytes) in constant time.
 */
export const ciscoType7: HashScheme = {
  id,
  family: 'network',
  summary: 'Cisco IOS type 7 password: reversible XOR obfuscation (offset + hex)',
  example: '2 decimal digits + hex, e.g. 0822455D0A16',
  source: 'Cisco IOS "password 7"; passlib cisco_type7',
  execution: 'inline',
  upgradeAdvice: 'Reversible: treat the password as exposed, re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash }) {
    const match = shape.exec(hash);
    const offset = Number(match?.[1] ?? -1);
    const data = fromHex(match?.[2] ?? '');
    if (!match || !data || offset > 52) throw malformed(id, 'expected a 2-digit offset (00-52) and hex');
    const decoded = Buffer.from(data.map((byte, index) => byte ^ (key[(offset + index) % key.length] ?? 0)));
    return constantTimeEqual(decoded, Buffer.from(password, 'utf8'));
  },
};
