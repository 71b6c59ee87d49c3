/**
 * The pre-migration mapping: legacy profiles (from the memory store, or built by hand with credentials) into
 * Graph create payloads, the password rules (recovered when possible and acceptable, generated otherwise, with
 * requiresMigration), and one MappingFailure per problem, none of which quotes a password or a hash.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Profile, StoredCredential } from '../../src/core/contracts.js';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { checkStrongPassword } from '../../src/graph/password.js';
import {
  aspnetMembershipDecrypt,
  createMapper,
  isMappingSkip,
  mappingFailureCodes,
  type MappingFailureCode,
  type PremigrateMapper,
  type PremigrateMappingOptions,
} from '../../src/premigrate/mapping.js';
import type { MappingFailure, MigrationItem } from '../../src/premigrate/types.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';

const extensionAppId = '831374b3-bd50-41bf-aa54-263ec9e050fc';
const flagName = 'extension_831374b3bd5041bfaa54263ec9e050fc_requiresMigration';
const base: PremigrateMappingOptions = { tenant: 'contoso', extensionAppId };

const isFailure = (mapped: MigrationItem | MappingFailure): mapped is MappingFailure => 'code' in mapped;

function item(mapped: MigrationItem | MappingFailure): MigrationItem {
  if (isFailure(mapped)) throw new Error(`expected an item, got ${mapped.code}: ${mapped.reason}`);
  return mapped;
}

function failure(mapped: MigrationItem | MappingFailure): MappingFailure {
  if (!isFailure(mapped)) throw new Error('expected a MappingFailure');
  return mapped;
}

/** Overrides may set a field to undefined to leave it out. */
type Overrides = { [K in keyof Profile]?: Profile[K] | undefined };

function profile(overrides: Overrides = {}): Profile {
  const merged = { subjectId: 'sql:1', username: 'ada', email: 'ada@example.com', attributes: {}, cursor: '1', ...overrides };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)) as unknown as Profile;
}

const clear = (hash: string, scheme = 'plaintext', extra: Partial<StoredCredential> = {}): StoredCredential => ({ scheme, hash, recoverable: true, ...extra });

// Vectors made with node:crypto from the layout in the .NET reference source (SqlMembershipProvider.EncodePassword +
// MachineKeySection.EncryptOrDecryptData with IVType.None, no signature): base64(CBC, zero IV, PKCS#7 of
// PasswordSalt bytes + UTF-16LE password). Not captured from a running .NET site.
const membershipSalt = 'q83vASNFZ4mrze8BI0VniQ==';
const membershipPassword = 'Correct-Horse-9';
const membershipVectors = [
  { algorithm: 'AES', decryptionKey: '0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF', hash: 'uUVCYPspStox4cQT6XCcX5ssiBtJeisyAN2PBKG8ihr3c9eMhR8M7qtxEMaqMFYQ' },
  { algorithm: 'AES', decryptionKey: '698DFA6663F8A3F30A7B5F3CCF30825EAA73159611F983C1', hash: 'irOGiD3PMD1OkOpQUmdW/WjUq2JYuZ5gPE0EYEy2B/9NjP40duIR7iLPzvmUeCM5' },
  { algorithm: '3DES', decryptionKey: '00112233445566778899AABBCCDDEEFF0011223344556677', hash: 'idVTRA+n+I02QDZURI7LDfvak+QLTYsvprKX6tZ8siNVZsMYxfca+6fe1UXZ5oH7' },
] as const;
const membershipCredential = (hash: string, context: Record<string, unknown> = { salt: membershipSalt, passwordFormat: 2 }): StoredCredential => ({
  scheme: 'aspnet_membership_sha1',
  hash,
  context,
});

