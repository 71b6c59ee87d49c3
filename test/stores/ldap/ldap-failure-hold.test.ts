import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import type { UserStore } from '../../../src/core/contracts.js';
import type { Deadline } from '../../../src/core/deadline.js';
import type { VerifyOutcome } from '../../../src/core/outcome.js';
import { createLockoutPolicy } from '../../../src/lockout/policy.js';
import { ldapUserStore } from '../../../src/stores/ldap/ldap-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';
import { freezeProcess, sleep } from '../../harness/process.js';

/** What each answer was, `status/reason`, in order. */
const statuses = (outcomes: VerifyOutcome[]): string[] => outcomes.map((outcome) => ('reason' in outcome ? `${outcome.status}/${outcome.reason}` : outcome.status));

describeWithService('slapd', 'LDAP store: the failure hold never costs the lockout a wrong password', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd();
    // Lockout by slapd's own ppolicy off: the Authenticator's lockout alone must stop the guessing here.
    const admin = new Client({ url: slapd.url });
    try {
      await admin.bind(slapd.adminDn, slapd.adminPassword);
      await admin.modify(
        `cn=default,ou=policies,${slapd.baseDn}`,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLockout', values: ['FALSE'] }) }),
      );
    } finally {
      await admin.unbind();
    }
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  const storeFor = (poolSize = 4): UserStore =>
    ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` }, poolSize });

  /** Runs `during` (requests started against the frozen server) and resumes slapd `frozenMs` later. */
  async function frozenFor<T>(frozenMs: number, during: () => Promise<T>): Promise<T> {
    await freezeProcess(slapd.pid);
    let pending: Promise<T>;
    try {
      pending = during();
      await sleep(frozenMs);
    } finally {
      process.kill(slapd.pid, 'SIGCONT');
    }
    return pending;
  }

  /** 12 wrong guesses at `uid` and then the right password, each with its own deadline. */
  async function guesses(store: UserStore, uid: string, deadline: () => Deadline): Promise<{ wrong: string[]; right: string }> {
    const user = slapd.users.find((candidate) => candidate.uid === uid);
    if (!user) throw new Error(`fixture user ${uid} missing`);
    // Account threshold 10 (Entra smart lockout's default): the 11th attempt is refused unchecked.
    const auth = createAuthenticator({ verifier: store, lockout: createLockoutPolicy({ ip: false }) });
    const wrong: VerifyOutcome[] = [];
    for (let i = 0; i < 12; i++) wrong.push((await auth.authenticate({ username: uid, password: `guess ${i}`, deadline: deadline() })).outcome);
    const right = (await auth.authenticate({ username: uid, password: user.password, deadline: deadline() })).outcome;
    return { wrong: statuses(wrong), right: statuses([right])[0] ?? '' };
  }

  const counted = [...Array<string>(10).fill('invalid/wrong_password'), 'locked', 'locked'];

  it('after binds slowed by a frozen directory, a wrong password answers before a deadline shorter than the hold, and is counted', async () => {
    const store = storeFor();
    try {
      // Open the pool's connections first, so the frozen server holds binds (not connects) for over a second.
      const bob = slapd.users.find((user) => user.uid === 'bob');
      expect(statuses(await Promise.all(Array.from({ length: 4 }, () => store.verify({ username: 'bob', password: bob?.password ?? '' }))))).toEqual(Array<string>(4).fill('valid'));
      const slow = await frozenFor(1_200, () => Promise.all(Array.from({ length: 4 }, (_, i) => store.verify({ username: `nobody${i}`, password: 'wrong' }))));
      expect(statuses(slow)).toEqual(Array<string>(4).fill('invalid/wrong_password'));
      // Failures are now held about a second; the deadline is 400 ms. Held past it, each guess was
      // unavailable/deadline (never counted) while the right password, never held, answered valid.
      const { wrong, right } = await guesses(store, 'bob', () => 400);
      expect(wrong).toEqual(counted);
      expect(right).toBe('locked');
    } finally {
      await store.close?.();
    }
  }, 60_000);

  it('a wait for a pooled connection does not lengthen the hold (a signal whose deadline the store cannot see)', async () => {
    const store = storeFor(1);
    try {
      // The only connection is being opened while the server is frozen; the other checks wait for it. The binds
      // themselves are quick once the server resumes.
      const waited = await frozenFor(1_200, () => Promise.all(Array.from({ length: 4 }, (_, i) => store.verify({ username: `nobody${i}`, password: 'wrong' }))));
      expect(statuses(waited)).toEqual(Array<string>(4).fill('invalid/wrong_password'));
      // A caller's own AbortSignal: the hold cannot end before a deadline it does not know, so only a hold measured
      // from the bind (a few ms) answers within 400 ms. Timed from before the wait, it was over a second.
      const { wrong, right } = await guesses(store, 'carol', () => AbortSignal.timeout(400));
      expect(wrong).toEqual(counted);
      expect(right).toBe('locked');
    } finally {
      await store.close?.();
    }
  }, 60_000);
});
