// Shared by `npm start` and `npm test`: a fresh clone needs nothing installed by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command with inherited stdio and returns its exit status. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** `npm ci` when node_modules is missing or was never completed. */
export function ensureDependencies(who) {
  if (existsSync('node_modules/.package-lock.json')) return;
  console.error(`${who}: node_modules is missing or incomplete; running npm ci first`);
  // stdout goes to stderr so that the command's own output (JSON) stays clean on stdout.
  const code = run(npm, ['ci', '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
  if (code !== 0) process.exit(code);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/. */
export function ensureBuild(who) {
  const cli = 'dist/cli/main.js';
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime('src')) return;
  console.error(`${who}: building dist/ (npm run build)`);
  const code = run(npm, ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (code !== 0) process.exit(code);
}
