/**
 * The fixture users (test/stores/sql/sql-fixture.ts: bcrypt and Django PBKDF2 hashes, alice reachable by
 * email, dave disabled) written as export files: JSON Lines with flat records, a JSON array nested under a
 * key with nested records, and CSV with quoted fields and CRLF line ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { FileStoreOptions } from '../../../src/stores/file/index.js';
import { fixtureRows, fixtureStoreOptions } from '../sql/sql-fixture.js';

export const flatMapping = fixtureStoreOptions.mapping;

/** The same users with their fields in nested objects, as document exports write them. */
export const nestedMapping = {
  subjectId: 'id',
  username: 'login.username',
  email: 'login.email',
  hash: 'secret.hash',
  displayName: 'names.display',
  givenName: 'names.given',
  surname: 'names.family',
  states: [{ field: 'flags.disabled', when: 'true', status: 'disabled' }],
} satisfies NonNullable<FileStoreOptions['mapping']>;

const csvField = (value: string | number | null): string => {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/u.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** Writes users.jsonl, users.json and users.csv into `dir`; returns their paths. */
export async function writeFixtureFiles(dir: string): Promise<{ jsonl: string; json: string; csv: string }> {
  const rows = fixtureRows();
  const paths = { jsonl: join(dir, 'users.jsonl'), json: join(dir, 'users.json'), csv: join(dir, 'users.csv') };
  // An unmapped field on every record: the store must not keep it.
  await writeFile(paths.jsonl, `${rows.map((row) => JSON.stringify({ ...row, notes: 'unmapped [{"'.repeat(10) })).join('\n')}\n`);
  const nested = rows.map((row) => ({
    id: row.id,
    login: { username: row.username, email: row.email },
    secret: { hash: row.password_hash },
    names: { display: row.display_name, given: row.given_name, family: row.family_name },
    flags: { disabled: row.disabled === 1 },
  }));
  // Members before and after the array, with brackets inside strings, that the reader must skip.
  await writeFile(paths.json, JSON.stringify({ exportedAt: '2025-01-01T00:00:00Z', note: '] } [ {', users: nested, trailer: [[1, 2], { x: '"]' }] }, null, 2));
  const columns = ['id', 'username', 'email', 'password_hash', 'disabled', 'display_name', 'given_name', 'family_name', 'locked_until'] as const;
  const csvRows = rows.map((row) => columns.map((column) => csvField(column === 'display_name' && row.display_name !== null ? `${row.display_name}, "the" one` : row[column])).join(','));
  await writeFile(paths.csv, `\uFEFF${[columns.join(','), ...csvRows].join('\r\n')}\r\n`);
  return paths;
}

/**
 * A temporary folder for one test file's exports, made before its tests and removed after them (vitest hooks),
 * with `write(name, content)` answering the written file's path.
 */
export function exportFolder(prefix: string): { path: (name: string) => string; write: (name: string, content: string | Uint8Array) => Promise<string> } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const path = (name: string): string => join(dir, name);
  return {
    path,
    async write(name, content) {
      await writeFile(path(name), content);
      return path(name);
    },
  };
}
