/**
 * The dummy verification for unknown users (record core, shared by the SQL, MongoDB and file stores) in a
 * table that mixes schemes: it must run against the most expensive stored value, not the first row's.
 * Observed through the registry's calls, not through timing.
 */
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';
import { recordingRegistry } from '../../harness/recording-registry.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const ssha = (password: string): string => {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
};

describe('record store: the dummy verification of a table that mixes schemes', () => {
  it('runs against the costliest stored value of the sample, not the first row with a password', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    // A migrated-from-LDAP row first, then the application's own bcrypt rows, and a malformed value.
    db.prepare('INSERT INTO users VALUES (1, ?, ?)').run('ldap-user', ssha('pw-1'));
    db.prepare('INSERT INTO users VALUES (2, ?, ?)').run('broken', '$2b$10$not-a-hash');
    db.prepare('INSERT INTO users VALUES (3, ?, NULL)').run('no-password');
    const bcryptHashes = [4, 5, 6].map((id) => {
      const hash = bcrypt.hashSync(`pw-${id}`, 8);
      db.prepare('INSERT INTO users VALUES (?, ?, ?)').run(id, `app-user-${id}`, hash);
      return hash;
    });
    const recording = recordingRegistry(registry);
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: recording.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      await store.dummyVerify?.('unknown-users-password');
      await store.dummyVerify?.('another-password');
      const dummies = recording.calls.filter((call) => call.password === 'unknown-users-password' || call.password === 'another-password');
      expect(dummies).toHaveLength(2);
      for (const call of dummies) expect(bcryptHashes).toContain(call.hash);
      // The choice was made once: the second dummy timed nothing.
      const timed = recording.calls.length - dummies.length;
      await store.dummyVerify?.('third-password');
      expect(recording.calls.length - dummies.length - 1).toBe(timed);
      // A user without a password costs the same dummy.
      expect(await store.verify({ username: 'no-password', password: 'x-password' })).toMatchObject({ status: 'invalid' });
      expect(bcryptHashes).toContain(recording.calls.at(-1)?.hash);
    } finally {
      await store.close();
      db.close();
    }
  });

  it('takes a costlier scheme that only a few rows hold, found by timing each shape', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    for (const id of [1, 2, 3, 4]) db.prepare('INSERT INTO users VALUES (?, ?, ?)').run(id, `ldap-user-${id}`, ssha(`pw-${id}`));
    const costly = bcrypt.hashSync('pw-5', 8);
    db.prepare('INSERT INTO users VALUES (5, ?, ?)').run('app-user-5', costly);
    const recording = recordingRegistry(registry);
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: recording.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      await store.dummyVerify?.('unknown-users-password');
      expect(recording.calls.filter((call) => call.password === 'unknown-users-password').map((call) => call.hash)).toEqual([costly]);
    } finally {
      await store.close();
      db.close();
    }
  });

  it('reads past a long run of users without a password (social sign-ins first) to find a credential', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?)');
    for (let id = 1; id <= 450; id++) insert.run(id, `social-${id}`, null);
    const stored = bcrypt.hashSync('pw-451', 4);
    insert.run(451, 'app-user', stored);
    const recording = recordingRegistry(registry);
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: recording.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      // Before, only the first 20 rows were read: no credential, so an unknown user cost nothing at all.
      await store.dummyVerify?.('unknown-users-password');
      expect(recording.calls.filter((call) => call.password === 'unknown-users-password').map((call) => call.hash)).toEqual([stored]);
    } finally {
      await store.close();
      db.close();
    }
  });

  it('keeps the only scheme a table holds without timing anything', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    for (const id of [1, 2, 3]) db.prepare('INSERT INTO users VALUES (?, ?, ?)').run(id, `u${id}`, bcrypt.hashSync(`pw-${id}`, 4));
    const recording = recordingRegistry(registry);
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: recording.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      await store.dummyVerify?.('unknown-users-password');
      expect(recording.calls.map((call) => call.password)).toEqual(['unknown-users-password']);
    } finally {
      await store.close();
      db.close();
    }
  });
});
