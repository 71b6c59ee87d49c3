/**
 * The WebAssembly SHA-256 / SHA-512 and SHA-crypt round loop (scripts/wasm/sha-crypt.wat) against
 * node:crypto: digests at every length across the block and padding boundaries, the round loop against
 * the node:crypto loop it replaces, memory growth for inputs past the first wasm page, the node:crypto
 * fallback in a process without WebAssembly, and the committed base64 module against a fresh wat2wasm build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cryptRounds, cryptRoundsNode } from '../../src/hashes/schemes/crypt/crypt-common.js';
import { type ShaAlgorithm, shaCryptRoundsWasm, shaCryptWasmAvailable, shaDigestWasm } from '../../src/hashes/wasm/sha-crypt.js';

const root = path.resolve(import.meta.dirname, '../..');
const algorithms: ShaAlgorithm[] = ['sha256', 'sha512'];
const digestLength = { sha256: 32, sha512: 64 } as const;

function nodeDigest(algorithm: ShaAlgorithm, data: Uint8Array): Buffer {
  return createHash(algorithm).update(data).digest();
}

/** Throws instead of returning undefined, so that a missing module fails the comparison tests. */
function wasmDigest(algorithm: ShaAlgorithm, data: Uint8Array): Buffer {
  const digest = shaDigestWasm(algorithm, data);
  if (!digest) throw new Error('WebAssembly module unavailable');
  return digest;
}

function wasmRounds(algorithm: ShaAlgorithm, p: Uint8Array, s: Uint8Array, start: Uint8Array, rounds: number): Buffer {
  const c = shaCryptRoundsWasm(algorithm, p, s, start, rounds);
  if (!c) throw new Error('WebAssembly module unavailable');
  return c;
}

const roundInputs = fc.record({
  algorithm: fc.constantFrom(...algorithms),
  // Past 128 bytes P alone fills a SHA-512 block; 300 gives messages of up to 5 SHA-512 blocks.
  p: fc.uint8Array({ maxLength: 300 }),
  s: fc.uint8Array({ maxLength: 16 }),
  start: fc.uint8Array({ minLength: 64, maxLength: 64 }),
});

