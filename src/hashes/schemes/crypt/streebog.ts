/**
 * GOST R 34.11-2012 "Streebog" 256-bit hash and its HMAC (RFC 6986, RFC 7836), only for gost_yescrypt:
 * Node's OpenSSL has no GOST. Byte-string convention of the common implementations (libxcrypt, OpenSSL's
 * GOST engine): the message is read as a little-endian 512-bit number per block. 64-bit lanes are kept as
 * low/high int32 pairs.
 */
import { streebogA, streebogC, streebogPi } from './streebog-constants.js';

const hexWords = (text: string): bigint[] => text.trim().split(/\s+/u).map((word) => BigInt(`0x${word}`));

/** A state of 8 lanes as 16 int32 (lane i: low word at 2i, high word at 2i + 1). */
type State = Int32Array;

function stateFromBigints(words: readonly bigint[]): State {
  const state = new Int32Array(16);
  words.forEach((word, i) => {
    state[2 * i] = Number(word & 0xffffffffn) | 0;
    state[2 * i + 1] = Number(word >> 32n) | 0;
  });
  return state;
}

const iterationConstants: State[] = (() => {
  const words = hexWords(streebogC);
  return Array.from({ length: 12 }, (_, i) => stateFromBigints(words.slice(8 * i, 8 * i + 8)));
})();

/**
 * S, P and L folded together: lane i of LPS(x) is the xor over j of table[j][byte i of lane j], where
 * table[j][b] = l(Pi[b] in byte j). The transposition P is the swap of the lane and byte indices.
 */
const lpsTable: Int32Array = (() => {
  const rows = hexWords(streebogA);
  const table = new Int32Array(8 * 256 * 2);
  for (let j = 0; j < 8; j++) {
    for (let b = 0; b < 256; b++) {
      const input = BigInt(streebogPi[b] ?? 0) << BigInt(8 * j);
      let out = 0n;
      for (let i = 0; i < 64; i++) if ((input >> BigInt(63 - i)) & 1n) out ^= rows[i] ?? 0n;
      table[(j * 256 + b) * 2] = Number(out & 0xffffffffn) | 0;
      table[(j * 256 + b) * 2 + 1] = Number(out >> 32n) | 0;
    }
  }
  return table;
})();

const mixed = new Int32Array(16);
/** out = LPS(x xor y); out may alias x or y. */
function xlps(x: State, y: State, out: State): void {
  for (let k = 0; k < 16; k++) mixed[k] = (x[k] ?? 0) ^ (y[k] ?? 0);
  for (let i = 0; i < 8; i++) {
    const word = i < 4 ? 0 : 1;
    const shift = 8 * (i & 3);
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < 8; j++) {
      const index = ((j * 256 + (((mixed[2 * j + word] ?? 0) >>> shift) & 0xff)) * 2) | 0;
      lo ^= lpsTable[index] ?? 0;
      hi ^= lpsTable[index + 1] ?? 0;
    }
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  }
}

/** The compression function g_N(h, m), updating h in place. */
function compress(h: State, n: State, m: State): void {
  const key = new Int32Array(16);
  const data = new Int32Array(16);
  xlps(h, n, key);
  xlps(key, m, data);
  for (let i = 0; i < 11; i++) {
    xlps(key, iterationConstants[i] ?? key, key);
    xlps(key, data, data);
  }
  xlps(key, iterationConstants[11] ?? key, key);
  for (let k = 0; k < 16; k++) h[k] = (h[k] ?? 0) ^ (key[k] ?? 0) ^ (data[k] ?? 0) ^ (m[k] ?? 0);
}

/** a += b modulo 2^512 (little-endian lanes). */
function add512(a: State, b: State): void {
  let carry = 0;
  for (let k = 0; k < 16; k++) {
    const total = ((a[k] ?? 0) >>> 0) + ((b[k] ?? 0) >>> 0) + carry;
    carry = total > 0xffffffff ? 1 : 0;
    a[k] = total | 0;
  }
}

function blockState(bytes: Uint8Array): State {
  const padded = Buffer.alloc(64);
  padded.set(bytes);
  const state = new Int32Array(16);
  for (let k = 0; k < 16; k++) state[k] = padded.readInt32LE(4 * k);
  return state;
}

/** Streebog-256 of a byte string. */
export function streebog256(message: Uint8Array): Buffer {
  const h = new Int32Array(16).fill(0x01010101);
  const n = new Int32Array(16);
  const sigma = new Int32Array(16);
  const blockBits = new Int32Array(16);
  blockBits[0] = 512;
  let offset = 0;
  for (; message.length - offset >= 64; offset += 64) {
    const m = blockState(message.subarray(offset, offset + 64));
    compress(h, n, m);
    add512(n, blockBits);
    add512(sigma, m);
  }
  const rest = message.subarray(offset);
  const last = Buffer.alloc(64);
  last.set(rest);
  last[rest.length] = 0x01;
  const m = blockState(last);
  compress(h, n, m);
  const bits = new Int32Array(16);
  bits[0] = rest.length * 8;
  add512(n, bits);
  add512(sigma, m);
  const zero = new Int32Array(16);
  compress(h, zero, n);
  compress(h, zero, sigma);
  const out = Buffer.alloc(32);
  for (let k = 0; k < 8; k++) out.writeInt32LE(h[8 + k] ?? 0, 4 * k);
  return out;
}

/** HMAC over Streebog-256 (64-byte block), as RFC 7836 section 4.1.1. */
export function hmacStreebog256(key: Uint8Array, message: Uint8Array): Buffer {
  const block = Buffer.alloc(64);
  (key.length > 64 ? streebog256(key) : key).forEach((byte, i) => (block[i] = byte));
  const inner = streebog256(Buffer.concat([block.map((byte) => byte ^ 0x36), message]));
  return streebog256(Buffer.concat([block.map((byte) => byte ^ 0x5c), inner]));
}
