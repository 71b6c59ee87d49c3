// Names that docs and documented features hand to users must be importable from their subpath: a function that
// `legacy-idp serve` uses from a deep file, or a type that appears in an exported signature, was unreachable
// for users of the package (the subpath is all they may import). Values are checked by importing the subpath
// entry; types, which leave no trace at run time, through the TypeScript checker on the same entry.
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as graph from '../../src/graph/index.js';
import * as jit from '../../src/jit/index.js';
import { repoRoot } from './layout.js';

/** Subpath entry (source) -> value and type names it must export. */
const required: Record<string, { values: string[]; types: string[] }> = {
  'src/jit/index.ts': {
    // prepareCallerAuth: the JWKS warm-up `legacy-idp serve` runs (docs/serve.md); JitServerStop: the argument of
    // startJitServer's onStopped; AzureCookie: the element of AzureHttpResponseInit.cookies (docs/jit/hosts.md);
    // TrustProxy: NodeHostOptions.trustProxy (docs/serve.md, "Behind a proxy").
    values: ['prepareCallerAuth'],
    types: ['prepareCallerAuth', 'JitServerStop', 'AzureCookie', 'TrustProxy'],
  },
  'src/graph/index.ts': {
    // The default of maxRetryAfterMs that docs/premigrate.md and docs/graph.md tell callers to match.
    values: ['defaultMaxRetryAfterMs'],
    types: ['defaultMaxRetryAfterMs'],
  },
};

const loaded: Record<string, Record<string, unknown>> = { 'src/jit/index.ts': jit, 'src/graph/index.ts': graph };

function exportedNames(entries: readonly string[]): Map<string, Set<string>> {
  const files = entries.map((entry) => path.join(repoRoot, entry));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const names = new Map<string, Set<string>>();
  entries.forEach((entry, index) => {
    const source = program.getSourceFile(files[index] ?? '');
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    names.set(entry, new Set(symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((item) => item.name)));
  });
  return names;
}

describe('documented names are exported from their subpath', () => {
  for (const [entry, { values }] of Object.entries(required)) {
    it(`${entry} exports the values ${values.join(', ')}`, () => {
      const module = loaded[entry] ?? {};
      const missing = values.filter((name) => module[name] === undefined);
      expect(missing, `${entry} does not export`).toEqual([]);
    });
  }

  it('exports the types (TypeScript checker on the entries)', () => {
    const names = exportedNames(Object.keys(required));
    for (const [entry, { types }] of Object.entries(required)) {
      const exported = names.get(entry);
      expect(exported?.size ?? 0, `${entry}: the checker found no exports`).toBeGreaterThan(0);
      expect(types.filter((name) => !exported?.has(name)), `${entry} does not export`).toEqual([]);
    }
  }, 60_000);

  it('keeps the documented default of maxRetryAfterMs (5 minutes)', () => {
    expect(graph.defaultMaxRetryAfterMs).toBe(300_000);
  });
});
