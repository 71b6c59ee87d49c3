/**
 * yescrypt (Solar Designer, yescrypt 1.x as in libxcrypt) in JavaScript, for verifying `$y$` and `$gy$`
 * hashes. Only what crypt(3) produces is supported: the default pwxform flavor (`j`: 6 rounds, gather 4,
 * simple 2, 12 KiB S-boxes), any N, r, p and t, no ROM, no hash upgrades (libxcrypt refuses those too).
 *
 * Word layout follows the reference implementation: inside SMix a 64-byte sub-block keeps its 16 words in
 * the "SIMD-shuffled" order (word i holds standard word 5i mod 16). The order is observable: pwxform reads
 * the words in pairs, the S-boxes are filled from shuffled blocks and Integerify takes words 0 and 13.
 */
import { createHash, createHmac } from 'node:crypto';

const pwxRounds = 6;
const pwxGather = 4;
const pwxSimple = 2;
/** Words per pwxform block (PWXgather * PWXsimple 64-bit lanes). */
const pwxWords = pwxGather * pwxSimple * 2;
/** One S-box: 2^8 * PWXsimple 64-bit entries, as 32-bit words. */
const sBoxWords = (1 << 8) * pwxSimple * 2;
/** Three S-boxes (S0, S1, S2). */
const sWords = 3 * sBoxWords;
/** Byte mask selecting an S-box entry group (Smask). */
const sMask = ((1 << 8) - 1) * pwxSimple * 8;
/** The only pwxform flavor libxcrypt computes: YESCRYPT_RW | ROUNDS_6 | GATHER_4 | SIMPLE_2 | SBOX_12K. */
export const yescryptDefaultFlags = 0xb6;
const flagRw = 0x002;

/** Salsa20 core over 16 shuffled words at `offset`, `rounds` rounds, added back in place. */
const salsaState = new Int32Array(16);
function salsa20(b: Int32Array, offset: number, rounds: number): void {
  const x = salsaState;
  for (let i = 0; i < 16; i++) x[(i * 5) % 16] = b[offset + i] ?? 0;
  let x0 = x[0] ?? 0, x1 = x[1] ?? 0, x2 = x[2] ?? 0, x3 = x[3] ?? 0;
  let x4 = x[4] ?? 0, x5 = x[5] ?? 0, x6 = x[6] ?? 0, x7 = x[7] ?? 0;
  let x8 = x[8] ?? 0, x9 = x[9] ?? 0, x10 = x[10] ?? 0, x11 = x[11] ?? 0;
  let x12 = x[12] ?? 0, x13 = x[13] ?? 0, x14 = x[14] ?? 0, x15 = x[15] ?? 0;
  let t: number;
  for (let i = 0; i < rounds; i += 2) {
    t = (x0 + x12) | 0; x4 ^= (t << 7) | (t >>> 25);
    t = (x4 + x0) | 0; x8 ^= (t << 9) | (t >>> 23);
    t = (x8 + x4) | 0; x12 ^= (t << 13) | (t >>> 19);
    t = (x12 + x8) | 0; x0 ^= (t << 18) | (t >>> 14);
    t = (x5 + x1) | 0; x9 ^= (t << 7) | (t >>> 25);
    t = (x9 + x5) | 0; x13 ^= (t << 9) | (t >>> 23);
    t = (x13 + x9) | 0; x1 ^= (t << 13) | (t >>> 19);
    t = (x1 + x13) | 0; x5 ^= (t << 18) | (t >>> 14);
    t = (x10 + x6) | 0; x14 ^= (t << 7) | (t >>> 25);
    t = (x14 + x10) | 0; x2 ^= (t << 9) | (t >>> 23);
    t = (x2 + x14) | 0; x6 ^= (t << 13) | (t >>> 19);
    t = (x6 + x2) | 0; x10 ^= (t << 18) | (t >>> 14);
    t = (x15 + x11) | 0; x3 ^= (t << 7) | (t >>> 25);
    t = (x3 + x15) | 0; x7 ^= (t << 9) | (t >>> 23);
    t = (x7 + x3) | 0; x11 ^= (t << 13) | (t >>> 19);
    t = (x11 + x7) | 0; x15 ^= (t << 18) | (t >>> 14);
    t = (x0 + x3) | 0; x1 ^= (t << 7) | (t >>> 25);
    t = (x1 + x0) | 0; x2 ^= (t << 9) | (t >>> 23);
    t = (x2 + x1) | 0; x3 ^= (t << 13) | (t >>> 19);
    t = (x3 + x2) | 0; x0 ^= (t << 18) | (t >>> 14);
    t = (x5 + x4) | 0; x6 ^= (t << 7) | (t >>> 25);
    t = (x6 + x5) | 0; x7 ^= (t << 9) | (t >>> 23);
    t = (x7 + x6) | 0; x4 ^= (t << 13) | (t >>> 19);
    t = (x4 + x7) | 0; x5 ^= (t << 18) | (t >>> 14);
    t = (x10 + x9) | 0; x11 ^= (t << 7) | (t >>> 25);
    t = (x11 + x10) | 0; x8 ^= (t << 9) | (t >>> 23);
    t = (x8 + x11) | 0; x9 ^= (t << 13) | (t >>> 19);
    t = (x9 + x8) | 0; x10 ^= (t << 18) | (t >>> 14);
    t = (x15 + x14) | 0; x12 ^= (t << 7) | (t >>> 25);
    t = (x12 + x15) | 0; x13 ^= (t << 9) | (t >>> 23);
    t = (x13 + x12) | 0; x14 ^= (t << 13) | (t >>> 19);
    t = (x14 + x13) | 0; x15 ^= (t << 18) | (t >>> 14);
  }
  x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3; x[4] = x4; x[5] = x5; x[6] = x6; x[7] = x7;
  x[8] = x8; x[9] = x9; x[10] = x10; x[11] = x11; x[12] = x12; x[13] = x13; x[14] = x14; x[15] = x15;
  for (let i = 0; i < 16; i++) b[offset + i] = ((b[offset + i] ?? 0) + (x[(i * 5) % 16] ?? 0)) | 0;
}

