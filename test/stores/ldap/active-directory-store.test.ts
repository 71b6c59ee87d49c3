import { randomBytes } from 'node:crypto';
import { Attribute, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
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
  describe('the account that proved the password is the profile\'s account', () => {
    // Ann's UPN is bobby@corp.example (an alternate UPN suffix, as UPNs often are mail addresses), while the
    // account whose sAMAccountName is bobby is Bob, whose UPN is robert@corp.example.
    const annPassword = `Ann-${randomBytes(9).toString('base64url')}-1a!`;
    const bobPassword = `Bob-${randomBytes(9).toString('base64url')}-1a!`;
    beforeAll(async () => {
      const admin = new Client({ url: ad.ldapsUrl, tlsOptions: { ca: [ad.caCertPem] } });
      try {
        await admin.bind(ad.adminDn, ad.adminPassword);
        const add = (cn: string, sAMAccountName: string, userPrincipalName: string, password: string) =>
          admin.add(`CN=${cn},${ad.peopleDn}`, [
            new Attribute({ type: 'objectClass', values: ['top', 'person', 'organizationalPerson', 'user'] }),
            new Attribute({ type: 'sAMAccountName', values: [sAMAccountName] }),
            new Attribute({ type: 'userPrincipalName', values: [userPrincipalName] }),
            new Attribute({ type: 'userAccountControl', values: ['512'] }),
            new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }),
          ]);
        await add('Ann Other', 'ann', 'bobby@corp.example', annPassword);
        await add('Bob Victim', 'bobby', 'robert@corp.example', bobPassword);
      } finally {
        await admin.unbind();
      }
    }, 30_000);

    const withProfiles = (bind: LdapStoreOptions['bind'], filter = adProfiles().filter) =>
      ldapUserStore({ ...base(), serviceAccount: service(), bind, profiles: { ...adProfiles(), filter } });

    it("UPN binds: a UPN another account holds is a wrong password for the profile's account, never a sign-in as it", async () => {
      const store = withProfiles({ mode: 'upn', domain: 'corp.example' });
      try {
        const bob = await store.get('bobby');
        expect(bob?.username).toBe('bobby');
        // bobby@corp.example binds as Ann with Ann's password; the profile filter finds Bob.
        const outcome = await store.verify({ username: 'bobby', password: annPassword });
        expect(outcome).toMatchObject({ status: 'invalid', reason: 'wrong_password', subjectId: bob?.subjectId });
        const auth = createAuthenticator({ verifier: store, profiles: store });
        const result = await auth.authenticate({ username: 'bobby', password: annPassword });
        expect(result.outcome.status).toBe('invalid');
        expect(result.profile).toBeNull();
      } finally {
        await store.close?.();
      }
    });

    it('UPN binds: an explicit UPN and the implicit one (sAMAccountName@DNS domain) still sign their own account in', async () => {
      const store = withProfiles({ mode: 'upn', domain: ad.dnsDomain });
      try {
        for (const [username, password] of [
          ['alice', ad.users.alice.password], // alice@test.local is her UPN
          ['bobby', bobPassword], // bobby@test.local: nobody holds it, so it is Bob's implicit UPN
          ['ann', annPassword],
        ] as const) {
          const outcome = await store.verify({ username, password });
          expect(outcome, username).toMatchObject({ status: 'valid', subjectId: (await store.get(username))?.subjectId });
        }
      } finally {
        await store.close?.();
      }
    });

    it("DOMAIN\\user binds: a profile filter that finds another account than the sAMAccountName's is not a sign-in", async () => {
      // A profile filter by UPN: `bobby` finds Ann, while TEST\bobby binds as Bob.
      const store = withProfiles({ mode: 'down-level', domain: ad.domain }, '(&(objectClass=user)(userPrincipalName={username}@corp.example))');
      try {
        const ann = await store.get('bobby');
        expect(ann?.username).toBe('ann');
        expect(await store.verify({ username: 'bobby', password: bobPassword })).toMatchObject({ status: 'invalid', reason: 'wrong_password', subjectId: ann?.subjectId });
      } finally {
        await store.close?.();
      }
    });
  });

  it('a password with NUL is malformed input: Samba would check only what comes before it', async () => {
    const store = ldapUserStore({ ...base(), bind: { mode: 'upn', domain: ad.dnsDomain } });
    try {
      expect(await store.verify({ username: 'alice', password: `${ad.users.alice.password}\u0000anything` })).toEqual({ status: 'invalid', reason: 'malformed_input' });
      expect((await store.verify({ username: 'alice', password: ad.users.alice.password })).status).toBe('valid');
    } finally {
      await store.close?.();
    }
  });
});
