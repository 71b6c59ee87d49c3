/**
 * ppolicy's administrative lock (`pwdAccountLockedTime: 000001010000Z`, locked until an administrator unlocks)
 * gets one answer in every mode: `disabled`, as docs/stores/ldap.md says and compare mode and the LDIF store
 * answered. Bind mode answered `locked`: slapd's accountLocked does not say which lock it is, so the store now
 * reads the entry's pwdAccountLockedTime (as its service account). A lock ppolicy set after failures stays
 * `locked` in every mode.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VerifyOutcome } from '../../../src/core/outcome.js';
import { ldapUserStore, type LdapStoreOptions } from '../../../src/stores/ldap/ldap-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';

const people = 'ou=people,dc=example,dc=org';
const lately = `${new Date(Date.now() - 60_000).toISOString().replace(/[-:T]/gu, '').slice(0, 14)}Z`;

describeWithService('slapd', 'LDAP store: the administrative lock answers disabled in bind and compare modes', () => {
  let slapd: SlapdInstance;
  const password = `Lock ${randomBytes(9).toString('base64url')}`;
  beforeAll(async () => {
    // dave (fixtures) carries the administrative lock; templocked a lock ppolicy writes after failures (the
    // default policy: pwdLockout TRUE, pwdLockoutDuration 0).
    slapd = await startSlapd({
      extraLdif: [`dn: uid=templocked,${people}`, 'objectClass: inetOrgPerson', 'uid: templocked', 'cn: templocked', 'sn: Lock', `userPassword: ${password}`, `pwdAccountLockedTime: ${lately}`].join('\n'),
    });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  const service = () => ({ dn: slapd.adminDn, password: slapd.adminPassword });
  const passwordOf = (uid: string): string => (uid === 'templocked' ? password : (slapd.users.find((user) => user.uid === uid)?.password ?? ''));
  const modes = (): [string, LdapStoreOptions][] => [
    ['dn-template with a service account', { urls: [slapd.url], serviceAccount: service(), bind: { mode: 'dn-template', template: `uid={username},${people}` } }],
    ['search', { urls: [slapd.url], serviceAccount: service(), bind: { mode: 'search', baseDn: slapd.baseDn } }],
    ['compare', { urls: [slapd.url], serviceAccount: service(), bind: { mode: 'compare', baseDn: slapd.baseDn } }],
    ['compare with the default policy', { urls: [slapd.url], serviceAccount: service(), bind: { mode: 'compare', baseDn: slapd.baseDn, defaultPolicyDn: `cn=default,ou=policies,${slapd.baseDn}` } }],
  ];
  const summary = (outcome: VerifyOutcome) => ({ status: outcome.status, detail: 'detail' in outcome ? outcome.detail : undefined });

  it('every mode answers the same outcome for the same entry, after the right password', async () => {
    const answers: Record<string, Record<string, string>> = {};
    for (const [title, options] of modes()) {
      const store = ldapUserStore(options);
      try {
        const dave = summary(await store.verify({ username: 'dave', password: passwordOf('dave') }));
        expect(dave, `${title}: dave`).toEqual({ status: 'disabled', detail: 'pwdAccountLockedTime (administrative lock)' });
        const templocked = await store.verify({ username: 'templocked', password: passwordOf('templocked') });
        expect(templocked, `${title}: templocked`).toMatchObject({ status: 'locked', by: 'legacy_store' });
        answers[title] = { dave: dave.status, templocked: templocked.status };
      } finally {
        await store.close?.();
      }
    }
    expect(new Set(Object.values(answers).map((value) => JSON.stringify(value))).size, JSON.stringify(answers)).toBe(1);
  });

  it('a bind store that cannot read the entry (no service account; the ACL hides it from anonymous) still says locked', async () => {
    const store = ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},${people}` } });
    try {
      expect(await store.verify({ username: 'dave', password: passwordOf('dave') })).toMatchObject({ status: 'locked', by: 'legacy_store' });
    } finally {
      await store.close?.();
    }
  });
});
