import { defineConfig } from 'tsup';

// One entry per subpath export (package.json "exports"); keep this list and that map in step.
export const entries = {
  index: 'src/index.ts',
  'testing/index': 'src/testing/index.ts',
  'stores/memory/index': 'src/stores/memory/index.ts',
  'cli/main': 'src/cli/main.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // Optional peers must stay external so that importing one subpath never loads another's backend.
  external: ['ldapts', 'mssql', 'mongodb', 'ioredis', 'argon2', 'pg', 'mysql2', 'better-sqlite3'],
});
