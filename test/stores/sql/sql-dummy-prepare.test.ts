/**
 * The record store's choice of the dummy hash (the sample's hash shapes, each timed: up to 8 shapes x 3 rounds)
 * made ahead of the sign-ins. It used to be made by the first unknown user's sign-in only, and that sign-in's
 * wait for it ignored its deadline: a store with slow hashes answered that user seconds late (measured with 8
 * bcrypt/argon2id/PBKDF2 shapes: about 16 s, or `unavailable` at the Authenticator's 10 s deadline). Now
 * `prepare()` makes it (`legacy-idp serve` runs it at start-up and is not ready before it is done), and a sign-in
 * that comes while it runs waits for it no longer than its signal allows. Observed through the registry's calls,
 * with the timing verifications held at a gate: nothing here measures time.
 */
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import { createHashRegistry, type HashRegistry } from '../../../src/hashes/registry.js';
import { sqlUserStore } from '../../../src/stores/sql/sql-store.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

/**
 * The registry, recording the password of each verification, and holding every verification of a password not
 * in `free` until `open()`: the choice times the shapes with a random password, which the gate holds.
 */
function gatedRegistry(free: ReadonlySet<string>): { registry: HashRegistry; passwords: string[]; held: () => number; open: () => void } {
  const passwords: string[] = [];
  let opened = false;
  let held = 0;
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = () => {
      opened = true;
      resolve();
    };
  });
  return {
    passwords,
    held: () => held,
    open: () => { open(); },
    registry: {
      ...registry,
      async verify(password, hash, options) {
        passwords.push(password);
        if (!opened && !free.has(password)) {
          held += 1;
          await gate;
        }
        return registry.verify(password, hash, options);
      },
      close: () => Promise.resolve(),
    },
  };
}

const ssha = (password: string): string => {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
};

/** Two shapes, so the choice times them (with a random password: held at the gate until `open()`). */
function mixedTable(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
  for (const id of [1, 2, 3]) db.prepare('INSERT INTO users VALUES (?, ?, ?)').run(id, `ldap-user-${id}`, ssha(`pw-${id}`));
  db.prepare('INSERT INTO users VALUES (4, ?, ?)').run('app-user', bcrypt.hashSync('pw-4', 4));
  return db;
}

/** How `operation` ended within `ms`, or 'still waiting': a bound for a test that would otherwise hang, never a speed. */
const settledWithin = async (operation: Promise<unknown>, ms: number): Promise<string> =>
  Promise.race([
    operation.then(
      () => 'resolved',
      (error: unknown) => `rejected: ${(error as Error).name}`,
    ),
    new Promise<string>((resolve) => setTimeout(() => { resolve('still waiting'); }, ms)),
  ]);

describe('record store: the dummy hash chosen ahead of the sign-ins', () => {
  it('prepare() makes the choice; the dummy checks after it time nothing', async () => {
    const db = mixedTable();
    const gated = gatedRegistry(new Set());
    gated.open();
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: gated.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      await store.prepare();
      const timed = gated.passwords.length;
      expect(timed).toBeGreaterThan(0);
      await store.dummyVerify?.('unknown-users-password');
      expect(gated.passwords.slice(timed)).toEqual(['unknown-users-password']);
      // Prepared once: a second prepare() reads and times nothing.
      await store.prepare();
      expect(gated.passwords).toHaveLength(timed + 1);
    } finally {
      await store.close();
      db.close();
    }
  });

  it("a sign-in's dummy check that comes while the choice runs waits no longer than its signal; the choice goes on for the next", async () => {
    const db = mixedTable();
    const gated = gatedRegistry(new Set(['first-unknown', 'second-unknown', 'third-unknown']));
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: gated.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      // An unknown user with no deadline starts the choice (as before prepare() existed) and waits for it.
      const first = store.dummyVerify?.('first-unknown') ?? Promise.resolve();
      await expect.poll(() => gated.held()).toBeGreaterThan(0);
      const controller = new AbortController();
      const early = store.dummyVerify?.('second-unknown', { signal: controller.signal }) ?? Promise.resolve();
      // The choice is held at the gate (its first timing verification waits there), so the check waits too...
      expect(await settledWithin(early, 50)).toBe('still waiting');
      // ...until its deadline: then it gives up at once, with the abort's reason, before the choice is made.
      controller.abort(new DOMException('deadline', 'TimeoutError'));
      expect(await settledWithin(early, 2_000)).toBe('rejected: TimeoutError');
      expect(gated.passwords).not.toContain('second-unknown');
      // The choice was not cut: once the gate opens, it ends, and the unknown users get the chosen dummy.
      gated.open();
      await first;
      await store.dummyVerify?.('third-unknown');
      expect(gated.passwords.filter((password) => password.endsWith('-unknown'))).toEqual(['first-unknown', 'third-unknown']);
    } finally {
      gated.open();
      await store.close();
      db.close();
    }
  });

  it("the Authenticator's deadline cuts an unknown user's wait for the choice: answered unavailable (deadline), the choice going on", async () => {
    const db = mixedTable();
    const gated = gatedRegistry(new Set(['unknown-password']));
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: gated.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      void store.prepare().catch(() => undefined);
      await expect.poll(() => gated.held()).toBeGreaterThan(0);
      const authenticator = createAuthenticator({ verifier: store, profiles: store });
      const result = await authenticator.authenticate({ username: 'nobody', password: 'unknown-password', deadline: 100 });
      expect(result.outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
      gated.open();
      await store.prepare();
    } finally {
      gated.open();
      await store.close();
      db.close();
    }
  });

  it('prepare({ signal }) stops waiting when the signal aborts (deadline exceeded), and a later prepare() finds the choice made', async () => {
    const db = mixedTable();
    const gated = gatedRegistry(new Set());
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry: gated.registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      const controller = new AbortController();
      const waiting = store.prepare({ signal: controller.signal });
      await expect.poll(() => gated.held()).toBeGreaterThan(0);
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED' });
      gated.open();
      await expect(store.prepare()).resolves.toBeUndefined();
    } finally {
      gated.open();
      await store.close();
      db.close();
    }
  });

  it('prepare() rejects while the table cannot be read, and succeeds once it can (a failed choice is made again)', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, hash TEXT)');
    const store = await sqlUserStore({ dialect: 'sqlite', client: db, registry, table: 'users', mapping: { subjectId: 'id', username: 'username', hash: 'hash' } });
    try {
      db.exec('ALTER TABLE users RENAME TO gone');
      await expect(store.prepare()).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE' });
      db.exec('ALTER TABLE gone RENAME TO users');
      await expect(store.prepare()).resolves.toBeUndefined();
    } finally {
      await store.close();
      db.close();
    }
  });
});
