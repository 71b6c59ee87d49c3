import { describe, expect, it } from 'vitest';
import { digest } from '../../src/hashes/codec.js';
import { md4 } from '../../src/hashes/md4.js';

// RFC 1320 appendix A.5 test suite.
const rfc1320: [string, string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

describe('md4 (Node has none: OpenSSL 3 legacy provider)', () => {
  it.each(rfc1320)('md4(%j)', (input, expected) => {
    expect(md4(Buffer.from(input)).toString('hex')).toBe(expected);
    expect(digest('md4', input).toString('hex')).toBe(expected);
  });
  it('pads correctly at block boundaries', () => {
    for (const length of [55, 56, 63, 64, 65, 119, 120]) expect(md4(Buffer.alloc(length, 0x61))).toHaveLength(16);
    expect(digest('md4', 'ab', 'c').toString('hex')).toBe('a448017aaf21d8525fc10ae87aa6729d');
  });
});
