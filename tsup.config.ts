import { defineConfig, type Options } from 'tsup';

// One entry per subpath export (package.json "exports"): dist/<key>.js and .cjs. Keep both in step
// (test/package/exports-map.test.ts checks it).
export const entries = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
  'memory/index': 'src/stores/memory/index.ts',
  'hashes/index': 'src/hashes/index.ts',
  'lockout/index': 'src/lockout/index.ts',
  'lockout/redis': 'src/lockout/stores/redis.ts',
  'ldap/index': 'src/stores/ldap/index.ts',
  'sql/index': 'src/stores/sql/index.ts',
  'mongo/index': 'src/stores/mongo/index.ts',
  'file/index': 'src/stores/file/index.ts',
  'graph/index': 'src/graph/index.ts',
  'jit/index': 'src/jit/index.ts',
  'jit/b2c': 'src/jit/b2c.ts',
  'jit/entra': 'src/jit/entra.ts',
};

/** Built but not exported: loaded by path from inside the package (the hash worker threads). */
export const internalEntries = {
  'hashes/worker': 'src/hashes/worker.ts',
};

const shared: Options = {
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  // `npm run build` empties dist first; tsup's own clean would race between the two configs.
  clean: false,
  // Optional peers stay external so that importing one subpath never loads another's backend.
  external: ['ldapts', 'mssql', 'mongodb', 'ioredis', 'argon2', '@node-rs/argon2', 'bcrypt', '@node-rs/bcrypt', 'pg', 'mysql2', 'better-sqlite3'],
};

export default defineConfig([
  { ...shared, entry: entries, format: ['esm', 'cjs'], dts: true, splitting: true, treeshake: true },
  // The CLI is an executable and the worker a thread entry, not import targets: ESM only, no types.
  { ...shared, entry: { 'cli/main': 'src/cli/main.ts', ...internalEntries }, format: ['esm'], dts: false },
]);
