/**
 * A source that holds no passwords (Auth0's user export job without the hash export, a directory dump of names):
 * `mapping.hash: false` says so. It loads, lists every profile for pre-migration (each gets a generated password),
 * and answers a sign-in `unavailable` (misconfigured), never a wrong password the lockout would count. Without
 * the option such a file is refused at load, with the option named in the message.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { createMapper } from '../../../src/premigrate/mapping.js';
import { fileUserStore } from '../../../src/stores/file/index.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { exportFolder } from './file-fixture.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());
const { write } = exportFolder('legacy-idp-profile-only-');

const users = [
  { user_id: 'auth0|1', email: 'ana@example.org', name: 'Ana' },
  { user_id: 'auth0|2', email: 'ben@example.org', name: 'Ben' },
];
const jsonl = `${users.map((user) => JSON.stringify(user)).join('\n')}\n`;
const mapping = { subjectId: 'user_id', username: 'email', email: 'email', displayName: 'name' };

describe('a source without passwords (mapping.hash: false)', () => {
  it('a file store loads, lists every profile without a credential, and answers sign-ins unavailable', async () => {
    const store = await fileUserStore({ path: await write('users.jsonl', jsonl), registry, mapping: { ...mapping, hash: false } });
    try {
      const outcome = await store.verify({ username: 'ana@example.org', password: 'anything-at-all' });
      expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
      if (outcome.status === 'unavailable') expect(outcome.error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'mapping.hash' });
      const listed = [];
      for await (const profile of store.list()) listed.push(profile);
      expect(listed.map((profile) => [profile.subjectId, profile.credential])).toEqual([
        ['auth0|1', undefined],
        ['auth0|2', undefined],
      ]);
      // Pre-migration: no recoverable password, so a generated one (and the requires-migration flag).
      const map = createMapper({ tenant: 'contoso', extensionAppId: '00000000-0000-4000-8000-000000000001' });
      expect(map(listed[0] as (typeof listed)[number])).toMatchObject({ subjectId: 'auth0|1', password: 'generated' });
    } finally {
      await store.close();
    }
  });

  it('without the option the same file is refused, and the message names it', async () => {
    const error: unknown = await fileUserStore({ path: await write('refused.jsonl', jsonl), registry, mapping: { ...mapping, hash: 'passwordHash' } }).then(
      (store) => store.close(),
      (caught: unknown) => caught,
    );
    expect(isLegacyIdpError(error) && error.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
    expect((error as Error).message).toContain('mapping.hash: false');
  });

  it('a SQL table without a hash column is read without selecting one', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, login TEXT, mail TEXT)');
    db.prepare('INSERT INTO people VALUES (1, ?, ?)').run('ana', 'ana@example.org');
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry, table: 'people', mapping: { subjectId: 'id', username: 'login', email: 'mail', hash: false } });
    try {
      expect(await store.get('ANA')).toMatchObject({ subjectId: '1', email: 'ana@example.org' });
      expect(await store.verify({ username: 'ana', password: 'x-password' })).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
    } finally {
      await store.close();
      db.close();
    }
  });
});
