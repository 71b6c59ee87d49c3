import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import { passwordWasCorrect } from '../../../src/core/outcome.js';
import {
  adBindDiagnostic,
  adSubCodeOutcome,
  adSubCodes,
  decodeObjectGuid,
  decodeObjectSid,
  fileTimeToDate,
  userAccountControlBits,
  userAccountControlFlags,
} from '../../../src/stores/ldap/index.js';

const throwsCode = (run: () => unknown, code: string): void => {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(isLegacyIdpError(caught), String(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe(code);
};

/**
 * Bind diagnostics in the shape Windows DCs send them: `<HRESULT>: LdapErr: DSID-<id>, comment:
 * AcceptSecurityContext error, data <sub-code>, v<build>` followed by a NUL. DSIDs and build suffixes differ
 * between Windows versions (2008 R2 `v1db1`, 2012 R2 `v2580`, 2016+ `v4563`/`v4f7c`). Samba cannot produce
 * 525, 530, 531 or 532, so those rows are the only evidence for them here.
 */
const windows: [subCode: string, message: string][] = [
  ['525', '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 525, v2580\u0000'],
  ['52e', '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v2580\u0000'],
  ['530', '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 530, v2580\u0000'],
  ['531', '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 531, v2580\u0000'],
  ['532', '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 532, v2580\u0000'],
  ['533', '80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 533, v4f7c\u0000'],
  ['701', '80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 701, v4f7c\u0000'],
  ['773', '80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 773, v1db1\u0000'],
  ['775', '80090308: LdapErr: DSID-0C090447, comment: AcceptSecurityContext error, data 775, v3839\u0000'],
];

/**
 * Samba 4.17's text as the harness records it through ldapts (test/services/samba-ad.test.ts asserts these
 * strings against a live DC): ldapts appends ` Code: 0x31` to the server's message.
 */
const samba: [subCode: string, message: string][] = ['52e', '533', '701', '773', '775'].map((code) => [
  code,
  `80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${code}, v1db1 Code: 0x31`,
]);

describe('adBindDiagnostic', () => {
  it('reads the sub-code from Windows diagnostics', () => {
    for (const [subCode, message] of windows) {
      expect(adBindDiagnostic(message), message).toMatchObject({ subCode, errorCode: '80090308', comment: 'AcceptSecurityContext error' });
    }
    expect(adBindDiagnostic(windows[0]![1])?.dsid).toBe('DSID-0C09044E');
  });

  it("reads Samba's diagnostics as ldapts reports them", () => {
    for (const [subCode, message] of samba) expect(adBindDiagnostic(message)?.subCode, message).toBe(subCode);
  });

  it('accepts upper-case and zero-padded sub-codes and other comments', () => {
    expect(adBindDiagnostic('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52E, v1db1')?.subCode).toBe('52e');
    expect(adBindDiagnostic('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 0000052e, v1db1')?.subCode).toBe('52e');
    expect(
      adBindDiagnostic(
        '00002028: LdapErr: DSID-0C090259, comment: The server requires binds to turn on integrity checking if SSL\\TLS are not already active on the connection, data 0, v4563',
      ),
    ).toMatchObject({ subCode: '0', errorCode: '00002028' });
  });

  it('answers undefined for anything else', () => {
    for (const message of [
      '',
      ' Code: 0x31',
      'Invalid credentials during a bind operation. Code: 0x31',
      'data 52e',
      'LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, v1db1',
      'LdapErr: DSID-, comment: x, data 52e',
      'x'.repeat(100_000),
      `${'x'.repeat(2000)}80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1`,
      'comment: AcceptSecurityContext error, data zzz, v1',
      '\u0000\u0001garbage',
    ]) {
      expect(adBindDiagnostic(message), JSON.stringify(message.slice(0, 60))).toBeUndefined();
    }
    expect(adBindDiagnostic(42 as unknown as string)).toBeUndefined();
  });
});

describe('adSubCodeOutcome', () => {
  it('maps every documented sub-code', () => {
    const expected: Record<string, object> = {
      '52e': { status: 'invalid', reason: 'wrong_password' },
      '525': { status: 'unknown_user' },
      '530': { status: 'disabled' },
      '531': { status: 'disabled' },
      '532': { status: 'password_expired' },
      '533': { status: 'disabled' },
      '701': { status: 'disabled' },
      '773': { status: 'must_change' },
      '775': { status: 'locked', by: 'legacy_store' },
    };
    for (const [subCode, message] of [...windows, ...samba]) {
      const diagnostic = adBindDiagnostic(message);
      expect(diagnostic).toBeDefined();
      const outcome = adSubCodeOutcome(diagnostic!.subCode);
      expect(outcome, subCode).toMatchObject(expected[subCode]!);
      expect(outcome.detail, subCode).toContain(`AD ${subCode}`);
    }
    expect(Object.keys(adSubCodes).sort()).toEqual(Object.keys(expected).sort());
  });

  it('never lets 530/531 (logon hours, workstation) count as a proven password that may migrate', () => {
    for (const code of ['530', '531', '533', '701', '775', '52e', '525']) expect(passwordWasCorrect(adSubCodeOutcome(code)), code).toBe(false);
    for (const code of ['532', '773']) expect(passwordWasCorrect(adSubCodeOutcome(code)), code).toBe(true);
  });

  it('answers invalid for an unknown or malformed sub-code, keeping it for the operator', () => {
    expect(adSubCodeOutcome('568')).toEqual({ status: 'invalid', reason: 'wrong_password', detail: 'AD bind failed with unrecognized sub-code 568' });
    expect(adSubCodeOutcome('0')).toMatchObject({ status: 'invalid' });
    expect(adSubCodeOutcome('not-hex<script>')).toEqual({
      status: 'invalid',
      reason: 'wrong_password',
      detail: 'AD bind failed with unrecognized sub-code (malformed)',
    });
    expect(adSubCodeOutcome('__proto__')).toMatchObject({ status: 'invalid' });
    expect(adSubCodeOutcome('0x52E')).toMatchObject({ status: 'invalid', reason: 'wrong_password', detail: 'AD 52e: invalid credentials' });
  });

  it('returns a fresh object each time (callers may add to it)', () => {
    const a = adSubCodeOutcome('775');
    const b = adSubCodeOutcome('775');
    expect(a).not.toBe(b);
    expect(a).toEqual(b);
  });
});

describe('decodeObjectGuid', () => {
  // Expected strings from CPython's uuid.UUID(bytes_le=...), the same mixed-endian layout.
  it('prints the first three groups little-endian, the rest in byte order', () => {
    expect(decodeObjectGuid(Buffer.from('e004253f894fd3119a0c0305e82c3301', 'hex'))).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    expect(decodeObjectGuid(Uint8Array.from({ length: 16 }, (_, i) => i))).toBe('03020100-0504-0706-0809-0a0b0c0d0e0f');
    expect(decodeObjectGuid(Buffer.from('ffeeddccbbaa99887766554433221100', 'hex'))).toBe('ccddeeff-aabb-8899-7766-554433221100');
  });

  it('reads a view into a larger buffer without touching it', () => {
    const backing = Buffer.from('aaaa' + 'e004253f894fd3119a0c0305e82c3301' + 'bbbb', 'hex');
    const view = backing.subarray(2, 18);
    expect(decodeObjectGuid(view)).toBe('3f2504e0-4f89-11d3-9a0c-0305e82c3301');
    expect(backing.toString('hex')).toBe('aaaae004253f894fd3119a0c0305e82c3301bbbb');
  });

  it('throws a typed error on a wrong length', () => {
    for (const length of [0, 15, 17, 36]) throwsCode(() => decodeObjectGuid(new Uint8Array(length)), 'ERR_LEGACY_IDP_LDAP_DECODE');
    throwsCode(() => decodeObjectGuid('3f2504e0-4f89-11d3-9a0c-0305e82c3301' as unknown as Uint8Array), 'ERR_LEGACY_IDP_LDAP_DECODE');
  });
});

describe('decodeObjectSid', () => {
  it('decodes well-known and domain SIDs', () => {
    // BUILTIN\Administrators
    expect(decodeObjectSid(Buffer.from('01020000000000052000000020020000', 'hex'))).toBe('S-1-5-32-544');
    // Everyone, no sub-authority count beyond one
    expect(decodeObjectSid(Buffer.from('010100000000000100000000', 'hex'))).toBe('S-1-1-0');
    // The domain user SID from MS-DTYP's examples, bytes built with Python's struct
    expect(decodeObjectSid(Buffer.from('010500000000000515000000c7f7fed77c7755c8945ace01f5030000', 'hex'))).toBe(
      'S-1-5-21-3623811015-3361044348-30300820-1013',
    );
    // Null SID with no sub-authorities
    expect(decodeObjectSid(Buffer.from('0100000000000000', 'hex'))).toBe('S-1-0');
  });

  it('prints an authority of 2^32 or more in hex (MS-DTYP 2.4.2.1)', () => {
    const bytes = Buffer.from('01010001000000002a000000', 'hex');
    expect(decodeObjectSid(bytes)).toBe('S-1-0x000100000000-42');
  });

  it('reads sub-authorities up to 2^32 - 1 unsigned', () => {
    expect(decodeObjectSid(Buffer.from('010100000000000fffffffff', 'hex'))).toBe('S-1-15-4294967295');
  });

  it('throws a typed error on a length that does not match the count, a bad revision or too many sub-authorities', () => {
    for (const hex of ['', '0102', '01020000000000052000000020020000ff', '010200000000000520000000', '02010000000000050000000', '0110' + '00'.repeat(6) + '00'.repeat(64)]) {
      throwsCode(() => decodeObjectSid(Buffer.from(hex, 'hex')), 'ERR_LEGACY_IDP_LDAP_DECODE');
    }
    throwsCode(() => decodeObjectSid(Buffer.from('020100000000000500000000', 'hex')), 'ERR_LEGACY_IDP_LDAP_DECODE');
  });
});

describe('userAccountControlFlags', () => {
  it('decodes the usual values', () => {
    expect(userAccountControlFlags(512)).toMatchObject({ value: 512, normalAccount: true, disabled: false, isUserAccount: true, passwordNeverExpires: false });
    expect(userAccountControlFlags('514')).toMatchObject({ normalAccount: true, disabled: true });
    expect(userAccountControlFlags('66048')).toMatchObject({ normalAccount: true, passwordNeverExpires: true, disabled: false });
    expect(userAccountControlFlags(66050)).toMatchObject({ disabled: true, passwordNeverExpires: true });
    expect(userAccountControlFlags(544)).toMatchObject({ passwordNotRequired: true, normalAccount: true });
    expect(userAccountControlFlags(0x800000 | 0x10 | 0x200)).toMatchObject({ passwordExpired: true, locked: true });
    expect(userAccountControlFlags(4096)).toMatchObject({ workstationTrustAccount: true, normalAccount: false, isUserAccount: false });
    expect(userAccountControlFlags(532480)).toMatchObject({ serverTrustAccount: true, isUserAccount: false });
    expect(userAccountControlFlags(0x80 | 0x200)).toMatchObject({ encryptedTextPasswordAllowed: true });
    expect(userAccountControlFlags(0x40000 | 0x200)).toMatchObject({ smartcardRequired: true });
  });

  it('reads every bit of the table it exports', () => {
    const all = Object.values(userAccountControlBits).reduce((a, b) => a | b, 0);
    const flags = userAccountControlFlags(all);
    expect(flags.value).toBe(all);
    for (const key of ['disabled', 'locked', 'passwordExpired', 'passwordNotRequired', 'passwordCantChange', 'passwordNeverExpires', 'normalAccount'] as const) {
      expect(flags[key], key).toBe(true);
    }
    expect(flags.isUserAccount).toBe(false);
  });

  it('accepts the signed text LDAP may return for bit 31', () => {
    expect(userAccountControlFlags('-2147483136').value).toBe(0x80000200);
    expect(userAccountControlFlags(' 512 ').value).toBe(512);
  });

  it('throws a typed error for anything but a 32-bit integer', () => {
    for (const value of ['', 'abc', '1.5', '0x200', '99999999999', 2 ** 32, -(2 ** 31) - 1, Number.NaN, 1.5]) {
      throwsCode(() => userAccountControlFlags(value), 'ERR_LEGACY_IDP_LDAP_DECODE');
    }
  });
});

describe('fileTimeToDate', () => {
  it('gives null for "never"', () => {
    expect(fileTimeToDate('0')).toBeNull();
    expect(fileTimeToDate('9223372036854775807')).toBeNull();
    expect(fileTimeToDate(0n)).toBeNull();
  });

  it('converts 100-ns ticks since 1601 to a UTC date (checked against Python datetime)', () => {
    expect(fileTimeToDate('132000000000000000')?.toISOString()).toBe('2019-04-17T18:40:00.000Z');
    expect(fileTimeToDate('130000000000000000')?.toISOString()).toBe('2012-12-14T23:06:40.000Z');
    expect(fileTimeToDate('116444736000000000')?.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(fileTimeToDate('1')?.toISOString()).toBe('1601-01-01T00:00:00.000Z');
    expect(fileTimeToDate('116444735999999999')?.toISOString()).toBe('1969-12-31T23:59:59.999Z');
    // One below "never": the year 30828, still a valid Date.
    expect(fileTimeToDate('9223372036854775806')?.getUTCFullYear()).toBe(30828);
  });

  it('throws a typed error for text that is not an integer or out of range', () => {
    for (const value of ['', 'never', '1e18', '-1', '9223372036854775808', '12.5', '0x10']) {
      throwsCode(() => fileTimeToDate(value), 'ERR_LEGACY_IDP_LDAP_DECODE');
    }
  });
});