describe('sha-crypt WebAssembly module', () => {
  it('loads in this Node (otherwise every comparison below would fail, not pass on the fallback)', () => {
    expect(shaCryptWasmAvailable()).toBe(true);
  });

  for (const algorithm of algorithms) {
    it(`${algorithm} equals node:crypto at every length 0..600`, () => {
      for (let length = 0; length <= 600; length++) {
        const [data] = fc.sample(fc.uint8Array({ minLength: length, maxLength: length }), 1);
        if (!data) throw new Error('fast-check gave no sample');
        expect(wasmDigest(algorithm, data).toString('hex'), `length ${length}: ${Buffer.from(data).toString('hex')}`).toBe(
          nodeDigest(algorithm, data).toString('hex'),
        );
      }
    });

    it(`${algorithm} equals node:crypto on random inputs, and keeps no state between calls`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1200 }), (data) => {
          expect(wasmDigest(algorithm, data).equals(nodeDigest(algorithm, data))).toBe(true);
        }),
        { numRuns: 300 },
      );
    });

    it(`${algorithm} grows the module's memory for an input larger than one wasm page`, () => {
      const [data] = fc.sample(fc.uint8Array({ minLength: 200_000, maxLength: 200_000 }), 1);
      if (!data) throw new Error('fast-check gave no sample');
      expect(wasmDigest(algorithm, data).equals(nodeDigest(algorithm, data))).toBe(true);
      expect(wasmDigest(algorithm, data.subarray(0, 3)).equals(nodeDigest(algorithm, data.subarray(0, 3)))).toBe(true);
    });
  }

  it('round loop equals the node:crypto loop for random P, S, start and 0..50 rounds', () => {
    fc.assert(
      fc.property(roundInputs, fc.integer({ min: 0, max: 50 }), ({ algorithm, p, s, start }, rounds) => {
        const c = start.subarray(0, digestLength[algorithm]);
        const expected = cryptRoundsNode(algorithm, Buffer.from(p), Buffer.from(s), Buffer.from(c), rounds);
        expect(wasmRounds(algorithm, p, s, c, rounds).toString('hex')).toBe(expected.toString('hex'));
      }),
      { numRuns: 400 },
    );
  });

  for (const algorithm of algorithms) {
    it(`${algorithm} round loop equals the node:crypto loop at 5000 rounds`, () => {
      const [inputs] = fc.sample(roundInputs, 1);
      if (!inputs) throw new Error('fast-check gave no sample');
      const { p, s } = inputs;
      const start = inputs.start.subarray(0, digestLength[algorithm]);
      const expected = cryptRoundsNode(algorithm, Buffer.from(p), Buffer.from(s), Buffer.from(start), 5000);
      expect(wasmRounds(algorithm, p, s, start, 5000).toString('hex')).toBe(expected.toString('hex'));
    });

    it(`${algorithm} round loop with a P longer than one wasm page`, () => {
      const [inputs] = fc.sample(roundInputs, 1);
      if (!inputs) throw new Error('fast-check gave no sample');
      const p = Buffer.alloc(70_000, 0xa5);
      const start = inputs.start.subarray(0, digestLength[algorithm]);
      const expected = cryptRoundsNode(algorithm, p, Buffer.from(inputs.s), Buffer.from(start), 14);
      expect(wasmRounds(algorithm, p, inputs.s, start, 14).toString('hex')).toBe(expected.toString('hex'));
    });
  }

  it('cryptRounds leaves md5 on node:crypto and gives the same answers for sha256 and sha512', () => {
    const p = Buffer.from('password');
    const s = Buffer.from('saltsalt');
    for (const algorithm of ['md5', ...algorithms] as const) {
      const start = createHash(algorithm).update('start').digest();
      expect(cryptRounds(algorithm, p, s, start, 1000).equals(cryptRoundsNode(algorithm, p, s, start, 1000))).toBe(true);
    }
  });

  it('refuses a start value that is not one digest long, and a round count the module cannot take', () => {
    expect(() => shaCryptRoundsWasm('sha512', Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(32), 10)).toThrow(RangeError);
    expect(() => shaCryptRoundsWasm('sha256', Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(32), -1)).toThrow(RangeError);
    expect(() => shaCryptRoundsWasm('sha256', Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(32), 1.5)).toThrow(RangeError);
  });

  it('falls back to node:crypto where WebAssembly is missing (node --jitless)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sha-crypt-jitless-'));
    try {
      const script = path.join(dir, 'check.mts');
      const url = (file: string): string => pathToFileURL(path.join(root, file)).href;
      writeFileSync(
        script,
        `import { shaCryptWasmAvailable } from ${JSON.stringify(url('src/hashes/wasm/sha-crypt.ts'))};
import { createHashRegistry } from ${JSON.stringify(url('src/hashes/index.ts'))};
const registry = createHashRegistry({ workers: false });
const sha512 = await registry.verify('héllo €', '$6$$pHOdFAhP5Zvu1SdqTABTvr64jax6MK1eyKFdWAmExtVIVCSiIKQvZe.ALW6TPHadp9k/fkKBdwgYTkX/xf.dz0', { scheme: 'sha512_crypt' });
const sha256 = await registry.verify('', '$5$rounds=1000$saltstring$TzAJABAaJwl111nyuH1uQy8kjHahyMHq1D7Y09hLQV1', { scheme: 'sha256_crypt' });
const wrong = await registry.verify('hello', '$6$$pHOdFAhP5Zvu1SdqTABTvr64jax6MK1eyKFdWAmExtVIVCSiIKQvZe.ALW6TPHadp9k/fkKBdwgYTkX/xf.dz0', { scheme: 'sha512_crypt' });
console.log(JSON.stringify({ wasm: shaCryptWasmAvailable(), sha512: sha512.valid, sha256: sha256.valid, wrong: wrong.valid }));
`,
      );
      const output = execFileSync(process.execPath, ['--jitless', '--import', 'tsx', script], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        // V8 warns on stderr that --jitless turns WebAssembly off: that is the point here.
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(JSON.parse(output.trim().split('\n').at(-1) ?? '')).toEqual({ wasm: false, sha512: true, sha256: true, wrong: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

const generatedModule = path.join(root, 'src/hashes/wasm/sha-crypt-module.ts');
const watSource = path.join(root, 'scripts/wasm/sha-crypt.wat');
const wat2wasm = spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' });
const wat2wasmVersion = wat2wasm.status === 0 ? wat2wasm.stdout.trim() : undefined;

/** The base64 string and the .wat sha256 recorded in a generated module. */
function readGenerated(file: string): { base64: string; watSha256: string | undefined } {
  const text = readFileSync(file, 'utf8');
  return {
    base64: [...text.matchAll(/^ {2}'([A-Za-z0-9+/=]+)',$/gmu)].map((match) => match[1]).join(''),
    watSha256: /\(sha256 ([0-9a-f]{64})\)/u.exec(text)?.[1],
  };
}

describe('generated module src/hashes/wasm/sha-crypt-module.ts', () => {
  it('records the sha256 of the current scripts/wasm/sha-crypt.wat (rebuild with node scripts/wasm/build.mjs)', () => {
    expect(readGenerated(generatedModule).watSha256).toBe(createHash('sha256').update(readFileSync(watSource)).digest('hex'));
  });

  it.skipIf(wat2wasmVersion === undefined)(
    wat2wasmVersion === undefined
      ? 'equals a fresh wat2wasm build: NOT CHECKED, wat2wasm is not on PATH (apt-get install wabt)'
      : `equals a fresh build by wat2wasm ${wat2wasmVersion}`,
    () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sha-crypt-build-'));
      try {
        const fresh = path.join(dir, 'sha-crypt-module.ts');
        execFileSync(process.execPath, [path.join(root, 'scripts/wasm/build.mjs'), '--out', fresh], { cwd: root, stdio: 'pipe' });
        const committed = readGenerated(generatedModule);
        expect(committed.base64.length).toBeGreaterThan(1000);
        expect(committed.base64).toBe(readGenerated(fresh).base64);
        expect(readFileSync(generatedModule, 'utf8')).toBe(readFileSync(fresh, 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
