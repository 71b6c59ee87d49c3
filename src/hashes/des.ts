/**
 * DES (FIPS 46-3) in JavaScript. Node's OpenSSL 3 build keeps DES in the legacy provider, which Node does not
 * load, yet crypt(3) (des_crypt, bsdi_crypt, bigcrypt, crypt16), LAN Manager and Oracle 10g hashes are DES.
 *
 * Representation: a block is two 32-bit halves, FIPS bit 1 being the most significant bit of the left half.
 * The 48-bit expansion is handled as two 24-bit halves, which is also where crypt(3) applies its salt: a set
 * salt bit i swaps expansion outputs i and i + 24 (bits counted from 0 at the start of the E table).
 */

// FIPS 46-3 tables, 1-based bit positions as printed in the standard.
const initialPermutation = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32,
  24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47,
  39, 31, 23, 15, 7,
];

const permutationP = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4,
  25,
];

const permutedChoice1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55,
  47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

// The first 24 entries draw only from C (1..28), the last 24 only from D (29..56).
const permutedChoice2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30,
  40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

const keyShifts = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/** S-boxes S1..S8, each 4 rows of 16, indexed row * 16 + column. */
export const desSBoxes: readonly (readonly number[])[] = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1,
    14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14,
    7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6,
    4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6,
    9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2,
    1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14,
    15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4,
    11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11,
    4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

const at = (table: readonly number[], index: number): number => table[index] ?? 0;

// S-box output folded through P: one lookup per 6-bit group gives its contribution to f(R, K).
const spTables: Uint32Array[] = desSBoxes.map((box, group) => {
  const table = new Uint32Array(64);
  for (let v = 0; v < 64; v++) {
    const row = ((v >> 4) & 2) | (v & 1);
    const column = (v >> 1) & 15;
    const beforeP = (at(box, row * 16 + column) << (28 - 4 * group)) >>> 0;
    let out = 0;
    for (let i = 0; i < 32; i++) out |= ((beforeP >>> (32 - at(permutationP, i))) & 1) << (31 - i);
    table[v] = out >>> 0;
  }
  return table;
});
const [sp0, sp1, sp2, sp3, sp4, sp5, sp6, sp7] = spTables as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

const finalPermutation = (() => {
  const inverse = new Array<number>(64);
  initialPermutation.forEach((from, to) => (inverse[from - 1] = to + 1));
  return inverse;
})();

function bitOf(bytes: Uint8Array, position: number): number {
  return ((bytes[position >> 3] ?? 0) >> (7 - (position & 7))) & 1;
}

function permuteIn(block: Uint8Array): [number, number] {
  let left = 0;
  let right = 0;
  for (let i = 0; i < 32; i++) left |= bitOf(block, at(initialPermutation, i) - 1) << (31 - i);
  for (let i = 32; i < 64; i++) right |= bitOf(block, at(initialPermutation, i) - 1) << (63 - i);
  return [left >>> 0, right >>> 0];
}

function permuteOut(left: number, right: number): Buffer {
  const out = Buffer.alloc(8);
  for (let i = 0; i < 64; i++) {
    const from = at(finalPermutation, i) - 1;
    const bit = from < 32 ? (left >>> (31 - from)) & 1 : (right >>> (63 - from)) & 1;
    out[i >> 3] = (out[i >> 3] ?? 0) | (bit << (7 - (i & 7)));
  }
  return out;
}

/** Sixteen round keys as 32 numbers: the left and right 24-bit halves of each 48-bit subkey. */
export type DesKeySchedule = Uint32Array;

/** The key schedule; the low bit of each key byte (parity) is ignored, as FIPS 46-3 says. */
export function desKeySchedule(key: Uint8Array): DesKeySchedule {
  if (key.length !== 8) throw new RangeError('DES key must be 8 bytes');
  let c = 0;
  let d = 0;
  for (let i = 0; i < 28; i++) c |= bitOf(key, at(permutedChoice1, i) - 1) << (27 - i);
  for (let i = 28; i < 56; i++) d |= bitOf(key, at(permutedChoice1, i) - 1) << (55 - i);
  const schedule = new Uint32Array(32);
  for (let round = 0; round < 16; round++) {
    const shift = at(keyShifts, round);
    c = ((c << shift) | (c >>> (28 - shift))) & 0xfffffff;
    d = ((d << shift) | (d >>> (28 - shift))) & 0xfffffff;
    let kl = 0;
    let kr = 0;
    for (let i = 0; i < 24; i++) kl |= ((c >>> (28 - at(permutedChoice2, i))) & 1) << (23 - i);
    for (let i = 24; i < 48; i++) kr |= ((d >>> (56 - at(permutedChoice2, i))) & 1) << (47 - i);
    schedule[2 * round] = kl;
    schedule[2 * round + 1] = kr;
  }
  return schedule;
}

