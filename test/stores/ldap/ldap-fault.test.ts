import { Client } from 'ldapts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { UserStore } from '../../../src/core/contracts.js';
import type { VerifyOutcome } from '../../../src/core/outcome.js';
import { ldapUserStore } from '../../../src/stores/ldap/ldap-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';
import { freezeProcess } from '../../harness/process.js';

/** A store with short timeouts over `instance`, and one check of alice's right password. */
function aliceChecks(instance: SlapdInstance): { store: UserStore; check: () => Promise<VerifyOutcome> } {
  const alice = instance.users.find((user) => user.uid === 'alice');
  if (!alice) throw new Error('fixture user alice missing');
  const store = ldapUserStore({
    urls: [instance.url],
    bind: { mode: 'dn-template', template: `uid={username},ou=people,${instance.baseDn}` },
    operationTimeoutMs: 400,
    connectTimeoutMs: 400,
  });
  return { store, check: () => store.verify({ username: 'alice', password: alice.password }) };
}

/**
 * Runs `during` with the server frozen (SIGSTOP), resumes it whatever happens, then checks that the same store
 * signs alice in again within a few tries.
 */
async function whileFrozen(instance: SlapdInstance, check: () => Promise<VerifyOutcome>, during: () => Promise<void>): Promise<void> {
  await freezeProcess(instance.pid);
  try {
    await during();
  } finally {
    process.kill(instance.pid, 'SIGCONT');
  }
  let after = await check();
  for (let i = 0; i < 10 && after.status !== 'valid'; i++) after = await check();
  expect(after.status).toBe('valid');
}

