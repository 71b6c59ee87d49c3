import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { ldapUserStore, type LdapStoreOptions } from '../../../src/stores/ldap/ldap-store.js';
import { ldifUserStore } from '../../../src/stores/ldap/ldif-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';

/** `{SSHA}` made here, so the test knows each password (the harness's fixture users have their own). */
function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

/** GeneralizedTime as ppolicy writes it. */
const generalizedTime = (date: Date): string => `${date.toISOString().replace(/[-:T]/gu, '').slice(0, 14)}Z`;

const people = 'ou=people,dc=example,dc=org';
const policies = 'ou=policies,dc=example,dc=org';
const password = `State ${randomBytes(9).toString('base64url')}`;
const longAgo = '20000101000000Z';
const lately = generalizedTime(new Date(Date.now() - 60_000));

const policy = (cn: string, lines: string[]): string =>
  [`dn: cn=${cn},${policies}`, 'objectClass: organizationalRole', 'objectClass: pwdPolicy', `cn: ${cn}`, 'pwdAttribute: userPassword', ...lines].join('\n');
const person = (uid: string, lines: string[] = [], objectClasses: string[] = []): string =>
  [`dn: uid=${uid},${people}`, 'objectClass: inetOrgPerson', ...objectClasses.map((name) => `objectClass: ${name}`), `uid: ${uid}`, `cn: ${uid}`, 'sn: State', `userPassword: ${ssha(password)}`, ...lines].join('\n');

const extraLdif = [
  policy('graceexpire', ['pwdMaxAge: 3600', 'pwdGraceAuthNLimit: 3']),
  policy('nograce', ['pwdMaxAge: 3600', 'pwdGraceAuthNLimit: 0']),
  // Named by compare mode's defaultPolicyDn only; slapd's own default (cn=default) has no pwdMaxAge.
  policy('maxage', ['pwdMaxAge: 3600']),
  // slapd honours pwdReset only under a policy with pwdMustChange.
  policy('mustchange', ['pwdMustChange: TRUE']),
  // slapd writes pwdAccountLockedTime without enforcing it when pwdLockout is FALSE, and leaves a lapsed one
  // (older than pwdLockoutDuration) until the next bind.
  policy('nolockout', ['pwdLockout: FALSE']),
  policy('shortlock', ['pwdLockout: TRUE', 'pwdLockoutDuration: 60']),
  person('okuser', [`pwdPolicySubentry: cn=graceexpire,${policies}`, `pwdChangedTime: ${lately}`]),
  person('graceuser', [`pwdPolicySubentry: cn=graceexpire,${policies}`, `pwdChangedTime: ${longAgo}`]),
  person('expuser', [`pwdPolicySubentry: cn=nograce,${policies}`, `pwdChangedTime: ${longAgo}`]),
  person('defaultexp', [`pwdChangedTime: ${longAgo}`]),
  person('resetuser', ['pwdReset: TRUE', `pwdPolicySubentry: cn=mustchange,${policies}`]),
  // An administrator's lock (until unlocked by hand) and ppolicy's own lock after failures.
  person('adminlocked', ['pwdAccountLockedTime: 000001010000Z']),
  person('templocked', [`pwdAccountLockedTime: ${lately}`]),
  person('unenforced', [`pwdAccountLockedTime: ${lately}`, `pwdPolicySubentry: cn=nolockout,${policies}`]),
  person('lapsed', [`pwdAccountLockedTime: ${longAgo}`, `pwdPolicySubentry: cn=shortlock,${policies}`]),
  person('shadowexp', ['shadowExpire: 1'], ['shadowAccount']),
].join('\n\n');

