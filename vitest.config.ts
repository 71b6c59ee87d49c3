import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Server suites start private slapd / redis instances; two cores are all we have.
    pool: 'forks',
    reporters: ['default'],
  },
});
