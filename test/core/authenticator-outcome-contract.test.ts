import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { CredentialVerifier } from '../../src/core/contracts.js';
import { LegacyIdpError } from '../../src/core/errors.js';
import { jsonLogger } from '../../src/core/logger.js';
import type { VerifyOutcome } from '../../src/core/outcome.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * A verifier written in JavaScript (or cast past the types) can answer anything. An answer outside the
 * VerifyOutcome contract must never reach a protocol handler, which switches over the statuses and, for one it does
 * not know, went on as if the password were right: the Authenticator answers `unavailable` (misconfigured) with a
 * typed error naming the verifier's mistake, never the password, and logs each mistake once.
 */

const PASSWORD = 'Canary-Contract-7!';

/** Answers the verifier gives, with what the operator's message must say about each. */
const brokenAnswers: Array<[string, unknown, RegExp]> = [
  ['status "error"', { status: 'error' }, /answered status "error", which is none of valid, invalid/u],
  ['status "failed"', { status: 'failed' }, /status "failed"/u],
  ['status "not_found"', { status: 'not_found' }, /status "not_found"/u],
  ['no status', {}, /status of type undefined/u],
  ['status "VALID"', { status: 'VALID' }, /status "VALID"/u],
  ['a numeric status', { status: 1 }, /status of type number/u],
  ['valid without subjectId', { status: 'valid' }, /valid without a subjectId string/u],
  ['valid with a numeric subjectId', { status: 'valid', subjectId: 42 }, /valid without a subjectId string/u],
  ['valid with an empty subjectId', { status: 'valid', subjectId: '' }, /valid without a subjectId string/u],
  ['invalid with an object subjectId', { status: 'invalid', reason: 'wrong_password', subjectId: { id: 1 } }, /invalid with a subjectId that is not/u],
  ['unavailable without an error', { status: 'unavailable', reason: 'backend_error' }, /unavailable without a LegacyIdpError/u],
  ['unavailable with a plain Error', { status: 'unavailable', reason: 'backend_error', error: new Error('postgres://svc:S3cretPw@db/x down') }, /unavailable without a LegacyIdpError/u],
  ['null', null, /answered null instead of an outcome object/u],
  ['undefined', undefined, /answered undefined instead of an outcome object/u],
  ['a string', 'valid', /answered string instead of an outcome object/u],
];

function verifierAnswering(answer: unknown): CredentialVerifier {
  return { name: 'js-custom', verify: () => Promise.resolve(answer as VerifyOutcome) };
}