describe('identities', () => {
  it('maps an e-mail sign-in to the documented local-account payload, keeping a strong clear-text password', () => {
    const map = createMapper(base);
    const mapped = item(map(profile({ displayName: 'Ada Lovelace', givenName: 'Ada', surname: 'Lovelace', credential: clear('Analytical-Engine-1843') })));
    expect(mapped).toEqual({
      subjectId: 'sql:1',
      cursor: '1',
      identity: { signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'ada@example.com' },
      password: 'recovered',
      payload: {
        accountEnabled: true,
        displayName: 'Ada Lovelace',
        givenName: 'Ada',
        surname: 'Lovelace',
        mail: 'ada@example.com',
        identities: [{ signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'ada@example.com' }],
        passwordProfile: { password: 'Analytical-Engine-1843', forceChangePasswordNextSignIn: false },
        passwordPolicies: 'DisablePasswordExpiration',
        [flagName]: false,
      },
    });
  });

  it('maps the memory store: generated passwords with requiresMigration, disabled users created disabled', async () => {
    const store = await memoryUserStore({
      users: [
        { username: 'alice', password: 'Wonderland-2024', email: 'alice@example.org', givenName: 'Alice', surname: 'Liddell', attributes: { loyalty: 42 } },
        { username: 'dave', password: 'Disabled-2024', email: 'dave@example.org', state: 'disabled' },
      ],
      scryptCost: 16,
    });
    const map = createMapper({ ...base, fields: { attributes: { loyalty: 'extension:loyaltyNumber:Integer' } } });
    const mapped: MigrationItem[] = [];
    for await (const user of store.list()) mapped.push(item(map(user)));
    expect(mapped.map((entry) => [entry.subjectId, entry.cursor, entry.password, entry.payload.accountEnabled])).toEqual([
      ['memory:alice', '0', 'generated', true],
      ['memory:dave', '1', 'generated', false],
    ]);
    const alice = mapped[0]!.payload;
    expect(alice[flagName]).toBe(true);
    expect(alice['extension_831374b3bd5041bfaa54263ec9e050fc_loyaltyNumber']).toBe(42);
    expect(alice.displayName).toBe('alice@example.org'); // no display name in the store: the sign-in name
    expect(alice.passwordProfile.password).not.toBe('Wonderland-2024'); // the store keeps only an scrypt hash
    expect(checkStrongPassword(alice.passwordProfile.password)).toEqual({ ok: true });
  });

  it('maps a userName sign-in from the username, by the current Graph rule or the lenient one', () => {
    const strict = createMapper({ ...base, signInType: 'userName' });
    const mapped = item(strict(profile({ username: 'ada_l-1815' })));
    expect(mapped.identity).toEqual({ signInType: 'userName', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'ada_l-1815' });
    expect(mapped.payload.mail).toBe('ada@example.com');
    expect(failure(strict(profile({ username: 'ada.lovelace' }))).code).toBe('invalid_user_name');
    expect(failure(strict(profile({ username: '_ada' }))).code).toBe('invalid_user_name');
    expect(failure(strict(profile({ username: 'a'.repeat(65) }))).code).toBe('invalid_user_name');

    const lenient = createMapper({ ...base, signInType: 'userName', userNameRule: 'lenient' });
    expect(item(lenient(profile({ username: 'ada.lovelace' }))).identity.issuerAssignedId).toBe('ada.lovelace');
    expect(failure(lenient(profile({ username: 'ada lovelace' }))).code).toBe('invalid_user_name');
    expect(failure(lenient(profile({ username: 'ada@example.com' }))).code).toBe('invalid_user_name');
  });

  it('takes the sign-in name from the field named by signInName', () => {
    const map = createMapper({ ...base, signInName: 'username', fields: { mail: false } });
    const mapped = item(map(profile({ username: 'Ada@Example.com ', email: 'other@example.com' })));
    expect(mapped.identity.issuerAssignedId).toBe('Ada@Example.com');
    expect(mapped.payload.mail).toBeUndefined();
  });

  it('adds a federated identity when the attribute is present, after the local one', () => {
    const map = createMapper({ ...base, federated: { issuer: 'facebook.com', issuerUserIdAttribute: 'facebookId' } });
    const both = item(map(profile({ attributes: { facebookId: '5eecb0cd' } })));
    expect(both.payload.identities).toEqual([
      { signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'ada@example.com' },
      { signInType: 'federated', issuer: 'facebook.com', issuerAssignedId: '5eecb0cd' },
    ]);
    expect(both.identity.signInType).toBe('emailAddress');
    expect(item(map(profile({ attributes: { facebookId: 1234567 } }))).payload.identities[1]).toMatchObject({ issuerAssignedId: '1234567' });
    expect(item(map(profile({ attributes: { facebookId: '  ' } }))).payload.identities).toHaveLength(1);
    expect(item(map(profile())).payload.identities).toHaveLength(1);
    expect(failure(map(profile({ attributes: { facebookId: { id: 1 } } }))).code).toBe('invalid_attribute');
  });
});

