import { constantTimeEqual, fromHex, malformed } from '../../codec.js';
import { desEncryptBlock } from '../../des.js';
import type { HashScheme } from '../../types.js';
import { cp437High } from './cp437.js';

const id = 'lmhash';
const magic = Buffer.from('KGS!@#$%', 'latin1');
const cp437 = new Map<string, number>(Array.from(cp437High, (char, index) => [char, 0x80 + index]));

/** OEM bytes of the text, or undefined when a character has none (Windows then stores no LM hash). */
function toCp437(text: string): Buffer | undefined {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const byte = code < 0x80 ? code : cp437.get(char);
    if (byte === undefined) return undefined;
    out.push(byte);
  }
  return Buffer.from(out);
}

/** A 7-byte half becomes a DES key: 56 bits spread over 8 bytes, the low (parity) bit of each left 0. */
function desKeyFrom7(half: Buffer): Buffer {
  const key = Buffer.alloc(8);
  let bits = 0n;
  for (const byte of half) bits = (bits << 8n) | BigInt(byte);
  for (let i = 0; i < 8; i++) key[i] = Number((bits >> BigInt(49 - 7 * i)) & 0x7fn) << 1;
  return key;
}

function lm(oem: Buffer): Buffer {
  const padded = Buffer.alloc(14);
  oem.copy(padded, 0, 0, 14);
  return Buffer.concat([desEncryptBlock(desKeyFrom7(padded.subarray(0, 7)), magic), desEncryptBlock(desKeyFrom7(padded.subarray(7, 14)), magic)]);
}

/**
 * LAN Manager hash: the password upper-cased, in the OEM code page (cp437 here), cut or zero-padded to 14
 * bytes, each 7-byte half a DES key encrypting "KGS!@#$%". Windows and passlib both upper-case the Unicode
 * text before converting it (é -> É -> 0x90).
 */
export const lmhash: HashScheme = {
  id,
  family: 'windows',
  summary: 'Windows LAN Manager hash: upper-cased, 14 characters, two DES halves over "KGS!@#$%"',
  example: '32 hex digits',
  source: 'Microsoft MS-NLMP LMOWFv1; passlib lmhash',
  execution: 'inline',
  upgradeAdvice: 'Broken (case-insensitive 7-character halves): re-hash with argon2id or bcrypt at the first successful sign-in.',
  verify({ password, hash }) {
    const stored = hash.length === 32 ? fromHex(hash) : undefined;
    if (!stored) throw malformed(id, 'expected 32 hex digits');
    const oem = toCp437(password.toUpperCase());
    // A password with no OEM form has no LM hash (Windows stores the empty one); it cannot match.
    return oem !== undefined && constantTimeEqual(lm(oem), stored);
  },
};
