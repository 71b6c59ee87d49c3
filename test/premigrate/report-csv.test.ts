/**
 * The failures CSV is opened in spreadsheets: a cell that starts like a formula is prefixed, and a cell holding a
 * `;` is quoted, because spreadsheets in locales whose list separator is `;` split an unquoted cell there and the
 * part after it could start with `=`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/premigrate/checkpoint.js';
import type { PremigrateSummary } from '../../src/premigrate/engine.js';
import { writeReport } from '../../src/premigrate/report.js';

const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-report-csv-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('failures CSV', () => {
  it('quotes cells with ; and prefixes cells that start like a formula', async () => {
    const checkpoint = await openCheckpoint(':memory:');
    try {
      const failed = (subjectId: string, reason: string) => ({ subjectId, outcome: { status: 'failed' as const, code: 'invalid_email', reason, retryable: false } });
      checkpoint.record([failed(';=1+1', 'a; b'), failed('=HYPERLINK("x")', 'plain'), failed('plain-id', 'has, comma')]);
      const csvPath = join(dir, 'failures.csv');
      await writeReport({ summary: { failed: 3 } as PremigrateSummary, checkpoint, csvPath });
      const rows = readFileSync(csvPath, 'utf8').split('\r\n').filter(Boolean).slice(1);
      expect(rows).toContain('";=1+1",,invalid_email,false,"a; b"');
      expect(rows).toContain('"\'=HYPERLINK(""x"")",,invalid_email,false,plain');
      expect(rows).toContain('plain-id,,invalid_email,false,"has, comma"');
    } finally {
      checkpoint.close();
    }
  });
});
