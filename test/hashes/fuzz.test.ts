/**
 * Fuzzing the schemes with mutated stored hashes (fast-check). Per family, the family's vector hashes
 * (test/vectors) are the seeds; each run applies 1-3 mutations (character substitutions, insertions,
 * deletions, truncation, numbers swapped into cost fields, huge numbers, emptied segments, case flips,
 * unicode) and feeds the result to every scheme's identify and to verify('password', mutated, { scheme }).
 * Asserted: identify never throws; verify returns or throws a LegacyIdpError, never anything else; a
 * mutated hash never verifies (seeds are hashes that 'password' does not match, so a match means a
 * verifier that ignores part of its input); every verify finishes within LEGACY_IDP_FUZZ_MAX_MS. The
 * registry's limits are low, so a mutation that stays well-formed stays cheap.
 *
 * LEGACY_IDP_FUZZ_RUNS: runs per family (default 1000: about 10 s for the whole file on 2 cores).
 * LEGACY_IDP_FUZZ_SEED: fast-check seed, to replay a failure. LEGACY_IDP_FUZZ_REPORT: a file to write
 * per-scheme statistics to (how many mutations were refused as malformed, how many hit a cost cap, and
 * which verifiers threw from deep inside, i.e. gave a typed error only thanks to the registry's wrapper).
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { createHashRegistry, type HashContext, type HashFamily } from '../../src/hashes/index.js';
import { describeFailure, loadVectors } from './vector-fixtures.js';

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const runs = envNumber('LEGACY_IDP_FUZZ_RUNS', 1000);
const maxMs = envNumber('LEGACY_IDP_FUZZ_MAX_MS', 2000);
const fcSeed = process.env.LEGACY_IDP_FUZZ_SEED === undefined ? undefined : Number(process.env.LEGACY_IDP_FUZZ_SEED);
const reportFile = process.env.LEGACY_IDP_FUZZ_REPORT;
/** Seeds per scheme id, and the most a seed may cost to verify (expensive seeds are left out). */
const seedsPerId = 3;
const seedBudgetMs = 50;

const registry = createHashRegistry({
  workers: false,
  limits: {
    maxBcryptCost: 5,
    maxPbkdf2Iterations: 5000,
    maxCryptRounds: 20_000,
    maxScryptMemoryBytes: 16 * 1024 * 1024,
    maxArgon2MemoryKiB: 4096,
    maxArgon2Passes: 4,
    maxArgon2Parallelism: 4,
  },
});
const identifiers = registry.list().flatMap((info) => {
  const scheme = registry.get(info.id);
  return scheme?.identify ? [{ id: info.id, identify: scheme.identify.bind(scheme) }] : [];
});

interface Seed {
  id: string;
  hash: string;
  context: HashContext;
}

/** Candidate seeds per family: a few distinct hashes of every id, spread over its file. */
const candidates = new Map<HashFamily, Seed[]>();
for (const [id, lines] of loadVectors()) {
  const scheme = registry.get(id);
  if (!scheme) continue;
  const unique = [...new Map(lines.map((line) => [line.hash, line])).values()];
  const step = Math.max(1, Math.floor(unique.length / seedsPerId));
  const picked = unique.filter((_, index) => index % step === 0).slice(0, seedsPerId);
  const list = candidates.get(scheme.family) ?? [];
  list.push(...picked.map((line) => ({ id, hash: line.hash, context: line.context ?? {} })));
  candidates.set(scheme.family, list);
}

// ---- mutations --------------------------------------------------------------------------------------

type Mutation = (text: string) => string;

