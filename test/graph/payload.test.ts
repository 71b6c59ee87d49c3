import { describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import {
  backoffDelay,
  buildLocalAccountUser,
  checkStrongPassword,
  createGraphClient,
  extensionAttributeName,
  generateCompliantPassword,
  identityFilter,
  odataString,
  parseRetryAfter,
  strongPasswordSymbols,
} from '../../src/graph/index.js';

describe('buildLocalAccountUser', () => {
  it('makes the documented local-account payload', () => {
    expect(buildLocalAccountUser({ tenant: 'contoso', issuerAssignedId: 'jsmith@yahoo.com', password: 'Pa55w0rd!x', displayName: 'John Smith', givenName: 'John', surname: 'Smith', mail: 'jsmith@yahoo.com' })).toEqual({
      accountEnabled: true,
      displayName: 'John Smith',
      identities: [{ signInType: 'emailAddress', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'jsmith@yahoo.com' }],
      passwordProfile: { password: 'Pa55w0rd!x', forceChangePasswordNextSignIn: false },
      passwordPolicies: 'DisablePasswordExpiration',
      mail: 'jsmith@yahoo.com',
      givenName: 'John',
      surname: 'Smith',
    });
  });

  it('adds DisableStrongPassword and extension attributes on request', () => {
    const user = buildLocalAccountUser({
      tenant: 'Contoso.onmicrosoft.com',
      signInType: 'userName',
      issuerAssignedId: 'johnsmith',
      password: '1234',
      disableStrongPassword: true,
      accountEnabled: false,
      extensionAppId: '831374b3-bd50-41bf-aa54-263ec9e050fc',
      extensions: { requiresMigration: true, loyaltyNumber: 42, migratedAt: new Date('2025-01-02T03:04:05Z') },
    });
    expect(user).toMatchObject({
      accountEnabled: false,
      displayName: 'johnsmith',
      identities: [{ signInType: 'userName', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'johnsmith' }],
      passwordPolicies: 'DisablePasswordExpiration, DisableStrongPassword',
      extension_831374b3bd5041bfaa54263ec9e050fc_requiresMigration: true,
      extension_831374b3bd5041bfaa54263ec9e050fc_loyaltyNumber: 42,
      extension_831374b3bd5041bfaa54263ec9e050fc_migratedAt: '2025-01-02T03:04:05.000Z',
    });
  });

  it('refuses bad input with ERR_LEGACY_IDP_INVALID_INPUT and never quotes the password', () => {
    const password = 'Secret-Canary-77';
    const cases = [
      { tenant: 'contoso', issuerAssignedId: 'not-an-email', password },
      { tenant: 'contoso', signInType: 'userName' as const, issuerAssignedId: 'has space', password },
      { tenant: 'contoso', issuerAssignedId: 'a@example.com', password: '' },
      { tenant: 'contoso', issuerAssignedId: 'a@example.com', password, extensions: { flag: true } },
      { tenant: 'contoso', issuerAssignedId: 'a@example.com', password, extensionAppId: '831374b3-bd50-41bf-aa54-263ec9e050fc', extensions: { flag: 'x'.repeat(257) } },
      { tenant: 'contoso/../x', issuerAssignedId: 'a@example.com', password },
    ];
    for (const input of cases) {
      let error: unknown;
      try {
        buildLocalAccountUser(input);
      } catch (caught) {
        error = caught;
      }
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_INVALID_INPUT')).toBe(true);
      expect((error as Error).message).not.toContain(password);
      expect((error as Error).cause).toBeUndefined();
    }
  });
});

describe('names and filters', () => {
  it('builds extension attribute names from the b2c-extensions-app id', () => {
    expect(extensionAttributeName('831374b3-bd50-41bf-aa54-263ec9e050fc', 'loyaltyNumber')).toBe('extension_831374b3bd5041bfaa54263ec9e050fc_loyaltyNumber');
    expect(() => extensionAttributeName('not-a-guid', 'x')).toThrow(/GUID/u);
    expect(() => extensionAttributeName('831374b3bd5041bfaa54263ec9e050fc', 'bad-name')).toThrow(/letters, digits or underscores/u);
  });

  it('doubles single quotes in OData literals', () => {
    expect(odataString("o'brien''s")).toBe("'o''brien''''s'");
    expect(identityFilter('contoso.onmicrosoft.com', "o'brien@example.com")).toBe(
      "identities/any(c:c/issuerAssignedId eq 'o''brien@example.com' and c/issuer eq 'contoso.onmicrosoft.com')",
    );
  });
});

describe('passwords', () => {
  it('generates 1,000 distinct passwords that all meet the strong policy, with all four classes', () => {
    const samples = Array.from({ length: 1000 }, () => generateCompliantPassword());
    expect(new Set(samples).size).toBe(1000);
    for (const password of samples) {
      expect(password).toHaveLength(16);
      expect(checkStrongPassword(password)).toEqual({ ok: true });
      expect(password).toMatch(/[a-z]/u);
      expect(password).toMatch(/[A-Z]/u);
      expect(password).toMatch(/[0-9]/u);
      expect(Array.from(password).some((char) => strongPasswordSymbols.includes(char))).toBe(true);
    }
    expect(generateCompliantPassword(8)).toHaveLength(8);
    expect(generateCompliantPassword(256)).toHaveLength(256);
    expect(() => generateCompliantPassword(7)).toThrow(/from 8 to 256/u);
  });

  it('checks the strong policy by category', () => {
    expect(checkStrongPassword('Abcdef1!')).toEqual({ ok: true });
    expect(checkStrongPassword('abcdef12')).toEqual({ ok: false, reason: 'classes' });
    expect(checkStrongPassword('Ab1!')).toEqual({ ok: false, reason: 'length' });
    expect(checkStrongPassword('Abcdef1é')).toEqual({ ok: false, reason: 'characters' });
    expect(checkStrongPassword('abc DEF 123')).toEqual({ ok: true });
    expect(checkStrongPassword(`Aa1${'x'.repeat(254)}`)).toEqual({ ok: false, reason: 'length' });
  });
});

describe('retry arithmetic', () => {
  it('parses Retry-After as fractional seconds or an HTTP date', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('2.128', now)).toBe(2128);
    expect(parseRetryAfter(' 7 ', now)).toBe(7000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 12:00:04 GMT', now)).toBe(4000);
    expect(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('computes full-jitter backoff under the cap', () => {
    const policy = { backoffBaseMs: 500, backoffMaxMs: 30_000 };
    expect(backoffDelay(0, { ...policy, random: () => 0.999 })).toBe(499);
    expect(backoffDelay(3, { ...policy, random: () => 0.5 })).toBe(2000);
    expect(backoffDelay(10, { ...policy, random: () => 0.5 })).toBe(15_000);
    expect(backoffDelay(4, { ...policy, random: () => 0 })).toBe(0);
  });
});

describe('createGraphClient options', () => {
  const base = { tenantId: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret: 'Canary-Secret-Value' };
  const configError = (options: Record<string, unknown>): Error => {
    try {
      createGraphClient(options as Parameters<typeof createGraphClient>[0]);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a config error');
  };

  it('validates at construction, naming the key and never quoting the secret', () => {
    expect(configError({ ...base, graphUrl: 'http://graph.example.com' }).message).toMatch(/"graphUrl".*https/u);
    expect(configError({ ...base, clientSecret: undefined }).message).toMatch(/"clientSecret"/u);
    expect(configError({ ...base, credential: { getToken: () => Promise.resolve({ token: 't', expiresAt: 0 }) } }).message).toMatch(/not both/u);
    expect(configError({ ...base, tenantId: 'a/b' }).message).toMatch(/"tenantId"/u);
    expect(configError({ ...base, retries: 3 }).message).toMatch(/unknown key "retries"/u);
    for (const options of [{ ...base, tenantId: 'a/b' }, { ...base, clientSecret: 7 }, { ...base, apiVersion: 'v2' }]) {
      const error = configError(options);
      expect(isLegacyIdpError(error, 'ERR_LEGACY_IDP_CONFIG_INVALID')).toBe(true);
      expect(error.message).not.toContain('Canary-Secret-Value');
    }
  });

  it('accepts plain http for the loopback emulator only', () => {
    expect(() => createGraphClient({ ...base, graphUrl: 'http://127.0.0.1:1234', authorityUrl: 'http://localhost:1234/' })).not.toThrow();
  });
});