describe('fields and attributes', () => {
  it('names extension attributes extension_<appId without hyphens>_<name> and writes Graph properties as is', () => {
    const map = createMapper({
      ...base,
      extensionAppId: '831374B3-BD50-41BF-AA54-263EC9E050FC',
      fields: { attributes: { tier: 'extension:loyaltyTier', since: 'extension:memberSince:DateTime', vip: 'extension:isVip:Boolean', title: 'jobTitle', alt: 'otherMails' } },
    });
    const payload = item(
      map(profile({ attributes: { tier: ' gold ', since: new Date('2019-05-01T00:00:00Z'), vip: true, title: 'Countess', alt: ['ada@old.example.com', 'ada@other.example.com'] } })),
    ).payload;
    expect(payload).toMatchObject({
      extension_831374b3bd5041bfaa54263ec9e050fc_loyaltyTier: 'gold',
      extension_831374b3bd5041bfaa54263ec9e050fc_memberSince: '2019-05-01T00:00:00.000Z',
      extension_831374b3bd5041bfaa54263ec9e050fc_isVip: true,
      [flagName]: true,
      jobTitle: 'Countess',
      otherMails: ['ada@old.example.com', 'ada@other.example.com'],
    });
    // Absent or empty values are left out, not written as null.
    const sparse = item(map(profile({ attributes: { tier: '', since: null } }))).payload;
    expect(Object.keys(sparse).filter((key) => key.startsWith('extension_'))).toEqual([flagName]);
    expect(sparse).not.toHaveProperty('jobTitle');
  });

  it('falls back to the sign-in name for displayName, reads attribute: sources, truncates on request', () => {
    const map = createMapper({ ...base, fields: { displayName: 'attribute:fullName', givenName: false } });
    expect(item(map(profile({ givenName: 'Ada', attributes: { fullName: 'Ada King' } }))).payload).toMatchObject({ displayName: 'Ada King' });
    expect(item(map(profile({ givenName: 'Ada' }))).payload).not.toHaveProperty('givenName');
    expect(item(map(profile())).payload.displayName).toBe('ada@example.com');

    const long = 'x'.repeat(300);
    expect(failure(createMapper(base)(profile({ displayName: long }))).code).toBe('field_too_long');
    expect(failure(createMapper(base)(profile({ surname: 'y'.repeat(65) }))).code).toBe('field_too_long');
    const cut = item(createMapper({ ...base, fields: { overlong: 'truncate' } })(profile({ displayName: long, givenName: `${'g'.repeat(63)}😀` })));
    expect(cut.payload.displayName).toHaveLength(256);
    expect(cut.payload.givenName).toBe('g'.repeat(63)); // a surrogate pair is not split
  });
});

