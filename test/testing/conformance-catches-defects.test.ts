import { scrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CredentialVerifier, ProfileSource, UserStore } from '../../src/core/contracts.js';
import { LegacyIdpError } from '../../src/core/errors.js';
import type { VerifyOutcome } from '../../src/core/outcome.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';
import {
  credentialVerifierConformance,
  profileSourceConformance,
  type ConformanceCase,
  type CredentialVerifierConformanceOptions,
} from '../../src/testing/index.js';

/**
 * The suites are only worth something if they fail on broken stores. Each case here breaks the reference
 * store in one way and checks that the suite case meant to catch it does fail.
 */
const users = [
  { username: 'alice', password: 'Wonderland-2024' },
  { username: 'bob', password: 'Builder-2024!' },
  { username: 'carol', password: 'Carol-Secret-9' },
];
const base = (): Promise<UserStore> => memoryUserStore({ users });

function verifierSuite(create: () => Promise<CredentialVerifier>, extra: Partial<CredentialVerifierConformanceOptions> = {}): ConformanceCase[] {
  return credentialVerifierConformance({ create, validUser: users[0]!, otherUser: users[1]!, ...extra });
}

async function failingCases(cases: ConformanceCase[]): Promise<string[]> {
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await c.run();
    } catch {
      failed.push(c.name);
    }
  }
  return failed;
}

function broken(change: (store: UserStore) => Partial<UserStore>): () => Promise<UserStore> {
  return async () => {
    const store = await base();
    return { ...store, ...change(store) };
  };
}

describe('the CredentialVerifier suite catches broken verifiers', () => {
  it('passes the unbroken reference store', async () => {
    expect(await failingCases(verifierSuite(base))).toEqual([]);
  });

  it('catches a verifier that accepts any password', async () => {
    const failed = await failingCases(verifierSuite(broken(() => ({ verify: () => Promise.resolve({ status: 'valid', subjectId: 'x' }) }))));
    expect(failed).toContain('rejects a wrong password as invalid');
    expect(failed).toContain('never accepts an empty password (an empty LDAP bind is anonymous and "succeeds")');
    expect(failed).toContain("one user's password never opens another account");
    expect(failed).toContain('injection characters in the username never match and never throw');
  });

  it('catches a wrong password charged to another account, or to none when the store must name it', async () => {
    // Only the case meant to catch it runs (the whole suite four times outlives the test's time on a busy machine).
    const accountCase = (create: () => Promise<CredentialVerifier>, extra: Partial<CredentialVerifierConformanceOptions> = {}) =>
      verifierSuite(create, extra).filter((c) => /names? the account a wrong password was checked against/u.test(c.name));
    const otherAccount = broken((store) => ({
      verify: async (input) => {
        const outcome = await store.verify(input);
        return outcome.status === 'invalid' ? { ...outcome, subjectId: 'someone-else' } : outcome;
      },
    }));
    const silent = broken((store) => ({
      verify: async (input) => {
        const outcome = await store.verify(input);
        if (outcome.status !== 'invalid') return outcome;
        const { subjectId: _dropped, ...withoutAccount } = outcome;
        return withoutAccount;
      },
    }));
    expect(accountCase(base)).toHaveLength(1);
    expect(await failingCases(accountCase(base, { namesAccountOnWrongPassword: true }))).toEqual([]);
    expect(await failingCases(accountCase(otherAccount, { namesAccountOnWrongPassword: true }))).toHaveLength(1);
    expect(await failingCases(accountCase(otherAccount))).toHaveLength(1);
    expect(await failingCases(accountCase(silent, { namesAccountOnWrongPassword: true }))).toHaveLength(1);
    expect(await failingCases(accountCase(silent))).toEqual([]);
  });

  it('catches an empty password treated as an anonymous bind', async () => {
    const failed = await failingCases(
      verifierSuite(
        broken((store) => ({
          verify: (input) => (input.password === '' ? Promise.resolve<VerifyOutcome>({ status: 'valid', subjectId: 'anon' }) : store.verify(input)),
        })),
      ),
    );
    expect(failed).toContain('never accepts an empty password (an empty LDAP bind is anonymous and "succeeds")');
  });

  it('catches wildcard matching in usernames', async () => {
    const failed = await failingCases(
      verifierSuite(broken((store) => ({ verify: (input) => store.verify({ ...input, username: input.username.startsWith('alice') ? 'alice' : input.username }) }))),
    );
    expect(failed).toEqual(['injection characters in the username never match and never throw']);
  });

  it('catches a verifier without dummy verification', async () => {
    const failed = await failingCases(
      verifierSuite(async () => {
        const { dummyVerify: _dropped, ...store } = await base();
        return store;
      }),
    );
    expect(failed).toEqual(['an unknown user costs about as much as a known one (dummy verification)']);
  });

  it('catches a verifier that gives every user the same subjectId', async () => {
    const failed = await failingCases(
      verifierSuite(
        broken((store) => ({
          verify: async (input) => {
            const outcome = await store.verify(input);
            return outcome.status === 'valid' || (outcome.status === 'invalid' && outcome.subjectId !== undefined) ? { ...outcome, subjectId: 'subject' } : outcome;
          },
        })),
        { namesAccountOnWrongPassword: true },
      ).filter((c) => !c.name.startsWith('an unknown user costs')),
    );
    expect(failed).toEqual(['gives different users different subject ids']);
  });

  it('catches a dummy verification four times cheaper than a real check', async () => {
    // The reference store's check is one scrypt at N = 2^14; this dummy runs one at 2^12.
    const cheapDummy = broken(() => ({
      dummyVerify: (password: string) =>
        new Promise<void>((resolve, reject) => {
          scrypt(password, 'cheap-dummy-salt', 64, { N: 2 ** 12, r: 8, p: 1 }, (error) => {
            if (error) reject(error);
            else resolve();
          });
        }),
    }));
    const costCase = verifierSuite(cheapDummy).filter((c) => c.name.startsWith('an unknown user costs'));
    expect(costCase).toHaveLength(1);
    expect(await failingCases(costCase)).toHaveLength(1);
  }, 60_000);

  it('catches a down backend answering unavailable with an untyped Error', async () => {
    const failed = await failingCases(
      verifierSuite(base, {
        createUnavailable: () =>
          Promise.resolve({
            name: 'down',
            verify: () => Promise.resolve({ status: 'unavailable', reason: 'backend_error', error: new Error('db down') as unknown as LegacyIdpError } as VerifyOutcome),
          }),
      }).filter((c) => c.name.startsWith('a backend that is down')),
    );
    expect(failed).toEqual(['a backend that is down is unavailable: never valid, never invalid']);
  });

  it('passes a down backend answering unavailable with a LegacyIdpError', async () => {
    const cases = verifierSuite(base, {
      createUnavailable: () =>
        Promise.resolve({
          name: 'down',
          verify: () => Promise.resolve<VerifyOutcome>({ status: 'unavailable', reason: 'backend_error', error: new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'db down') }),
        }),
    }).filter((c) => c.name.startsWith('a backend that is down'));
    expect(cases).toHaveLength(1);
    expect(await failingCases(cases)).toEqual([]);
  });

  it('catches a password echoed in an outcome', async () => {
    const failed = await failingCases(
      verifierSuite(
        broken((store) => ({
          verify: async (input) => {
            const outcome = await store.verify(input);
            return outcome.status === 'invalid' ? { ...outcome, detail: `tried ${input.password}` } : outcome;
          },
        })),
      ),
    );
    expect(failed).toContain('keeps the password out of outcomes and errors (canary)');
  });

  it('catches a down backend reported as a wrong password', async () => {
    const failed = await failingCases(
      verifierSuite(base, {
        createUnavailable: () => Promise.resolve({ name: 'down', verify: () => Promise.resolve({ status: 'invalid', reason: 'wrong_password' }) }),
      }),
    );
    expect(failed).toEqual(['a backend that is down is unavailable: never valid, never invalid']);
  });
});

