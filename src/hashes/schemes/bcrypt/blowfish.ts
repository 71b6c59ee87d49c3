/**
 * A small EksBlowfish (bcrypt) core, used only for `$2x$`: bcryptjs implements the correct key expansion,
 * and PHP's crypt_blowfish bug-compatibility mode needs the pre-2011 one, where every password byte was
 * sign-extended (as a C `char`) before being shifted into the 32-bit key words. For bytes < 0x80 both are
 * identical.
 *
 * Blowfish's initial state is the fractional part of pi in hexadecimal (18 P words, then 4 x 256 S-box
 * words). Rather than carrying a 4 KiB table, it is computed once, on first use, with BigInt arithmetic.
 */

const stateWords = 18 + 4 * 256;
let initialState: Uint32Array | undefined;

/** arctan(1/x) in fixed point (scaled by 2^bits), by its alternating Taylor series. */
function arctanInverse(x: bigint, bits: bigint): bigint {
  const xSquared = x * x;
  let power = (1n << bits) / x;
  let sum = power;
  for (let k = 1n, sign = -1n; power !== 0n; k++, sign = -sign) {
    power /= xSquared;
    sum += (sign * power) / (2n * k + 1n);
  }
  return sum;
}

/** The first 1042 32-bit words of pi's fractional part (Machin: pi = 16 atan(1/5) - 4 atan(1/239)). */
function blowfishInitialState(): Uint32Array {
  if (initialState) return initialState;
  const wanted = BigInt(stateWords * 32);
  const guard = 64n;
  const bits = wanted + guard;
  const pi = 16n * arctanInverse(5n, bits) - 4n * arctanInverse(239n, bits);
  // Drop the integer part (3) and the guard bits, leaving exactly the fraction's first `wanted` bits.
  let fraction = (pi - (3n << bits)) >> guard;
  const words = new Uint32Array(stateWords);
  for (let i = stateWords - 1; i >= 0; i--) {
    words[i] = Number(fraction & 0xffffffffn);
    fraction >>= 32n;
  }
  initialState = words;
  return words;
}

/** Bytes of the 24-byte magic text bcrypt encrypts 64 times: "OrpheanBeholderScryDoubt". */
const magic = Buffer.from('OrpheanBeholderScryDoubt', 'latin1');

/**
 * One Blowfish block, in place in `block[0..1]`; the round function F is written out because this loop
 * is all bcrypt does. Int32 arithmetic: `| 0` keeps the S-box sums modulo 2^32.
 */
function encrypt(p: Int32Array, s: Int32Array, block: Int32Array): void {
  let l = block[0] ?? 0;
  let r = block[1] ?? 0;
  for (let i = 0; i < 16; i += 2) {
    l ^= p[i] ?? 0;
    r ^= ((((s[l >>> 24] ?? 0) + (s[256 | ((l >>> 16) & 0xff)] ?? 0)) ^ (s[512 | ((l >>> 8) & 0xff)] ?? 0)) + (s[768 | (l & 0xff)] ?? 0)) | 0;
    r ^= p[i + 1] ?? 0;
    l ^= ((((s[r >>> 24] ?? 0) + (s[256 | ((r >>> 16) & 0xff)] ?? 0)) ^ (s[512 | ((r >>> 8) & 0xff)] ?? 0)) + (s[768 | (r & 0xff)] ?? 0)) | 0;
  }
  block[0] = r ^ (p[17] ?? 0);
  block[1] = l ^ (p[16] ?? 0);
}

/** Re-encrypts P then S in place, chaining one block through them, optionally XORing salt words in. */
function rekey(p: Int32Array, s: Int32Array, block: Int32Array, target: Int32Array, salt: Int32Array | undefined, saltStart: number): number {
  let saltIndex = saltStart;
  for (let i = 0; i < target.length; i += 2) {
    if (salt) {
      block[0] = (block[0] ?? 0) ^ (salt[saltIndex & 3] ?? 0);
      block[1] = (block[1] ?? 0) ^ (salt[(saltIndex + 1) & 3] ?? 0);
      saltIndex += 2;
    }
    encrypt(p, s, block);
    target[i] = block[0] ?? 0;
    target[i + 1] = block[1] ?? 0;
  }
  return saltIndex;
}

/** ExpandKey: XOR the 18 key words into P, then re-encrypt P and S (salted for the first expansion only). */
function expand(p: Int32Array, s: Int32Array, keyWords: Int32Array, salt?: Int32Array): void {
  for (let i = 0; i < 18; i++) p[i] = (p[i] ?? 0) ^ (keyWords[i] ?? 0);
  const block = new Int32Array(2);
  const next = rekey(p, s, block, p, salt, 0);
  rekey(p, s, block, s, salt, next);
}

/**
 * The 18 key words of a bcrypt key: the password bytes and one terminating NUL, repeated to 72 bytes
 * (which is where bcrypt's 72-byte truncation comes from). With `signExtend`, each byte is widened as a
 * signed char, so a byte >= 0x80 sets all higher bits of the word built so far: crypt_blowfish's
 * documented pre-2011 bug, reproduced by its `$2x$` mode.
 */
export function bcryptKeyWords(password: Uint8Array, signExtend: boolean): Int32Array {
  const words = new Int32Array(18);
  let position = 0;
  for (let i = 0; i < 18; i++) {
    let word = 0;
    for (let j = 0; j < 4; j++) {
      const byte = position < password.length ? (password[position] ?? 0) : 0;
      const widened = signExtend && byte >= 0x80 ? byte | 0xffffff00 : byte;
      word = (word << 8) | widened;
      position = position >= password.length ? 0 : position + 1;
    }
    words[i] = word;
  }
  return words;
}

function toWords(bytes: Uint8Array): Int32Array {
  const words = new Int32Array(bytes.length >>> 2);
  for (let i = 0; i < words.length; i++) {
    words[i] = ((bytes[4 * i] ?? 0) << 24) | ((bytes[4 * i + 1] ?? 0) << 16) | ((bytes[4 * i + 2] ?? 0) << 8) | (bytes[4 * i + 3] ?? 0);
  }
  return words;
}

/** bcrypt's raw output (23 bytes, as crypt encodes it) for 2^cost rounds over the given key words. */
export function eksBlowfish(keyWords: Int32Array, salt: Uint8Array, cost: number): Buffer {
  const state = blowfishInitialState();
  const p = new Int32Array(state.buffer, 0, 18).slice();
  const s = new Int32Array(state.buffer, 18 * 4, 1024).slice();
  const saltWords = toWords(salt);
  expand(p, s, keyWords, saltWords);
  // The salt as a key: its 4 words repeated over the 18 P entries.
  const saltKey = new Int32Array(18);
  for (let i = 0; i < 18; i++) saltKey[i] = saltWords[i & 3] ?? 0;
  for (let round = 2 ** cost; round > 0; round--) {
    expand(p, s, keyWords);
    expand(p, s, saltKey);
  }
  const text = toWords(magic);
  const block = new Int32Array(2);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 6; j += 2) {
      block[0] = text[j] ?? 0;
      block[1] = text[j + 1] ?? 0;
      encrypt(p, s, block);
      text[j] = block[0];
      text[j + 1] = block[1];
    }
  }
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeInt32BE(text[i] ?? 0, 4 * i);
  return out.subarray(0, 23);
}
