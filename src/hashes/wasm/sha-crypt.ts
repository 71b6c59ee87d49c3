/**
 * SHA-256, SHA-512 and the SHA-crypt round loop in WebAssembly (source: scripts/wasm/sha-crypt.wat). Through
 * node:crypto every round of `$5$` / `$6$` is one JS -> C++ call, and that crossing costs more than the
 * hashing; here one call runs every round.
 *
 * The module is compiled on first use, once per thread (each hash worker has its own copy), and kept. Where
 * WebAssembly is missing (node --jitless) or refused, every function here returns undefined and callers
 * stay on node:crypto.
 */
import { shaCryptWasmBase64 } from './sha-crypt-module.js';

/** The part of the WebAssembly JS API used here: this project's TypeScript libs do not declare it. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
}

/** What sha-crypt.wat exports. */
interface ShaCryptExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  /** First byte the caller may use; below it are the module's constants and scratch space. */
  heap_base: { value: number };
  sha256(input: number, length: number, out: number): void;
  sha512(input: number, length: number, out: number): void;
  crypt_rounds(digestLength: number, p: number, pLength: number, s: number, sLength: number, c: number, rounds: number, message: number): void;
  /** Zeroes the module's own scratch space (schedule, state, last block). */
  clear_scratch(): void;
}

export type ShaAlgorithm = 'sha256' | 'sha512';

const digestLengths: Record<ShaAlgorithm, 32 | 64> = { sha256: 32, sha512: 64 };
const wasmPageBytes = 65_536;

/** undefined: not tried yet in this thread; null: WebAssembly unusable here. */
let cached: ShaCryptExports | null | undefined;

function shaCryptModule(): ShaCryptExports | undefined {
  if (cached === undefined) {
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    try {
      // Synchronous compilation is fine for a module this small (a few KB), and keeps callers synchronous.
      cached = api ? (new api.Instance(new api.Module(Buffer.from(shaCryptWasmBase64, 'base64'))).exports as ShaCryptExports) : null;
    } catch {
      // A host may expose WebAssembly yet forbid compiling (code generation disallowed): node:crypto still works.
      cached = null;
    }
  }
  return cached ?? undefined;
}

/** Whether this thread runs SHA-crypt in WebAssembly (false: the node:crypto fallback). */
export function shaCryptWasmAvailable(): boolean {
  return shaCryptModule() !== undefined;
}

function align8(offset: number): number {
  return (offset + 7) & ~7;
}

/**
 * The module's memory as bytes, grown first to hold `end` bytes. A fresh view each call, because growing
 * detaches the previous ArrayBuffer.
 */
function heapTo(wasm: ShaCryptExports, end: number): Uint8Array {
  const missing = end - wasm.memory.buffer.byteLength;
  if (missing > 0) wasm.memory.grow(Math.ceil(missing / wasmPageBytes));
  return new Uint8Array(wasm.memory.buffer);
}

/**
 * Zeroes everything a call wrote, up to `end`. The memory lives as long as the thread, and P is derived from
 * the password: it has no reason to outlast the verification that needed it.
 */
function wipe(wasm: ShaCryptExports, heap: Uint8Array, end: number): void {
  heap.fill(0, wasm.heap_base.value, end);
  wasm.clear_scratch();
}

/** SHA-256 or SHA-512 of `data` computed in WebAssembly; undefined without WebAssembly. */
export function shaDigestWasm(algorithm: ShaAlgorithm, data: Uint8Array): Buffer | undefined {
  const wasm = shaCryptModule();
  if (!wasm) return undefined;
  const inputAt = wasm.heap_base.value;
  const outAt = align8(inputAt + data.length);
  const end = outAt + digestLengths[algorithm];
  const heap = heapTo(wasm, end);
  heap.set(data, inputAt);
  try {
    wasm[algorithm](inputAt, data.length, outAt);
    return Buffer.from(heap.subarray(outAt, end));
  } finally {
    wipe(wasm, heap, end);
  }
}

/**
 * The SHA-crypt round loop, same contract as cryptRounds in schemes/crypt/crypt-common.ts: starting from
 * C = `start`, each round hashes (odd ? P : C) [+ S if round % 3] [+ P if round % 7] + (odd ? C : P).
 * Returns the final C, or undefined without WebAssembly.
 */
export function shaCryptRoundsWasm(algorithm: ShaAlgorithm, p: Uint8Array, s: Uint8Array, start: Uint8Array, rounds: number): Buffer | undefined {
  const wasm = shaCryptModule();
  if (!wasm) return undefined;
  const digestLength = digestLengths[algorithm];
  if (start.length !== digestLength) throw new RangeError(`${algorithm} crypt rounds: start must be ${digestLength} bytes, got ${start.length}`);
  // The module compares rounds as an unsigned 32-bit number.
  if (!Number.isInteger(rounds) || rounds < 0 || rounds > 0xffff_ffff) throw new RangeError(`${algorithm} crypt rounds: bad round count ${rounds}`);
  const pAt = wasm.heap_base.value;
  const sAt = pAt + p.length;
  const cAt = align8(sAt + s.length);
  const messageAt = align8(cAt + digestLength);
  // The longest round message: P + S + P + C.
  const end = messageAt + 2 * p.length + s.length + digestLength;
  const heap = heapTo(wasm, end);
  heap.set(p, pAt);
  heap.set(s, sAt);
  heap.set(start, cAt);
  try {
    wasm.crypt_rounds(digestLength, pAt, p.length, sAt, s.length, cAt, rounds, messageAt);
    return Buffer.from(heap.subarray(cAt, cAt + digestLength));
  } finally {
    wipe(wasm, heap, end);
  }
}