describe('the ProfileSource suite catches broken sources', () => {
  const suite = (create: () => Promise<ProfileSource>, createUnavailable?: () => Promise<ProfileSource>) =>
    profileSourceConformance({ create, usernames: users.map((u) => u.username), resumable: true, ...(createUnavailable ? { createUnavailable } : {}) });

  it('passes the unbroken reference store', async () => {
    expect(await failingCases(suite(base))).toEqual([]);
  });

  it('catches a source whose list repeats a user', async () => {
    const failed = await failingCases(
      suite(
        broken((store) => ({
          list: async function* (options) {
            for await (const profile of store.list(options)) {
              yield profile;
              if (profile.username === 'bob') yield profile;
            }
          },
        })),
      ),
    );
    expect(failed).toContain('lists every user exactly once, agreeing with get()');
  });

  it('catches a down source that answers null (a squatter could claim the user)', async () => {
    const down = broken(() => ({
      get: () => Promise.resolve(null),
      // eslint-disable-next-line require-yield -- a source that silently lists nothing
      list: async function* () {
        await Promise.resolve();
      },
    }));
    const failed = await failingCases(suite(base, down));
    expect(failed).toEqual(['a backend that is down rejects with an Error: never null (a squatter could claim the user)']);
  });

  it('catches a lookup that matches by prefix', async () => {
    const failed = await failingCases(
      suite(broken((store) => ({ get: (username) => store.get(username.startsWith('alice') ? 'alice' : username) }))),
    );
    expect(failed).toEqual(['injection characters in the username find nobody and never throw']);
  });
});
