/**
 * MD4 (RFC 1320) in JavaScript: Node's OpenSSL 3 build keeps MD4 in the legacy provider, which Node does not
 * load, yet NT hashes (nthash, msdcc, bsd_nthash, Dovecot PLAIN-MD4) are MD4. Inputs are passwords, so
 * speed is not a concern.
 */
const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

const round2Order = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const round3Order = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

export function md4(input: Uint8Array): Buffer {
  const bitLength = input.length * 8;
  const padded = Buffer.alloc((((input.length + 8) >> 6) + 1) * 64);
  padded.set(input);
  padded[input.length] = 0x80;
  padded.writeUInt32LE(bitLength >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLength / 2 ** 32), padded.length - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(offset + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const word = (i: number): number => x[i] ?? 0;
    const step = (fn: number, k: number, s: number, add: number): void => {
      const next = rotl((a + fn + word(k) + add) >>> 0, s);
      [a, b, c, d] = [d, next, b, c];
    };
    for (let i = 0; i < 16; i++) step((b & c) | (~b & d), i, [3, 7, 11, 19][i % 4] ?? 0, 0);
    for (let i = 0; i < 16; i++) step((b & c) | (b & d) | (c & d), round2Order[i] ?? 0, [3, 5, 9, 13][i % 4] ?? 0, 0x5a827999);
    for (let i = 0; i < 16; i++) step(b ^ c ^ d, round3Order[i] ?? 0, [3, 9, 11, 15][i % 4] ?? 0, 0x6ed9eba1);
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = Buffer.alloc(16);
  out.writeUInt32LE(a, 0);
  out.writeUInt32LE(b, 4);
  out.writeUInt32LE(c, 8);
  out.writeUInt32LE(d, 12);
  return out;
}
