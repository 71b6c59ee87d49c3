import { describe, expect, it, vi } from 'vitest';
import { createAuthenticator, type AuthenticatorOptions } from '../../src/core/authenticator.js';
import type { CredentialVerifier, Profile, ProfileSource, VerifyInput } from '../../src/core/contracts.js';
import { LegacyIdpError } from '../../src/core/errors.js';
import type { LockoutDecision, LockoutKeys, LockoutPolicy } from '../../src/core/lockout.js';
import { jsonLogger } from '../../src/core/logger.js';
import { profileReadWith, withProfileRead, type VerifyOutcome } from '../../src/core/outcome.js';
import { getterOf } from '../harness/accessors.js';

const PASSWORD = 'Canary-Secret-1!';

/** A scripted verifier: answers from a table and records every call. */
function scriptedVerifier(answer: (input: VerifyInput) => Promise<VerifyOutcome> | VerifyOutcome) {
  const verify = vi.fn((input: VerifyInput) => Promise.resolve(answer(input)));
  const dummyVerify = vi.fn((_password: string) => Promise.resolve());
  const verifier: CredentialVerifier = { name: 'scripted', verify, dummyVerify };
  return { verifier, verify, dummyVerify };
}

const valid: VerifyOutcome = { status: 'valid', subjectId: 'id-1' };

function recordingLockout(decision: 'allow' | 'deny' | 'throw' = 'allow') {
  const events: string[] = [];
  const begin = vi.fn((keys: LockoutKeys): Promise<LockoutDecision> => {
    events.push(`begin:${keys.account}:${keys.clientIp ?? '-'}`);
    if (decision === 'throw') return Promise.reject(new Error('redis down'));
    if (decision === 'deny') return Promise.resolve({ allowed: false, retryAfter: 42, scope: 'account' });
    return Promise.resolve({
      allowed: true,
      ticket: {
        success: () => {
          events.push('success');
          return Promise.resolve();
        },
        failure: (details) => {
          events.push(`failure:${details?.attemptDigest ?? '-'}`);
          return Promise.resolve();
        },
        cancel: () => {
          events.push('cancel');
          return Promise.resolve();
        },
      },
    });
  });
  const lockout: LockoutPolicy = { begin, digestAttempt: (account, password) => `digest(${account},${password.length})` };
  return { lockout, begin, events };
}

const profile: Profile = { subjectId: 'id-1', username: 'alice', email: 'alice@example.org', attributes: {} };
function profileSource(get: ProfileSource['get']): ProfileSource {
  return {
    name: 'profiles',
    get: vi.fn(get),
    // eslint-disable-next-line require-yield -- an empty source
    list: async function* () {
      await Promise.resolve();
    },
  };
}

const make = (options: AuthenticatorOptions) => createAuthenticator(options);

describe('Authenticator: inputs no store should see', () => {
  it('rejects an empty password before any backend call', async () => {
    const { verifier, verify } = scriptedVerifier(() => valid);
    const { lockout, begin } = recordingLockout();
    const profiles = profileSource(() => Promise.resolve(profile));
    const result = await make({ verifier, lockout, profiles }).authenticate({ username: 'alice', password: '' });
    expect(result.outcome).toEqual({ status: 'invalid', reason: 'empty_password' });
    expect(verify).not.toHaveBeenCalled();
    expect(begin).not.toHaveBeenCalled();
    expect(profiles.get).not.toHaveBeenCalled();
  });

  it.each([
    ['an over-long password', { username: 'alice', password: 'x'.repeat(1025) }],
    ['an over-long username', { username: 'a'.repeat(257), password: PASSWORD }],
    ['a NUL in the username', { username: 'alice\u0000admin', password: PASSWORD }],
    ['a blank username', { username: '   ', password: PASSWORD }],
    ['a non-string password', { username: 'alice', password: { $ne: null } as unknown as string }],
    ['a non-string username', { username: ['alice'] as unknown as string, password: PASSWORD }],
  ])('rejects %s as malformed_input without a backend call', async (_label, input) => {
    const { verifier, verify } = scriptedVerifier(() => valid);
    const result = await make({ verifier }).authenticate(input);
    expect(result.outcome).toEqual({ status: 'invalid', reason: 'malformed_input' });
    expect(verify).not.toHaveBeenCalled();
  });

  it('normalizes the username once, with the configured policy', async () => {
    const { verifier, verify } = scriptedVerifier(() => valid);
    const result = await make({ verifier }).authenticate({ username: '  ALICE\u0301 ', password: PASSWORD });
    expect(result.username).toBe('alic\u00e9'.replace('\u00e9', 'e\u0301').normalize('NFC'));
    expect(verify.mock.calls[0]?.[0].username).toBe(result.username);

    const { verifier: v2, verify: verify2 } = scriptedVerifier(() => valid);
    await make({ verifier: v2, normalization: { caseFold: 'none' } }).authenticate({ username: ' Bob ', password: PASSWORD });
    expect(verify2.mock.calls[0]?.[0].username).toBe('Bob');

    const { verifier: v3, verify: verify3 } = scriptedVerifier(() => valid);
    await make({ verifier: v3, normalization: (name) => `custom:${name}` }).authenticate({ username: 'x', password: PASSWORD });
    expect(verify3.mock.calls[0]?.[0].username).toBe('custom:x');
  });
});

