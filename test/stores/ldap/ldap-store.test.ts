import { randomBytes } from 'node:crypto';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import type { UserStore } from '../../../src/core/contracts.js';
import { ldapUserStore, type LdapStoreOptions } from '../../../src/stores/ldap/ldap-store.js';
import { credentialVerifierConformance } from '../../../src/testing/credential-verifier.js';
import { injectionUsernames } from '../../../src/testing/conformance.js';
import { profileSourceConformance } from '../../../src/testing/profile-source.js';
import { describeWithService, freePort, startSlapd, type SlapdInstance } from '../../harness/services.js';

describeWithService('slapd', 'LDAP store against OpenLDAP', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd();
    // The fixture policy locks after 3 failures, and the conformance suite tries many wrong passwords: turn
    // ppolicy's lockout off here (our own lockout module does that job; ppolicy mapping is tested apart).
    const admin = new Client({ url: slapd.url });
    try {
      await admin.bind(slapd.adminDn, slapd.adminPassword);
      await admin.modify(`cn=default,ou=policies,${slapd.baseDn}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLockout', values: ['FALSE'] }) }));
    } finally {
      await admin.unbind();
    }
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  const user = (uid: string) => {
    const found = slapd.users.find((candidate) => candidate.uid === uid);
    if (!found) throw new Error(`fixture user ${uid} missing`);
    return found;
  };
  const service = () => ({ dn: slapd.adminDn, password: slapd.adminPassword });
  // list() is limited to the three users the profile suite names (the directory holds more).
  const profiles = () => ({ baseDn: `ou=people,${slapd.baseDn}`, listFilter: '(|(uid=alice)(uid=bob)(uid=carol))' });
  const tls = () => ({ ca: slapd.caCertPem });

  const modes: [string, () => LdapStoreOptions][] = [
    ['DN template over StartTLS', () => ({ urls: [slapd.url], startTls: true, tls: tls(), bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` } })],
    ['search-then-bind over LDAPS', () => ({ urls: [slapd.ldapsUrl], tls: tls(), serviceAccount: service(), bind: { mode: 'search', baseDn: slapd.baseDn } })],
    // The policy with the lockout turned off above: slapd still writes pwdAccountLockedTime after failures, and
    // compare mode needs the policy to know it is no lock.
    [
      'compare with the hash registry',
      () => ({ urls: [slapd.url], serviceAccount: service(), bind: { mode: 'compare', baseDn: slapd.baseDn, defaultPolicyDn: `cn=default,ou=policies,${slapd.baseDn}` } }),
    ],
  ];

  for (const [title, options] of modes) {
    describe(title, () => {
      const cases = credentialVerifierConformance({
        create: () => ldapUserStore(options()),
        // Getters: the suite is built before slapd starts and makes its passwords.
        validUser: {
          username: 'alice',
          get password() {
            return user('alice').password;
          },
        },
        otherUser: {
          username: 'bob',
          get password() {
            return user('bob').password;
          },
        },
        createUnavailable: async () => ldapUserStore({ ...options(), urls: [`ldap://127.0.0.1:${await freePort()}`], startTls: false, connectTimeoutMs: 500 }),
        reportsUnknownUsers: !title.startsWith('DN template'),
        // A search finds the entry before the password is checked; a DN built from the typed name names nothing.
        namesAccountOnWrongPassword: !title.startsWith('DN template'),
      });
      for (const c of cases) it(c.name, c.run, 30_000);

      it('verifies every stored scheme the directory holds', async () => {
        const store = ldapUserStore(options());
        try {
          for (const fixture of slapd.users.filter((candidate) => !candidate.locked)) {
            const outcome = await store.verify({ username: fixture.uid, password: fixture.password });
            expect(outcome.status, `${fixture.uid} (${fixture.scheme})`).toBe('valid');
          }
        } finally {
          await store.close?.();
        }
      });

      it('an injection corpus never signs anyone in and never leaks server details', async () => {
        const store = ldapUserStore(options());
        try {
          // Not ' alice' or 'alice ': LDAP's string matching ignores surrounding spaces, so those are alice herself.
          for (const username of [...injectionUsernames('alice'), 'admin)(|(uid=*', '*)(uid=*', ',cn=admin', 'uid=alice', 'alice,ou=people', '\\61lice']) {
            const outcome = await store.verify({ username, password: user('alice').password });
            expect(['invalid', 'unknown_user'], JSON.stringify(username)).toContain(outcome.status);
          }
        } finally {
          await store.close?.();
        }
      });
    });
  }

  describe('profiles', () => {
    const cases = profileSourceConformance({
      create: () => ldapUserStore({ urls: [slapd.url], serviceAccount: service(), bind: { mode: 'search', baseDn: slapd.baseDn }, profiles: profiles() }),
      usernames: ['alice', 'bob', 'carol'],
      createUnavailable: async () =>
        ldapUserStore({ urls: [`ldap://127.0.0.1:${await freePort()}`], serviceAccount: service(), bind: { mode: 'search', baseDn: slapd.baseDn }, profiles: profiles(), connectTimeoutMs: 500 }),
    });
    for (const c of cases) it(c.name, c.run, 30_000);

    it('maps names and mail, uses entryUUID as the subject id, and pages through list()', async () => {
      const store = ldapUserStore({ urls: [slapd.url], serviceAccount: service(), bind: { mode: 'search', baseDn: slapd.baseDn }, profiles: { ...profiles(), pageSize: 2 } });
      try {
        const alice = await store.get('alice');
        expect(alice?.subjectId).toMatch(/^[0-9a-f-]{36}$/u);
        expect(alice?.username).toBe('alice');
        const listed = [];
        for await (const profile of store.list({ batchSize: 2 })) listed.push(profile.username);
        expect(listed.sort()).toEqual(['alice', 'bob', 'carol']);
      } finally {
        await store.close?.();
      }
    });
  });

  it('fails over to the next URL when the first server does not answer', async () => {
    const store = ldapUserStore({
      urls: [`ldap://127.0.0.1:${await freePort()}`, slapd.url],
      connectTimeoutMs: 500,
      bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` },
    });
    try {
      expect((await store.verify({ username: 'alice', password: user('alice').password })).status).toBe('valid');
    } finally {
      await store.close?.();
    }
  });

  it('refuses LDAPS to a server whose certificate is not from the given CA, as unavailable', async () => {
    const store = ldapUserStore({ urls: [slapd.ldapsUrl], bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` } });
    try {
      const outcome = await store.verify({ username: 'alice', password: user('alice').password });
      expect(outcome.status).toBe('unavailable');
    } finally {
      await store.close?.();
    }
  });

  it('refuses clear-text binds to a remote server at construction, and an empty password before any bind', async () => {
    expect(() => ldapUserStore({ urls: ['ldap://ldap.example.org'], bind: { mode: 'upn', domain: 'example.org' } })).toThrow(/clear text/u);
    const store = ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` } });
    try {
      expect(await store.verify({ username: 'alice', password: '' })).toEqual({ status: 'invalid', reason: 'empty_password' });
    } finally {
      await store.close?.();
    }
  });

  it('a wrong service password is unavailable, never a wrong user password', async () => {
    const store: UserStore = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: 'not-the-password' }, bind: { mode: 'search', baseDn: slapd.baseDn } });
    try {
      const auth = createAuthenticator({ verifier: store });
      const { outcome } = await auth.authenticate({ username: 'alice', password: user('alice').password });
      expect(outcome.status).toBe('unavailable');
    } finally {
      await store.close?.();
    }
  });
});

describeWithService('slapd', 'LDAP store: ppolicy states from the response control', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd();
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  it('a ppolicy-locked account is locked by the legacy store, and repeated wrong passwords lock through ppolicy', async () => {
    const store = ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},ou=people,${slapd.baseDn}` } });
    try {
      const dave = slapd.users.find((user) => user.uid === 'dave');
      expect(await store.verify({ username: 'dave', password: dave?.password ?? '' })).toMatchObject({ status: 'locked', by: 'legacy_store' });
      // grace: pwdMaxFailure 3, so the fourth bind, even with the right password, answers locked.
      const grace = slapd.users.find((user) => user.uid === 'grace');
      for (let i = 0; i < 3; i++) expect((await store.verify({ username: 'grace', password: `wrong ${i}` })).status).toBe('invalid');
      expect(await store.verify({ username: 'grace', password: grace?.password ?? '' })).toMatchObject({ status: 'locked', by: 'legacy_store' });
    } finally {
      await store.close?.();
    }
  });

  it('with profiles configured, verify answers the same subject id as get()', async () => {
    const store = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword },
      bind: { mode: 'search', baseDn: slapd.baseDn },
      profiles: { baseDn: `ou=people,${slapd.baseDn}` },
    });
    try {
      const bob = slapd.users.find((user) => user.uid === 'bob');
      const outcome = await store.verify({ username: 'bob', password: bob?.password ?? '' });
      const profile = await store.get('bob');
      expect(outcome.status === 'valid' && outcome.subjectId).toBe(profile?.subjectId);
      expect(profile?.subjectId).toMatch(/^[0-9a-f-]{36}$/u);
    } finally {
      await store.close?.();
    }
  });
});

