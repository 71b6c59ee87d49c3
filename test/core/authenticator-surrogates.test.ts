// Usernames that are not Unicode text: a lone UTF-16 surrogate has no UTF-8 form, so every store (and Redis)
// would see its own replacement of it. The Authenticator refuses them as it refuses control characters.
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier } from '../../src/core/contracts.js';
import { hasUnpairedSurrogates } from '../../src/core/normalize.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';

describe('Authenticator: usernames with unpaired surrogates', () => {
  it.each([
    ['a lone high surrogate', 'x\uD800'],
    ['a lone low surrogate', 'x\uDC00'],
    ['a pair in the wrong order', '\uDE00\uD83D'],
    ['a high surrogate at the end', 'alice\uD83D'],
  ])('refuses %s as malformed_input, before the lockout and the verifier', async (_label, username) => {
    const checked: string[] = [];
    const verifier: CredentialVerifier = {
      name: 'recording',
      verify: ({ username: name }) => {
        checked.push(name);
        return Promise.resolve({ status: 'invalid', reason: 'wrong_password' });
      },
    };
    const store = memoryLockoutStore({ sweepIntervalMs: 0 });
    const lockout = createLockoutPolicy({ store, ip: false });
    const { outcome } = await createAuthenticator({ verifier, lockout }).authenticate({ username, password: 'whatever' });
    expect(outcome).toEqual({ status: 'invalid', reason: 'malformed_input' });
    expect(checked).toEqual([]);
    expect(store.size).toBe(0);
    await lockout.close();
  });

  it('accepts characters outside the BMP (a well-formed pair) and U+FFFD itself', async () => {
    const checked: string[] = [];
    const verifier: CredentialVerifier = {
      name: 'recording',
      verify: ({ username }) => {
        checked.push(username);
        return Promise.resolve({ status: 'unknown_user' });
      },
    };
    const auth = createAuthenticator({ verifier });
    for (const username of ['zoë😀', '𝒶lice', 'x\uFFFD']) {
      expect((await auth.authenticate({ username, password: 'whatever' })).outcome.status).toBe('unknown_user');
    }
    expect(checked).toEqual(['zoë😀', '𝒶lice', 'x\uFFFD']);
    expect(hasUnpairedSurrogates('😀')).toBe(false);
    expect(hasUnpairedSurrogates('\uD83D')).toBe(true);
  });
});