/** Classic scrypt BlockMix with salsa20/8 over 2r shuffled sub-blocks of X (Y is scratch). */
function blockMixSalsa8(x: Int32Array, y: Int32Array, r: number): void {
  const mix = new Int32Array(16);
  mix.set(x.subarray((2 * r - 1) * 16, 2 * r * 16));
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) mix[k] = (mix[k] ?? 0) ^ (x[i * 16 + k] ?? 0);
    salsa20(mix, 0, 8);
    y.set(mix, i * 16);
  }
  // Even outputs first, then odd ones.
  for (let i = 0; i < r; i++) x.set(y.subarray(2 * i * 16, 2 * i * 16 + 16), i * 16);
  for (let i = 0; i < r; i++) x.set(y.subarray((2 * i + 1) * 16, (2 * i + 1) * 16 + 16), (i + r) * 16);
}

/** pwxform state: the S array, word offsets of S0/S1/S2 inside it, and the S2 write index (64-bit lanes). */
interface Pwx {
  s: Int32Array;
  s0: number;
  s1: number;
  s2: number;
  w: number;
}

/** pwxform over one 16-word block at `offset` of `b` (PWXgather 4 x PWXsimple 2 lanes, 6 rounds). */
function pwxform(b: Int32Array, offset: number, ctx: Pwx): void {
  const s = ctx.s;
  const s0 = ctx.s0;
  const s1 = ctx.s1;
  const s2 = ctx.s2;
  let w = ctx.w;
  for (let round = 0; round < pwxRounds; round++) {
    const writeS2 = round !== 0 && round !== pwxRounds - 1;
    for (let lane = offset; lane < offset + pwxWords; lane += 4) {
      let xl = b[lane] ?? 0;
      let xh = b[lane + 1] ?? 0;
      // Entry groups picked by the low and high words of the first lane, before either lane changes.
      const p0 = s0 + ((xl & sMask) >>> 2);
      const p1 = s1 + ((xh & sMask) >>> 2);
      for (let k = 0; k < 4; k += 2) {
        if (k) {
          xl = b[lane + 2] ?? 0;
          xh = b[lane + 3] ?? 0;
        }
        // (xh * xl + S0 entry) xor S1 entry in 64 bits: the low product word from Math.imul, the high one
        // from 16-bit partial products, everything kept in int32 arithmetic.
        const al = xl & 0xffff;
        const ah = xl >>> 16;
        const bl = xh & 0xffff;
        const bh = xh >>> 16;
        const m1 = ah * bl;
        const m2 = al * bh;
        const carry = (((al * bl) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
        const productHi = (ah * bh + (m1 >>> 16) + (m2 >>> 16) + carry) | 0;
        const productLo = Math.imul(xl, xh);
        const sumLo = (productLo + (s[p0 + k] ?? 0)) | 0;
        const sumHi = (productHi + (s[p0 + k + 1] ?? 0) + (sumLo >>> 0 < productLo >>> 0 ? 1 : 0)) | 0;
        const lo = sumLo ^ (s[p1 + k] ?? 0);
        const hi = sumHi ^ (s[p1 + k + 1] ?? 0);
        b[lane + k] = lo;
        b[lane + k + 1] = hi;
        if (writeS2) {
          // S2_w <- the lane (w stays below 512: it grows by 32 a call, then wraps).
          s[s2 + 2 * w] = lo;
          s[s2 + 2 * w + 1] = hi;
          w++;
        }
      }
    }
  }
  // (S0, S1, S2) <- (S2, S0, S1)
  ctx.s0 = s2;
  ctx.s1 = s0;
  ctx.s2 = s1;
  ctx.w = w & ((1 << 8) * pwxSimple - 1);
}

/** BlockMix_pwxform: pwxform over 64-byte blocks chained by xor, then salsa20/2 on the last one. In place. */
function blockMixPwxform(x: Int32Array, r: number, ctx: Pwx): void {
  const r1 = (128 * r) / (pwxWords * 4);
  for (let i = 0; i < r1; i++) {
    if (r1 > 1) {
      // Block i is xored with the previous output (block r1-1, still untouched, for i = 0).
      const previous = (i === 0 ? r1 - 1 : i - 1) * pwxWords;
      for (let k = 0; k < pwxWords; k++) x[i * pwxWords + k] = (x[i * pwxWords + k] ?? 0) ^ (x[previous + k] ?? 0);
    }
    pwxform(x, i * pwxWords, ctx);
  }
  let i = ((r1 - 1) * pwxWords) / 16;
  salsa20(x, i * 16, 2);
  for (i++; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) x[i * 16 + k] = (x[i * 16 + k] ?? 0) ^ (x[(i - 1) * 16 + k] ?? 0);
    salsa20(x, i * 16, 2);
  }
}

/** Low 32 bits of Integerify (words 0 and 13 of the last sub-block are its low and high halves). */
function integerifyLow(x: Int32Array, r: number): number {
  return x[(2 * r - 1) * 16] ?? 0;
}

function p2floor(n: number): number {
  let x = n;
  let y: number;
  while ((y = x & (x - 1)) !== 0) x = y;
  return x;
}

/** Standard little-endian byte block → shuffled words. */
function loadShuffled(bytes: Buffer, offset: number, r: number, x: Int32Array): void {
  for (let k = 0; k < 2 * r; k++) {
    for (let i = 0; i < 16; i++) x[k * 16 + i] = bytes.readInt32LE(offset + 4 * (k * 16 + ((i * 5) % 16)));
  }
}

function storeShuffled(x: Int32Array, r: number, bytes: Buffer, offset: number): void {
  for (let k = 0; k < 2 * r; k++) {
    for (let i = 0; i < 16; i++) bytes.writeInt32LE(x[k * 16 + i] ?? 0, offset + 4 * (k * 16 + ((i * 5) % 16)));
  }
}

function blockMix(x: Int32Array, y: Int32Array, r: number, ctx: Pwx | undefined): void {
  if (ctx) blockMixPwxform(x, r, ctx);
  else blockMixSalsa8(x, y, r);
}

/** SMix1: fill V (n blocks of 32r words, from word offset vOffset) and mix B in place. */
function smix1(b: Buffer, bOffset: number, r: number, n: number, rw: boolean, v: Int32Array, vOffset: number, ctx: Pwx | undefined): void {
  const s = 32 * r;
  const x = new Int32Array(s);
  const y = new Int32Array(s);
  loadShuffled(b, bOffset, r, x);
  for (let i = 0; i < n; i++) {
    v.set(x, vOffset + i * s);
    if (rw && i > 1) {
      // Wrap(Integerify(X), i): a block among those written so far, biased to the most recent ones.
      const m = p2floor(i);
      const j = (integerifyLow(x, r) & (m - 1)) + (i - m);
      const from = vOffset + j * s;
      for (let k = 0; k < s; k++) x[k] = (x[k] ?? 0) ^ (v[from + k] ?? 0);
    }
    blockMix(x, y, r, ctx);
  }
  storeShuffled(x, r, b, bOffset);
}

/** SMix2: `loops` data-dependent reads (and, with rw, writes) of V over n blocks. */
function smix2(b: Buffer, bOffset: number, r: number, n: number, loops: number, rw: boolean, v: Int32Array, vOffset: number, ctx: Pwx | undefined): void {
  const s = 32 * r;
  const x = new Int32Array(s);
  const y = new Int32Array(s);
  loadShuffled(b, bOffset, r, x);
  for (let i = 0; i < loops; i++) {
    const j = integerifyLow(x, r) & (n - 1);
    const at = vOffset + j * s;
    for (let k = 0; k < s; k++) x[k] = (x[k] ?? 0) ^ (v[at + k] ?? 0);
    if (rw) v.set(x, at);
    blockMix(x, y, r, ctx);
  }
  storeShuffled(x, r, b, bOffset);
}

function hmacSha256(key: Uint8Array | string, message: Uint8Array | string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/** PBKDF2-HMAC-SHA256 with one iteration: the only count yescrypt uses. */
function pbkdf2Once(password: Uint8Array, salt: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let block = 1, offset = 0; offset < length; block++, offset += 32) {
    counter.writeUInt32BE(block);
    const t = createHmac('sha256', password).update(salt).update(counter).digest();
    t.copy(out, offset, 0, Math.min(32, length - offset));
  }
  return out;
}

export interface YescryptParams {
  flags: number;
  n: number;
  r: number;
  p: number;
  t: number;
}

/** yescrypt_kdf_body for the RW flavor; `prehash` selects the cheaper first pass. */
function kdfBody(password: Uint8Array, salt: Uint8Array, params: YescryptParams, prehash: boolean): Buffer {
  const { n, r, p, t } = params;
  const rw = (params.flags & flagRw) !== 0;
  const s = 32 * r;
  // The password is first condensed with HMAC keyed "yescrypt" ("yescrypt-prehash" for the first pass).
  const key = hmacSha256(prehash ? 'yescrypt-prehash' : 'yescrypt', password);
  const b = pbkdf2Once(key, salt, 128 * r * p);
  let passwd: Buffer = Buffer.from(b.subarray(0, 32));

  const v = new Int32Array(s * n);
  const sboxes = new Int32Array(sWords * p);
  const contexts: Pwx[] = [];

  // SMix: the loop counts of the reference (t = 0: a third of N rounds up; t = 1: two thirds).
  let nChunk = Math.floor(n / p);
  let loopsAll = nChunk;
  if (t <= 1) {
    if (t) loopsAll *= 2;
    loopsAll = Math.floor((loopsAll + 2) / 3);
  } else {
    loopsAll *= t - 1;
  }
  let loopsRw = Math.floor(loopsAll / p);
  nChunk -= nChunk % 2;
  loopsAll += loopsAll % 2;
  loopsRw += loopsRw % 2;

  for (let i = 0, vChunk = 0; i < p; i++, vChunk += nChunk) {
    const np = i < p - 1 ? nChunk : n - vChunk;
    const bOffset = i * 128 * r;
    const ctx: Pwx = { s: sboxes.subarray(i * sWords, (i + 1) * sWords), s0: 2 * sBoxWords, s1: sBoxWords, s2: 0, w: 0 };
    contexts.push(ctx);
    // The S-boxes are classic scrypt SMix1 output over the first 128 bytes of B_i.
    smix1(b, bOffset, 1, sWords / 32, false, ctx.s, 0, undefined);
    if (i === 0) passwd = hmacSha256(b.subarray(bOffset + 128 * r - 64, bOffset + 128 * r), passwd);
    smix1(b, bOffset, r, np, rw, v, vChunk * s, ctx);
    smix2(b, bOffset, r, p2floor(np), loopsRw, rw, v, vChunk * s, ctx);
  }
  for (let i = 0; i < p; i++) smix2(b, i * 128 * r, r, n, loopsAll - loopsRw, false, v, 0, contexts[i]);

  const dk = pbkdf2Once(passwd, b, 32);
  if (prehash) return dk;
  // SCRAM-style finish: StoredKey = SHA-256(HMAC(dk, "Client Key")).
  return createHash('sha256').update(hmacSha256(dk, 'Client Key')).digest();
}

/** yescrypt_kdf with a 32-byte output, as crypt(3) calls it. */
export function yescryptKdf(password: Uint8Array, salt: Uint8Array, params: YescryptParams): Buffer {
  let input = password;
  const chunk = Math.floor(params.n / params.p);
  if (chunk >= 0x100 && chunk * params.r >= 0x20000) {
    // Large settings first run at N/64, and that result becomes the password.
    input = kdfBody(password, salt, { ...params, n: params.n / 64, t: 0 }, true);
  }
  return kdfBody(input, salt, params, false);
}
