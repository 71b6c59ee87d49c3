import { constantTimeEqual, digest, malformed } from '../../codec.js';
import type { HashScheme } from '../../types.js';

const id = 'cisco_type4';
const shape = /^[./0-9A-Za-z]{43}$/u;
const standard = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const cisco = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const toCisco = new Map(Array.from(standard, (char, index) => [char, cisco.charAt(index)]));

/**
 * Cisco IOS type 4 was meant to be PBKDF2 but shipped as one unsalted SHA-256, written as big-endian
 * base64 in the crypt alphabet (43 characters). Shape alone is not unique, so no identify.
 */
export const ciscoType4: HashScheme = {
  id,
  family: 'network',
  summary: 'Cisco IOS type 4 secret: unsalted SHA-256 in Cisco base64 (43 characters)',
  example: '43 crypt-alphabet characters',
  source: 'Cisco IOS "enable secret 4" (hashcat mode 5700)',
  execution: 'inline',
  upgradeAdvice: 'Unsalted SHA-256, deprecated by Cisco: re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash }) {
    if (!shape.test(hash)) throw malformed(id, 'expected 43 characters from the crypt alphabet');
    const encoded = digest('sha256', password)
      .toString('base64')
      .replace(/=+$/u, '')
      .replace(/[A-Za-z0-9+/]/gu, (char) => toCisco.get(char) ?? '');
    return constantTimeEqual(encoded, hash);
  },
};
