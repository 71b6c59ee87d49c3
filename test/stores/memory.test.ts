import { describe, expect, it } from 'vitest';
import type { UserStore } from '../../src/core/contracts.js';
import { memoryUserStore, type MemoryUser } from '../../src/stores/memory/index.js';
import { describeStoreConformance } from './fixture-conformance.js';

const users: MemoryUser[] = [
  { username: 'Alice', password: 'Wonderland-2024', email: 'alice@example.org', givenName: 'Alice', surname: 'Liddell' },
  { username: 'bob', password: 'Builder-2024!', email: 'bob@example.org' },
  { username: 'zoë', password: 'Crème-brûlée-ß-🔑' },
  { username: 'dave', password: 'Disabled-2024', state: 'disabled' },
];

const create = (): Promise<UserStore> => memoryUserStore({ users });

describeStoreConformance('memory store', create);

describe('memory store specifics', () => {
  it('answers the account state only after a correct password', async () => {
    const store = await memoryUserStore({
      users: [
        { username: 'l', password: 'pw-locked', state: 'locked' },
        { username: 'e', password: 'pw-expired', state: 'password_expired' },
        { username: 'm', password: 'pw-change', state: 'must_change' },
      ],
      scryptCost: 16,
    });
    expect(await store.verify({ username: 'l', password: 'pw-locked' })).toEqual({ status: 'locked', by: 'legacy_store' });
    expect((await store.verify({ username: 'e', password: 'pw-expired' })).status).toBe('password_expired');
    expect((await store.verify({ username: 'm', password: 'pw-change' })).status).toBe('must_change');
    for (const username of ['l', 'e', 'm']) {
      expect((await store.verify({ username, password: 'wrong' })).status).toBe('invalid');
    }
  });

  it('rejects duplicate usernames after normalization, naming the key', async () => {
    await expect(
      memoryUserStore({ users: [{ username: 'x', password: 'a' }, { username: ' X', password: 'b' }], scryptCost: 16 }),
    ).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'users[1].username' });
  });

  it('rejects bad options with the key in the message', async () => {
    await expect(memoryUserStore({ users: [{ username: 'x', password: '' }] })).rejects.toThrow(/users\[0\]\.password/);
    await expect(memoryUserStore({ users: [], scryptCost: 1000 })).rejects.toThrow(/scryptCost.*power of two/);
  });

  it('keeps case when normalization says so', async () => {
    const store = await memoryUserStore({ users: [{ username: 'Carol', password: 'pw' }], normalization: { caseFold: 'none' }, scryptCost: 16 });
    expect((await store.verify({ username: 'Carol', password: 'pw' })).status).toBe('valid');
    expect((await store.verify({ username: 'carol', password: 'pw' })).status).toBe('unknown_user');
  });

  it('rejects a cursor it did not produce', async () => {
    const store = await memoryUserStore({ users: [{ username: 'x', password: 'pw' }], scryptCost: 16 });
    await expect(async () => {
      for await (const _ of store.list({ after: 'nope' })) {
        /* drain */
      }
    }).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
  });
});
