import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

/**
 * `legacy-idp premigrate` over an export file that is replaced between runs. The file store's cursor is a record
 * position: resumed in another file it names another user. Two users added at the top of a 10-user export used
 * to make the second run list only the last two records (settled, skipped), create nobody, exit 0, and never
 * migrate the two new users.
 */

const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-cli-file-changed-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const user = (name: string): Record<string, string> => ({ signInName: `${name}@contoso.com`, displayName: name, password: `Pw-${name}-Abcdef!` });
const names = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, index) => `${prefix}${index}`);

function writeExport(file: string, users: readonly string[]): void {
  writeFileSync(join(dir, file), JSON.stringify({ userType: 'emailAddress', Users: users.map(user) }));
}

function config(file: string, out: string, journal: string): string {
  const path = join(dir, `${journal}.config.json`);
  writeFileSync(
    path,
    JSON.stringify({
      store: { type: 'file', path: file, preset: 'ms-sample' },
      premigrate: {
        mapping: { tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } },
        sink: { type: 'jsonl', path: out, redactPasswords: true },
        journal,
        report: { json: `${journal}-report.json`, csv: `${journal}-failures.csv` },
      },
    }),
  );
  return path;
}

/** The subject ids of the users the JSONL sink received, in order. */
function migrated(out: string): string[] {
  return readFileSync(join(dir, out), 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { subjectId: string }).subjectId);
}

const changedLine = /listing it from the start/u;

describe('premigrate: an export file replaced between runs', () => {
  it('lists a file with users added at the top from the start, and migrates every user once', async () => {
    const path = config('users.json', 'out.jsonl', 'journal.db');
    writeExport('users.json', names('user', 10));
    const first = await cli(['premigrate', '--config', path]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ listed: 10, created: 10 });
    expect(first.stderr).not.toMatch(changedLine);

    writeExport('users.json', [...names('new', 2), ...names('user', 10)]);
    const second = await cli(['premigrate', '--config', path]);
    expect(second.code).toBe(0);
    // Before: listed 2, created 0 (the saved position 9 was past the two new users).
    expect(JSON.parse(second.stdout)).toMatchObject({ listed: 12, created: 2, skipped: 10, journal: { created: 12 } });
    expect(second.stderr.match(new RegExp(changedLine.source, 'gu'))).toHaveLength(1);
    expect(second.stderr).toContain('users.json');
    const all = migrated('out.jsonl');
    expect(all).toHaveLength(12);
    expect(new Set(all)).toEqual(new Set([...names('user', 10), ...names('new', 2)].map((name) => `${name}@contoso.com`)));

    // The same file again: the position saved in it holds, and nothing is listed twice.
    const third = await cli(['premigrate', '--config', path]);
    expect(third.code).toBe(0);
    expect(third.stderr).not.toMatch(changedLine);
    const summary = JSON.parse(third.stdout) as { listed: number };
    expect(summary).toMatchObject({ created: 0, journal: { created: 12 } });
    expect(summary.listed).toBe(0);
    expect(migrated('out.jsonl')).toHaveLength(12);
  });

  it('does the same when users are removed from the top and others appended', async () => {
    const path = config('shrunk.json', 'shrunk.jsonl', 'shrunk.db');
    writeExport('shrunk.json', names('old', 6));
    expect((await cli(['premigrate', '--config', path])).code).toBe(0);

    // Same length as before plus one: position-wise, resuming would read only the last record.
    writeExport('shrunk.json', [...names('old', 6).slice(3), ...names('late', 4)]);
    const second = await cli(['premigrate', '--config', path]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(changedLine);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: 4, journal: { created: 10 } });
    expect(migrated('shrunk.jsonl').sort()).toEqual([...names('old', 6), ...names('late', 4)].map((name) => `${name}@contoso.com`).sort());
  });
});