describe('passwords', () => {
  it('recovers every clear-text scheme and ASP.NET Membership PasswordFormat 0', () => {
    const map = createMapper(base);
    const password = 'Clear-Text-2024!';
    const cases: StoredCredential[] = [
      clear(password),
      clear(password, 'ldap_plaintext'),
      clear(`{plaintext}${password}`, 'roundup_plaintext'),
      clear(`{PLAIN}${password}`, 'dovecot_plain'),
      clear(`{cleartext}${password}`, 'dovecot_cleartext'),
      { scheme: 'aspnet_membership_sha1', hash: password, context: { passwordFormat: 0 } },
      { scheme: 'aspnet_membership_sha256', hash: password, context: { passwordFormat: 'Clear', salt: 'c2FsdA==' } },
      { scheme: 'plaintext', hash: password }, // the scheme says it, even without the recoverable flag
    ];
    for (const credential of cases) {
      const mapped = item(map(profile({ credential })));
      expect([credential.scheme, mapped.password, mapped.payload.passwordProfile.password, mapped.payload[flagName]]).toEqual([credential.scheme, 'recovered', password, false]);
    }
    expect(map.stats().passwords).toMatchObject({ recovered: cases.length, generated: 0 });
  });

  it('generates a password for hashes, hashed Membership rows, recoverable false, a missing prefix, and setRecoverable false', () => {
    const map = createMapper(base);
    const cases: StoredCredential[] = [
      { scheme: 'bcrypt', hash: '$2b$10$abcdefghijklmnopqrstuu5Jw6d0J4p0A0y1bqOeGmhf1l1q7b3bW' },
      { scheme: 'aspnet_membership_sha1', hash: 'c2hhMWRpZ2VzdGJ5dGVzMTIzNA==', context: { salt: membershipSalt, passwordFormat: 1 } },
      { scheme: 'aspnet_membership_sha1', hash: membershipVectors[0].hash, context: { salt: membershipSalt, passwordFormat: 2 } }, // no key given
      clear('Clear-Text-2024!', 'plaintext', { recoverable: false }),
      clear('Clear-Text-2024!', 'dovecot_plain'), // no {PLAIN} prefix: not the scheme's shape
    ];
    for (const credential of cases) {
      const mapped = item(map(profile({ credential })));
      expect([credential.scheme, mapped.password, mapped.payload[flagName]]).toEqual([credential.scheme, 'generated', true]);
    }
    const off = createMapper({ ...base, passwords: { setRecoverable: false } });
    expect(item(off(profile({ credential: clear('Clear-Text-2024!') }))).password).toBe('generated');
  });

  it('replaces a weak recovered password with a generated one and counts it; never sends a password Graph refuses', () => {
    const map = createMapper(base);
    for (const weak of ['1234', 'alllowercase', 'Ünïcödé-Pass-1', 'x'.repeat(257) + 'A1!']) {
      const mapped = item(map(profile({ credential: clear(weak) })));
      expect(mapped.password).toBe('generated');
      expect(mapped.payload.passwordProfile.password).not.toBe(weak);
      expect(checkStrongPassword(mapped.payload.passwordProfile.password)).toEqual({ ok: true });
      expect(mapped.payload.passwordPolicies).toBe('DisablePasswordExpiration');
      expect(mapped.payload[flagName]).toBe(true);
    }
    expect(map.stats().passwords).toEqual({ recovered: 0, generated: 4, weakReplaced: 4, weakKept: 0, undecryptable: 0 });
  });

  it('keeps a weak recovered password with DisableStrongPassword when asked, but never one over 256 characters', () => {
    const map = createMapper({ ...base, passwords: { disableStrongPassword: true } });
    const weak = item(map(profile({ credential: clear('1234') })));
    expect(weak.password).toBe('recovered');
    expect(weak.payload.passwordProfile.password).toBe('1234');
    expect(weak.payload.passwordPolicies).toBe('DisablePasswordExpiration, DisableStrongPassword');
    expect(weak.payload[flagName]).toBe(false);
    // A strong one does not get the weaker policy.
    expect(item(map(profile({ credential: clear('Strong-Enough-2024') }))).payload.passwordPolicies).toBe('DisablePasswordExpiration');
    expect(item(map(profile({ credential: clear('a'.repeat(257)) }))).password).toBe('generated');
    expect(map.stats().passwords).toMatchObject({ recovered: 2, weakKept: 1, weakReplaced: 1, generated: 1 });
  });

  it('generates passwords that meet the strong policy, distinct from one another, of the configured length', () => {
    const map = createMapper({ ...base, passwords: { generatedLength: 24 } });
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const password = item(map(profile({ subjectId: `u${i}`, email: `u${i}@example.com` }))).payload.passwordProfile.password;
      expect(password).toHaveLength(24);
      expect(checkStrongPassword(password)).toEqual({ ok: true });
      seen.add(password);
    }
    expect(seen.size).toBe(500);
  });

  it('leaves the flag out for recovered passwords with recoveredFlag omit, and writes none when disabled', () => {
    const omit = createMapper({ ...base, passwords: { recoveredFlag: 'omit' } });
    expect(item(omit(profile({ credential: clear('Strong-Enough-2024') }))).payload).not.toHaveProperty(flagName);
    expect(item(omit(profile())).payload[flagName]).toBe(true);
    const none = createMapper({ tenant: 'contoso', passwords: { requiresMigrationAttribute: false } });
    const payload = item(none(profile())).payload;
    expect(Object.keys(payload).some((key) => key.startsWith('extension_'))).toBe(false);
  });

  it('uses the operator decrypt hook for other reversible schemes', () => {
    const decrypt = (credential: StoredCredential): string | undefined =>
      credential.scheme === 'rot13_demo' ? credential.hash.replace(/[a-z]/giu, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c === c.toLowerCase() ? 97 : 65))) : undefined;
    const map = createMapper({ ...base, passwords: { decrypt } });
    expect(item(map(profile({ credential: { scheme: 'rot13_demo', hash: 'Frperg-Cnffjbeq-1' } }))).payload.passwordProfile.password).toBe('Secret-Password-1');
    expect(item(map(profile({ credential: { scheme: 'bcrypt', hash: '$2b$...' } }))).password).toBe('generated');
  });
});

