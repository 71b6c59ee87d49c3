import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicProfile } from '../../../src/core/contracts.js';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import { ldifUserStore, type LdifStoreOptions, type LdifUserStore } from '../../../src/stores/ldap/index.js';
import { describeStoreConformance } from '../fixture-conformance.js';

/** `{SSHA}`: base64(sha1(password + salt) + salt), the RFC 2307 / OpenLDAP layout, built here with node:crypto. */
function ssha(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(Buffer.from(password, 'utf8')).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** `openssl passwd -6 -salt <salt> <password>` (OpenSSL 3.0.19), wrapped as OpenLDAP stores crypt(3) hashes. */
const crypt = {
  alice: '{CRYPT}$6$AliceSalt$pZI2IVcv/7RlIdmOC8.RlR4Xa5yOPPX/yn5yAG5rxsucU5ObJpmNfFF5zY376eZqLc5xcU8IssjPUQWG2ih9N0', // Wonderland-2024
  bob: '{CRYPT}$6$LdifStoreSalt$XQXjq0n/jLW8V8NgJSLG9BorrKmA4lYazTN2ckfX1MMp477A.pPFNoJmBIVuTnPILQwkEO7j0cnh9zcj.jyUY.', // Builder-2024!
  dave: '{CRYPT}$6$OtherSalt$fWlf0tYDIGaZTyef9mNkHKgc1/bTKv4LoQEAaKDIoKPYxvEqIrJpqXep0Ky8.FZCicz/r3Xn0A8acQCZCrMD80', // Disabled-2024
  /** crypt("x"): stored WITHOUT {CRYPT} below, so LDAP reads it as a clear password. */
  x: '$6$LooksLikeCrypt$eGF5nKkg8tOkYP.Ip7sZWDeMwvMwstkVEXGhqsK4HjHpMlRJMi5SyUuwJH5JSyDuRoeeLzq3V0q/NQ1Hif4mm1',
};

/** slappasswd -s secret (OpenLDAP 2.5.13), also in test/hashes/ldap.test.ts. */
const slappasswdSecret = '{SSHA}Cn1aMfAmZNhvL6qZ72yKpDT7I4wYPS+M';

const b64 = (text: string | Buffer): string => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64');

/** The four conformance users, in the shape slapcat writes (userPassword and non-ASCII as base64, folded). */
const conformanceLdif = [
  'version: 1',
  '',
  '# The base and an OU: entries without a uid, which are not users.',
  'dn: dc=example,dc=org',
  'objectClass: dcObject',
  'objectClass: organization',
  'dc: example',
  'o: Example',
  '',
  'dn: ou=people,dc=example,dc=org',
  'objectClass: organizationalUnit',
  'ou: people',
  '',
  'dn: uid=alice,ou=people,dc=example,dc=org',
  'objectClass: inetOrgPerson',
  'uid: Alice',
  'cn: Alice Liddell',
  'sn: Liddell',
  'givenName: Alice',
  'displayName: Alice L.',
  'mail: alice@example.org',
  'employeeNumber: 1001',
  `userPassword:: ${b64(crypt.alice)}`,
  'entryUUID: 0b5d5ea4-7e15-1041-9205-559fd161d82a',
  '',
  'dn: uid=bob,ou=people,dc=example,dc=org',
  'objectClass: inetOrgPerson',
  'uid: bob',
  'cn: Bob',
  'sn: Builder',
  'mail: bob@example.org',
  `userPassword:: ${b64(crypt.bob).slice(0, 60)}`,
  ` ${b64(crypt.bob).slice(60)}`,
  '',
  `dn:: ${b64('uid=zoë,ou=people,dc=example,dc=org')}`,
  'objectClass: inetOrgPerson',
  `uid:: ${b64('zoë')}`,
  'cn: Zoe',
  'sn: Zoe',
  `userPassword:: ${b64(ssha('Crème-brûlée-ß-🔑'))}`,
  '',
  'dn: uid=dave,ou=people,dc=example,dc=org',
  'objectClass: inetOrgPerson',
  'uid: dave',
  'cn: Dave',
  'sn: Disabled',
  'nsAccountLock: TRUE',
  `userPassword:: ${b64(crypt.dave)}`,
  '',
  'dn: uid=old,ou=people,dc=example,dc=org',
  'changetype: delete',
  '',
].join('\n');

let dir: string;
let conformancePath: string;
const registry = createHashRegistry();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'legacy-idp-ldif-'));
  conformancePath = join(dir, 'people.ldif');
  await writeFile(conformancePath, conformanceLdif.replace(/\n/gu, '\r\n'));
});

afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeLdif(name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

const create = (): Promise<LdifUserStore> => ldifUserStore({ path: conformancePath, registry, matchEmail: true });
describeStoreConformance('ldif store', create);

describe('ldif store specifics', () => {
  it('maps profiles: subjectId from entryUUID else DN, names, mapped attributes, credential, cursor = DN', async () => {
    const store = await ldifUserStore({ path: conformancePath, registry, mapping: { attributes: { employeeId: 'employeeNumber', classes: 'objectClass' } } });
    try {
      expect(store.stats).toEqual({ entries: 6, users: 4, entriesWithoutUsername: 2, skippedChangeRecords: 1, ambiguousEmails: 0 });
      const alice = await store.get('alice');
      expect(alice).toEqual({
        subjectId: '0b5d5ea4-7e15-1041-9205-559fd161d82a',
        username: 'alice',
        email: 'alice@example.org',
        displayName: 'Alice L.',
        givenName: 'Alice',
        surname: 'Liddell',
        enabled: true,
        attributes: { dn: 'uid=alice,ou=people,dc=example,dc=org', employeeId: '1001', classes: 'inetOrgPerson' },
        credential: { scheme: 'ldap_sha512_crypt', hash: crypt.alice },
        cursor: 'uid=alice,ou=people,dc=example,dc=org',
      });
      expect(publicProfile(alice!)).not.toHaveProperty('credential');
      expect((await store.get('bob'))?.subjectId).toBe('uid=bob,ou=people,dc=example,dc=org');
      expect((await store.get('bob'))?.credential?.hash).toBe(crypt.bob);
      expect((await store.get('dave'))?.enabled).toBe(false);
      expect((await store.get('zoë'))?.credential?.scheme).toBe('ldap_salted_sha1');
      // Email aliases only with matchEmail.
      expect(await store.get('alice@example.org')).toBeNull();
      expect(Object.isFrozen(alice)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('accepts any of several userPassword values, and treats a value without {SCHEME} as clear text', async () => {
    const path = await writeLdif('multi.ldif', [
      'dn: uid=multi,dc=example',
      'uid: multi',
      `userPassword: ${ssha('old-pass')}`,
      'userPassword: new-pass',
      '',
      'dn: uid=looks,dc=example',
      'uid: looks',
      `userPassword: ${crypt.x}`,
      '',
      'dn: uid=slap,dc=example',
      'uid: slap',
      `userPassword:: ${b64(slappasswdSecret)}`,
      '',
      '# A prefix with "|" in it: the passlib 1.7.4 vector in test/vectors/fshp.jsonl ("password")',
      'dn: uid=fshp,dc=example',
      'uid: fshp',
      'userPassword: {FSHP0|16|1000}EpAyVu9mipq5Q5DNVxlEbr6ap2OvJ1jhCND2wFuDPqvUZWiJ',
    ]);
    const store = await ldifUserStore({ path, registry });
    try {
      expect(await store.verify({ username: 'multi', password: 'old-pass' })).toMatchObject({ status: 'valid', scheme: 'ldap_salted_sha1' });
      expect(await store.verify({ username: 'multi', password: 'new-pass' })).toMatchObject({ status: 'valid', scheme: 'ldap_plaintext', needsUpgrade: true });
      expect(await store.verify({ username: 'multi', password: 'other' })).toMatchObject({ status: 'invalid', reason: 'wrong_password', subjectId: expect.any(String) as unknown });
      // slapd compares an unprefixed value byte for byte: "x" does not open it, the literal string does.
      expect((await store.verify({ username: 'looks', password: 'x' })).status).toBe('invalid');
      expect((await store.verify({ username: 'looks', password: crypt.x })).status).toBe('valid');
      expect((await store.get('looks'))?.credential).toEqual({ scheme: 'ldap_plaintext', hash: crypt.x, recoverable: true });
      expect((await store.verify({ username: 'slap', password: 'secret' })).status).toBe('valid');
      expect(await store.verify({ username: 'fshp', password: 'password' })).toMatchObject({ status: 'valid', scheme: 'fshp' });
      expect((await store.verify({ username: 'fshp', password: '{FSHP0|16|1000}EpAyVu9mipq5Q5DNVxlEbr6ap2OvJ1jhCND2wFuDPqvUZWiJ' })).status).toBe('invalid');
    } finally {
      await store.close();
    }
  });

  it('answers account states from the export, only after a correct password', async () => {
    const pw = 'Right-Pass-1';
    const hash = ssha(pw);
    const entry = (uid: string, ...extra: string[]): string[] => [`dn: uid=${uid},dc=example`, `uid: ${uid}`, `userPassword: ${hash}`, ...extra, ''];
    const path = await writeLdif('states.ldif', [
      ...entry('locked', 'pwdAccountLockedTime: 20260101000000Z'),
      ...entry('adminlocked', 'pwdAccountLockedTime: 000001010000Z'),
      ...entry('reset', 'pwdReset: TRUE'),
      ...entry('shadow', 'shadowExpire: 1'),
      ...entry('adexpired', 'accountExpires: 130000000000000000'),
      ...entry('adnever', 'accountExpires: 9223372036854775807', 'userAccountControl: 66048'),
      ...entry('addisabled', 'userAccountControl: 514'),
      ...entry('adlockout', 'userAccountControl: 528'),
      ...entry('admustchange', 'pwdLastSet: 0', 'userAccountControl: 512'),
      ...entry('nslock', 'nsAccountLock: true'),
      ...entry('future', `accountExpires: ${String(116444736000000000n + BigInt(Date.now() + 86_400_000) * 10_000n)}`),
    ]);
    const store = await ldifUserStore({ path, registry });
    try {
      const expected: Record<string, object> = {
        locked: { status: 'locked', by: 'legacy_store', detail: 'pwdAccountLockedTime' },
        adminlocked: { status: 'disabled', detail: 'pwdAccountLockedTime (administrative lock)' },
        reset: { status: 'must_change', detail: 'pwdReset' },
        shadow: { status: 'disabled', detail: 'account expired' },
        adexpired: { status: 'disabled', detail: 'account expired' },
        adnever: { status: 'valid' },
        addisabled: { status: 'disabled', detail: 'userAccountControl ACCOUNTDISABLE' },
        adlockout: { status: 'locked', by: 'legacy_store' },
        admustchange: { status: 'must_change', detail: 'pwdLastSet 0' },
        nslock: { status: 'disabled', detail: 'nsAccountLock' },
        future: { status: 'valid' },
      };
      for (const [username, outcome] of Object.entries(expected)) {
        expect(await store.verify({ username, password: pw }), username).toMatchObject(outcome);
        expect(await store.verify({ username, password: `${pw}x` }), username).toMatchObject({ status: 'invalid', reason: 'wrong_password', subjectId: expect.any(String) as unknown });
      }
      expect((await store.get('addisabled'))?.enabled).toBe(false);
      expect((await store.get('adexpired'))?.enabled).toBe(false);
      expect((await store.get('future'))?.enabled).toBe(true);
    } finally {
      await store.close();
    }
    const ignoring = await ldifUserStore({ path, registry, accountState: false });
    try {
      expect((await ignoring.verify({ username: 'addisabled', password: pw })).status).toBe('valid');
    } finally {
      await ignoring.close();
    }
  });

  it('is unavailable (misconfigured), never invalid, when no stored value can be verified', async () => {
    const path = await writeLdif('unverifiable.ldif', [
      'dn: uid=sasl,dc=example',
      'uid: sasl',
      'userPassword: {SASL}sasl@EXAMPLE.ORG',
      '',
      'dn: uid=broken,dc=example',
      'uid: broken',
      'userPassword: {SSHA}not base64!',
      '',
      'dn: uid=mixed,dc=example',
      'uid: mixed',
      'userPassword: {K5KEY}',
      `userPassword: ${ssha('mixed-pass')}`,
      '',
      'dn: uid=nopass,dc=example',
      'uid: nopass',
    ]);
    const store = await ldifUserStore({ path, registry });
    try {
      expect(await store.verify({ username: 'sasl', password: 'anything' })).toMatchObject({
        status: 'unavailable',
        reason: 'misconfigured',
        error: { code: 'ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME' },
      });
      expect(await store.verify({ username: 'broken', password: 'anything' })).toMatchObject({ status: 'unavailable', reason: 'misconfigured' });
      // A value that verifies still wins; one that was compared and refused makes a wrong password, as slapd
      // answers the bind (docs/stores/ldap.md, "Several userPassword values"; test/stores/ldap/user-password-rule.test.ts).
      expect((await store.verify({ username: 'mixed', password: 'mixed-pass' })).status).toBe('valid');
      expect(await store.verify({ username: 'mixed', password: 'nope' })).toMatchObject({ status: 'invalid', reason: 'wrong_password', detail: '1 of 2 userPassword values could not be checked (ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME)' });
      expect(await store.verify({ username: 'nopass', password: 'anything' })).toMatchObject({ status: 'invalid', reason: 'wrong_password', detail: 'no userPassword' });
      expect((await store.get('sasl'))?.credential).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('takes subjectId from an AD objectGUID, and the username from sAMAccountName', async () => {
    const guid = Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex');
    const path = await writeLdif('ad.ldif', [
      'dn: CN=Carol Example,CN=Users,DC=test,DC=local',
      'sAMAccountName: carol',
      `objectGUID:: ${guid.toString('base64')}`,
      'userAccountControl: 512',
      `userPassword: ${ssha('Carol-Pass-1')}`,
    ]);
    const store = await ldifUserStore({ path, registry, usernameAttribute: 'sAMAccountName', mapping: { attributes: { guid: 'objectGUID' } } });
    try {
      const profile = await store.get('CAROL');
      expect(profile?.subjectId).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
      expect(profile?.attributes.guid).toEqual(guid);
      expect(await store.verify({ username: 'carol', password: 'Carol-Pass-1' })).toMatchObject({
        status: 'valid',
        subjectId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      });
    } finally {
      await store.close();
    }
  });

  it('finds nobody by an email two entries share, and counts it', async () => {
    const path = await writeLdif('emails.ldif', [
      'dn: uid=a,dc=example',
      'uid: a',
      'mail: team@example.org',
      `userPassword: ${ssha('a')}`,
      '',
      'dn: uid=b,dc=example',
      'uid: b',
      'mail: Team@Example.org',
      `userPassword: ${ssha('b')}`,
      '',
      'dn: uid=c,dc=example',
      'uid: c',
      'mail: a',
      `userPassword: ${ssha('c')}`,
    ]);
    const store = await ldifUserStore({ path, registry, matchEmail: true });
    try {
      expect(store.stats.ambiguousEmails).toBe(1);
      expect(await store.get('team@example.org')).toBeNull();
      // An email equal to another user's username never shadows that username.
      expect((await store.get('a'))?.subjectId).toBe('uid=a,dc=example');
    } finally {
      await store.close();
    }
  });

  it('refuses an export where two entries answer to one username, or a DN repeats', async () => {
    const dup = await writeLdif('dup.ldif', ['dn: uid=x,ou=a,dc=example', 'uid: x', '', 'dn: uid=x,ou=b,dc=example', 'uid: X ']);
    await expect(ldifUserStore({ path: dup, registry })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_LDIF_INVALID',
      message: 'LDIF line 4: username already used by the entry at line 1',
    });
    const sameDn = await writeLdif('same-dn.ldif', ['dn: uid=x,dc=example', 'uid: x', '', 'dn: uid=x,dc=example', 'uid: y']);
    await expect(ldifUserStore({ path: sameDn, registry })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_LDIF_INVALID' });
  });

  it('reports file and syntax problems with typed errors, without quoting content', async () => {
    await expect(ldifUserStore({ path: join(dir, 'missing.ldif'), registry })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_FILE',
      message: 'cannot read LDIF file (ENOENT)',
    });
    await expect(ldifUserStore({ path: dir, registry })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_FILE' });
    const url = await writeLdif('url.ldif', ['dn: uid=x,dc=example', 'uid: x', 'userPassword:< file:///etc/shadow']);
    await expect(ldifUserStore({ path: url, registry })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_LDIF_INVALID', message: 'LDIF line 3: values by URL ("attr:< ...") are not read' });
    const badUac = await writeLdif('bad-uac.ldif', ['dn: uid=x,dc=example', 'uid: x', 'userAccountControl: lots']);
    await expect(ldifUserStore({ path: badUac, registry })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_LDIF_INVALID', message: /^LDIF line 1: /u });
    const big = await writeLdif('big.ldif', ['dn: uid=x,dc=example', 'uid: x', `description: ${'x'.repeat(2000)}`]);
    await expect(ldifUserStore({ path: big, registry, maxRecordBytes: 1000 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_LDIF_INVALID' });
  });

  it('validates options, naming the key', async () => {
    await expect(ldifUserStore({ path: conformancePath, usernameAttribute: 'u id' })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
      path: 'usernameAttribute',
    });
    await expect(ldifUserStore({ path: conformancePath, mapping: { mail: 'mail' } } as unknown as LdifStoreOptions)).rejects.toThrow(/unknown key "mapping\.mail"/u);
    await expect(ldifUserStore({ path: conformancePath, registry: {} } as unknown as LdifStoreOptions)).rejects.toMatchObject({ path: 'registry' });
    await expect(ldifUserStore({ path: '' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', path: 'path' });
  });

  it('builds and closes its own registry when none is given', async () => {
    const store = await ldifUserStore({ path: conformancePath });
    try {
      expect((await store.verify({ username: 'bob', password: 'Builder-2024!' })).status).toBe('valid');
    } finally {
      await store.close();
      await store.close();
    }
    await expect(store.get('bob')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CLOSED' });
  });

  it('rejects a list cursor it did not produce', async () => {
    const store = await create();
    try {
      await expect(async () => {
        for await (const _ of store.list({ after: 'uid=nobody,dc=example' })) {
          /* drain */
        }
      }).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    } finally {
      await store.close();
    }
  });

  it('spends a real hash on an unknown user through the Authenticator (dummyVerify)', async () => {
    const store = await create();
    const spent: string[] = [];
    const counting = { ...store, dummyVerify: async (password: string) => { spent.push(password); await store.dummyVerify?.(password); } };
    try {
      const authenticator = createAuthenticator({ verifier: counting });
      const result = await authenticator.authenticate({ username: 'nobody-here', password: 'Guess-1234' });
      expect(result.outcome.status).toBe('unknown_user');
      expect(spent).toEqual(['Guess-1234']);
    } finally {
      await store.close();
    }
  });
});
