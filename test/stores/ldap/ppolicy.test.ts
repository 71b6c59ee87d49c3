import fc from 'fast-check';
import { BindRequest, BindResponse, Control, MessageParser, type BerReader } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../../src/core/errors.js';
import {
  decodePasswordPolicyResponse,
  passwordPolicyControlOid,
  passwordPolicyErrors,
  ppolicyOutcome,
  type PasswordPolicyResponse,
} from '../../../src/stores/ldap/index.js';
import { lockoutInForce, parseGeneralizedTime, passwordExpiresAt } from '../../../src/stores/ldap/ppolicy.js';

// ------------------------------------------------------------------------------------------------------
// A tiny BER writer for the test: tag, length (short form, or long form with `lengthBytes` bytes), content.

function tlv(tag: number, content: Uint8Array, lengthBytes = 0): Buffer {
  let length: number[];
  if (lengthBytes === 0 && content.length < 0x80) {
    length = [content.length];
  } else {
    const bytes: number[] = [];
    for (let n = content.length, i = 0; i < Math.max(lengthBytes, 1) || n > 0; i++, n = Math.floor(n / 256)) bytes.unshift(n % 256);
    length = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

function integer(value: number): Buffer {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n % 256);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

function encode(response: PasswordPolicyResponse, lengthBytes = 0): Buffer {
  const parts: Buffer[] = [];
  if (response.warning) {
    const inner =
      'timeBeforeExpiration' in response.warning
        ? tlv(0x80, integer(response.warning.timeBeforeExpiration), lengthBytes)
        : tlv(0x81, integer(response.warning.graceAuthNsRemaining), lengthBytes);
    parts.push(tlv(0xa0, inner, lengthBytes));
  }
  if (response.error) parts.push(tlv(0x81, integer(passwordPolicyErrors.indexOf(response.error)), lengthBytes));
  return tlv(0x30, Buffer.concat(parts), lengthBytes);
}

const describeError = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error));

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/gu, ''), 'hex');

const decodeError = (bytes: Uint8Array): unknown => {
  try {
    decodePasswordPolicyResponse(bytes);
  } catch (error) {
    return error;
  }
  return undefined;
};

/**
 * Control values recorded from OpenLDAP slapd 2.5.13 (Debian 12) with the ppolicy overlay, captured through
 * ldapts 8.2.0 with the request-control technique tested at the end of this file.
 */
const recorded: [what: string, value: string, decoded: PasswordPolicyResponse][] = [
  ['right password, no policy event', '3000', {}],
  ['wrong password', '3000', {}],
  ['locked (pwdAccountLockedTime), right or wrong password: result 49', '3003810101', { error: 'accountLocked' }],
  ['pwdReset with pwdMustChange: result 0', '3003810102', { error: 'changeAfterReset' }],
  ['expired, no grace left, right password: result 49', '3003810100', { error: 'passwordExpired' }],
  ['expired with pwdGraceAuthNLimit 3, first grace bind: result 0', '3005a003810102', { warning: { graceAuthNsRemaining: 2 } }],
  ['pwdExpireWarning window: result 0', '3008a006800404431ba6', { warning: { timeBeforeExpiration: 71_506_854 } }],
];

