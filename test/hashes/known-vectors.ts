import { expect, it } from 'vitest';
import type { HashRegistry } from '../../src/hashes/registry.js';
import type { HashContext } from '../../src/hashes/types.js';

/** A hash with its password and provenance, written into a family's focused tests. */
export interface KnownVector {
  scheme: string;
  password: string;
  hash: string;
  context?: Record<string, unknown>;
  source: string;
}

export interface KnownVectorOptions {
  /** Context for vectors that carry none (a site-wide default). */
  defaultContext?: (vector: KnownVector) => HashContext;
  /** Identifiable schemes must come first in identify(), not merely be among the candidates. */
  identifyFirst?: boolean;
}

/**
 * One test per vector: the password verifies, a near miss does not, and when the scheme recognizes its own
 * hash, auto-identification routes it to a scheme that accepts it. Test names carry the scheme, index and source, never the password or the hash.
 */
export function itVerifiesKnownVectors(registry: HashRegistry, vectors: readonly KnownVector[], options: KnownVectorOptions = {}): void {
  it.each(vectors.map((vector, index) => [vector.scheme, index, vector.source, vector] as const))('%s #%i (%s)', async (scheme, _index, _source, vector) => {
    const context = vector.context ?? options.defaultContext?.(vector) ?? {};
    expect((await registry.verify(vector.password, vector.hash, { scheme, context })).valid).toBe(true);
    expect((await registry.verify(`${vector.password}!x`, vector.hash, { scheme, context })).valid).toBe(false);
    // When the scheme claims its own hash, auto mode (what stores configured with `auto` get) must reach a
    // scheme that accepts it: an earlier scheme in identify order must not steal it.
    const own = registry.get(scheme);
    if (own?.identify?.(vector.hash)) {
      expect((await registry.verify(vector.password, vector.hash, { context })).valid).toBe(true);
      if (options.identifyFirst) expect(registry.identify(vector.hash)[0]).toBe(scheme);
    }
    if (!own?.identify) expect(registry.identify(vector.hash)).not.toContain(scheme);
  });
}
