/**
 * The emulator itself, spoken to with plain fetch: the wire shapes the client tests rely on are the ones
 * shared/reference/b2c-contracts.md §3 documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { fakeClock } from './helpers.js';

const clock = fakeClock();
let emulator: GraphEmulator;
let token: string;

async function getToken(form: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: emulator.clientId,
    client_secret: emulator.clientSecret,
    scope: `${emulator.url}/.default`,
    ...form,
  });
  return fetch(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`, { method: 'POST', body });
}

async function graph(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${emulator.url}/v1.0${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const user = (id: string, password = 'Str0ng!Passw0rd', extra: Record<string, unknown> = {}) => ({
  displayName: 'E',
  identities: [{ signInType: 'emailAddress', issuer: emulator.tenantDomain, issuerAssignedId: id }],
  passwordProfile: { password, forceChangePasswordNextSignIn: false },
  passwordPolicies: 'DisablePasswordExpiration',
  ...extra,
});

beforeAll(async () => {
  emulator = await startGraphEmulator({ now: clock.now, writeQuota: { limit: 10, windowMs: 10_000 }, resourceUnitQuota: null });
  token = ((await (await getToken()).json()) as { access_token: string }).access_token;
});
afterAll(async () => {
  await emulator.close();
});

describe('graph emulator', () => {
  it('issues opaque bearer tokens with expires_in, and refuses wrong credentials', async () => {
    const ok = (await (await getToken()).json()) as Record<string, unknown>;
    expect(ok).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const bad = await getToken({ client_secret: 'nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect((await getToken({ client_id: 'other' })).status).toBe(400);
    expect((await getToken({ scope: 'https://other.example/.default' })).status).toBe(400);
  });

  it('answers 401 InvalidAuthenticationToken without a valid token', async () => {
    const missing = await graph('GET', '/users/x', undefined, '');
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /u);
  });

  it('creates a B2C local account (201) with the resource-unit cost of a B2C create', async () => {
    const created = await graph('POST', '/users', user('new@example.com'));
    expect(created.status).toBe(201);
    expect(created.json.id).toBeTypeOf('string');
    expect(created.json.passwordProfile).toBeNull();
    expect(created.headers.get('x-ms-resource-unit')).toBe('5');
  });

  it('checks the required fields and the password rules with the documented shapes', async () => {
    const malformed = await graph('POST', '/users', { ...user('a@example.com'), identities: [{ signInType: 'emailAddress' }] });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { code: 'BadRequest', message: 'Property identities in payload has a value that does not match schema.' } });
    const weak = await graph('POST', '/users', user('b@example.com', 'password1'));
    expect(weak.json).toMatchObject({ error: { code: 'Request_BadRequest', message: expect.stringContaining('password complexity') as string } });
    expect((await graph('POST', '/users', user('c@example.com', 'Unicodé-Pässword1'))).status).toBe(400);
    expect((await graph('POST', '/users', user('d@example.com', 'Str0ng!Passw0rd', { passwordPolicies: 'DisableStrongPassword' }))).status).toBe(400);
    expect((await graph('POST', '/users', { ...user('e@example.com'), passwordProfile: { password: 'Str0ng!Passw0rd', forceChangePasswordNextSignIn: true } })).status).toBe(400);
    expect((await graph('POST', '/users', { ...user('f@example.com'), displayName: undefined })).status).toBe(400);
    expect((await graph('POST', '/users', { ...user('g@example.com'), favouriteColour: 'blue' })).status).toBe(400);
    const badName = { ...user('x'), identities: [{ signInType: 'userName', issuer: emulator.tenantDomain, issuerAssignedId: 'john.smith' }] };
    expect((await graph('POST', '/users', badName)).status).toBe(400);
  });

  it('answers the documented ObjectConflict shape for a taken identity', async () => {
    clock.advance(10_000);
    await graph('POST', '/users', user('taken@example.com'));
    const again = await graph('POST', '/users', user('TAKEN@example.com'));
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ error: { code: 'Request_BadRequest', details: [{ target: 'identities', code: 'ObjectConflict' }] } });
  });

  it('requires both issuer and issuerAssignedId in the identities filter', async () => {
    const partial = await graph('GET', `/users?$filter=${encodeURIComponent("identities/any(c:c/issuerAssignedId eq 'taken@example.com')")}`);
    expect(partial.status).toBe(400);
    const full = await graph('GET', `/users?$filter=${encodeURIComponent("identities/any(c:c/issuer eq 'other.example' and c/issuerAssignedId eq 'taken@example.com')")}&$select=id,identities`);
    // The issuer does not matter for an emailAddress identity (reference §3.1).
    expect((full.json.value as unknown[]).length).toBe(1);
  });

  it('throttles writes with a fractional Retry-After and warns above 80% of the quota', async () => {
    clock.advance(10_000);
    const percentages: (string | null)[] = [];
    for (let i = 0; i < 10; i++) percentages.push((await graph('POST', '/users', user(`q${i}@example.com`))).headers.get('x-ms-throttle-limit-percentage'));
    expect(percentages.slice(0, 8)).toEqual(Array<null>(8).fill(null));
    expect(percentages.slice(8)).toEqual(['0.90', '1.00']);
    clock.advance(250);
    const throttled = await graph('POST', '/users', user('q10@example.com'));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('0.75');
    expect(throttled.headers.get('x-ms-throttle-information')).toBe('WriteLimitExceeded');
    expect(throttled.json).toMatchObject({ error: { code: 'TooManyRequests', message: 'Please retry again later.', innerError: { code: '429', status: '429' } } });
    // Reads are not writes: they pass while writes are throttled.
    expect((await graph('GET', '/users/unknown')).status).toBe(404);
    expect(emulator.summary().throttledCount).toBe(1);
  });

  it('answers a batch item by item, in another order, with per-item 429', async () => {
    clock.advance(10_000);
    const requests = Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, method: 'POST', url: '/users', headers: { 'Content-Type': 'application/json' }, body: user(`batch${i}@example.com`) }));
    const answer = await graph('POST', '/$batch', { requests });
    expect(answer.status).toBe(200);
    const responses = answer.json.responses as { id: string; status: number; headers: Record<string, string> }[];
    expect(responses.map((response) => response.id)).toEqual(requests.map((request) => request.id).reverse());
    expect(responses.filter((response) => response.status === 429).map((response) => response.headers['Retry-After'])).toEqual(['1', '1']);
    expect((await graph('POST', '/$batch', { requests: [{ id: 'x', method: 'POST', url: '/users', body: {} }] })).status).toBe(400);
    expect((await graph('POST', '/$batch', { requests: [{ id: 'x', method: 'GET', url: '/users' }, { id: 'X', method: 'GET', url: '/users' }] })).status).toBe(400);
  });
});
