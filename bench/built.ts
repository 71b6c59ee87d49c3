import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A module of the built package (dist/), what users run. Benchmarks that compare our per-call overhead with a
 * bare baseline load it instead of src/: tsx compiles src/ with esbuild's keepNames, which wraps every closure
 * it creates in a naming call, and that made the JIT pipeline about a third slower than the published build.
 * Typed from the source module, loaded by a computed path so neither tsc nor tsx redirects it to src/.
 */
export async function loadBuilt<Module>(subpath: string): Promise<Module> {
  const url = new URL(`../dist/${subpath}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new Error(`${fileURLToPath(url)} is missing: run npm run build first`);
  return (await import(url.href)) as Module;
}
