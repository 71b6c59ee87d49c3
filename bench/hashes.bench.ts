/**
 * Hash verification throughput on all cores against a native single-core reference measured in the same
 * run, plus event-loop delay and fs latency under saturation, plus the registry's overhead over the raw
 * primitive. Every figure is printed as a ratio; nothing here asserts a time.
 *
 *   npm run bench:hashes            (BENCH_SECONDS=3 by default per measurement)
 *   BENCH_CASES=bcrypt,scrypt npm run bench:hashes    (only the cases whose name contains one of these)
 *
 * References (single core, C): Debian's python3 calling python3-bcrypt (OpenBSD bcrypt), argon2-cffi
 * (libargon2), hashlib.pbkdf2_hmac / hashlib.scrypt (OpenSSL) and crypt.crypt (libxcrypt). Missing ones are
 * reported as such.
 */
import { execFileSync } from 'node:child_process';
import { pbkdf2, scrypt } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createHashRegistry } from '../src/hashes/index.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: string, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const cores = availableParallelism();
const python = '/usr/bin/python3';
const password = 'correct horse battery staple';

interface Case {
  name: string;
  scheme: string;
  /** Python that prints the stored hash for `pw`. */
  makeHash: string;
  /** Python statement timed by the reference (uses `pw` and `h`). */
  reference: string;
  /** The raw node:crypto primitive with the same parameters, when there is one. */
  raw?: () => Promise<unknown>;
}

const cases: Case[] = [
  {
    name: 'bcrypt cost 10',
    scheme: 'bcrypt',
    makeHash: "import bcrypt; print(bcrypt.hashpw(pw.encode(), bcrypt.gensalt(10)).decode())",
    reference: 'import bcrypt\ndef op(): bcrypt.checkpw(pw.encode(), h.encode())',
  },
  {
    name: 'argon2id m=19456 t=2 p=1',
    scheme: 'argon2id',
    makeHash: 'from argon2 import PasswordHasher; print(PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(pw))',
    reference: 'from argon2 import PasswordHasher\nph = PasswordHasher()\ndef op(): ph.verify(h, pw)',
  },
  {
    name: 'pbkdf2_sha256 100000',
    scheme: 'pbkdf2_sha256',
    makeHash: 'from passlib.hash import pbkdf2_sha256; print(pbkdf2_sha256.using(rounds=100000).hash(pw))',
    reference: "import hashlib\ndef op(): hashlib.pbkdf2_hmac('sha256', pw.encode(), b'0123456789abcdef', 100000, 32)",
    raw: () => promisify(pbkdf2)(password, '0123456789abcdef', 100_000, 32, 'sha256'),
  },
  {
    name: 'scrypt ln=14 r=8 p=1',
    scheme: 'scrypt',
    makeHash: 'from passlib.hash import scrypt; print(scrypt.using(rounds=14, block_size=8, parallelism=1).hash(pw))',
    reference: "import hashlib\ndef op(): hashlib.scrypt(pw.encode(), salt=b'0123456789abcdef', n=16384, r=8, p=1, dklen=32)",
    raw: () => scryptAsync(password, '0123456789abcdef', 32, { N: 16384, r: 8, p: 1 }),
  },
  {
    name: 'sha512_crypt 5000 rounds',
    scheme: 'sha512_crypt',
    makeHash: "import crypt; print(crypt.crypt(pw, '$6$' + 'saltsaltsaltsalt'))",
    reference: 'import crypt\ndef op(): crypt.crypt(pw, h)',
  },
];

function py(code: string): string {
  return execFileSync(python, ['-W', 'ignore', '-c', `pw = ${JSON.stringify(password)}\n${code}`], { encoding: 'utf8' }).trim();
}

/** Native single-core ops/s: the reference times its own loop, so no process start-up is counted. */
function referenceOpsPerSecond(hash: string, reference: string): number {
  const code = `h = ${JSON.stringify(hash)}\n${reference}\nimport time\nop()\nn = 0\nstart = time.perf_counter()\nwhile time.perf_counter() - start < ${seconds}:\n    op(); n += 1\nprint(n / (time.perf_counter() - start))`;
  return Number(py(code));
}

async function saturate(run: () => Promise<unknown>, inFlight: number): Promise<{ opsPerSecond: number; loopP99: number; fsP99: number }> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const fsLatencies: number[] = [];
  const state = { stop: false };
  const probe = (async () => {
    while (!state.stop) {
      const start = performance.now();
      await stat(import.meta.dirname);
      fsLatencies.push(performance.now() - start);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  loop.enable();
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await run();
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  loop.disable();
  state.stop = true;
  await probe;
  fsLatencies.sort((a, b) => a - b);
  return { opsPerSecond: done / elapsed, loopP99: loop.percentile(99) / 1e6, fsP99: fsLatencies[Math.floor(fsLatencies.length * 0.99)] ?? Number.NaN };
}

async function sequentialMs(run: () => Promise<unknown>, count: number): Promise<number> {
  await run();
  const start = performance.now();
  for (let i = 0; i < count; i++) await run();
  return (performance.now() - start) / count;
}

const registry = createHashRegistry();
console.log(`hash benchmarks: ${cores} cores, ${seconds} s per measurement; ratios against the native single-core reference x ${cores} cores\n`);
const only = (process.env.BENCH_CASES ?? '').split(',').filter((part) => part !== '');
for (const c of cases) {
  if (only.length > 0 && !only.some((part) => c.name.includes(part))) continue;
  if (!registry.get(c.scheme)) {
    console.log(`${c.name}: scheme ${c.scheme} not registered, skipped`);
    continue;
  }
  let hash: string;
  let reference: number;
  try {
    hash = py(c.makeHash);
    reference = referenceOpsPerSecond(hash, c.reference);
  } catch {
    console.log(`${c.name}: native reference unavailable (Debian python3 module missing), skipped`);
    continue;
  }
  const verify = async (): Promise<void> => {
    const result = await registry.verify(password, hash, { scheme: c.scheme });
    if (!result.valid) throw new Error(`${c.scheme}: reference hash did not verify`);
  };
  // Warm-up outside the timed window: one verification per core starts the worker threads (0.15-1.8 s each
  // under tsx), which would otherwise be counted against a 3-second measurement.
  await Promise.all(Array.from({ length: cores * 2 }, verify));
  const { opsPerSecond, loopP99, fsP99 } = await saturate(verify, cores * 4);
  const ratio = opsPerSecond / (reference * cores);
  let overhead = '';
  if (c.raw) {
    const raw = await sequentialMs(c.raw, 10);
    const ours = await sequentialMs(verify, 10);
    overhead = `, overhead over raw node:crypto ${(((ours - raw) / raw) * 100).toFixed(1)}%`;
  }
  console.log(
    `${c.name.padEnd(26)} ${ratio.toFixed(2)}x native on ${cores} cores (${opsPerSecond.toFixed(1)} vs ${reference.toFixed(1)}/s/core), event-loop p99 ${loopP99.toFixed(1)} ms, fs.stat p99 ${fsP99.toFixed(1)} ms${overhead}`,
  );
}
await registry.close();