describe('decodePasswordPolicyResponse', () => {
  it('decodes values recorded from slapd', () => {
    for (const [what, value, decoded] of recorded) expect(decodePasswordPolicyResponse(hex(value)), what).toEqual(decoded);
  });

  it('decodes every error value and both warnings, hand-built', () => {
    passwordPolicyErrors.forEach((error, code) => {
      expect(decodePasswordPolicyResponse(Buffer.from([0x30, 0x03, 0x81, 0x01, code]))).toEqual({ error });
    });
    expect(decodePasswordPolicyResponse(hex('3005 a003 800100'))).toEqual({ warning: { timeBeforeExpiration: 0 } });
    expect(decodePasswordPolicyResponse(hex('3008 a006 8004 7fffffff'))).toEqual({ warning: { timeBeforeExpiration: 2 ** 31 - 1 } });
    expect(decodePasswordPolicyResponse(hex('300a a005 810300ea60 810100'))).toEqual({ warning: { graceAuthNsRemaining: 60_000 }, error: 'passwordExpired' });
  });

  it('accepts long-form lengths and a redundant leading zero', () => {
    expect(decodePasswordPolicyResponse(hex('30 8103 810101'))).toEqual({ error: 'accountLocked' });
    expect(decodePasswordPolicyResponse(hex('30 84 00000005 a0 03 81 01 05'))).toEqual({ warning: { graceAuthNsRemaining: 5 } });
    expect(decodePasswordPolicyResponse(hex('3007 a005 8003 000080'))).toEqual({ warning: { timeBeforeExpiration: 128 } });
    expect(decodePasswordPolicyResponse(hex('3009 a007 8005 007fffffff'))).toEqual({ warning: { timeBeforeExpiration: 2 ** 31 - 1 } });
  });

  it('round-trips any valid response through the test encoder, short and long lengths', () => {
    const response = fc.record(
      {
        warning: fc.oneof(
          fc.record({ timeBeforeExpiration: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }),
          fc.record({ graceAuthNsRemaining: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }),
        ),
        error: fc.constantFrom(...passwordPolicyErrors),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(response, fc.integer({ min: 0, max: 4 }), (value, lengthBytes) => {
        expect(decodePasswordPolicyResponse(encode(value, lengthBytes))).toEqual(value);
      }),
    );
  });

  it('refuses malformed input with the typed error', () => {
    const bad: [what: string, value: string, reason: RegExp][] = [
      ['empty', '', /missing tag/u],
      ['tag only', '30', /missing length/u],
      ['indefinite length', '3080 810101 0000', /indefinite/u],
      ['reserved length byte', '30ff', /too long/u],
      ['5-byte length', '3085 0000000003 810101', /too long/u],
      ['length beyond the data', '3005 810101', /content shorter/u],
      ['long-form length truncated', '3082 00', /length bytes/u],
      ['trailing bytes', '3003 810101 00', /trailing/u],
      ['not a SEQUENCE', '3103 810101', /expected a SEQUENCE/u],
      ['high tag number form', '3005 a003 9f0101', /high tag/u],
      ['error before warning', '3008 810101 a003810101', /unexpected element 0xa0/u],
      ['unknown element', '3003 820101', /unexpected element 0x82/u],
      ['warning twice', '300a a003810101 a003810101', /unexpected element 0xa0/u],
      ['warning with two choices', '3008 a006 810101 800101', /more than one element/u],
      ['warning without its CHOICE wrapper', '3003 800101', /unexpected element 0x80/u],
      ['unknown warning choice', '3005 a003 820101', /unknown warning choice/u],
      ['constructed error', '3005 a103 020101', /unexpected element 0xa1/u],
      ['negative integer', '3005 a003 8001ff', /negative/u],
      ['empty integer', '3004 a002 8000', /empty/u],
      ['integer over 5 bytes', '300a a008 8006 000000000001', /longer than 5/u],
      ['integer above maxInt', '3009 a007 8005 0080000000', /above maxInt/u],
      ['unknown error value', '3003 81010a', /unknown error value 10/u],
      ['error value 255', '3004 8102 00ff', /unknown error value 255/u],
      ['inner length beyond outer', '3005 a00a 810101', /content shorter/u],
    ];
    for (const [what, value, reason] of bad) {
      const error = decodeError(hex(value));
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_LDAP_DECODE'), `${what}: ${describeError(error)}`).toBe(true);
      expect((error as Error).message, what).toMatch(reason);
    }
    expect(isLegacyIdpError(decodeError('3000' as unknown as Uint8Array), 'ERR_LEGACY_IDP_LDAP_DECODE')).toBe(true);
  });

  it('fuzz: random bytes never throw anything but the typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        const error = decodeError(bytes);
        if (error !== undefined) expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_LDAP_DECODE'), describeError(error)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('fuzz: mutated and truncated real values never throw anything but the typed error', () => {
    const seeds = recorded.map(([, value]) => hex(value));
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (seed, flips, cut) => {
          const bytes = Buffer.from(seed);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const error = decodeError(bytes.subarray(0, bytes.length - (cut % (bytes.length + 1))));
          if (error !== undefined) expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_LDAP_DECODE'), describeError(error)).toBe(true);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('never reads outside a view into a larger buffer', () => {
    const backing = hex('ff 3003810101 ff');
    expect(decodePasswordPolicyResponse(backing.subarray(1, 6))).toEqual({ error: 'accountLocked' });
    // Cut one byte short of the error's content: the byte after the view must not be read.
    expect(isLegacyIdpError(decodeError(backing.subarray(1, 5)), 'ERR_LEGACY_IDP_LDAP_DECODE')).toBe(true);
  });
});

describe('ppolicyOutcome', () => {
  it('maps the bind-relevant errors', () => {
    expect(ppolicyOutcome({ error: 'accountLocked' })).toEqual({ status: 'locked', by: 'legacy_store', detail: 'ppolicy: accountLocked' });
    expect(ppolicyOutcome({ error: 'passwordExpired' })).toEqual({ status: 'password_expired', detail: 'ppolicy: passwordExpired' });
    expect(ppolicyOutcome({ error: 'changeAfterReset' })).toEqual({ status: 'must_change', detail: 'ppolicy: changeAfterReset' });
    expect(ppolicyOutcome({ warning: { graceAuthNsRemaining: 1 }, error: 'passwordExpired' })?.status).toBe('password_expired');
  });

  it('a grace login on a bind that succeeded is password_expired; on a failed bind the warning proves nothing', () => {
    expect(ppolicyOutcome({ warning: { graceAuthNsRemaining: 2 } }, { bindSucceeded: true })).toEqual({
      status: 'password_expired',
      detail: 'ppolicy: password expired, grace login used (2 left)',
    });
    expect(ppolicyOutcome({ warning: { graceAuthNsRemaining: 0 } }, { bindSucceeded: true })?.status).toBe('password_expired');
    expect(ppolicyOutcome({ warning: { graceAuthNsRemaining: 2 } }, { bindSucceeded: false })).toBeUndefined();
    // Not expired yet: the password is good, and migrating it is right.
    expect(ppolicyOutcome({ warning: { timeBeforeExpiration: 60 } }, { bindSucceeded: true })).toBeUndefined();
  });

  it("leaves warnings and password-change errors to the caller's result code", () => {
    expect(ppolicyOutcome({})).toBeUndefined();
    expect(ppolicyOutcome({ warning: { graceAuthNsRemaining: 2 } })).toBeUndefined();
    expect(ppolicyOutcome({ warning: { timeBeforeExpiration: 60 } })).toBeUndefined();
    for (const error of passwordPolicyErrors.filter((e) => !['accountLocked', 'passwordExpired', 'changeAfterReset'].includes(e))) {
      expect(ppolicyOutcome({ error }), error).toBeUndefined();
    }
  });
});

describe('getting the control value out of ldapts (for the network store)', () => {
  /**
   * ldapts 8 drops response controls when a bind fails (it throws InvalidCredentialsError with the text only),
   * but before that its ControlParser hands the value of any control whose OID matches a *request* control to
   * that request control's parse(). A request control that keeps the bytes therefore sees the response value,
   * on success and on failure. One instance per bind: parse() writes into it.
   */
  class PasswordPolicyCapture extends Control {
    value: Buffer | undefined;
    constructor() {
      super(passwordPolicyControlOid);
    }
    protected override parseControl(reader: BerReader): void {
      this.value = Buffer.from(reader.buffer);
    }
  }

  function bindResponseMessage(messageId: number, resultCode: number, controlValue: Buffer): Buffer {
    const octets = (text: string): Buffer => tlv(0x04, Buffer.from(text, 'utf8'));
    const bindResponse = tlv(0x61, Buffer.concat([tlv(0x0a, Buffer.from([resultCode])), octets(''), octets('')]));
    const control = tlv(0x30, Buffer.concat([octets(passwordPolicyControlOid), tlv(0x04, controlValue)]));
    return tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([messageId])), bindResponse, tlv(0xa0, control)]));
  }

  it('a request control receives the response value of a failed bind', () => {
    const capture = new PasswordPolicyCapture();
    const request = new BindRequest({ messageId: 7, dn: 'uid=dave,ou=people,dc=example,dc=org', password: 'x', controls: [capture] });
    // The request carries the control with no value, as the draft asks.
    expect(request.write().includes(Buffer.from(passwordPolicyControlOid))).toBe(true);

    const parser = new MessageParser();
    const messages: unknown[] = [];
    parser.on('message', (message) => messages.push(message));
    parser.read(bindResponseMessage(7, 49, hex('3003810101')), new Map([['7', { message: request }]]));

    expect(messages[0]).toBeInstanceOf(BindResponse);
    expect((messages[0] as BindResponse).status).toBe(49);
    expect(capture.value?.toString('hex')).toBe('3003810101');
    const decoded = decodePasswordPolicyResponse(capture.value!);
    expect(ppolicyOutcome(decoded)).toMatchObject({ status: 'locked', by: 'legacy_store' });
  });
});

