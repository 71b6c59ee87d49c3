/**
 * Redirects are never followed: fetch would send the same request (a create's password, the token request's
 * client secret) to the Location's host and the client would trust that host's answer. A second local server
 * is the redirect target, and nothing may reach it.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildLocalAccountUser, createGraphClient, type GraphError } from '../../src/graph/index.js';
import { fixedCredential, startLocalServer, type LocalServer } from './local-server.js';
import { caught } from './helpers.js';

const password = 'REDIRECT-Passw0rd!';
const clientSecret = 'REDIRECT-client-secret';
const locationSecret = 'LOCATION-SECRET';
const user = buildLocalAccountUser({ tenant: 'contoso', issuerAssignedId: 'ada@example.com', password, displayName: 'Ada' });

let target: LocalServer;
let redirector: LocalServer;
let redirectStatus = 307;
beforeAll(async () => {
  // What a stolen request would get: a token and a created user, both of which the client must never see.
  target = await startLocalServer((request, res) => {
    const body = request.url.includes('token') ? { access_token: 'TARGET-TOKEN', expires_in: 3600 } : { id: 'target-id' };
    res.writeHead(request.url.includes('token') ? 200 : 201, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  redirector = await startLocalServer((_request, res) => {
    res.writeHead(redirectStatus, { location: `${target.url}/v1.0/users?code=${locationSecret}` }).end('moved');
  });
});
afterAll(async () => {
  await Promise.all([target.close(), redirector.close()]);
});
afterEach(() => {
  target.received.length = 0;
  redirector.received.length = 0;
});

function expectNoSecrets(error: GraphError): void {
  for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 10 })]) {
    for (const secret of [password, clientSecret, locationSecret, target.url]) expect(text).not.toContain(secret);
  }
}

const noWait = { sleep: () => Promise.resolve(), maxRetries: 3 };

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308])('a Graph %i is not followed, not retried, and fails naming the status', async (status) => {
    redirectStatus = status;
    const client = createGraphClient({ tenantId: 'contoso.onmicrosoft.com', credential: fixedCredential, graphUrl: redirector.url, ...noWait });

    const error = await caught(client.createUser(user));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect(error.status).toBe(status);
    expect(error.message).toContain(`answered ${status}; redirects are not followed`);
    expectNoSecrets(error);
    expect((await caught(client.getUser('some-id'))).status).toBe(status);

    expect(redirector.received.map((request) => request.method)).toEqual(['POST', 'GET']);
    expect(target.received).toEqual([]);
  });

  it.each([302, 307, 308])('a token endpoint %i is not followed: the client secret stays home', async (status) => {
    redirectStatus = status;
    const client = createGraphClient({ tenantId: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret, authorityUrl: redirector.url, graphUrl: target.url, ...noWait });

    const error = await caught(client.createUser(user));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_AUTH');
    expect(error.status).toBe(status);
    expect(error.message).toContain(`token request answered ${status}; redirects are not followed`);
    expectNoSecrets(error);
    expect(redirector.received).toHaveLength(1);
    expect(target.received).toEqual([]);
  });

  it('does not trust an answer that an injected fetch reached by following a redirect anyway', async () => {
    redirectStatus = 307;
    const following = (input: string, init: RequestInit): Promise<Response> => fetch(input, { ...init, redirect: 'follow' });
    const client = createGraphClient({ tenantId: 'contoso.onmicrosoft.com', credential: fixedCredential, graphUrl: redirector.url, fetch: following, ...noWait });

    const error = await caught(client.createUser(user));
    expect(error.code).toBe('ERR_LEGACY_IDP_GRAPH_ERROR');
    expect(error.message).toContain('was redirected');
    expectNoSecrets(error);
    // That fetch did send the body on (only the caller's fetch can prevent it); the target's user id is not returned.
    expect(target.received).toHaveLength(1);
  });
});
