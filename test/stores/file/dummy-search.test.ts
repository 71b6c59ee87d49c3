/**
 * The dummy verification of unknown users over an export whose first records have no password. The record core
 * read at most 20 pages of 100 rows for a stored credential: a Firebase export that starts with 2,100 Google
 * sign-ins had no dummy, so an unknown user answered in 0.2 ms and a known one in 55 ms. The file store holds
 * every record in memory and now searches them all; a store whose rows hold no credential at all gets a value
 * of its fixed scheme made for the purpose. Observed through the calls to a real registry, not through timing.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { fileUserStore } from '../../../src/stores/file/index.js';
import { exportFolder } from './file-fixture.js';
import { recordingRegistry } from '../../harness/recording-registry.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const { write } = exportFolder('legacy-idp-file-dummy-');

/** firebase/scrypt's published vector, with its project's hash parameters. */
const vector = JSON.parse(readFileSync(new URL('../../vectors/firebase_scrypt.jsonl', import.meta.url), 'utf8').split('\n')[0] ?? '') as {
  password: string;
  hash: string;
  context: { salt: string; signerKey: string; saltSeparator: string; rounds: number; memCost: number };
};
const firebase = { name: 'firebase', signerKey: vector.context.signerKey, saltSeparator: vector.context.saltSeparator, rounds: vector.context.rounds, memCost: vector.context.memCost };

describe('file store: the dummy hash of unknown users', () => {
  it('is found after 2,100 users without a password (a Firebase export with its social sign-ins first)', async () => {
    const users: object[] = [];
    for (let i = 0; i < 2100; i++) {
      users.push({ localId: `g${i}`, email: `g${i}@gmail.com`, emailVerified: true, providerUserInfo: [{ providerId: 'google.com', rawId: String(i) }], createdAt: String(1e12 + i) });
    }
    for (let i = 0; i < 5; i++) users.push({ localId: `p${i}`, email: `p${i}@example.com`, passwordHash: vector.hash, salt: vector.context.salt, createdAt: String(2e12 + i) });
    const path = await write('firebase-social-first.json', JSON.stringify({ users }, null, 2));
    const recording = recordingRegistry(registry);
    const store = await fileUserStore({ path, preset: firebase, registry: recording.registry });
    try {
      expect(store.stats).toMatchObject({ users: 2105 });
      await store.prepare();
      const before = recording.calls.length;
      await store.dummyVerify?.('unknown-users-password');
      // Before: no call at all (no credential in the first 2,000 rows), so an unknown user cost nothing.
      const dummies = recording.calls.slice(before);
      expect(dummies).toHaveLength(1);
      expect(dummies[0]).toMatchObject({ password: 'unknown-users-password', hash: vector.hash, scheme: 'firebase_scrypt' });
      // A known user without a password costs the same dummy.
      expect(await store.verify({ username: 'g7@gmail.com', password: 'guess-123' })).toMatchObject({ status: 'invalid' });
      expect(recording.calls.at(-1)).toMatchObject({ hash: vector.hash });
    } finally {
      await store.close();
    }
  });

  it("is made in the mapping's scheme when no record holds a password, so unknown and password-less users cost one verification", async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ id: `u${i}`, username: `user${i}`, passwordHash: null }));
    const path = await write('no-passwords.jsonl', `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
    const recording = recordingRegistry(registry);
    const store = await fileUserStore({ path, mapping: { subjectId: 'id', username: 'username', hash: 'passwordHash', scheme: 'bcrypt' }, registry: recording.registry });
    try {
      await store.prepare();
      const before = recording.calls.length;
      await store.dummyVerify?.('unknown-users-password');
      const dummies = recording.calls.slice(before);
      // Before: no call (no stored value to verify against).
      expect(dummies).toHaveLength(1);
      expect(dummies[0]?.scheme).toBe('bcrypt');
      expect(dummies[0]?.hash).toMatch(/^\$2[aby]\$\d\d\$/u);
      expect(await store.verify({ username: 'user3', password: 'guess-123' })).toMatchObject({ status: 'invalid' });
      expect(recording.calls.at(-1)?.hash).toBe(dummies[0]?.hash);
    } finally {
      await store.close();
    }
  });

  it('has none when the scheme cannot make values (firebase_scrypt needs each user\'s salt): the documented remaining case', async () => {
    const path = await write('firebase-no-passwords.json', JSON.stringify({ users: [{ localId: 'g1', email: 'g1@gmail.com', passwordHash: null }] }));
    const recording = recordingRegistry(registry);
    const store = await fileUserStore({ path, preset: firebase, registry: recording.registry });
    try {
      await store.prepare();
      await store.dummyVerify?.('unknown-users-password');
      expect(recording.calls).toHaveLength(0);
    } finally {
      await store.close();
    }
  });
});