describe('ASP.NET Membership PasswordFormat 2', () => {
  it('decrypts AES and 3DES values with the machineKey', () => {
    for (const vector of membershipVectors) {
      const decrypt = aspnetMembershipDecrypt({ decryptionKey: vector.decryptionKey, algorithm: vector.algorithm });
      expect(decrypt(membershipCredential(vector.hash))).toBe(membershipPassword);
      expect(decrypt(membershipCredential(vector.hash, { passwordFormat: 'Encrypted' }))).toBe(membershipPassword); // without the salt: padding check only
      // Lower-case hex is the same key.
      expect(aspnetMembershipDecrypt({ decryptionKey: vector.decryptionKey.toLowerCase(), algorithm: vector.algorithm })(membershipCredential(vector.hash))).toBe(membershipPassword);
    }
  });

  it('answers undefined for credentials that are not encrypted Membership passwords', () => {
    const decrypt = aspnetMembershipDecrypt({ decryptionKey: membershipVectors[0].decryptionKey });
    expect(decrypt(membershipCredential(membershipVectors[0].hash, { salt: membershipSalt, passwordFormat: 1 }))).toBeUndefined();
    expect(decrypt(membershipCredential(membershipVectors[0].hash, { salt: membershipSalt }))).toBeUndefined(); // hashed by default
    expect(decrypt({ scheme: 'plaintext', hash: 'x' })).toBeUndefined();
  });

  it('refuses a wrong key, the wrong algorithm, a foreign salt and a malformed value with ERR_LEGACY_IDP_DECRYPT_FAILED', () => {
    const [aes, , tripleDes] = membershipVectors;
    const attempts: Array<() => unknown> = [
      () => aspnetMembershipDecrypt({ decryptionKey: 'FF'.repeat(32) })(membershipCredential(aes.hash)),
      () => aspnetMembershipDecrypt({ decryptionKey: tripleDes.decryptionKey, algorithm: 'AES' })(membershipCredential(tripleDes.hash)),
      () => aspnetMembershipDecrypt({ decryptionKey: aes.decryptionKey })(membershipCredential(aes.hash, { salt: 'AAAAAAAAAAAAAAAAAAAAAA==', passwordFormat: 2 })),
      () => aspnetMembershipDecrypt({ decryptionKey: aes.decryptionKey })(membershipCredential('not base64!')),
      () => aspnetMembershipDecrypt({ decryptionKey: aes.decryptionKey })(membershipCredential('AAAA')),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(isLegacyIdpError(caught, 'ERR_LEGACY_IDP_DECRYPT_FAILED')).toBe(true);
    }
  });

  it('validates the machineKey options', () => {
    const message = (options: Parameters<typeof aspnetMembershipDecrypt>[0]): string => {
      try {
        aspnetMembershipDecrypt(options);
      } catch (error) {
        expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID')).toBe(true);
        return (error as Error).message;
      }
      throw new Error('expected a config error');
    };
    expect(message({ decryptionKey: 'AutoGenerate,IsolateApps' })).toContain('decryptionKey');
    expect(message({ decryptionKey: `${'AB'.repeat(24)},IsolateApps` })).toContain('IsolateApps');
    expect(message({ decryptionKey: '0123456789ABCDEF' })).toContain('DES, which is not supported');
    expect(message({ decryptionKey: 'AB'.repeat(32), algorithm: '3DES' })).toContain('a 3DES key has 16 or 24 bytes, this one has 32');
    expect(message({ decryptionKey: 'AB'.repeat(10) })).toContain('an AES key has 16, 24 or 32 bytes');
  });

  it('feeds the mapping: recovered with the key, a decrypt_failed failure or a generated password without the right one', () => {
    const [aes] = membershipVectors;
    const withKey = createMapper({ ...base, passwords: { aspnetMachineKey: { decryptionKey: aes.decryptionKey } } });
    const mapped = item(withKey(profile({ credential: membershipCredential(aes.hash) })));
    expect([mapped.password, mapped.payload.passwordProfile.password]).toEqual(['recovered', membershipPassword]);

    const wrongKey = { aspnetMachineKey: { decryptionKey: 'FF'.repeat(32) } };
    expect(failure(createMapper({ ...base, passwords: wrongKey })(profile({ credential: membershipCredential(aes.hash) }))).code).toBe('decrypt_failed');
    const lenient = createMapper({ ...base, passwords: { ...wrongKey, onDecryptFailure: 'generate' } });
    expect(item(lenient(profile({ credential: membershipCredential(aes.hash) }))).password).toBe('generated');
    expect(lenient.stats().passwords.undecryptable).toBe(1);
  });
});

