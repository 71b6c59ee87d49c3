// A lockout policy that answers after the sign-in's deadline (one that does not read the deadline's signal, as a
// policy of the caller's own may not): the Authenticator answers unavailable/deadline at the deadline, and the
// reservation handed out afterwards is taken back, so "deadline exceeded" never counts against the user.
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { LockoutDecision, LockoutPolicy } from '../../src/core/lockout.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';

const PASSWORD = 'Wonderland-2024';

describe('Authenticator: a lockout reservation that comes after the deadline', () => {
  it('is cancelled when it comes, and the attempt is not counted', async () => {
    const counting = createLockoutPolicy({ store: memoryLockoutStore({ sweepIntervalMs: 0 }), ip: false, account: { threshold: 3 } });
    const late: Promise<LockoutDecision>[] = [];
    // The real policy, asked 50 ms late, without the signal: it cannot know the caller gave up.
    const slow: LockoutPolicy = {
      begin: (keys, options) => {
        const decision = new Promise((resolve) => setTimeout(resolve, 50)).then(() => counting.begin(keys, { attemptDigest: options?.attemptDigest }));
        late.push(decision);
        return decision;
      },
      digestAttempt: (account, password) => counting.digestAttempt(account, password),
    };
    const users = await memoryUserStore({ users: [{ username: 'alice', password: PASSWORD, subjectId: 'u-1' }] });
    const auth = createAuthenticator({ verifier: users, lockout: slow });

    for (let i = 0; i < 4; i++) {
      const { outcome } = await auth.authenticate({ username: 'alice', password: `typo ${i}`, deadline: 5 });
      expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
    }
    const decisions = await Promise.all(late);
    // They were handed out, so counted, when they came; each was taken back then.
    expect(decisions.filter((decision) => decision.allowed).length).toBeGreaterThan(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await counting.status({ account: 'alice' })).toBeNull();
    await counting.close();
  });
});
