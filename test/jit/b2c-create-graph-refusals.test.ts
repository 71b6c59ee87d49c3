import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { UserStore } from '../../src/core/contracts.js';
import { GraphError, refusedProperty } from '../../src/graph/errors.js';
import { createGraphClient } from '../../src/graph/index.js';
import { b2cHandler } from '../../src/jit/b2c.js';
import type { CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { captureLogger, emulatorEndpoints } from '../graph/helpers.js';

/**
 * B2C `create` mode when Graph refuses the create. Every failure used to be answered with the unavailable text
 * ("try again in a few minutes"), which a user whose own values Graph refuses would read on every try, for ever.
 * Now: Graph refusing one of this user's values (a 400 naming the password, a name, the sign-in name) is the
 * permanent `mustChange` answer of the refusals found before calling Graph; Graph refusing the app whoever signs
 * in (403, a create setting, a quota) stays unavailable for the user with an outcome and a code of its own for
 * the operator; a failing directory (5xx, 429, timeouts) stays what it was.
 */

const callerAuth: CallerAuthenticator = () => Promise.resolve({ ok: true, identity: { method: 'api-key' } });
// What the logs and answers must never hold: the password Graph's (emulated) refusal quotes.
const canaryPassword = 'Canary-Pass-7781';
let emulator: GraphEmulator;
let store: UserStore;

beforeAll(async () => {
  emulator = await startGraphEmulator({ tenantDomain: 'contoso.onmicrosoft.com' });
  store = await memoryUserStore({
    scryptCost: 2,
    users: [
      { username: 'refused@contoso.com', email: 'refused@contoso.com', password: canaryPassword },
      { username: 'noperm@contoso.com', email: 'noperm@contoso.com', password: canaryPassword },
      { username: 'down@contoso.com', email: 'down@contoso.com', password: canaryPassword },
    ],
  });
});

afterEach(() => {
  emulator.setFaults({});
});

afterAll(async () => {
  await emulator.close();
});

function handler(logger = captureLogger().logger) {
  const graph = createGraphClient({ ...emulatorEndpoints(emulator), maxRetries: 0 });
  return b2cHandler({
    mode: 'create',
    authenticator: createAuthenticator({ verifier: store, profiles: store, lockout: createLockoutPolicy({ ip: false }) }),
    profiles: store,
    callerAuth,
    debug: true,
    logger,
    create: { graph, tenant: 'contoso.onmicrosoft.com', disableStrongPassword: true },
  });
}

async function call(target: ReturnType<typeof b2cHandler>, signInName: string) {
  const response = await target(new Request('https://jit.example/api', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ signInName, password: canaryPassword }) }));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const userWith = (name: string) => [...emulator.users.values()].find((user) => user.identities.some((identity) => identity.issuerAssignedId === name));
const unavailableText = 'We cannot check your password right now. Please try again in a few minutes.';
const mustChangeText = 'Your password has expired. Reset your password to continue.';