describeWithService('slapd', 'LDAP store: account states in compare mode and in profiles, grace logins (ppolicy)', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({ extraLdif });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  const service = () => ({ dn: slapd.adminDn, password: slapd.adminPassword });
  const compareStore = (extra: Partial<Extract<LdapStoreOptions['bind'], { mode: 'compare' }>> = {}) =>
    ldapUserStore({ urls: [slapd.url], serviceAccount: service(), bind: { mode: 'compare', baseDn: slapd.baseDn, ...extra } });
  const bindStore = () => ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},${people}` } });

  /** What each account answers to its right password, and why. */
  const expected: [uid: string, status: string, detail: string | undefined][] = [
    ['okuser', 'valid', undefined],
    ['adminlocked', 'disabled', 'pwdAccountLockedTime (administrative lock)'],
    ['templocked', 'locked', 'pwdAccountLockedTime'],
    // Their policies say these locks are not (or no longer) in force: a bind succeeds, and so does compare mode.
    ['unenforced', 'valid', undefined],
    ['lapsed', 'valid', undefined],
    ['resetuser', 'must_change', 'pwdReset'],
    ['shadowexp', 'disabled', 'account expired'],
    ['expuser', 'password_expired', 'ppolicy: pwdChangedTime + pwdMaxAge has passed'],
    ['graceuser', 'password_expired', 'ppolicy: pwdChangedTime + pwdMaxAge has passed'],
    // No pwdPolicySubentry and no defaultPolicyDn: compare mode cannot know the policy.
    ['defaultexp', 'valid', undefined],
  ];

  it('compare mode refuses locked, disabled, must-change and expired accounts after the right password, and only then', async () => {
    const store = compareStore();
    try {
      for (const [uid, status, detail] of expected) {
        const outcome = await store.verify({ username: uid, password });
        expect({ uid, status: outcome.status, detail: 'detail' in outcome ? outcome.detail : undefined }).toEqual({ uid, status, detail });
        // A wrong password learns nothing about the account.
        expect((await store.verify({ username: uid, password: `${password}x` })).status, `${uid} wrong`).toBe('invalid');
      }
    } finally {
      await store.close?.();
    }
  });

  it('compare mode reads bind.defaultPolicyDn for entries without pwdPolicySubentry', async () => {
    const store = compareStore({ defaultPolicyDn: `cn=maxage,${policies}` });
    try {
      expect(await store.verify({ username: 'defaultexp', password })).toMatchObject({ status: 'password_expired' });
      expect((await store.verify({ username: 'okuser', password })).status).toBe('valid');
    } finally {
      await store.close?.();
    }
  });

  it('compare mode agrees with a bind refusing the account, and with the LDIF store on an export of the same entries', async () => {
    const judgedByPolicy = new Set(['expuser', 'unenforced', 'lapsed']);
    const admin = new Client({ url: slapd.url });
    const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-state-'));
    const compare = compareStore();
    const bind = bindStore();
    try {
      await admin.bind(slapd.adminDn, slapd.adminPassword);
      const uids = expected.map(([uid]) => uid).filter((uid) => uid !== 'graceuser');
      const { searchEntries } = await admin.search(people, { filter: `(|${uids.map((uid) => `(uid=${uid})`).join('')})`, attributes: ['*', '+'] });
      const line = (name: string, value: unknown): string => `${name}:: ${Buffer.from(String(value), 'utf8').toString('base64')}`;
      const ldif = searchEntries
        .map((entry) => [`dn: ${entry.dn}`, ...Object.entries(entry).filter(([name]) => name !== 'dn').flatMap(([name, values]) => (Array.isArray(values) ? values : [values]).map((value) => line(name, value)))].join('\n'))
        .join('\n\n');
      const path = join(dir, 'export.ldif');
      await writeFile(path, `${ldif}\n`);
      const ldif_ = await ldifUserStore({ path });
      for (const uid of uids) {
        const live = await compare.verify({ username: uid, password });
        const bound = await bind.verify({ username: uid, password });
        // A bind refuses the same accounts (ppolicy names the states its own way: a lock is `locked`). slapd
        // leaves shadowExpire to PAM, so only the stores, not a bind, read it.
        if (uid !== 'shadowexp') expect(bound.status === 'valid', `${uid}: bind`).toBe(live.status === 'valid');
        // The export has no policy to age a password or lapse a lock with; every other state reads the same.
        if (!judgedByPolicy.has(uid)) expect(await ldif_.verify({ username: uid, password }), `${uid}: ldif`).toMatchObject({ status: live.status });
      }
    } finally {
      await admin.unbind();
      await Promise.all([compare.close?.(), bind.close?.()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('profiles: ppolicy and shadow states set enabled as the LDIF store does, in get() and in list()', async () => {
    const store = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: service(),
      bind: { mode: 'dn-template', template: `uid={username},${people}` },
      profiles: { baseDn: people, listFilter: '(sn=State)' },
    });
    try {
      expect((await store.get('adminlocked'))?.enabled).toBe(false);
      expect((await store.get('shadowexp'))?.enabled).toBe(false);
      // A lock passes (or an administrator lifts it): the account stays enabled, as in the LDIF store.
      expect((await store.get('templocked'))?.enabled).toBe(true);
      expect((await store.get('okuser'))?.enabled).toBe(true);
      const listed: Profile[] = [];
      for await (const profile of store.list()) listed.push(profile);
      expect(Object.fromEntries(listed.map((profile) => [profile.username, profile.enabled]))).toMatchObject({ adminlocked: false, shadowexp: false, templocked: true, okuser: true });
    } finally {
      await store.close?.();
    }
  });

  it('a bind that succeeds on a grace login answers password_expired and says how many are left', async () => {
    const store = bindStore();
    try {
      const first = await store.verify({ username: 'graceuser', password });
      expect(first).toMatchObject({ status: 'password_expired', detail: 'ppolicy: password expired, grace login used (2 left)' });
      // When none are left slapd refuses the bind itself: the same answer.
      for (let i = 0; i < 3; i++) expect((await store.verify({ username: 'graceuser', password })).status).toBe('password_expired');
      // An expired password is still a password the directory checked: a wrong one stays wrong.
      expect((await store.verify({ username: 'graceuser', password: `${password}x` })).status).toBe('invalid');
    } finally {
      await store.close?.();
    }
  });

  it('a password with NUL is malformed input, refused before any bind or comparison', async () => {
    for (const store of [bindStore(), compareStore()]) {
      try {
        expect(await store.verify({ username: 'okuser', password: `${password}\u0000junk` })).toEqual({ status: 'invalid', reason: 'malformed_input' });
        expect((await store.verify({ username: 'okuser', password })).status).toBe('valid');
      } finally {
        await store.close?.();
      }
    }
  });
});

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function firstListed(store: ReturnType<typeof ldapUserStore>): Promise<Profile | undefined> {
  for await (const profile of store.list()) return profile;
  return undefined;
}

describeWithService('slapd', 'LDAP store: get() and list() throw typed errors only', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd();
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  const template = () => ({ mode: 'dn-template' as const, template: `uid={username},${people}` });

  it('a wrong service password is BACKEND_UNAVAILABLE in list() as in get()', async () => {
    const store = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: 'not-the-password' }, bind: template(), profiles: { baseDn: people } });
    try {
      for (const error of [await rejection(store.get('alice')), await rejection(firstListed(store))]) {
        expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE'), String(error)).toBe(true);
      }
    } finally {
      await store.close?.();
    }
  });

  it('a base DN the directory does not have, or a malformed filter, is CONFIG_INVALID (verify: unavailable / misconfigured)', async () => {
    const missingBase = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword },
      bind: { mode: 'search', baseDn: 'ou=nowhere,dc=example,dc=org' },
      profiles: { baseDn: 'ou=nowhere,dc=example,dc=org' },
    });
    const badFilters = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword },
      bind: { mode: 'search', baseDn: slapd.baseDn, filter: 'uid={username}))(' },
      profiles: { baseDn: people, listFilter: '(((' },
    });
    try {
      for (const error of [await rejection(missingBase.get('alice')), await rejection(firstListed(missingBase)), await rejection(firstListed(badFilters))]) {
        expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID'), String(error)).toBe(true);
      }
      for (const store of [missingBase, badFilters]) {
        const outcome = await store.verify({ username: 'alice', password: 'anything' });
        expect(outcome).toMatchObject({ status: 'unavailable', reason: 'misconfigured', error: { code: 'ERR_LEGACY_IDP_CONFIG_INVALID' } });
      }
    } finally {
      await Promise.all([missingBase.close?.(), badFilters.close?.()]);
    }
  });

  it('slapd killed in the middle of list() is BACKEND_UNAVAILABLE, not a raw socket error', async () => {
    const store = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword },
      bind: template(),
      profiles: { baseDn: people, pageSize: 1 },
      operationTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
    });
    let listed = 0;
    try {
      const error = await rejection(
        (async () => {
          for await (const profile of store.list()) {
            expect(profile.subjectId).not.toBe('');
            if (++listed === 2) await slapd.kill();
          }
        })(),
      );
      expect(listed).toBe(2);
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_BACKEND_UNAVAILABLE'), String(error)).toBe(true);
    } finally {
      await slapd.restart();
      await store.close?.();
    }
  }, 30_000);
});