describe('password age (compare mode)', () => {
  it('reads GeneralizedTime as ppolicy writes it', () => {
    expect(parseGeneralizedTime('20000101000000Z', 'pwdChangedTime').toISOString()).toBe('2000-01-01T00:00:00.000Z');
    expect(parseGeneralizedTime('20261127161053.444676Z', 'pwdChangedTime').toISOString()).toBe('2026-11-27T16:10:53.444Z');
    expect(parseGeneralizedTime('202611271610+0130', 'pwdChangedTime').toISOString()).toBe('2026-11-27T14:40:00.000Z');
    expect(parseGeneralizedTime('000001010000Z', 'pwdAccountLockedTime').getUTCFullYear()).toBe(0);
    for (const bad of ['', '2024', '20241301000000Z', '20230229000000Z', '20240101250000Z', '20240101000000', 'yesterday']) {
      let caught: unknown;
      try {
        parseGeneralizedTime(bad, 'pwdChangedTime');
      } catch (error) {
        caught = error;
      }
      expect(isLegacyIdpError(caught, 'ERR_LEGACY_IDP_LDAP_DECODE'), JSON.stringify(bad)).toBe(true);
      // The message names the attribute, never the value.
      if (bad !== '') expect((caught as Error).message).not.toContain(bad);
    }
  });

  it('expires pwdMaxAge seconds after pwdChangedTime; never without either, or with pwdMaxAge 0', () => {
    expect(passwordExpiresAt('20000101000000Z', '3600')?.toISOString()).toBe('2000-01-01T01:00:00.000Z');
    expect(passwordExpiresAt('20000101000000Z', '0')).toBeNull();
    expect(passwordExpiresAt(undefined, '3600')).toBeNull();
    expect(passwordExpiresAt('20000101000000Z', undefined)).toBeNull();
    expect(() => passwordExpiresAt('20000101000000Z', '-1')).toThrow(/pwdMaxAge/u);
  });

  it('a pwdAccountLockedTime is a lock as slapd 2.5 enforces it: only with pwdLockout, for pwdLockoutDuration', () => {
    const now = Date.parse('2024-01-01T00:10:00Z');
    const tenMinutesAgo = '20240101000000Z';
    expect(lockoutInForce(tenMinutesAgo, {}, now)).toBe(false);
    expect(lockoutInForce('000001010000Z', { pwdLockout: 'FALSE' }, now)).toBe(false);
    expect(lockoutInForce('000001010000Z', { pwdLockout: 'TRUE', pwdLockoutDuration: '60' }, now)).toBe(true);
    expect(lockoutInForce(tenMinutesAgo, { pwdLockout: 'TRUE' }, now)).toBe(true);
    expect(lockoutInForce(tenMinutesAgo, { pwdLockout: 'TRUE', pwdLockoutDuration: '0' }, now)).toBe(true);
    expect(lockoutInForce(tenMinutesAgo, { pwdLockout: 'TRUE', pwdLockoutDuration: '601' }, now)).toBe(true);
    expect(lockoutInForce(tenMinutesAgo, { pwdLockout: 'TRUE', pwdLockoutDuration: '600' }, now)).toBe(false);
  });
});
