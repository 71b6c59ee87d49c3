// `npm test`: install dependencies on a fresh clone, then run vitest with any extra arguments.
// Servers are found (or installed) by test/harness/global-setup.ts, not here.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureDependencies, run } from './bootstrap.mjs';

ensureDependencies('legacy-idp tests');
mkdirSync('.tmp', { recursive: true });
const report = '.tmp/vitest-report.json';
rmSync(report, { force: true });
const code = run(process.platform === 'win32' ? 'npx.cmd' : 'npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);

// One plain closing line that any CI log reader understands, whatever the runner prints above it.
if (existsSync(report)) {
  const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
}
process.exit(code);
