/**
 * What the DES-based crypt(3) schemes (des_crypt, bsdi_crypt, bigcrypt, crypt16) share: the 7-bit key
 * from eight password bytes and the big-endian hash64 form of a 64-bit block.
 */
import { hash64Alphabet, hash64Value } from '../../codec.js';

/** Eight password bytes (fewer are zero-padded) as a DES key: each byte's low 7 bits, shifted past parity. */
export function desKeyFromPassword(bytes: Uint8Array, offset = 0): Buffer {
  const key = Buffer.alloc(8);
  for (let i = 0; i < 8 && offset + i < bytes.length; i++) key[i] = ((bytes[offset + i] ?? 0) << 1) & 0xff;
  return key;
}

/**
 * A 64-bit block as 11 crypt-alphabet characters, most significant 6 bits first; the last character carries
 * 4 bits and two zero bits. (des-crypt writes big-endian, unlike md5/sha-crypt.)
 */
export function encodeDesBlock(block: Uint8Array): string {
  let high = ((block[0] ?? 0) << 24) | ((block[1] ?? 0) << 16) | ((block[2] ?? 0) << 8) | (block[3] ?? 0);
  let low = ((block[4] ?? 0) << 24) | ((block[5] ?? 0) << 16) | ((block[6] ?? 0) << 8) | (block[7] ?? 0);
  let out = '';
  for (let i = 0; i < 11; i++) {
    out += hash64Alphabet.charAt((high >>> 26) & 63);
    high = ((high << 6) | (low >>> 26)) >>> 0;
    low = (low << 6) >>> 0;
  }
  return out;
}

/** The two-character salt of traditional crypt: first character is the low 6 bits. -1 when invalid. */
export function desSalt12(salt: string): number {
  const low = hash64Value(salt.charAt(0));
  const high = hash64Value(salt.charAt(1));
  return salt.length !== 2 || low < 0 || high < 0 ? -1 : low | (high << 6);
}

/** 11-character checksum shapes whose final character has its two unused bits clear. */
export const desChecksumPattern = '[./0-9A-Za-z]{10}[.26AEIMQUYcgkosw]';
