import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/index.js';
import { renderHashDocs } from '../../scripts/hash-docs.js';

describe('docs/hashes.md', () => {
  it('is what the registry renders (run `npm run docs:hashes` after changing a scheme)', () => {
    const expected = renderHashDocs(createHashRegistry({ workers: false }).list());
    expect(readFileSync('docs/hashes.md', 'utf8')).toBe(expected);
  });

  it('documents every scheme with a source of truth and upgrade advice', () => {
    for (const scheme of createHashRegistry({ workers: false }).list()) {
      expect(scheme.source.length, scheme.id).toBeGreaterThan(0);
      expect(scheme.upgradeAdvice.length, scheme.id).toBeGreaterThan(0);
      expect(scheme.summary.length, scheme.id).toBeGreaterThan(0);
    }
  });
});