describe('disabled users', () => {
  it('creates them disabled by default, or skips them', () => {
    expect(item(createMapper(base)(profile({ enabled: false }))).payload.accountEnabled).toBe(false);
    expect(item(createMapper(base)(profile({ enabled: true }))).payload.accountEnabled).toBe(true);
    const skip = createMapper({ ...base, disabledUsers: 'skip' });
    const skipped = failure(skip(profile({ enabled: false })));
    expect(skipped).toMatchObject({ subjectId: 'sql:1', cursor: '1', code: 'skipped_disabled' });
    expect(isMappingSkip(skipped)).toBe(true);
    expect(item(skip(profile())).payload.accountEnabled).toBe(true); // enabled unknown: not disabled
  });
});

describe('mapping failures', () => {
  const attributes = { attributes: { bag: 'extension:bag', ratio: 'extension:ratio:Integer', note: 'extension:note', alt: 'otherMails' } } as const;
  const cases: Array<[MappingFailureCode, PremigrateMappingOptions, Overrides]> = [
    ['skipped_disabled', { ...base, disabledUsers: 'skip' }, { enabled: false }],
    ['no_sign_in_name', base, { email: undefined }],
    ['no_sign_in_name', base, { email: '   ' }],
    ['no_sign_in_name', { ...base, signInType: 'userName' }, { username: '' }],
    ['invalid_email', base, { email: 'not-an-address' }],
    ['invalid_email', base, { email: 'ada @example.com' }],
    ['invalid_user_name', { ...base, signInType: 'userName' }, { username: 'ada!' }],
    ['invalid_mail', { ...base, signInType: 'userName' }, { email: 'nope' }],
    ['field_too_long', base, { givenName: 'g'.repeat(65) }],
    ['invalid_attribute', { ...base, fields: attributes }, { attributes: { bag: { nested: true } } }],
    ['invalid_attribute', { ...base, fields: attributes }, { attributes: { ratio: 0.5 } }],
    ['invalid_attribute', { ...base, fields: attributes }, { attributes: { ratio: 2 ** 31 } }],
    ['invalid_attribute', { ...base, fields: attributes }, { attributes: { note: 'n'.repeat(251) } }],
    ['invalid_attribute', { ...base, fields: attributes }, { attributes: { alt: ['not-a-mail'] } }],
    ['invalid_attribute', { ...base, fields: { displayName: 'attribute:x' } }, { attributes: { x: { a: 1 } } }],
    ['decrypt_failed', { ...base, passwords: { aspnetMachineKey: { decryptionKey: 'FF'.repeat(32) } } }, { credential: membershipCredential(membershipVectors[0].hash) }],
  ];

  it.each(cases)('%s', (code, options, overrides) => {
    const mapped = failure(createMapper(options)(profile(overrides)));
    expect(mapped.code).toBe(code);
    expect(mapped.subjectId).toBe('sql:1');
    expect(mapped.reason.length).toBeGreaterThan(10);
  });

  it('documents every code, and counts failures by code', () => {
    for (const [code] of cases) expect(mappingFailureCodes).toHaveProperty(code);
    const map = createMapper(base);
    map(profile({ email: undefined }));
    map(profile({ email: 'bad' }));
    map(profile({ email: 'bad2' }));
    map(profile());
    expect(map.stats()).toMatchObject({ items: 1, failures: { no_sign_in_name: 1, invalid_email: 2 } });
  });
});