const oddChars = fc.constantFrom(
  ...Array.from('$./=,:;{}[]!*+-_ ()#%&?0123456789abcdefxyzABCDEFXYZ'),
  '\t',
  '\n',
  '\0',
  'é',
  'ß',
  'Ж',
  '€',
  '密',
  '😀',
  '\uFFFD',
  '\uD800',
  '\u200B',
);
const oddString = fc.oneof(
  fc.string({ unit: oddChars, minLength: 1, maxLength: 4 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }),
  fc.constantFrom('$$', '$', '==', '{}', '{SSHA}', '$2b$', '$argon2id$', 'rounds=', ',', 'v=19'),
);
const numbers = fc.oneof(
  fc.constantFrom('0', '00', '1', '-1', '+1', '3', '4', '31', '32', '64', '99', '1000', '4294967296', '9007199254740993', '99999999999999999999999', '1e9', '0x10', 'NaN', '٣'),
  fc.nat().map(String),
  fc.integer({ min: 1, max: 100_000_000 }).map(String),
);

const at = (text: string, position: number): number => (text.length === 0 ? 0 : position % text.length);
const separators = /([$,:;=.{}*!#])/u;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // substitute one character
  fc.tuple(fc.nat(), oddChars).map(([p, c]): Mutation => (t) => t.slice(0, at(t, p)) + c + t.slice(at(t, p) + 1)),
  // insert a few characters
  fc.tuple(fc.nat(), oddString).map(([p, s]): Mutation => (t) => t.slice(0, at(t, p + 1)) + s + t.slice(at(t, p + 1))),
  // delete a run
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(([p, n]): Mutation => (t) => t.slice(0, at(t, p)) + t.slice(at(t, p) + n)),
  // truncate
  fc.nat().map((p): Mutation => (t) => t.slice(0, p % (t.length + 1))),
  // put another number in place of one run of digits (cost fields, rounds, iterations, lengths)
  fc.tuple(fc.nat(), numbers).map(([p, n]): Mutation => (t) => {
    const runsOfDigits = [...t.matchAll(/\d+/gu)];
    const target = runsOfDigits.length === 0 ? undefined : runsOfDigits[p % runsOfDigits.length];
    if (target?.index === undefined) return t + n;
    return t.slice(0, target.index) + n + t.slice(target.index + target[0].length);
  }),
  // empty one segment between separators, or double a separator
  fc.tuple(fc.nat(), fc.boolean()).map(([p, double]): Mutation => (t) => {
    const parts = t.split(separators);
    const index = parts.length === 0 ? 0 : p % parts.length;
    const part = parts[index] ?? '';
    if (double && separators.test(part)) parts[index] = part + part;
    else if (!separators.test(part)) parts[index] = '';
    return parts.join('');
  }),
  // flip the case of one character
  fc.nat().map((p): Mutation => (t) => {
    const c = t.charAt(at(t, p));
    const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
    return t.slice(0, at(t, p)) + flipped + t.slice(at(t, p) + 1);
  }),
  // swap two segments
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]): Mutation => (t) => {
    const parts = t.split(separators);
    const i = parts.length === 0 ? 0 : a % parts.length;
    const j = parts.length === 0 ? 0 : b % parts.length;
    const first = parts[i] ?? '';
    parts[i] = parts[j] ?? '';
    parts[j] = first;
    return parts.join('');
  }),
);

// ---- statistics for the report ----------------------------------------------------------------------

interface SchemeStats {
  runs: number;
  valid: number;
  invalid: number;
  malformed: number;
  costLimit: number;
  otherTyped: Record<string, number>;
  deepThrows: Record<string, number>;
  maxMs: number;
}
const stats = new Map<string, SchemeStats>();
const familyTimes: Record<string, { runs: number; seeds: number; ms: number }> = {};

function statsFor(id: string): SchemeStats {
  let entry = stats.get(id);
  if (!entry) {
    entry = { runs: 0, valid: 0, invalid: 0, malformed: 0, costLimit: 0, otherTyped: {}, deepThrows: {}, maxMs: 0 };
    stats.set(id, entry);
  }
  return entry;
}

afterAll(async () => {
  await registry.close();
  if (reportFile) {
    writeFileSync(reportFile, `${JSON.stringify({ runsPerFamily: runs, families: familyTimes, schemes: Object.fromEntries(stats) }, null, 1)}\n`);
  }
});

