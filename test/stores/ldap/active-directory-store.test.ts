import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapUserStore, type LdapStoreOptions } from '../../../src/stores/ldap/ldap-store.js';
import { credentialVerifierConformance } from '../../../src/testing/credential-verifier.js';
import { describeWithService, startSambaAd, type SambaAdInstance } from '../../harness/services.js';

describeWithService('samba-ad', 'LDAP store against Active Directory (Samba 4.17 AD DC)', () => {
  let ad: SambaAdInstance;
  beforeAll(async () => {
    ad = await startSambaAd();
  }, 120_000);
  afterAll(async () => {
    await ad.stop();
  });

  const service = () => ({ dn: ad.adminDn, password: ad.adminPassword });
  const base = (): Pick<LdapStoreOptions, 'urls' | 'tls'> => ({ urls: [ad.ldapsUrl], tls: { ca: ad.caCertPem } });
  const adProfiles = () => ({
    baseDn: ad.baseDn,
    filter: '(&(objectClass=user)(sAMAccountName={username}))',
    listFilter: `(&(objectClass=user)(sAMAccountName=user*))`,
    usernameAttribute: 'sAMAccountName',
    subjectIdAttribute: 'objectGUID',
    attributes: { sid: 'objectSid', upn: 'userPrincipalName' },
  });

  for (const [title, options] of [
    ['UPN binds', (): LdapStoreOptions => ({ ...base(), bind: { mode: 'upn', domain: ad.dnsDomain } })],
    ['DOMAIN\\user binds', (): LdapStoreOptions => ({ ...base(), bind: { mode: 'down-level', domain: ad.domain } })],
    ['search-then-bind by sAMAccountName', (): LdapStoreOptions => ({ ...base(), serviceAccount: service(), bind: { mode: 'search', baseDn: ad.baseDn, filter: '(&(objectClass=user)(sAMAccountName={username}))' } })],
  ] as const) {
    describe(title, () => {
      const cases = credentialVerifierConformance({
        create: () => ldapUserStore(options()),
        validUser: {
          username: 'alice',
          get password() {
            return ad.users.alice.password;
          },
        },
        otherUser: {
          username: 'user01',
          get password() {
            return ad.bulkUsers[0]?.password ?? '';
          },
        },
        disabledUser: {
          username: 'disabled',
          get password() {
            return ad.users.disabled.password;
          },
        },
        // AD answers 52e for unknown users and wrong passwords alike; search mode tells them apart.
        reportsUnknownUsers: title.startsWith('search'),
        namesAccountOnWrongPassword: title.startsWith('search'),
      });
      for (const c of cases) it(c.name, c.run, 30_000);

      it('maps AD account states from the bind diagnostic (533, 701, 773, 775)', async () => {
        const store = ldapUserStore(options());
        try {
          const check = async (name: 'disabled' | 'expired' | 'mustchange' | 'locked') => (await store.verify({ username: name, password: ad.users[name].password })).status;
          expect(await check('disabled')).toBe('disabled');
          expect(await check('expired')).toBe('disabled');
          expect(await check('mustchange')).toBe('must_change');
          expect(await check('locked')).toBe('locked');
        } finally {
          await store.close?.();
        }
      });
    });
  }

  it('reads profiles: objectGUID and objectSid decoded, userAccountControl as enabled, paged list()', async () => {
    const store = ldapUserStore({ ...base(), serviceAccount: service(), bind: { mode: 'upn', domain: ad.dnsDomain }, profiles: { ...adProfiles(), pageSize: 10 } });
    try {
      const alice = await store.get('alice');
      expect(alice?.subjectId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/u);
      expect(alice?.attributes.sid).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/u);
      expect(alice).toMatchObject({ username: 'alice', givenName: 'Alice', enabled: true });
      expect((await store.get('disabled'))?.enabled).toBe(false);
      const listed: string[] = [];
      for await (const profile of store.list({ batchSize: 10 })) listed.push(profile.username);
      expect(listed.sort()).toEqual(ad.bulkUsers.map((user) => user.sAMAccountName.toLowerCase()).sort());
      expect(listed).toHaveLength(25);
    } finally {
      await store.close?.();
    }
  });
});