describe('no secrets in failures or errors (canary)', () => {
  const canaryPassword = 'CANARY-pass-7Qx';
  const canaryHash = 'CANARYHASHc2VjcmV0';
  const canaryKey = 'CAFE0001CAFE0001CAFE0001CAFE0001';

  it('keeps passwords, hashes and keys out of every MappingFailure and error text', () => {
    const texts: string[] = [];
    const record = (mapped: MigrationItem | MappingFailure): void => {
      if (isFailure(mapped)) texts.push(mapped.code, mapped.reason, JSON.stringify(mapped), inspect(mapped));
    };
    const credentials: StoredCredential[] = [
      clear(canaryPassword),
      clear(`${canaryPassword}-but-long-${'x'.repeat(300)}`),
      { scheme: 'aspnet_membership_sha1', hash: canaryHash, context: { passwordFormat: 2, salt: membershipSalt } },
      { scheme: 'custom', hash: canaryHash },
    ];
    const throwingHook = (credential: StoredCredential): string => {
      throw new Error(`cannot decrypt ${credential.hash} (${canaryPassword})`);
    };
    const mappers: PremigrateMapper[] = [
      createMapper(base),
      createMapper({ ...base, disabledUsers: 'skip' }),
      createMapper({ ...base, signInType: 'userName' }),
      createMapper({ ...base, passwords: { decrypt: throwingHook } }),
      createMapper({ ...base, passwords: { aspnetMachineKey: { decryptionKey: canaryKey } } }),
      createMapper({ ...base, fields: { attributes: { secretish: 'extension:blob' } } }),
    ];
    const profiles: Overrides[] = [
      { email: undefined },
      { email: canaryPassword },
      { username: canaryPassword },
      { enabled: false },
      { givenName: `${canaryPassword}${'g'.repeat(80)}` },
      { attributes: { secretish: { password: canaryPassword } } },
      {},
    ];
    for (const map of mappers) for (const credential of credentials) for (const overrides of profiles) record(map(profile({ credential, ...overrides })));
    expect(texts.length).toBeGreaterThan(50);

    for (const hash of [canaryHash, membershipVectors[0].hash, 'AAAA']) {
      try {
        aspnetMembershipDecrypt({ decryptionKey: canaryKey })(membershipCredential(hash));
      } catch (error) {
        texts.push((error as Error).message, JSON.stringify(error), inspect(error));
      }
    }
    for (const decryptionKey of [`${canaryKey}Z`, `${canaryKey},IsolateApps`, canaryKey.slice(0, 16)]) {
      try {
        aspnetMembershipDecrypt({ decryptionKey });
      } catch (error) {
        texts.push((error as Error).message, JSON.stringify(error), inspect(error, { depth: 10 }));
      }
    }
    for (const text of texts) {
      expect(text).not.toContain('CANARY');
      expect(text).not.toContain(canaryKey);
      expect(text).not.toContain(membershipVectors[0].hash);
    }
  });
});

describe('options', () => {
  const configError = (options: unknown): string => {
    try {
      createMapper(options as PremigrateMappingOptions);
    } catch (error) {
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID')).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected a config error');
  };

  it('needs the tenant, and the b2c-extensions-app id for the requiresMigration flag or extension targets', () => {
    expect(configError({})).toContain('"tenant"');
    expect(configError({ tenant: 'contoso' })).toContain('requiresMigrationAttribute to false');
    expect(configError({ tenant: 'contoso', passwords: { requiresMigrationAttribute: false }, fields: { attributes: { a: 'extension:a' } } })).toContain('extensionAppId');
    expect(configError({ tenant: 'contoso', extensionAppId: 'not-a-guid' })).toContain('extensionAppId');
    expect(() => createMapper({ tenant: 'contoso', passwords: { requiresMigrationAttribute: false } })).not.toThrow();
  });

  it('refuses unknown keys, unknown targets and clashing targets when built', () => {
    expect(configError({ ...base, signinType: 'userName' })).toContain('unknown key "signinType"');
    expect(configError({ ...base, fields: { attributes: { title: 'jobtitle' } } })).toContain('fields.attributes.title');
    expect(configError({ ...base, fields: { attributes: { a: 'city', b: 'city' } } })).toContain('a second attribute');
    expect(configError({ ...base, fields: { attributes: { a: 'extension:requiresMigration' } } })).toContain('requiresMigrationAttribute');
    expect(configError({ ...base, fields: { displayName: 'fullName' } })).toContain('fields.displayName');
    expect(configError({ ...base, passwords: { decrypt: 'rot13' } })).toContain('passwords.decrypt');
  });
});
