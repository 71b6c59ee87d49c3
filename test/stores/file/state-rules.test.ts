/**
 * Account-state rules meet values as exports write them. A value a rule cannot read must never leave the account
 * `active` (a disabled user signing in): it answers `unavailable` (misconfigured) instead, and the profile says
 * not enabled. Numbers and dates in the units exports use are read, not guessed at.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore, type FileStoreOptions } from '../../../src/stores/file/index.js';

const registry = createHashRegistry({ workers: false });
const password = 'Right-Pass-2024';
const hash = bcrypt.hashSync(password, 4);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legacy-idp-state-rules-'));
});
afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

/** One JSONL user per value of `field`; returns the outcome of the right password for each. */
async function outcomes(field: string, values: unknown[], states: NonNullable<FileStoreOptions['mapping']>['states']): Promise<Array<{ value: unknown; status: string; reason?: string; enabled?: boolean }>> {
  const path = join(dir, `${field}-${Math.random().toString(36).slice(2)}.jsonl`);
  await writeFile(path, values.map((value, index) => JSON.stringify({ id: String(index + 1), username: `user${index + 1}`, hash, [field]: value })).join('\n'));
  const store = await fileUserStore({ path, registry, mapping: { subjectId: 'id', username: 'username', hash: 'hash', scheme: 'bcrypt', states } });
  try {
    const results = [];
    for (const [index, value] of values.entries()) {
      const outcome = await store.verify({ username: `user${index + 1}`, password });
      const profile = await store.get(`user${index + 1}`);
      results.push({ value, status: outcome.status, ...('reason' in outcome ? { reason: outcome.reason } : {}), ...(profile?.enabled === undefined ? {} : { enabled: profile.enabled }) });
    }
    return results;
  } finally {
    await store.close();
  }
}

describe('file store: account-state rules on values exports write', () => {
  it('a disabled flag the rule cannot read never signs the user in', async () => {
    const found = await outcomes('disabled', ['WAHR', 'VRAI', 'X', '✓', 'disabled'], [{ field: 'disabled', when: 'true', status: 'disabled' }]);
    for (const result of found) expect(result, JSON.stringify(result.value)).toMatchObject({ status: 'unavailable', reason: 'misconfigured', enabled: false });
  });

  it('reads numbers written as text as booleans: -1 (Access) and 1.0 (a float column) are true, 0.0 false', async () => {
    const found = await outcomes('disabled', ['-1', '1.0', 1, '0.0', '0', null, ''], [{ field: 'disabled', when: 'true', status: 'disabled' }]);
    expect(found.map((result) => result.status)).toEqual(['disabled', 'disabled', 'disabled', 'valid', 'valid', 'valid', 'valid']);
  });

  it('reads epoch seconds, milliseconds and microseconds by size; int64 max is "never"', async () => {
    const past = Date.UTC(2020, 0, 1);
    const future = Date.UTC(2999, 0, 1);
    const values = [past / 1000, past, past * 1000, String(past), future / 1000, future, '9223372036854775807'];
    const found = await outcomes('expires', values, [{ field: 'expires', when: 'past', status: 'password_expired' }]);
    // Before, every number was read as seconds: 1577836800000 became the year 51970, and the password never expired.
    expect(found.map((result) => result.status)).toEqual(['password_expired', 'password_expired', 'password_expired', 'password_expired', 'valid', 'valid', 'valid']);
  });

  it('a date the rule cannot read is unreadable, not "no date"', async () => {
    const found = await outcomes('expires', ['31.12.2019 23:59', 'next tuesday', '2019-13-45'], [{ field: 'expires', when: 'past', status: 'password_expired' }]);
    for (const result of found) expect(result, JSON.stringify(result.value)).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
  });
});
