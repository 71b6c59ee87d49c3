import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Examples are documentation that must keep working: each runs as a user would run it.
describe('examples', () => {
  it('authenticate.ts prints the outcome of each attempt', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/authenticate.ts'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { username: string; status: string; email: string | null });
    expect(lines).toEqual([
      { username: 'alice', status: 'valid', email: 'alice@example.org' },
      { username: 'alice@example.org', status: 'valid', email: 'alice@example.org' },
      { username: 'alice', status: 'invalid', email: null },
      { username: 'mallory', status: 'unknown_user', email: null },
      { username: 'dave', status: 'disabled', email: null },
      { username: 'alice', status: 'invalid', email: null },
    ]);
    // The operator log has a line per attempt and never a password.
    expect(run.stderr.trim().split('\n')).toHaveLength(6);
    expect(run.stderr).not.toMatch(/Wonderland|Disabled-2020|guess/u);
  });
});
