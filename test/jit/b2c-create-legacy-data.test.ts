import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { UserStore } from '../../src/core/contracts.js';
import { createGraphClient } from '../../src/graph/index.js';
import { b2cHandler, type B2cHandlerOptions } from '../../src/jit/b2c.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { captureLogger, emulatorEndpoints } from '../graph/helpers.js';

/**
 * B2C `create` mode with legacy data the directory would refuse as it is. Such a user used to fail every
 * sign-in with the "try again in a few minutes" text: names and mail now follow the bulk mapping's rules (cut
 * at code-point boundaries, an address that is not one left out), and a user the directory can never take
 * (a password over Graph's 256 characters, or below its policy) gets a permanent answer and a log line that
 * names the field. Settings every create would fail on are refused when the handler is built.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'api-key' } });
const pass = 'Legacy-Pass-1';
const longPassword = `P@ss-${'x'.repeat(300)}`;
const extensionAppId = '831374b3-bd50-41bf-aa54-263ec9e050fc';
let emulator: GraphEmulator;
let store: UserStore;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
  store = await memoryUserStore({
    scryptCost: 2,
    users: [
      { username: 'longname@contoso.com', email: 'longname@contoso.com', password: pass, displayName: `${'D'.repeat(255)}😀 and more` },
      { username: 'emoji@contoso.com', email: 'emoji@contoso.com', password: pass, givenName: `${'a'.repeat(63)}😀`, surname: ` ${'s'.repeat(62)}😀 ` },
      { username: 'nomail', email: 'n/a', password: pass, displayName: 'No Mail' },
      { username: 'typed@contoso.com', email: 'n/a', password: pass },
      { username: 'longpw@contoso.com', email: 'longpw@contoso.com', password: longPassword },
      { username: 'weakpw@contoso.com', email: 'weakpw@contoso.com', password: 'abc' },
      { username: 'ext@contoso.com', email: 'ext@contoso.com', password: pass },
    ],
  });
});

afterAll(async () => {
  await emulator.close();
});

function handler(create: Partial<NonNullable<B2cHandlerOptions['create']>> = {}, logger = captureLogger().logger) {
  const graph = createGraphClient({ ...emulatorEndpoints(emulator), maxRetries: 0 });
  return b2cHandler({
    mode: 'create',
    authenticator: createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({ ip: false }) }),
    profiles: store,
    callerAuth,
    debug: true,
    logger,
    create: { graph, tenant: 'contoso.onmicrosoft.com', disableStrongPassword: true, ...create },
  });
}

async function call(target: ReturnType<typeof b2cHandler>, signInName: string, password = pass) {
  const response = await target(new Request('https://jit.example/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ signInName, password }) }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const userWith = (name: string) => [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === name));
const userPosts = () => emulator.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/users')).length;

describe('B2C create: legacy values the directory would refuse', () => {
  it('cuts a displayName over 256 characters at a code-point boundary and creates the user', async () => {
    const answer = await call(handler(), 'longname@contoso.com');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const displayName = userWith('longname@contoso.com')?.displayName as string;
    // 255 + the emoji's 2 units would be 257: the emoji goes whole, no half of it is sent.
    expect(displayName).toBe('D'.repeat(255));
    expect(answer.body['objectId']).toBe(userWith('longname@contoso.com')?.id);
  });

  it('never sends half an emoji in givenName or surname', async () => {
    expect((await call(handler(), 'emoji@contoso.com')).status).toBe(200);
    const user = userWith('emoji@contoso.com');
    expect(user?.givenName).toBe('a'.repeat(63));
    // Trimmed first (as the bulk mapping does), then 62 + 2 units fit in 64.
    expect(user?.surname).toBe(`${'s'.repeat(62)}😀`);
    // Well-formed UTF-16: a lone surrogate would come back from UTF-8 as U+FFFD.
    for (const name of [user?.givenName, user?.surname]) expect(Buffer.from(name as string, 'utf8').toString('utf8')).toBe(name);
  });

  it('userName mode: leaves out a profile mail that is not an address (mail is optional)', async () => {
    const answer = await call(handler({ signInType: 'userName' }), 'nomail');
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const user = userWith('nomail');
    expect(user?.identities).toEqual([{ signInType: 'userName', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: 'nomail' }]);
    expect(user?.displayName).toBe('No Mail');
    expect(user).not.toHaveProperty('mail');
  });

  it('emailAddress mode: a profile address that is not one gives way to the address the user signed in with', async () => {
    expect((await call(handler(), 'typed@contoso.com')).status).toBe(200);
    const user = userWith('typed@contoso.com');
    expect(user?.identities[0]).toMatchObject({ signInType: 'emailAddress', issuerAssignedId: 'typed@contoso.com' });
    expect(user).not.toHaveProperty('mail');
  });
});

describe('B2C create: a user the directory can never take', () => {
  it("a password over Graph's 256 characters: the permanent answer on every try, not the unavailable text; the log names the field", async () => {
    const { logger, lines } = captureLogger();
    const target = handler({}, logger);
    const posts = userPosts();
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await call(target, 'longpw@contoso.com', longPassword);
      expect(answer.status).toBe(409);
      expect(answer.body['userMessage']).toBe('Your password has expired. Reset your password to continue.');
      expect(answer.body['code']).toBe('LEGACY_IDP_CANNOT_MIGRATE');
      expect(answer.body['developerMessage']).toMatch(/password is longer than 256 characters/u);
    }
    expect(userPosts()).toBe(posts); // refused before Graph: nothing to retry there
    expect(userWith('longpw@contoso.com')).toBeUndefined();
    const refused = lines.filter((line) => line.includes('create refused'));
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(/"reason":"the password is longer than 256 characters/u);
    expect(lines.some((line) => line.includes('"outcome":"create_refused"'))).toBe(true);
    expect(lines.join('\n')).not.toContain('xxxxxxxxxx');
  });

  it('a weak password without disableStrongPassword: the same permanent answer, the policy reason logged', async () => {
    const { logger, lines } = captureLogger();
    const posts = userPosts();
    const answer = await call(handler({ disableStrongPassword: false }, logger), 'weakpw@contoso.com', 'abc');
    expect(answer.status).toBe(409);
    expect(answer.body['code']).toBe('LEGACY_IDP_CANNOT_MIGRATE');
    expect(userPosts()).toBe(posts);
    expect(lines.find((line) => line.includes('create refused'))).toMatch(/strong password policy \(length\)/u);
    // The same user with DisableStrongPassword is created.
    expect((await call(handler(), 'weakpw@contoso.com', 'abc')).status).toBe(200);
  });
});

describe('B2C create: settings every create would fail on are refused at construction', () => {
  const configError = (create: Partial<NonNullable<B2cHandlerOptions['create']>>): string => {
    try {
      handler(create);
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
      return (error as Error).message;
    }
    throw new Error('the handler was built');
  };

  it('an extension value beyond 32 bits, extensions without extensionAppId, an app id that is no GUID, a tenant URL', () => {
    expect(configError({ extensionAppId, extensions: { loyalty: 3_000_000_000 } })).toMatch(/extensions\.loyalty/u);
    expect(configError({ extensionAppId, extensions: { ratio: 0.5 } })).toMatch(/extensions\.ratio/u);
    expect(configError({ extensionAppId, extensions: { note: 'n'.repeat(257) } })).toMatch(/extensions\.note/u);
    expect(configError({ extensionAppId, extensions: { 'bad-name': true } })).toMatch(/name must be/u);
    expect(configError({ extensions: { requiresMigration: false } })).toMatch(/extensionAppId/u);
    expect(configError({ extensionAppId: 'not-a-guid', extensions: { requiresMigration: false } })).toMatch(/GUID/u);
    expect(configError({ extensionAppId: 'not-a-guid' })).toMatch(/GUID/u);
    expect(configError({ tenant: 'https://contoso.b2clogin.com/' })).toMatch(/tenant/u);
  });

  it('takes good settings, the app id with or without hyphens, and writes the extensions', async () => {
    expect(() => handler({ tenant: 'contoso', extensionAppId: extensionAppId.replaceAll('-', ''), extensions: { requiresMigration: false, loyalty: 2_147_483_647 } })).not.toThrow();
    expect(() => handler({ signInType: 'userName', extensionAppId })).not.toThrow();
    const answer = await call(handler({ extensionAppId: extensionAppId.toUpperCase().replaceAll('-', ''), extensions: { requiresMigration: false, loyalty: -2_147_483_648 } }), 'ext@contoso.com');
    expect(answer.status).toBe(200);
    expect(userWith('ext@contoso.com')).toMatchObject({
      extension_831374b3bd5041bfaa54263ec9e050fc_requiresMigration: false,
      extension_831374b3bd5041bfaa54263ec9e050fc_loyalty: -2_147_483_648,
    });
  });
});