describeWithService('slapd', 'LDAP store, compare mode: userPassword values without a known scheme', () => {
  // Made per run, like the fixture passwords; a clear-text value is the password itself.
  const clearPassword = `clear ${randomBytes(9).toString('base64url')}`;
  const cryptLookingPassword = `$6$${randomBytes(6).toString('hex')}$${randomBytes(12).toString('hex')}`;
  const secondPassword = `second ${randomBytes(9).toString('base64url')}`;
  const people = 'ou=people,dc=example,dc=org';
  const entry = (uid: string, passwords: string[]): string =>
    [`dn: uid=${uid},${people}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, 'sn: Example', ...passwords.map((value) => `userPassword: ${value}`)].join('\n');
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({
      extraLdif: [
        entry('clara', [clearPassword]),
        // No {SCHEME} prefix: clear text to slapd, however much it looks like a crypt hash.
        entry('dolores', [cryptLookingPassword]),
        // Nothing here can be checked: a scheme no one knows, and a {SSHA} value that is no SSHA hash.
        entry('ulrich', ['{NOPE}c2VjcmV0', '{SSHA}bad']),
        // One unknown value must not hide a clear-text one that matches, nor turn a wrong password into unavailable.
        entry('mia', ['{NOPE}c2VjcmV0', secondPassword]),
      ].join('\n\n'),
    });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  it('clear text compares like slapd binds; values no scheme can check are unavailable (misconfigured), never a wrong password', async () => {
    const compare = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword }, bind: { mode: 'compare', baseDn: slapd.baseDn } });
    const bind = ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},${people}` } });
    try {
      for (const [username, password] of [['clara', clearPassword], ['dolores', cryptLookingPassword], ['mia', secondPassword]] as const) {
        // slapd itself takes the clear value: the compare mode must agree.
        expect((await bind.verify({ username, password })).status, `${username} bind`).toBe('valid');
        expect(await compare.verify({ username, password }), username).toMatchObject({ status: 'valid', scheme: 'ldap_plaintext', needsUpgrade: true });
        expect(await compare.verify({ username, password: `${password}x` }), `${username} wrong`).toMatchObject({ status: 'invalid', reason: 'wrong_password', subjectId: expect.stringMatching(/^uid=/u) as unknown });
      }
      for (const password of [clearPassword, 'anything']) {
        const outcome = await compare.verify({ username: 'ulrich', password });
        expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
        if (outcome.status === 'unavailable') {
          expect(outcome.error.code).toBe('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME');
          expect(outcome.error.message).not.toContain('c2VjcmV0');
          expect(outcome.error.message).not.toContain(password);
        }
      }
    } finally {
      await Promise.all([compare.close?.(), bind.close?.()]);
    }
  }, 30_000);
});