describe('Authenticator: a verifier answer outside the VerifyOutcome contract is unavailable', () => {
  it.each(brokenAnswers)('%s -> unavailable/misconfigured, no profile, nothing counted', async (_label, answer, says) => {
    const store = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice', password: 'Wonderland-2024', email: 'alice@example.org' }] });
    const lockout = createLockoutPolicy({ secret: 'x'.repeat(32), ip: false });
    const authenticator = createAuthenticator({ verifier: verifierAnswering(answer), profiles: store, lockout });
    const result = await authenticator.authenticate({ username: 'alice', password: PASSWORD });
    expect(result.outcome.status).toBe('unavailable');
    expect(result.profile).toBeNull();
    if (result.outcome.status !== 'unavailable') return;
    expect(result.outcome.reason).toBe('misconfigured');
    expect(result.outcome.error).toBeInstanceOf(LegacyIdpError);
    expect(result.outcome.error.code).toBe('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE');
    expect(result.outcome.error.message).toMatch(/^verifier "js-custom" /u);
    expect(result.outcome.error.message).toMatch(says);
    expect(JSON.stringify(result.outcome)).not.toContain(PASSWORD);
    // Not the user's fault: the attempt is taken back, as for any unavailable check.
    expect(await lockout.status({ account: 'alice' })).toBeNull();
    await authenticator.close();
  });

  it('keeps a plain Error the verifier gave on cause only: off the wire and out of the message', async () => {
    const given = new Error('postgres://svc:S3cretPw@db/x down');
    const authenticator = createAuthenticator({ verifier: verifierAnswering({ status: 'unavailable', reason: 'backend_error', error: given }) });
    const { outcome } = await authenticator.authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome.status).toBe('unavailable');
    if (outcome.status !== 'unavailable') return;
    expect(outcome.error.cause).toBe(given);
    expect(outcome.error.message).not.toContain('S3cretPw');
    expect(JSON.stringify(outcome)).not.toContain('S3cretPw');
  });

  it('never quotes a status that holds the password', async () => {
    const authenticator = createAuthenticator({ verifier: { name: 'js-custom', verify: (input) => Promise.resolve({ status: input.password } as unknown as VerifyOutcome) } });
    const { outcome } = await authenticator.authenticate({ username: 'alice', password: 'hunter2' });
    expect(outcome.status).toBe('unavailable');
    if (outcome.status !== 'unavailable') return;
    expect(outcome.error.message).toContain('status of type string');
    expect(outcome.error.message).not.toContain('hunter2');
  });

  it('calls no dummy verification for a broken answer (it is no unknown user)', async () => {
    let dummies = 0;
    const verifier: CredentialVerifier = {
      name: 'js-custom',
      verify: () => Promise.resolve({ status: 'not_found' } as unknown as VerifyOutcome),
      dummyVerify: () => {
        dummies += 1;
        return Promise.resolve();
      },
    };
    const { outcome } = await createAuthenticator({ verifier }).authenticate({ username: 'alice', password: PASSWORD });
    expect(outcome.status).toBe('unavailable');
    expect(dummies).toBe(0);
  });

  it('logs each mistake once at error level, however many sign-ins it spoils, and never the password', async () => {
    const lines: string[] = [];
    const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(line) });
    const authenticator = createAuthenticator({ verifier: verifierAnswering({ status: 'error' }), logger });
    for (let i = 0; i < 5; i++) await authenticator.authenticate({ username: `user${i}`, password: PASSWORD });
    const errors = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['level'] === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ verifier: 'js-custom', problem: expect.stringContaining('status "error"') as unknown });
    // Each sign-in still has its own line, a warning with the typed error, as for any unavailable backend.
    expect(lines.filter((line) => line.includes('authentication finished') && line.includes('"level":"warn"'))).toHaveLength(5);
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });

  it('passes every answer the contract allows through unchanged', async () => {
    const error = new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'down');
    const answers: VerifyOutcome[] = [
      { status: 'valid', subjectId: 'id-1', scheme: 'bcrypt', needsUpgrade: true },
      { status: 'invalid', reason: 'wrong_password' },
      { status: 'invalid', reason: 'wrong_password', subjectId: 'id-1' },
      { status: 'unknown_user' },
      { status: 'disabled', detail: 'AD 533' },
      { status: 'locked', by: 'legacy_store' },
      { status: 'password_expired' },
      { status: 'must_change' },
      { status: 'unavailable', reason: 'backend_error', error },
    ];
    for (const answer of answers) {
      const { outcome } = await createAuthenticator({ verifier: verifierAnswering(answer) }).authenticate({ username: 'alice', password: PASSWORD });
      expect(outcome).toEqual(answer);
    }
  });
});

describe('Authenticator: a deadline of the wrong shape is the calling program\'s mistake', () => {
  it.each<[string, unknown]>([
    ['a negative number', -5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', 'x'],
    ['an object that is no AbortSignal', { aborted: 'no' }],
    ['null', null],
  ])('%s answers unavailable/misconfigured with ERR_LEGACY_IDP_INVALID_INPUT, without verifying', async (_label, deadline) => {
    let verified = 0;
    const verifier: CredentialVerifier = {
      name: 'v',
      verify: () => {
        verified += 1;
        return Promise.resolve({ status: 'valid', subjectId: 'x' });
      },
    };
    const { outcome } = await createAuthenticator({ verifier }).authenticate({ username: 'alice', password: PASSWORD, deadline: deadline as number });
    expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
    if (outcome.status === 'unavailable') expect(outcome.error.code).toBe('ERR_LEGACY_IDP_INVALID_INPUT');
    expect(verified).toBe(0);
  });
});
