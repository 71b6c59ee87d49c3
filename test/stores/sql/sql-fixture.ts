/**
 * The fixture users as rows of a plain `legacy_users` table, for every SQL dialect: mixed schemes (bcrypt and
 * Django PBKDF2, identified per row), alice reachable by email, dave disabled, zoë with a non-ASCII password.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { RecordMappingOptions } from '../../../src/stores/record/mapping.js';
import type { SqlDialectName } from '../../../src/stores/sql/dialect.js';
import type { SqlStoreOptions } from '../../../src/stores/sql/sql-store.js';
import { fixtureUsers } from '../fixture-conformance.js';

export interface FixtureRow {
  id: number;
  username: string;
  email: string | null;
  password_hash: string | null;
  disabled: number;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  locked_until: string | null;
}

function djangoPbkdf2(password: string): string {
  const salt = randomBytes(9).toString('hex');
  const iterations = 1_000;
  return `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(password.normalize('NFC'), salt, iterations, 32, 'sha256').toString('base64')}`;
}

let rows: FixtureRow[] | undefined;

/** Rows, hashed once per test file. Ids are not in username order, so list() order is the key's. */
export function fixtureRows(): FixtureRow[] {
  rows ??= [
    { id: 10, username: 'alice', email: 'alice@example.org', password_hash: bcrypt.hashSync(fixtureUsers.valid.password, 5), disabled: 0, display_name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell', locked_until: null },
    { id: 20, username: 'bob', email: 'bob@example.org', password_hash: djangoPbkdf2(fixtureUsers.other.password), disabled: 0, display_name: null, given_name: null, family_name: null, locked_until: null },
    { id: 30, username: 'zoë', email: null, password_hash: djangoPbkdf2(fixtureUsers.unicode.password), disabled: 0, display_name: 'Zoë', given_name: null, family_name: null, locked_until: null },
    { id: 40, username: 'dave', email: 'dave@example.org', password_hash: bcrypt.hashSync(fixtureUsers.disabled.password, 5), disabled: 1, display_name: null, given_name: null, family_name: null, locked_until: null },
  ];
  return rows;
}

const literal = (value: string | number | null): string => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`);

/** CREATE TABLE and INSERT statements for `legacy_users` in the dialect's types. */
export function fixtureStatements(dialect: SqlDialectName, extraRows: readonly FixtureRow[] = []): string[] {
  const text = dialect === 'mssql' ? 'NVARCHAR(255)' : dialect === 'mysql' ? 'VARCHAR(255) CHARACTER SET utf8mb4' : 'VARCHAR(255)';
  const create = `CREATE TABLE legacy_users (id INTEGER PRIMARY KEY, username ${text} NOT NULL, email ${text}, password_hash ${text}, disabled INTEGER NOT NULL DEFAULT 0, display_name ${text}, given_name ${text}, family_name ${text}, locked_until ${text}, migrated_at ${text}, new_object_id ${text})`;
  const inserts = [...fixtureRows(), ...extraRows].map(
    (row) =>
      `INSERT INTO legacy_users (id, username, email, password_hash, disabled, display_name, given_name, family_name, locked_until) VALUES (${[
        row.id,
        row.username,
        row.email,
        row.password_hash,
        row.disabled,
        row.display_name,
        row.given_name,
        row.family_name,
        row.locked_until,
      ]
        .map(literal)
        .join(', ')})`,
  );
  return [create, ...inserts];
}

/** The store options every dialect's conformance run uses (plus its connection). */
export const fixtureStoreOptions: Omit<SqlStoreOptions, 'dialect'> & { mapping: RecordMappingOptions & { subjectId: string; username: string; hash: string } } = {
  table: 'legacy_users',
  matchEmail: true,
  mapping: {
    subjectId: 'id',
    username: 'username',
    email: 'email',
    hash: 'password_hash',
    displayName: 'display_name',
    givenName: 'given_name',
    surname: 'family_name',
    states: [
      { field: 'disabled', when: 'true', status: 'disabled' },
      { field: 'locked_until', when: 'future', status: 'locked' },
    ],
  },
  writeBack: { migratedAtColumn: 'migrated_at', objectIdColumn: 'new_object_id' },
};
