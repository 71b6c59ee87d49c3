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
      await freezeProcess(slapd.pid);
      try {
        const started = performance.now();
        const during = await Promise.all(Array.from({ length: 20 }, check));
        expect(during.map((outcome) => outcome.status)).toEqual(Array<string>(20).fill('unavailable'));
        // Every check waited at most for its connect or operation timeout (plus pool queueing), never forever.
        expect(performance.now() - started).toBeLessThan(10_000);
      } finally {
        process.kill(slapd.pid, 'SIGCONT');
      }
      let after = await check();
      for (let i = 0; i < 10 && after.status !== 'valid'; i++) after = await check();
      expect(after.status).toBe('valid');
    } finally {
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
