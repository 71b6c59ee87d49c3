/**
 * Every scheme rejects a foreign scheme's hash: for each identifiable scheme S and one vector of every
 * other id T (test/vectors/<T>.jsonl; a positive one where the file has one), S must not identify T's hash
 * and verifying T's own password against it as S must not succeed (false, or a typed LegacyIdpError).
 * The exceptions, each with a reason, are in vector-fixtures.ts: pairs whose strings are the same shape by
 * design (may identify and verify), and schemes whose product verifies another format's strings as they
 * are (may verify, must not identify). Failures name scheme ids and lines, never passwords.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { createHashRegistry } from '../../src/hashes/index.js';
import { acceptsForeign, describeFailure, loadVectors, sameShape, type HashVector } from './vector-fixtures.js';

const registry = createHashRegistry({ workers: false });
afterAll(async () => {
  await registry.close();
});

/** One vector per id: the first positive, else the first line (marker files have negatives only). */
const foreign: { id: string; line: number; vector: HashVector }[] = [];
for (const [id, lines] of loadVectors()) {
  const index = Math.max(
    0,
    lines.findIndex((vector) => vector.expected),
  );
  const vector = lines[index];
  if (vector) foreign.push({ id, line: index + 1, vector });
}

const identifiable = registry.list().filter((scheme) => scheme.identifiable);

describe('every scheme rejects a foreign scheme’s hash', () => {
  it('has schemes and vectors to compare', () => {
    expect(identifiable.length).toBeGreaterThan(50);
    expect(foreign.length).toBeGreaterThan(100);
  });

  for (const { id: schemeId } of identifiable) {
    it(schemeId, async () => {
      const scheme = registry.get(schemeId);
      if (!scheme?.identify) throw new Error(`${schemeId} is not identifiable`);
      const problems: string[] = [];
      for (const { id, line, vector } of foreign) {
        if (id === schemeId) continue;
        const where = `${id} line ${line}`;
        try {
          if (scheme.identify(vector.hash) && !sameShape(schemeId, id)) problems.push(`identifies ${where}`);
        } catch (error) {
          problems.push(`identify threw on ${where} (${describeFailure(error)})`);
        }
        if (acceptsForeign(schemeId, id)) continue;
        try {
          const result = await registry.verify(vector.password, vector.hash, { scheme: schemeId, context: vector.context ?? {} });
          if (result.valid) problems.push(`verifies ${where} as valid`);
        } catch (error) {
          if (!isLegacyIdpError(error)) problems.push(`verify threw untyped on ${where} (${describeFailure(error)})`);
        }
      }
      expect(problems, `${schemeId} vs foreign hashes`).toEqual([]);
    });
  }
});