/**
 * crypt(3) salt → mask over the left 24-bit expansion half: salt bit i (least significant first) marks
 * expansion output i, which sits at bit 23 - i of that half.
 */
function saltMask(salt: number): number {
  let mask = 0;
  for (let i = 0; i < 24; i++) if ((salt >>> i) & 1) mask |= 1 << (23 - i);
  return mask;
}

/**
 * `count` chained DES encryptions of `block` under `schedule`, with the crypt(3) salt perturbing E. Between
 * chained encryptions FP then IP cancel out, so only the halves swap.
 */
function encryptRounds(schedule: DesKeySchedule, block: Uint8Array, salt: number, count: number): Buffer {
  const mask = saltMask(salt);
  let [left, right] = permuteIn(block);
  for (let iteration = 0; iteration < count; iteration++) {
    for (let round = 0; round < 16; round++) {
      // E(R): R rotated right by one bit, then eight overlapping 6-bit windows four bits apart.
      const x = ((right >>> 1) | (right << 31)) >>> 0;
      let el = ((x >>> 26) << 18) | (((x >>> 22) & 63) << 12) | (((x >>> 18) & 63) << 6) | ((x >>> 14) & 63);
      let er = (((x >>> 10) & 63) << 18) | (((x >>> 6) & 63) << 12) | (((x >>> 2) & 63) << 6) | (((x << 2) | (x >>> 30)) & 63);
      const swap = (el ^ er) & mask;
      el ^= swap ^ (schedule[2 * round] ?? 0);
      er ^= swap ^ (schedule[2 * round + 1] ?? 0);
      const f =
        (sp0[(el >>> 18) & 63] ?? 0) |
        (sp1[(el >>> 12) & 63] ?? 0) |
        (sp2[(el >>> 6) & 63] ?? 0) |
        (sp3[el & 63] ?? 0) |
        (sp4[(er >>> 18) & 63] ?? 0) |
        (sp5[(er >>> 12) & 63] ?? 0) |
        (sp6[(er >>> 6) & 63] ?? 0) |
        (sp7[er & 63] ?? 0);
      const next = (left ^ f) >>> 0;
      left = right;
      right = next;
    }
    [left, right] = [right, left];
  }
  return permuteOut(left, right);
}

function checkBlock(block: Uint8Array): void {
  if (block.length !== 8) throw new RangeError('DES block must be 8 bytes');
}

/** Plain DES, one 8-byte block (ECB). */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  checkBlock(block);
  return encryptRounds(desKeySchedule(key), block, 0, 1);
}

/** DES-CBC over whole 8-byte blocks; the caller pads. */
export function desCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  checkBlock(iv);
  if (data.length % 8 !== 0) throw new RangeError('DES-CBC input must be a whole number of 8-byte blocks');
  const schedule = desKeySchedule(key);
  const out = Buffer.alloc(data.length);
  let chain: Uint8Array = iv;
  const input = Buffer.alloc(8);
  for (let offset = 0; offset < data.length; offset += 8) {
    for (let i = 0; i < 8; i++) input[i] = (data[offset + i] ?? 0) ^ (chain[i] ?? 0);
    const cipher = encryptRounds(schedule, input, 0, 1);
    out.set(cipher, offset);
    chain = cipher;
  }
  return out;
}

const zeroBlock = new Uint8Array(8);

/**
 * The crypt(3) core: `count` chained salted DES encryptions of `block` (zero by default) under `key`.
 * `salt` is 12 bits for traditional crypt, 24 bits for BSDi extended crypt; salt 0 and count 1 is plain DES.
 */
export function desSaltedEncrypt(key: Uint8Array, salt: number, count: number, block: Uint8Array = zeroBlock): Buffer {
  checkBlock(block);
  if (!Number.isInteger(count) || count < 1) throw new RangeError('DES crypt count must be a positive integer');
  if (!Number.isInteger(salt) || salt < 0 || salt > 0xffffff) throw new RangeError('DES crypt salt must be 24 bits');
  return encryptRounds(desKeySchedule(key), block, salt, count);
}
