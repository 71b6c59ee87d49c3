import { describe, expect, it } from 'vitest';
import { desCbcEncrypt, desSaltedEncrypt, desEncryptBlock, desSBoxes } from '../../src/hashes/des.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

// [key, plaintext, ciphertext]: the textbook worked example (Grabbe, "The DES Algorithm Illustrated"), the
// NBS Special Publication 500-20 validation set (variable plaintext, variable key, permutation and
// substitution tests), the FIPS 81 ECB example, and the weak-looking key that maps 8787.. to zero.
const ecbVectors: [string, string, string][] = [
  ['133457799bbcdff1', '0123456789abcdef', '85e813540f0ab405'],
  ['0e329232ea6d0d73', '8787878787878787', '0000000000000000'],
  ['0101010101010101', '8000000000000000', '95f8a5e5dd31d900'],
  ['0101010101010101', '4000000000000000', 'dd7f121ca5015619'],
  ['0101010101010101', '2000000000000000', '2e8653104f3834ea'],
  ['0101010101010101', '1000000000000000', '4bd388ff6cd81d4f'],
  ['8001010101010101', '0000000000000000', '95a8d72813daa94d'],
  ['4001010101010101', '0000000000000000', '0eec1487dd8c26d5'],
  ['2001010101010101', '0000000000000000', '7ad16ffb79c45926'],
  ['1046913489980131', '0000000000000000', '88d55e54f54c97b4'],
  ['7ca110454a1a6e57', '01a1d6d039776742', '690f5b0d9a26939b'],
  ['0131d9619dc1376e', '5cd54ca83def57da', '7a389d10354bd271'],
  ['0123456789abcdef', Buffer.from('Now is t').toString('hex'), '3fa40e8a984d4815'],
];

describe('DES (Node has none: OpenSSL 3 legacy provider)', () => {
  it('S-box rows are permutations of 0..15', () => {
    for (const box of desSBoxes) {
      for (let row = 0; row < 4; row++) expect(new Set(box.slice(row * 16, row * 16 + 16)).size).toBe(16);
    }
  });

  it.each(ecbVectors)('key %s, plaintext %s', (key, plain, cipher) => {
    expect(desEncryptBlock(hex(key), hex(plain)).toString('hex')).toBe(cipher);
  });

  it('ignores parity bits', () => {
    expect(desEncryptBlock(hex('0000000000000000'), hex('8000000000000000')).toString('hex')).toBe('95f8a5e5dd31d900');
  });

  it('CBC: FIPS 81 example', () => {
    const out = desCbcEncrypt(hex('0123456789abcdef'), hex('1234567890abcdef'), Buffer.from('Now is the time for all '));
    expect(out.toString('hex')).toBe('e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6');
  });

  it('crypt core: salt 0, count 1 is plain DES; salt perturbs; count chains', () => {
    const key = hex('133457799bbcdff1');
    const block = hex('0123456789abcdef');
    expect(desSaltedEncrypt(key, 0, 1, block).toString('hex')).toBe('85e813540f0ab405');
    expect(desSaltedEncrypt(key, 0, 2, block)).toEqual(desEncryptBlock(key, desEncryptBlock(key, block)));
    expect(desSaltedEncrypt(key, 1, 1, block).toString('hex')).not.toBe('85e813540f0ab405');
  });

  it('rejects bad sizes', () => {
    expect(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8))).toThrow(RangeError);
    expect(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(9))).toThrow(RangeError);
    expect(() => desCbcEncrypt(new Uint8Array(8), new Uint8Array(8), new Uint8Array(12))).toThrow(RangeError);
    expect(() => desSaltedEncrypt(new Uint8Array(8), 0, 0)).toThrow(RangeError);
    expect(() => desSaltedEncrypt(new Uint8Array(8), 1 << 24, 1)).toThrow(RangeError);
  });
});
