import { createWriteStream, type WriteStream } from 'node:fs';
import type { Checkpoint, JournalEntry } from './checkpoint.js';
import type { PremigrateSummary } from './engine.js';

/**
 * The run's report: a JSON file (the summary and one entry per failed user) and a CSV of the failures, both
 * streamed from the journal so a million failures cost no memory. Neither holds a password or a hash: the
 * journal never had them.
 */

function csvField(value: string): string {
  // Formula-looking cells are prefixed so a spreadsheet shows them as text (CSV injection).
  const safe = /^[=+\-@\t\r]/u.test(value) ? `'${value}` : value;
  // `;` too: spreadsheets in locales whose list separator is `;` split on it, and a cell after it could start with `=`.
  return /[",;\r\n]/u.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function write(stream: WriteStream, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', () => { resolve(); }));
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => { resolve(); });
  });
}

interface FailureLine {
  subjectId: string;
  signInName: string;
  code: string;
  retryable: boolean;
  reason: string;
}

const failureLine = (entry: JournalEntry): FailureLine => ({
  subjectId: entry.subjectId,
  signInName: entry.identity?.issuerAssignedId ?? '',
  code: entry.code ?? 'unknown',
  retryable: entry.retryable ?? false,
  reason: entry.reason ?? '',
});

export async function writeReport(options: { summary: PremigrateSummary; checkpoint?: Checkpoint; jsonPath?: string; csvPath?: string }): Promise<void> {
  const { summary, checkpoint } = options;
  if (options.jsonPath !== undefined) {
    const stream = createWriteStream(options.jsonPath, { encoding: 'utf8' });
    await write(stream, `{"summary":${JSON.stringify(summary)},"failures":[`);
    let first = true;
    for (const entry of checkpoint?.failures() ?? []) {
      await write(stream, `${first ? '' : ','}\n${JSON.stringify(failureLine(entry))}`);
      first = false;
    }
    await write(stream, '\n]}\n');
    await end(stream);
  }
  if (options.csvPath !== undefined) {
    const stream = createWriteStream(options.csvPath, { encoding: 'utf8' });
    await write(stream, 'subjectId,signInName,code,retryable,reason\r\n');
    for (const entry of checkpoint?.failures() ?? []) {
      const line = failureLine(entry);
      await write(stream, `${[line.subjectId, line.signInName, line.code, String(line.retryable), line.reason].map(csvField).join(',')}\r\n`);
    }
    await end(stream);
  }
}
