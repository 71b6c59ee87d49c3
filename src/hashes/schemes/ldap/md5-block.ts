/**
 * One MD5 compression (RFC 1321 section 3.4) from the standard initial state, returning the four state
 * words. node:crypto only gives finished digests; Dovecot's CRAM-MD5 stores the HMAC-MD5 states after the
 * key block, which only the compression function itself exposes.
 */
const sines = Array.from({ length: 64 }, (_, index) => Math.floor(Math.abs(Math.sin(index + 1)) * 2 ** 32) >>> 0);
const shifts = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const initialState = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476] as const;

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

/** The MD5 state words a, b, c, d after compressing one 64-byte block from `state` (default: the IV). */
export function md5Compress(block: Uint8Array, state: readonly [number, number, number, number] = initialState): [number, number, number, number] {
  if (block.length !== 64) throw new RangeError('md5Compress needs a 64-byte block');
  const words = Array.from({ length: 16 }, (_, index) => Buffer.from(block.buffer, block.byteOffset, 64).readUInt32LE(index * 4));
  let [a, b, c, d] = state;
  for (let step = 0; step < 64; step++) {
    const round = step >> 4;
    let mixed: number;
    let index: number;
    if (round === 0) {
      mixed = (b & c) | (~b & d);
      index = step;
    } else if (round === 1) {
      mixed = (d & b) | (~d & c);
      index = (5 * step + 1) & 15;
    } else if (round === 2) {
      mixed = b ^ c ^ d;
      index = (3 * step + 5) & 15;
    } else {
      mixed = c ^ (b | ~d);
      index = (7 * step) & 15;
    }
    const sum = (mixed + a + (sines[step] ?? 0) + (words[index] ?? 0)) >>> 0;
    a = d;
    d = c;
    c = b;
    b = (b + rotateLeft(sum, shifts[(round << 2) | (step & 3)] ?? 0)) >>> 0;
  }
  return [(state[0] + a) >>> 0, (state[1] + b) >>> 0, (state[2] + c) >>> 0, (state[3] + d) >>> 0];
}