describe('Authenticator: unknown users cost a dummy verification', () => {
  it('calls dummyVerify once with the password after unknown_user', async () => {
    const { verifier, dummyVerify } = scriptedVerifier(() => ({ status: 'unknown_user' }));
    const result = await make({ verifier }).authenticate({ username: 'ghost', password: PASSWORD });
    expect(result.outcome.status).toBe('unknown_user');
    expect(dummyVerify).toHaveBeenCalledTimes(1);
    expect(dummyVerify.mock.calls[0]?.[0]).toBe(PASSWORD);
  });

  it.each<VerifyOutcome>([valid, { status: 'invalid', reason: 'wrong_password' }, { status: 'disabled' }])(
    'does not call dummyVerify after $status',
    async (outcome) => {
      const { verifier, dummyVerify } = scriptedVerifier(() => outcome);
      await make({ verifier }).authenticate({ username: 'alice', password: PASSWORD });
      expect(dummyVerify).not.toHaveBeenCalled();
    },
  );
});

describe('Authenticator: every backend failure is unavailable with a typed cause', () => {
  it('maps a thrown driver error to unavailable/backend_error, keeping the cause off the wire', async () => {
    const driverError = Object.assign(new Error(`connect ECONNREFUSED while sending ${PASSWORD}`), { code: 'ECONNREFUSED' });
    const { verifier } = scriptedVerifier(() => {
      throw driverError;
    });
    const { outcome } = await make({ verifier }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome.status).toBe('unavailable');
    if (outcome.status !== 'unavailable') return;
    expect(outcome.reason).toBe('backend_error');
    expect(outcome.error).toBeInstanceOf(LegacyIdpError);
    expect(outcome.error.code).toBe('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE');
    expect(outcome.error.message).toContain('ECONNREFUSED');
    expect(outcome.error.cause).toBe(driverError);
    expect(outcome.error.message).not.toContain(PASSWORD);
    expect(JSON.stringify(outcome)).not.toContain(PASSWORD);
  });

  it('maps a thrown non-Error to unavailable with an Error cause', async () => {
    const { verifier } = scriptedVerifier(() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a driver throwing a string
      throw 'plain string';
    });
    const { outcome } = await make({ verifier }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'backend_error' });
    if (outcome.status === 'unavailable') expect(outcome.error.cause).toBeInstanceOf(Error);
  });

  it('passes an unavailable answer through and does not count it against the user', async () => {
    const error = new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'ldap down');
    const { verifier } = scriptedVerifier(() => ({ status: 'unavailable', reason: 'backend_error', error }));
    const { lockout, events } = recordingLockout();
    const { outcome } = await make({ verifier, lockout }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome).toEqual({ status: 'unavailable', reason: 'backend_error', error });
    expect(events).toEqual(['begin:alice:-', 'cancel']);
  });

  it('answers unavailable/deadline when the verifier outlives a millisecond deadline', async () => {
    let seenSignal: AbortSignal | undefined;
    const { verifier } = scriptedVerifier(
      (input) =>
        new Promise((resolve) => {
          seenSignal = input.signal;
          setTimeout(() => {
            resolve(valid);
          }, 2_000).unref();
        }),
    );
    const { lockout, events } = recordingLockout();
    const started = Date.now();
    const { outcome } = await make({ verifier, lockout }).authenticate({ username: 'alice', password: PASSWORD, deadline: 50 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
    if (outcome.status === 'unavailable') expect(outcome.error.code).toBe('ERR_LEGACY_IDP_DEADLINE_EXCEEDED');
    expect(seenSignal?.aborted).toBe(true);
    expect(events).toEqual(['begin:alice:-', 'cancel']);
  });

  it('honours a caller-owned AbortSignal, already aborted', async () => {
    const { verifier } = scriptedVerifier(() => new Promise<VerifyOutcome>(() => undefined));
    const controller = new AbortController();
    controller.abort();
    const { outcome } = await make({ verifier }).authenticate({ username: 'alice', password: PASSWORD, deadline: controller.signal });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
  });

  it('applies defaultDeadlineMs when the call gives none', async () => {
    const { verifier } = scriptedVerifier(() => new Promise<VerifyOutcome>(() => undefined));
    const { outcome } = await make({ verifier, defaultDeadlineMs: 30 }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
  });

  it('answers unavailable/misconfigured for a negative deadline', async () => {
    const { verifier, verify } = scriptedVerifier(() => valid);
    const { outcome } = await make({ verifier }).authenticate({ username: 'alice', password: PASSWORD, deadline: -1 });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('Authenticator: lockout contract', () => {
  it('answers locked without verifying when the policy refuses', async () => {
    const { verifier, verify } = scriptedVerifier(() => valid);
    const { lockout } = recordingLockout('deny');
    const { outcome } = await make({ verifier, lockout }).authenticate({ username: 'alice', password: PASSWORD, clientIp: '203.0.113.9' });
    expect(outcome).toEqual({ status: 'locked', by: 'lockout_policy', retryAfter: 42 });
    expect(verify).not.toHaveBeenCalled();
  });

  const subject = '\u001fsubject:id-1';
  // A failure that names no account charges the typed name's stand-in instead (the policy's keyed digest of the
  // name, here the recording policy's fake one): every failure costs the lockout store the same calls.
  const standIn = '\u001fsubject:\u001fname:digest(alice,0)';
  const unnamedFailure = [`begin:${standIn}:-`, 'failure:digest(alice,16)', 'failure:digest(alice,16)'];
  it.each<[VerifyOutcome, string[]]>([
    [valid, [`begin:${subject}:-`, 'success', 'success']],
    [{ status: 'password_expired' }, ['success']],
    [{ status: 'must_change' }, ['success']],
    [{ status: 'invalid', reason: 'wrong_password' }, unnamedFailure],
    [{ status: 'invalid', reason: 'wrong_password', subjectId: 'id-1' }, [`begin:${subject}:-`, `failure:digest(${subject},16)`, 'failure:digest(alice,16)']],
    [{ status: 'unknown_user' }, unnamedFailure],
    [{ status: 'disabled' }, unnamedFailure],
    [{ status: 'locked', by: 'legacy_store' }, unnamedFailure],
  ])('records %o as %s', async (answer, expected) => {
    const { verifier } = scriptedVerifier(() => answer);
    const { lockout, events } = recordingLockout();
    await make({ verifier, lockout }).authenticate({ username: 'Alice', password: PASSWORD, clientIp: '203.0.113.9' });
    expect(events).toEqual(['begin:alice:203.0.113.9', ...expected]);
  });

  it("charges the account the store found, and answers locked when that account is locked whatever name was typed", async () => {
    const { verifier } = scriptedVerifier(() => valid);
    const events: string[] = [];
    const ticket = (label: string) => ({
      success: () => Promise.resolve(void events.push(`${label}:success`)),
      failure: () => Promise.resolve(void events.push(`${label}:failure`)),
      cancel: () => Promise.resolve(void events.push(`${label}:cancel`)),
    });
    const lockout: LockoutPolicy = {
      begin: (keys) =>
        Promise.resolve<LockoutDecision>(
          keys.account === subject ? { allowed: false, retryAfter: 7, scope: 'account' } : { allowed: true, ticket: ticket(keys.account) },
        ),
    };
    const { outcome } = await make({ verifier, lockout }).authenticate({ username: 'alice@example.org', password: PASSWORD });
    // The right password is not told: the account is locked. The typed name's attempt counts as a failure.
    expect(outcome).toEqual({ status: 'locked', by: 'lockout_policy', retryAfter: 7 });
    expect(events).toEqual(['alice@example.org:failure']);
  });

  it('answers unavailable/lockout_store when the account reservation fails after the check, and takes the attempt back', async () => {
    const { verifier } = scriptedVerifier(() => valid);
    const events: string[] = [];
    const lockout: LockoutPolicy = {
      begin: (keys) =>
        keys.account === subject
          ? Promise.reject(new Error('redis down'))
          : Promise.resolve<LockoutDecision>({
              allowed: true,
              ticket: { success: () => Promise.resolve(void events.push('success')), failure: () => Promise.resolve(void events.push('failure')), cancel: () => Promise.resolve(void events.push('cancel')) },
            }),
    };
    const { outcome } = await make({ verifier, lockout }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'lockout_store' });
    expect(events).toEqual(['cancel']);
  });

  it('hands the attempt digest to begin, so a repeated wrong password is recognized at reservation', async () => {
    const { verifier } = scriptedVerifier(() => ({ status: 'invalid', reason: 'wrong_password' }));
    const { lockout, begin } = recordingLockout();
    await make({ verifier, lockout }).authenticate({ username: 'Alice', password: PASSWORD });
    expect(begin).toHaveBeenCalledWith({ account: 'alice' }, expect.objectContaining({ attemptDigest: 'digest(alice,16)' }));
  });

  it('answers unavailable/lockout_store without verifying when the store fails', async () => {
    const { verifier, verify } = scriptedVerifier(() => valid);
    const { lockout } = recordingLockout('throw');
    const { outcome } = await make({ verifier, lockout }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'lockout_store' });
    if (outcome.status === 'unavailable') expect(outcome.error.code).toBe('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE');
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('Authenticator: profiles', () => {
  it('returns the profile after a valid password, and only then', async () => {
    const profiles = profileSource(() => Promise.resolve(profile));
    const ok = await make({ verifier: scriptedVerifier(() => valid).verifier, profiles }).authenticate({ username: 'alice', password: PASSWORD });
    expect(ok.profile).toBe(profile);
    const bad = await make({ verifier: scriptedVerifier(() => ({ status: 'invalid', reason: 'wrong_password' })).verifier, profiles }).authenticate({
      username: 'alice',
      password: PASSWORD,
    });
    expect(bad.profile).toBeNull();
    expect(profiles.get).toHaveBeenCalledTimes(1);
  });

  it('answers unavailable when the profile source fails or finds nobody', async () => {
    const { verifier } = scriptedVerifier(() => valid);
    const failing = await make({ verifier, profiles: profileSource(() => Promise.reject(new Error('db down'))) }).authenticate({
      username: 'alice',
      password: PASSWORD,
    });
    expect(failing.outcome).toMatchObject({ status: 'unavailable', reason: 'backend_error' });
    expect(failing.profile).toBeNull();
    const missing = await make({ verifier, profiles: profileSource(() => Promise.resolve(null)) }).authenticate({ username: 'alice', password: PASSWORD });
    expect(missing.outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
  });
});

describe('Authenticator: a profile read while verifying', () => {
  it('is used instead of a second lookup when the verifier is also the profile source', async () => {
    const fromVerify: Profile = { ...profile, displayName: 'read with the password check' };
    const get = vi.fn(() => Promise.resolve(profile));
    const store: CredentialVerifier & ProfileSource = {
      name: 'both',
      verify: () => Promise.resolve(withProfileRead({ status: 'valid', subjectId: 'id-1' }, fromVerify)),
      get,
      // eslint-disable-next-line require-yield -- an empty source
      list: async function* () {
        await Promise.resolve();
      },
    };
    const result = await createAuthenticator({ verifier: store, profiles: store }).authenticate({ username: 'alice', password: PASSWORD });
    expect(result.outcome).toEqual({ status: 'valid', subjectId: 'id-1' });
    expect(result.profile).toBe(fromVerify);
    expect(get).not.toHaveBeenCalled();
    // Not a field of the outcome: it is logged and compared, and a hash store's profile holds the stored hash.
    expect(Object.keys(result.outcome)).toEqual(['status', 'subjectId']);
    expect(profileReadWith(result.outcome)).toBe(fromVerify);
  });

  it('is ignored when the profile source is another object: that one is asked', async () => {
    const fromVerify: Profile = { ...profile, displayName: 'from the verifier' };
    const { verifier } = scriptedVerifier(() => withProfileRead({ status: 'valid', subjectId: 'id-1' }, fromVerify));
    const profiles = profileSource(() => Promise.resolve(profile));
    const result = await createAuthenticator({ verifier, profiles }).authenticate({ username: 'alice', password: PASSWORD });
    expect(result.profile).toBe(profile);
    expect(profiles.get).toHaveBeenCalledTimes(1);
  });

  it('passes backends a deadline signal they can read, aborted when the budget is spent', async () => {
    let seen: AbortSignal | undefined;
    const { verifier } = scriptedVerifier((input) => {
      seen = input.signal;
      return new Promise((resolve) => setTimeout(() => { resolve(valid); }, 200));
    });
    const { outcome } = await createAuthenticator({ verifier }).authenticate({ username: 'alice', password: PASSWORD, deadline: 30 });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as LegacyIdpError).code).toBe('ERR_LEGACY_IDP_DEADLINE_EXCEEDED');
  });
});

describe('Authenticator: per-call objects', () => {
  it('hands every step the same shared signal getter, not one made per call', async () => {
    const inputs: object[] = [];
    const { verifier } = scriptedVerifier((input) => {
      inputs.push(input);
      return valid;
    });
    const { lockout, begin } = recordingLockout();
    const profiles = profileSource(() => Promise.resolve(profile));
    const authenticator = createAuthenticator({ verifier, lockout, profiles });
    for (const username of ['alice', 'bob']) {
      expect((await authenticator.authenticate({ username, password: PASSWORD, deadline: 1_000 })).outcome.status).toBe('valid');
    }
    const stepOptions = (calls: unknown[][]): object[] => calls.map((call) => call[1] as object);
    const options = [...inputs, ...stepOptions(begin.mock.calls), ...stepOptions(vi.mocked(profiles.get).mock.calls)];
    // Per sign-in: the verifier, two reservations (the typed name, then the account found), the profile.
    expect(options).toHaveLength(8);
    const getter = getterOf(options[0] as object, 'signal');
    expect(getter).toBeTypeOf('function');
    // One function for every call and step: a per-call closure would keep each call's objects past minor GCs.
    for (const option of options) expect(getterOf(option, 'signal')).toBe(getter);
    expect((inputs[1] as { signal?: AbortSignal }).signal).toBeInstanceOf(AbortSignal);
  });
});

describe('Authenticator: construction and lifecycle', () => {
  it('names the bad key in one readable error', () => {
    expect(() => make({} as AuthenticatorOptions)).toThrow(/authenticator options: invalid value at "verifier"/);
    const { verifier } = scriptedVerifier(() => valid);
    expect(() => make({ verifier, defaultDeadlineMs: -5 })).toThrow(/"defaultDeadlineMs"/);
    expect(() => make({ verifier, extra: 1 } as AuthenticatorOptions)).toThrow(LegacyIdpError);
  });

  it('closes a store that is both verifier and profile source once', async () => {
    const close = vi.fn(() => Promise.resolve());
    const store = { ...scriptedVerifier(() => valid).verifier, get: () => Promise.resolve(null), list: profileSource(() => Promise.resolve(null)).list, close };
    await make({ verifier: store, profiles: store }).close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('logs one line per attempt, never the password (canary)', async () => {
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(line) });
    const outcomes: VerifyOutcome[] = [valid, { status: 'invalid', reason: 'wrong_password' }, { status: 'unknown_user' }];
    for (const answer of outcomes) {
      const { verifier } = scriptedVerifier(() => answer);
      await make({ verifier, logger }).authenticate({ username: 'alice', password: PASSWORD, requestId: 'r1' });
    }
    const { verifier } = scriptedVerifier(() => {
      throw new Error(`driver says ${PASSWORD}`);
    });
    await make({ verifier, logger }).authenticate({ username: 'alice', password: PASSWORD });
    expect(lines).toHaveLength(4);
    expect(lines.map((line) => (JSON.parse(line) as { status: string }).status)).toEqual(['valid', 'invalid', 'unknown_user', 'unavailable']);
    for (const line of lines) expect(line).not.toContain(PASSWORD);
  });

  it('logs a backend failure as a warning, and an overloaded hash queue as info (it would flood the log)', async () => {
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(line) });
    const busy = new LegacyIdpError('ERR_LEGACY_IDP_HASH_BUSY', 'hash queue wait over budget');
    const down = new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'store down');
    for (const answer of [{ status: 'unavailable', reason: 'overloaded', error: busy }, { status: 'unavailable', reason: 'backend_error', error: down }] as const) {
      const { verifier } = scriptedVerifier(() => answer);
      await make({ verifier, logger }).authenticate({ username: 'alice', password: PASSWORD });
    }
    expect(lines.map((line) => JSON.parse(line) as { level: string; reason: string })).toMatchObject([
      { level: 'info', reason: 'overloaded' },
      { level: 'warn', reason: 'backend_error' },
    ]);
  });
});