describeWithService('slapd', 'LDAP store when the server stops answering', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd();
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  it('a frozen server makes every check unavailable within the timeout; when it resumes, the same store recovers', async () => {
    const { store, check } = aliceChecks(slapd);
    try {
      // Load with pooled connections open, then freeze the server in the middle of it.
      const before = await Promise.all(Array.from({ length: 20 }, check));
      expect(before.every((outcome) => outcome.status === 'valid')).toBe(true);
      await whileFrozen(slapd, check, async () => {
        const started = performance.now();
        const during = await Promise.all(Array.from({ length: 20 }, check));
        expect(during.map((outcome) => outcome.status)).toEqual(Array<string>(20).fill('unavailable'));
        // Every check waited at most for its connect or operation timeout (plus pool queueing), never forever.
        expect(performance.now() - started).toBeLessThan(10_000);
      });
    } finally {
      await store.close?.();
    }
  }, 60_000);

  it('a frozen server under more checks than the pool holds: every check unavailable within a few timeouts, not in turn', async () => {
    const alice = slapd.users.find((user) => user.uid === 'alice');
    const timeoutMs = 500;
    const store = ldapUserStore({
      urls: [slapd.url],
      bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` },
      operationTimeoutMs: timeoutMs,
      connectTimeoutMs: timeoutMs,
      poolSize: 2,
    });
    const check = () => store.verify({ username: 'alice', password: alice?.password ?? '' });
    try {
      expect((await Promise.all(Array.from({ length: 4 }, check))).map((outcome) => outcome.status)).toEqual(Array<string>(4).fill('valid'));
      await whileFrozen(slapd, check, async () => {
        const started = performance.now();
        const answers = await Promise.all(Array.from({ length: 40 }, async () => ({ outcome: await check(), ms: performance.now() - started })));
        expect(answers.map(({ outcome }) => outcome.status)).toEqual(Array<string>(40).fill('unavailable'));
        // The pool's queue waits at most one operation timeout; a slot freed by a timed-out bind then costs a
        // connect attempt. Waiting in turn behind the two slots took 40 / 2 timeouts and more (about 10 s).
        expect(Math.max(...answers.map(({ ms }) => ms))).toBeLessThan(3 * timeoutMs);
        for (const { outcome } of answers) if (outcome.status === 'unavailable') expect(outcome.error.code).toBe('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE');
      });
    } finally {
      await store.close?.();
    }
  }, 60_000);

  it('a check queued for a connection leaves the queue when its signal aborts, and its bind never reaches the server', async () => {
    const alice = slapd.users.find((user) => user.uid === 'alice');
    const store = ldapUserStore({
      urls: [slapd.url],
      bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` },
      operationTimeoutMs: 5_000,
      connectTimeoutMs: 5_000,
      poolSize: 1,
    });
    const admin = new Client({ url: slapd.url });
    // ppolicy records every failed bind on the entry (pwdFailureTime): the trace a late bind would leave.
    const failuresOf = async (uid: string): Promise<unknown[]> => {
      const { searchEntries } = await admin.search(`uid=${uid},ou=people,${slapd.baseDn}`, { scope: 'base', attributes: ['pwdFailureTime'] });
      const times: unknown = searchEntries[0]?.pwdFailureTime;
      return times === undefined ? [] : [times].flat();
    };
    try {
      await admin.bind(slapd.adminDn, slapd.adminPassword);
      expect(await failuresOf('grace')).toEqual([]);
      expect((await store.verify({ username: 'alice', password: alice?.password ?? '' })).status).toBe('valid');
      await freezeProcess(slapd.pid);
      let first: Promise<VerifyOutcome>;
      let queued: Promise<{ outcome: VerifyOutcome; at: number }>;
      const controller = new AbortController();
      let abortedAt: number;
      try {
        // The one connection is busy with a bind the frozen server holds; grace's check waits behind it.
        first = store.verify({ username: 'alice', password: alice?.password ?? '' });
        queued = store.verify({ username: 'grace', password: 'a wrong password', signal: controller.signal }).then((outcome) => ({ outcome, at: performance.now() }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        abortedAt = performance.now();
        controller.abort();
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        // Resumed before alice's bind times out: it is answered and its connection is free again.
        process.kill(slapd.pid, 'SIGCONT');
      }
      const { outcome, at } = await queued;
      expect(outcome).toMatchObject({ status: 'unavailable', reason: 'deadline' });
      expect(at - abortedAt).toBeLessThan(1_000);
      expect((await first).status).toBe('valid');
      // Had grace's check stayed queued, it would have bound with the wrong password on the freed connection.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await failuresOf('grace')).toEqual([]);
    } finally {
      process.kill(slapd.pid, 'SIGCONT');
      await admin.unbind().catch(() => undefined);
      await store.close?.();
    }
  }, 60_000);

  it('slapd killed mid-load: every check unavailable within the timeout; restarted, the same store recovers', async () => {
    const { store, check } = aliceChecks(slapd);
    try {
      const load = Promise.all(Array.from({ length: 40 }, (_, i) => new Promise((resolve) => setTimeout(resolve, i * 5)).then(check)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await slapd.kill();
      const statuses = (await load).map((outcome) => outcome.status);
      // Checks that finished before the kill are valid; none after it is valid or invalid.
      expect(statuses.every((status) => status === 'valid' || status === 'unavailable')).toBe(true);
      expect(statuses).toContain('unavailable');
      const started = performance.now();
      expect((await check()).status).toBe('unavailable');
      expect(performance.now() - started).toBeLessThan(2_000);
      await slapd.restart();
      let after = await check();
      for (let i = 0; i < 10 && after.status !== 'valid'; i++) after = await check();
      expect(after.status).toBe('valid');
    } finally {
      await store.close?.();
      await slapd.restart();
    }
  }, 60_000);

  it('a stopped server is unavailable, never invalid or valid', async () => {
    const other = await startSlapd();
    const store = ldapUserStore({ urls: [other.url], bind: { mode: 'dn-template', template: `uid={username},ou=people,${other.baseDn}` }, connectTimeoutMs: 500 });
    try {
      const alice = other.users.find((user) => user.uid === 'alice');
      expect((await store.verify({ username: 'alice', password: alice?.password ?? '' })).status).toBe('valid');
      await other.stop();
      for (const password of [alice?.password ?? '', 'wrong password']) {
        expect((await store.verify({ username: 'alice', password })).status).toBe('unavailable');
      }
    } finally {
      await store.close?.();
      await other.stop();
    }
  }, 60_000);
});
