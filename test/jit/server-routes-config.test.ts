import { describe, expect, it } from 'vitest';
import { createCallerAuth } from '../../src/jit/caller-auth.js';
import { jsonResponse, type JitHandler } from '../../src/jit/endpoint.js';
import { genericHandler } from '../../src/jit/generic.js';
import { startJitServer } from '../../src/jit/server.js';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { LegacyIdpError } from '../../src/core/errors.js';
import { memoryUserStore } from '../../src/stores/memory/memory-store.js';

/**
 * Set-ups `startJitServer` used to take and then answer wrongly on every call: a route path no request can reach
 * (requests are matched on their parsed path, so `/api/./verify` never matches), and a route whose caller check
 * takes only a client certificate on a server that asks for none (every call 401).
 */

const ok: JitHandler = () => Promise.resolve(jsonResponse(200, {}));

describe('startJitServer refuses routes that can never answer', () => {
  it('refuses a path a request can never match', async () => {
    for (const path of ['/api/./verify', '/api/x/../verify', '//api/verify', '/api/verify/.', '/api/verify/..', '/a b']) {
      const refused = await startJitServer({ port: 0, routes: { [path]: ok } }).then(
        async (server) => {
          await server.close();
          return undefined;
        },
        (error: unknown) => error as LegacyIdpError,
      );
      expect(refused?.code, path).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
      expect(refused?.message).toMatch(/can never match a request/u);
    }
  });

  it('still takes ordinary paths, percent-encoded ones included', async () => {
    const server = await startJitServer({ port: 0, routes: { '/api/verify': ok, '/api/b2c.signin/v1_x~y': ok, '/': ok, '/a%2Fb': ok } });
    try {
      expect((await fetch(`${server.url}/a%2Fb`, { method: 'POST', body: '{}' })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses a client-certificate caller check without TLS asking for a certificate', async () => {
    const store = await memoryUserStore({ scryptCost: 2 ** 10, users: [{ username: 'alice', password: 'Legacy-Pass-1' }] });
    const authenticator = createAuthenticator({ verifier: store, profiles: store });
    const byCertificate = genericHandler({ authenticator, callerAuth: createCallerAuth({ clientCertificate: { subjects: ['b2c-caller'] } }) });
    const mixed = genericHandler({ authenticator, callerAuth: createCallerAuth({ clientCertificate: { subjects: ['b2c-caller'] }, apiKey: { keys: [{ value: 'key-0123456789abcdef' }] } }) });
    for (const handler of [byCertificate, mixed]) {
      const refused = await startJitServer({ port: 0, routes: { '/api/verify': handler } }).then(
        async (server) => {
          await server.close();
          return undefined;
        },
        (error: unknown) => error as LegacyIdpError,
      );
      expect(refused?.code).toBe('ERR_LEGACY_IDP_CONFIG_INVALID');
      expect(refused?.message).toMatch(/route \/api\/verify: .*client certificate.*requestClientCertificate/u);
    }
    const byKey = genericHandler({ authenticator, callerAuth: createCallerAuth({ apiKey: { keys: [{ value: 'key-0123456789abcdef' }] } }) });
    const server = await startJitServer({ port: 0, routes: { '/api/verify': byKey } });
    await server.close();
    await authenticator.close();
  });
});