describe('B2C create: what a Graph refusal tells the user', () => {
  it("Graph refusing this user's password (400 on passwordProfile): the permanent mustChange answer on every try, the field logged, the password nowhere", async () => {
    const { logger, lines } = captureLogger();
    const target = handler(logger);
    // The emulator refuses every password with a 400 whose message and details quote it.
    emulator.setFaults({ echoPassword: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await call(target, 'refused@contoso.com');
      expect(answer.status).toBe(409);
      expect(answer.body['userMessage']).toBe(mustChangeText);
      expect(answer.body['code']).toBe('LEGACY_IDP_CANNOT_MIGRATE');
      expect(answer.body['developerMessage']).toMatch(/the directory refused the user's passwordProfile \(Graph 400 Request_BadRequest\)/u);
      expect(JSON.stringify(answer.body)).not.toContain(canaryPassword);
    }
    expect(userWith('refused@contoso.com')).toBeUndefined();
    expect(lines.filter((line) => line.includes('"outcome":"create_refused"'))).toHaveLength(2);
    expect(lines.find((line) => line.includes('create refused'))).toMatch(/"reason":"the directory refused the user's passwordProfile/u);
    expect(lines.join('\n')).not.toContain(canaryPassword);
  });

  it('Graph refusing the app (403): the unavailable text for the user, an outcome and a code of its own for the operator', async () => {
    const { logger, lines } = captureLogger();
    emulator.setFaults({ unavailable: { every: 1, status: 403 } });
    const answer = await call(handler(logger), 'noperm@contoso.com');
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toBe(unavailableText);
    expect(answer.body['code']).toBe('LEGACY_IDP_DIRECTORY_MISCONFIGURED');
    expect(userWith('noperm@contoso.com')).toBeUndefined();
    const warning = lines.find((line) => line.includes('"level":"warn"') && line.includes('b2c create failed'));
    expect(warning).toMatch(/operator action needed/u);
    expect(warning).toMatch(/"status":403/u);
    expect(lines.some((line) => line.includes('"outcome":"create_misconfigured"'))).toBe(true);
  });

  it('a failing directory (503) is still the plain unavailable answer: the next try may pass', async () => {
    const { logger, lines } = captureLogger();
    emulator.setFaults({ unavailable: { every: 1 } });
    const answer = await call(handler(logger), 'down@contoso.com');
    expect(answer.status).toBe(409);
    expect(answer.body['userMessage']).toBe(unavailableText);
    expect(answer.body['code']).toBe('LEGACY_IDP_UNAVAILABLE');
    expect(lines.some((line) => line.includes('"outcome":"create_failed"'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/operator action needed/u);
    // Once the directory answers, the same user is created.
    emulator.setFaults({});
    expect((await call(handler(), 'down@contoso.com')).status).toBe(200);
  });
});

describe('refusedProperty: which request property a Graph 400 names', () => {
  const graph400 = (graphCode: string, message: string, details: GraphError['details'] = []): GraphError =>
    new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', `Graph POST /users answered 400 ${graphCode}: ${message}`, { status: 400, graphCode, details });

  it('names the property from the details, else from the message (Graph texts of the reference and the emulator)', () => {
    expect(refusedProperty(graph400('Request_BadRequest', 'The password is not allowed.', [{ code: 'InvalidValue', target: 'passwordProfile' }]))).toBe('passwordProfile');
    expect(refusedProperty(graph400('Request_BadRequest', 'The specified password does not comply with password complexity requirements. Please provide a different password.'))).toBe('passwordProfile');
    expect(refusedProperty(graph400('Request_BadRequest', "Invalid value specified for property 'displayName' of resource 'User'."))).toBe('displayName');
    expect(refusedProperty(graph400('Request_BadRequest', "Invalid value specified for property 'issuerAssignedId' of resource 'ObjectIdentity'."))).toBe('issuerAssignedId');
    expect(refusedProperty(graph400('BadRequest', 'Property identities in payload has a value that does not match schema.'))).toBe('identities');
    // Properties of the create settings, the same for every user: the caller tells these apart.
    expect(refusedProperty(graph400('Request_BadRequest', "Invalid value specified for property 'issuer' of resource 'ObjectIdentity'."))).toBe('issuer');
    expect(refusedProperty(graph400('Request_BadRequest', "Property 'extension_831374b3bd5041bfaa54263ec9e050fc_loyalty' does not exist as a declared property or extension property."))).toBe(
      'extension_831374b3bd5041bfaa54263ec9e050fc_loyalty',
    );
  });

  it('names none for a conflict, a quota, another status, or what is not a GraphError', () => {
    expect(refusedProperty(graph400('Request_BadRequest', 'Another object with the same value for property identities already exists.', [{ code: 'ObjectConflict', target: 'identities' }]))).toBeUndefined();
    expect(refusedProperty(graph400('Directory_QuotaExceeded', 'The directory object quota limit for the Tenant has been exceeded.'))).toBeUndefined();
    expect(refusedProperty(new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', 'Graph POST /users answered 403 Authorization_RequestDenied: Insufficient privileges to complete the operation.', { status: 403, graphCode: 'Authorization_RequestDenied' }))).toBeUndefined();
    expect(refusedProperty(new Error("Invalid value specified for property 'displayName'"))).toBeUndefined();
  });
});