/**
 * Resolves with `work` or rejects once `ms` have passed. Native work (scrypt, argon2, PBKDF2 on libuv's pool)
 * keeps running in the background, but a hang is reported at once instead of stalling the whole run; a
 * CPU-bound scheme on this thread cannot be interrupted and is caught by the elapsed-time check instead.
 */
async function within<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what()}: verify did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Seeds that 'password' does not match and that verify cheaply under the low limits. */
async function eligibleSeeds(family: HashFamily): Promise<Seed[]> {
  const eligible: Seed[] = [];
  for (const seed of candidates.get(family) ?? []) {
    const started = performance.now();
    let matches = false;
    try {
      matches = (await registry.verify('password', seed.hash, { scheme: seed.id, context: seed.context })).valid;
    } catch {
      // refused (cost cap, malformed by design as a negative vector): still a fine starting point
    }
    if (!matches && performance.now() - started <= seedBudgetMs) eligible.push(seed);
  }
  return eligible;
}

describe('fuzz: mutated stored hashes', () => {
  const families = [...candidates.keys()].sort();
  it('has seeds', () => {
    expect(families.length).toBeGreaterThan(5);
  });

  for (const family of families) {
    it(
      `${family}: ${runs} mutated hashes`,
      async () => {
        const started = performance.now();
        const seeds = await eligibleSeeds(family);
        expect(seeds.length, `${family}: no usable seeds`).toBeGreaterThan(0);
        const property = fc.asyncProperty(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (seed, mutations) => {
          const mutated = mutations.reduce((text, mutate) => mutate(text), seed.hash);
          for (const { id, identify } of identifiers) {
            try {
              identify(mutated);
            } catch (error) {
              throw new Error(`${id}.identify threw on ${JSON.stringify(mutated)} (${describeFailure(error)})`);
            }
          }
          expect(Array.isArray(registry.identify(mutated))).toBe(true);
          const entry = statsFor(seed.id);
          entry.runs += 1;
          // Test data, not a secret: the mutated hash goes into failure messages so a finding is self-contained.
          const input = (): string => `${seed.id} on ${JSON.stringify(mutated)}`;
          const begin = performance.now();
          try {
            const result = await within(registry.verify('password', mutated, { scheme: seed.id, context: seed.context }), maxMs, input);
            if (result.valid) {
              entry.valid += 1;
              if (mutated !== seed.hash) throw new Error(`${input()}: a mutated hash verified as valid`);
            } else entry.invalid += 1;
          } catch (error) {
            if (!isLegacyIdpError(error)) throw error instanceof Error && error.message.startsWith(input()) ? error : new Error(`${input()}: verify threw ${describeFailure(error)}`);
            if (error.code === 'ERR_LEGACY_IDP_HASH_MALFORMED') {
              entry.malformed += 1;
              // The registry's wrapper typed a throw from inside the scheme (its cause is not ours).
              if (error.cause !== undefined && !isLegacyIdpError(error.cause)) {
                const name = error.cause instanceof Error ? error.cause.name : typeof error.cause;
                entry.deepThrows[name] = (entry.deepThrows[name] ?? 0) + 1;
              }
            } else if (error.code === 'ERR_LEGACY_IDP_HASH_COST_LIMIT') entry.costLimit += 1;
            else entry.otherTyped[error.code] = (entry.otherTyped[error.code] ?? 0) + 1;
          }
          const elapsed = performance.now() - begin;
          entry.maxMs = Math.max(entry.maxMs, elapsed);
          if (elapsed > maxMs) throw new Error(`${input()}: verify took ${Math.round(elapsed)} ms (cap ${maxMs} ms)`);
        });
        // No shrinking: the message already names the scheme and the mutated hash, and shrinking a hang
        // would start more of the same slow native work.
        await fc.assert(property, fcSeed === undefined ? { numRuns: runs, endOnFailure: true } : { numRuns: runs, endOnFailure: true, seed: fcSeed });
        familyTimes[family] = { runs, seeds: seeds.length, ms: Math.round(performance.now() - started) };
      },
      Math.max(60_000, runs * 200),
    );
  }
});
