import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { azureFunctionsJitHandler, expressJitRoute, fastifyJitPlugin, honoJitRoute, lambdaJitHandler, toNodeListener, type JitHandler, type LambdaHttpEventLike } from '../../src/jit/index.js';

/**
 * A custom handler may set several cookies. Every adapter must pass each one on in its platform's multi-value
 * form: one Set-Cookie line per cookie (node:http, Express, Fastify, Hono), the result's `cookies` array
 * (Lambda payload 2.0), `cookies` objects (Azure Functions v4, whose headers map keeps one value per name).
 * The adapters used to copy the headers into one value per name, so only the last cookie arrived.
 */

// The first carries a comma in its Expires date: joined with commas, the cookies could not be told apart again.
const session = 'session=abc123; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Secure; HttpOnly; SameSite=Lax';
const theme = 'theme=dark%20blue; Max-Age=3600; Domain=jit.example';
const twoCookies: JitHandler = () => {
  const headers = new Headers({ 'content-type': 'application/json', 'x-other': 'kept' });
  headers.append('set-cookie', session);
  headers.append('set-cookie', theme);
  return Promise.resolve(new Response('{"ok":true}', { status: 200, headers }));
};

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function setCookiesOver(server: Server): Promise<{ cookies: string[]; other: string | null; body: unknown }> {
  const url = await listen(server);
  try {
    const response = await fetch(`${url}/cookies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { cookies: response.headers.getSetCookie(), other: response.headers.get('x-other'), body: await response.json() };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('two Set-Cookie headers of a custom handler both arrive', () => {
  it('node:http glue (toNodeListener, the server of legacy-idp serve)', async () => {
    expect(await setCookiesOver(createServer(toNodeListener(twoCookies)))).toEqual({ cookies: [session, theme], other: 'kept', body: { ok: true } });
  });

  it('Express', async () => {
    const app = express();
    app.post('/cookies', expressJitRoute(twoCookies));
    expect(await setCookiesOver(createServer(app))).toEqual({ cookies: [session, theme], other: 'kept', body: { ok: true } });
  });

  it('Fastify', async () => {
    const app = Fastify();
    await app.register(fastifyJitPlugin, { path: '/cookies', handler: twoCookies });
    try {
      const response = await app.inject({ method: 'POST', url: '/cookies', headers: { 'content-type': 'application/json' }, payload: '{}' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['set-cookie']).toEqual([session, theme]);
      expect(response.headers['x-other']).toBe('kept');
    } finally {
      await app.close();
    }
  });

  it('Hono (the Response goes through untouched)', async () => {
    const app = new Hono();
    app.post('/cookies', honoJitRoute(twoCookies));
    const response = await app.request('/cookies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.headers.getSetCookie()).toEqual([session, theme]);
  });

  it('AWS Lambda: the payload 2.0 result lists both in `cookies`, and none is left in `headers`', async () => {
    const event: LambdaHttpEventLike = {
      rawPath: '/cookies',
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json' },
      body: '{}',
      requestContext: { http: { method: 'POST', sourceIp: '203.0.113.7' } },
    };
    const result = await lambdaJitHandler(twoCookies)(event);
    expect(result.cookies).toEqual([session, theme]);
    expect(result.headers).toEqual({ 'content-type': 'application/json', 'x-other': 'kept' });
    // An answer without cookies has no `cookies` field.
    const plain = await lambdaJitHandler(() => Promise.resolve(new Response('{}', { headers: { 'content-type': 'application/json' } })))(event);
    expect(plain).not.toHaveProperty('cookies');
  });

  it('Azure Functions v4: both as `cookies` objects with their attributes, and none left in `headers`', async () => {
    const answer = await azureFunctionsJitHandler(twoCookies)(new Request('https://contoso-jit.azurewebsites.net/api/cookies', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
    expect(answer.cookies).toEqual([
      { name: 'session', value: 'abc123', path: '/', expires: new Date('2037-10-21T07:28:00Z'), secure: true, httpOnly: true, sameSite: 'Lax' },
      // Decoded: the Functions host percent-encodes the value again when it writes the header.
      { name: 'theme', value: 'dark blue', maxAge: 3600, domain: 'jit.example' },
    ]);
    expect(answer.headers).toEqual({ 'content-type': 'application/json', 'x-other': 'kept' });
  });

  it('Azure Functions v4: a value that is not percent-encoding is kept as it is; a cookie without name= is dropped', async () => {
    const odd: JitHandler = () => {
      const headers = new Headers();
      headers.append('set-cookie', 'raw=100%; SameSite=none');
      headers.append('set-cookie', 'no-equals-sign');
      return Promise.resolve(new Response('{}', { headers }));
    };
    const answer = await azureFunctionsJitHandler(odd)(new Request('https://contoso-jit.azurewebsites.net/api/cookies'));
    expect(answer.cookies).toEqual([{ name: 'raw', value: '100%', sameSite: 'None' }]);
  });
});
