import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import type { Logger } from '../../src/core/logger.js';
import {
  azureFunctionsJitHandler,
  createCallerAuth,
  expressJitRoute,
  fastifyJitPlugin,
  genericHandler,
  honoJitRoute,
  lambdaJitHandler,
  toNodeListener,
  type JitConnectionInfo,
  type JitHandler,
  type LambdaHttpEventLike,
} from '../../src/jit/index.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';
import { makeTestCertificates, type TestCertificates } from '../harness/certificates.js';
import { hangUpAndWatch } from './jit-fixture.js';

/**
 * Each host adapter driven by its real framework (or by events shaped like the platform's documented
 * payloads): the body reaches the handler byte for byte, the answer comes back whole, the peer address goes
 * along, the endpoint's own 413 passes through, and a handler's failure is a 500 that does not quote it.
 */

interface Echo {
  method: string;
  url: string;
  contentType: string | null;
  contentLength: string | null;
  bodyBase64: string;
  connection: JitConnectionInfo;
}

/** Answers 207 with what it received, so a test sees exactly what the adapter passed on. */
const echo: JitHandler = async (request, connection) =>
  new Response(
    JSON.stringify({
      method: request.method,
      url: request.url,
      contentType: request.headers.get('content-type'),
      contentLength: request.headers.get('content-length'),
      bodyBase64: Buffer.from(await request.arrayBuffer()).toString('base64'),
      connection: connection ?? {},
    } satisfies Echo),
    { status: 207, headers: { 'content-type': 'application/json', 'x-echo': 'yes' } },
  );

// What a custom handler's exception may carry (JSON.parse quotes the body): it must not reach an answer.
const canary = 'Canary-Secret-5521';
const failing: JitHandler = () => Promise.reject(new Error(`could not parse {"password":"${canary}"}`));

// Not valid UTF-8 and not valid JSON, with whitespace and an escape a parser would not give back as sent.
const rawBytes = Buffer.concat([Buffer.from('{ "password" : "p\\u00e9 ', 'utf8'), Buffer.from([0xff, 0x00, 0xfe, 0x0d, 0x0a]), Buffer.from(' 😀" }', 'utf8')]);
/** A custom handler's answer that is not text: bytes no UTF-8 reading keeps (0xff, 0x00, 0xfe). */
const binary: JitHandler = () => Promise.resolve(new Response(rawBytes, { headers: { 'content-type': 'application/octet-stream' } }));
/** An Azure answer's body, which must be a string for a JSON answer. */
function textOf(answer: { body: string | Uint8Array }): string {
  if (typeof answer.body !== 'string') throw new Error('expected a text body');
  return answer.body;
}
// Valid JSON, formatted the way no serializer writes it.
const prettyJson = '{\n  "signInName" : "alice",\n  "password": "p\\u00e9 😀"\n}';

const apiKey = 'hosts-test-api-key-0123456789';
const maxBodyBytes = 64;
const oversized = JSON.stringify({ username: 'alice', password: 'x'.repeat(200) });
let sizedEndpoint: JitHandler | undefined;
// Routes are declared before the endpoint is built (its store is async): they call it through this.
const sized: JitHandler = (request, connection) => {
  if (!sizedEndpoint) throw new Error('the sized endpoint is not built yet');
  return sizedEndpoint(request, connection);
};

beforeAll(async () => {
  const store = await memoryUserStore({ users: [{ username: 'alice', password: 'Wonderland-2024' }] });
  // A real endpoint with a tiny size limit: its 413 is what the adapters must pass through.
  sizedEndpoint = genericHandler({
    authenticator: createAuthenticator({ verifier: store, profiles: store }),
    callerAuth: createCallerAuth({ apiKey: { header: 'x-api-key', keys: [{ value: apiKey }] } }),
    maxBodyBytes,
  });
});

const sizedHeaders = { 'content-type': 'application/json', 'x-api-key': apiKey };

function expectLocalPeer(connection: JitConnectionInfo): void {
  expect(connection.remoteAddress).toMatch(/^(?:127\.0\.0\.1|::ffff:127\.0\.0\.1|::1)$/u);
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('expressJitRoute', () => {
  let plain: Server;
  let parsed: Server;
  let plainUrl: string;
  let parsedUrl: string;
  const errors: unknown[] = [];

  beforeAll(async () => {
    // No body parser: the adapter streams the raw body.
    const plainApp = express();
    plainApp.set('trust proxy', 'loopback');
    plainApp.post('/echo', expressJitRoute(echo));
    plainApp.post('/sized', expressJitRoute(sized));
    plainApp.post('/failing', expressJitRoute(failing));
    plainApp.post('/binary', expressJitRoute(binary));
    plainApp.post('/socket-ip', expressJitRoute(echo, { clientIp: (request) => request.socket.remoteAddress }));
    plain = createServer(plainApp);
    plainUrl = await listen(plain);

    // Parsers ran first: the adapter rebuilds the body from what they left on req.body.
    const parsedApp = express();
    parsedApp.use('/json', express.json());
    parsedApp.use('/raw', express.raw({ type: '*/*' }));
    parsedApp.post('/json/echo', expressJitRoute(echo));
    parsedApp.post('/json/sized', expressJitRoute(sized));
    parsedApp.post('/raw/echo', expressJitRoute(echo));
    parsedApp.post('/failing', expressJitRoute(failing));
    const recordError: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
      errors.push(error);
      response.status(500).json({ error: 'server_error' });
    };
    parsedApp.use(recordError);
    parsed = createServer(parsedApp);
    parsedUrl = await listen(parsed);
  });

  afterAll(async () => {
    await close(plain);
    await close(parsed);
  });

  it('streams the raw body byte for byte without a parser, and answers status, headers and body', async () => {
    const response = await fetch(`${plainUrl}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rawBytes });
    expect(response.status).toBe(207);
    expect(response.headers.get('x-echo')).toBe('yes');
    const seen = (await response.json()) as Echo;
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
    expect(seen).toMatchObject({ method: 'POST', contentType: 'application/json', contentLength: String(rawBytes.length) });
    expect(new URL(seen.url).pathname).toBe('/echo');
    expectLocalPeer(seen.connection);
  });

  it('writes a custom handler\'s body that is not text byte for byte', async () => {
    const response = await fetch(`${plainUrl}/binary`, { method: 'POST', body: '{}' });
    expect(response.headers.get('content-length')).toBe(String(rawBytes.length));
    expect(Buffer.from(await response.arrayBuffer()).equals(rawBytes)).toBe(true);
  });

  it('takes the client address from req.ip, so the app\'s trust proxy setting applies', async () => {
    const forwarded = (await (await fetch(`${plainUrl}/echo`, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.9' }, body: '{}' })).json()) as Echo;
    expect(forwarded.connection.remoteAddress).toBe('203.0.113.9');
    // The same call, with clientIp reading the socket instead.
    const socket = (await (await fetch(`${plainUrl}/socket-ip`, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.9' }, body: '{}' })).json()) as Echo;
    expectLocalPeer(socket.connection);
  });

  it('rebuilds the body express.json() parsed: the same JSON value, the original content type, a fresh length', async () => {
    const response = await fetch(`${parsedUrl}/json/echo`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: prettyJson });
    expect(response.status).toBe(207);
    const seen = (await response.json()) as Echo;
    const body = Buffer.from(seen.bodyBase64, 'base64').toString('utf8');
    expect(JSON.parse(body)).toEqual(JSON.parse(prettyJson));
    expect(body).toBe(JSON.stringify(JSON.parse(prettyJson)));
    expect(seen.contentType).toBe('application/json; charset=utf-8');
    // The original length described the formatted text; this one describes the bytes sent on.
    expect(seen.contentLength === null || Number(seen.contentLength) === Buffer.byteLength(body)).toBe(true);
    expectLocalPeer(seen.connection);
  });

  it('passes the bytes express.raw() read, byte for byte', async () => {
    const seen = (await (await fetch(`${parsedUrl}/raw/echo`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: rawBytes })).json()) as Echo;
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
    expect(seen.contentType).toBe('application/octet-stream');
  });

  it('passes the endpoint\'s 413 through, with and without express.json()', async () => {
    for (const url of [`${plainUrl}/sized`, `${parsedUrl}/json/sized`]) {
      const response = await fetch(url, { method: 'POST', headers: sizedHeaders, body: oversized });
      expect(response.status, url).toBe(413);
      expect(await response.json(), url).toMatchObject({ error: 'payload_too_large' });
    }
  });

  it('hands a handler failure to next() without its message, and keeps it as the cause', async () => {
    // Express's own final handler (outside production it prints the error's stack).
    const unhandled = await fetch(`${plainUrl}/failing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unhandled.status).toBe(500);
    expect(await unhandled.text()).not.toContain(canary);

    const handled = await fetch(`${parsedUrl}/failing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(handled.status).toBe(500);
    expect(await handled.text()).toBe('{"error":"server_error"}');
    const error = errors.at(-1) as Error;
    expect(error.message).not.toContain(canary);
    expect((error.cause as Error).message).toContain(canary);
  });

  it('aborts the handler\'s signal when the client goes away', async () => {
    let sawAbort!: () => void;
    const aborted = new Promise<void>((resolve) => {
      sawAbort = resolve;
    });
    const waiting: JitHandler = (request) =>
      new Promise((resolve) => {
        request.signal.addEventListener('abort', () => {
          sawAbort();
          resolve(new Response(null, { status: 204 }));
        });
      });
    const app = express();
    app.post('/wait', expressJitRoute(waiting));
    const server = createServer(app);
    const url = await listen(server);
    try {
      expect(await hangUpAndWatch(`${url}/wait`, { body: '{}' }, aborted)).toBe('aborted');
    } finally {
      await close(server);
    }
  });

  describe('over mutual TLS', () => {
    let dir: string;
    let certificates: TestCertificates;
    let server: Server;
    let url: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'legacy-idp-hosts-tls-'));
      certificates = await makeTestCertificates(dir, { caName: 'hosts test CA', commonName: 'b2c-caller', ip: '127.0.0.1', dnsName: 'localhost' });
      const app = express();
      app.post('/echo', expressJitRoute(echo));
      server = createHttpsServer(
        { cert: readFileSync(certificates.certFile), key: readFileSync(certificates.keyFile), ca: certificates.caCertPem, requestCert: true, rejectUnauthorized: false },
        app,
      );
      url = (await listen(server)).replace('http:', 'https:');
    });
    afterAll(async () => {
      await close(server);
      rmSync(dir, { recursive: true, force: true });
    });

    it('passes the client certificate from req.socket', async () => {
      const answer = await new Promise<Echo>((resolve, reject) => {
        const call = httpsRequest(
          `${url}/echo`,
          { method: 'POST', ca: certificates.caCertPem, cert: readFileSync(certificates.certFile), key: readFileSync(certificates.keyFile) },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Echo);
            });
          },
        );
        call.on('error', reject);
        call.end('{}');
      });
      expect(answer.connection.clientCertificate).toMatchObject({
        fingerprint256: new X509Certificate(readFileSync(certificates.certFile)).fingerprint256,
        subject: { CN: 'b2c-caller' },
      });
      // What the TLS layer decided (this test certificate is for servers, so the chain check says no).
      expect(typeof answer.connection.clientCertificate?.authorized).toBe('boolean');
    });
  });
});

describe('fastifyJitPlugin', () => {
  const app = Fastify();

  beforeAll(async () => {
    await app.register(fastifyJitPlugin, { path: '/echo', handler: echo });
    await app.register(fastifyJitPlugin, { path: '/sized', handler: sized });
    await app.register(fastifyJitPlugin, { path: '/failing', handler: failing });
    await app.register(fastifyJitPlugin, { path: '/binary', handler: binary });
    await app.register(fastifyJitPlugin, { path: '/limited', handler: echo, bodyLimit: 32 });
    // A route of the app itself: its JSON parser must be untouched by the plugins.
    app.post('/app-route', (request) => ({ parsed: request.body }));
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('hands the raw bytes to the handler (Fastify\'s JSON parser would have refused them) and answers status, headers and body', async () => {
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: rawBytes, remoteAddress: '198.51.100.4' });
    expect(response.statusCode).toBe(207);
    expect(response.headers['x-echo']).toBe('yes');
    const seen = response.json<Echo>();
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
    expect(seen.contentType).toBe('application/json');
    expect(seen.connection.remoteAddress).toBe('198.51.100.4');
  });

  it('sends a custom handler\'s body that is not text byte for byte', async () => {
    const response = await app.inject({ method: 'POST', url: '/binary', payload: '{}' });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(rawBytes)).toBe(true);
  });

  it('keeps the app\'s own routes on Fastify\'s JSON parser', async () => {
    const response = await app.inject({ method: 'POST', url: '/app-route', headers: { 'content-type': 'application/json' }, payload: prettyJson });
    expect(response.json()).toEqual({ parsed: JSON.parse(prettyJson) as unknown });
    expect((await app.inject({ method: 'POST', url: '/app-route', headers: { 'content-type': 'application/json' }, payload: rawBytes })).statusCode).toBe(400);
  });

  it('lets the endpoint, not Fastify, answer a content type it does not take, and an empty body', async () => {
    const wrongType = await app.inject({ method: 'POST', url: '/sized', headers: { ...sizedHeaders, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({ error: 'unsupported_media_type' });
    const empty = await app.inject({ method: 'POST', url: '/echo' });
    expect(empty.statusCode).toBe(207);
    expect(empty.json<Echo>().bodyBase64).toBe('');
  });

  it('passes the endpoint\'s 413 through; only a body over bodyLimit gets Fastify\'s', async () => {
    const response = await app.inject({ method: 'POST', url: '/sized', headers: sizedHeaders, payload: oversized });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'payload_too_large' });
    const overLimit = await app.inject({ method: 'POST', url: '/limited', headers: { 'content-type': 'application/json' }, payload: oversized });
    expect(overLimit.statusCode).toBe(413);
    expect(overLimit.json()).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  });

  it('answers a handler failure with a 500 that does not quote it', async () => {
    const response = await app.inject({ method: 'POST', url: '/failing', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain(canary);
  });

  it('works over real HTTP: raw bytes in, the socket\'s address along', async () => {
    const served = Fastify();
    await served.register(fastifyJitPlugin, { path: '/echo', handler: echo });
    const url = await served.listen({ host: '127.0.0.1', port: 0 });
    try {
      const seen = (await (await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: rawBytes })).json()) as Echo;
      expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
      expectLocalPeer(seen.connection);
    } finally {
      await served.close();
    }
  });
});

describe('honoJitRoute', () => {
  const app = new Hono();
  app.post('/echo', honoJitRoute(echo));
  app.post('/edge', honoJitRoute(echo, { clientIp: (context) => context.req.raw.headers.get('cf-connecting-ip') ?? undefined }));
  app.post('/sized', honoJitRoute(sized));
  app.post('/failing', honoJitRoute(failing));

  it('passes the request through untouched and answers status, headers and body', async () => {
    const response = await app.request('/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: rawBytes });
    expect(response.status).toBe(207);
    expect(response.headers.get('x-echo')).toBe('yes');
    const seen = (await response.json()) as Echo;
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
    // No runtime bindings, no peer: nothing is made up.
    expect(seen.connection).toEqual({});
  });

  it('reads the peer address and client certificate from the node request in env.incoming', async () => {
    const incoming = { headers: {}, socket: { remoteAddress: '192.0.2.5' } };
    const plain = (await (await app.request('/echo', { method: 'POST', body: '{}' }, { incoming })).json()) as Echo;
    expect(plain.connection).toEqual({ remoteAddress: '192.0.2.5' });

    const tlsSocket = {
      remoteAddress: '192.0.2.6',
      authorized: true,
      getPeerCertificate: () => ({ fingerprint256: 'AB:CD', subject: { CN: 'b2c-caller' } }),
    };
    const tls = (await (await app.request('/echo', { method: 'POST', body: '{}' }, { incoming: { headers: {}, socket: tlsSocket } })).json()) as Echo;
    expect(tls.connection).toEqual({ remoteAddress: '192.0.2.6', clientCertificate: { fingerprint256: 'AB:CD', subject: { CN: 'b2c-caller' }, authorized: true } });
  });

  it('takes the address from clientIp where the runtime has no node socket', async () => {
    const seen = (await (await app.request('/edge', { method: 'POST', headers: { 'cf-connecting-ip': '198.51.100.20' }, body: '{}' })).json()) as Echo;
    expect(seen.connection).toEqual({ remoteAddress: '198.51.100.20' });
  });

  it('passes the endpoint\'s 413 through', async () => {
    const response = await app.request('/sized', { method: 'POST', headers: sizedHeaders, body: oversized });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers a handler failure with Hono\'s 500, which does not quote it', async () => {
    // Hono's default onError logs the error it gets: that one's message must not quote the request either.
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const response = await app.request('/failing', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain(canary);
      const error = logged.mock.calls[0]?.[0] as Error;
      expect(error.message).not.toContain(canary);
      expect((error.cause as Error).message).toContain(canary);
    } finally {
      logged.mockRestore();
    }
  });
});

/** A logger that keeps every line, to show what an adapter logs. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (message: string, fields?: Record<string, unknown>): void => {
    lines.push(JSON.stringify({ message, ...fields }));
  };
  return { lines, debug: at, info: at, warn: at, error: at };
}

describe('azureFunctionsJitHandler', () => {
  // The v4 HttpRequest wraps undici's Request: url, method, Headers, arrayBuffer().
  const post = (body: string | Uint8Array, headers: Record<string, string>): Request =>
    new Request('https://contoso-jit.azurewebsites.net/api/b2c/signin?code=abc', { method: 'POST', headers, body });

  it('copies the request byte for byte and answers status, headers and body', async () => {
    const answer = await azureFunctionsJitHandler(echo)(post(rawBytes, { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7:51234' }));
    expect(answer.status).toBe(207);
    expect(answer.headers['x-echo']).toBe('yes');
    const seen = JSON.parse(textOf(answer)) as Echo;
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
    expect(seen).toMatchObject({ method: 'POST', url: 'https://contoso-jit.azurewebsites.net/api/b2c/signin?code=abc', contentType: 'application/json' });
    expect(seen.connection).toEqual({ remoteAddress: '203.0.113.7' });
  });

  it('takes the client address from the last X-Forwarded-For entry, the one Azure\'s front end added', async () => {
    const handler = azureFunctionsJitHandler(echo);
    const ipOf = async (forwarded: string | undefined): Promise<string | undefined> => {
      const answer = await handler(post('{}', forwarded === undefined ? {} : { 'x-forwarded-for': forwarded }));
      return (JSON.parse(textOf(answer)) as Echo).connection.remoteAddress;
    };
    expect(await ipOf('198.51.100.66, 203.0.113.7:51234')).toBe('203.0.113.7');
    expect(await ipOf('[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(await ipOf('2001:db8::8')).toBe('2001:db8::8');
    expect(await ipOf(undefined)).toBeUndefined();
    const fromFrontDoor = azureFunctionsJitHandler(echo, { clientIp: (request) => request.headers.get('x-azure-clientip') ?? undefined });
    const answer = await fromFrontDoor(post('{}', { 'x-azure-clientip': '192.0.2.44', 'x-forwarded-for': '203.0.113.7' }));
    expect((JSON.parse(textOf(answer)) as Echo).connection.remoteAddress).toBe('192.0.2.44');
  });

  it('needs only the members it names: a plain object shaped like HttpRequest works', async () => {
    const request = {
      url: 'https://contoso-jit.azurewebsites.net/api/verify',
      method: 'post',
      headers: new Headers({ 'content-type': 'application/json' }),
      arrayBuffer: () => Promise.resolve(new Uint8Array(rawBytes).buffer),
    };
    const seen = JSON.parse(textOf(await azureFunctionsJitHandler(echo)(request))) as Echo;
    expect(seen.method).toBe('POST');
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
  });

  it('answers a body that is not text as bytes, unchanged', async () => {
    const answer = await azureFunctionsJitHandler(binary)(post('{}', {}));
    expect(answer.body).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(answer.body).equals(rawBytes)).toBe(true);
  });

  it('passes the endpoint\'s 413 through', async () => {
    const answer = await azureFunctionsJitHandler(sized)(post(oversized, sizedHeaders));
    expect(answer.status).toBe(413);
    expect(JSON.parse(textOf(answer))).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers a handler failure with a fixed 500 and logs its class name only', async () => {
    const logger = recordingLogger();
    const answer = await azureFunctionsJitHandler(failing, { logger })(post('{}', { 'content-type': 'application/json' }));
    expect(answer).toEqual({ status: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"server_error"}' });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toContain('"error":"Error"');
    expect(logger.lines.join('\n')).not.toContain(canary);
  });
});

describe('lambdaJitHandler', () => {
  /** A payload format 2.0 event, as the API Gateway developer guide shows it. */
  function event(body: Buffer | string | undefined, overrides: { headers?: Record<string, string>; base64?: boolean; clientCertPem?: string } = {}): LambdaHttpEventLike {
    const base64 = overrides.base64 ?? Buffer.isBuffer(body);
    // The whole event, fields the adapter does not read included.
    const whole = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/api/b2c/signin',
      rawQueryString: 'stage=1&x=a%20b',
      cookies: ['session=abc', 'theme=dark'],
      headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.66', ...overrides.headers },
      requestContext: {
        accountId: '123456789012',
        apiId: 'abc123',
        domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
        http: { method: 'POST', path: '/api/b2c/signin', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'Microsoft.Identity' },
        requestId: 'JKJaXmPLvHcESHA=',
        routeKey: '$default',
        stage: '$default',
        time: '12/Mar/2026:19:03:58 +0000',
        timeEpoch: 1_773_342_238_000,
        ...(overrides.clientCertPem === undefined
          ? {}
          : { authentication: { clientCert: { clientCertPem: overrides.clientCertPem, subjectDN: 'CN=b2c-caller', issuerDN: 'CN=hosts test CA', serialNumber: '1', validity: { notBefore: '', notAfter: '' } } } }),
      },
      ...(body === undefined ? {} : { body: Buffer.isBuffer(body) && base64 ? body.toString('base64') : body.toString() }),
      isBase64Encoded: base64,
    };
    return whole;
  }

  it('decodes a base64 body byte for byte, builds the URL, and answers a 2.0 result', async () => {
    const result = await lambdaJitHandler(echo)(event(rawBytes));
    expect(result).toMatchObject({ statusCode: 207, isBase64Encoded: false, headers: { 'x-echo': 'yes', 'content-type': 'application/json' } });
    const seen = JSON.parse(result.body) as Echo;
    expect(Buffer.from(seen.bodyBase64, 'base64').equals(rawBytes)).toBe(true);
    expect(seen.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/api/b2c/signin?stage=1&x=a%20b');
    expect(seen.method).toBe('POST');
    // sourceIp is the peer API Gateway saw; the X-Forwarded-For a client sends is not used.
    expect(seen.connection).toEqual({ remoteAddress: '203.0.113.7' });
  });

  it('takes a text body as UTF-8 and gives the cookies back to the Cookie header', async () => {
    const cookieEcho: JitHandler = (request) => Promise.resolve(new Response(request.headers.get('cookie'), { headers: { 'content-type': 'text/plain' } }));
    expect((await lambdaJitHandler(cookieEcho)(event(prettyJson))).body).toBe('session=abc; theme=dark');
    const seen = JSON.parse((await lambdaJitHandler(echo)(event(prettyJson))).body) as Echo;
    expect(Buffer.from(seen.bodyBase64, 'base64').toString('utf8')).toBe(prettyJson);
  });

  it('takes the API domain, or a stand-in, when the Host header can hold no URL (not a 500 before the caller is checked)', async () => {
    const seen = JSON.parse((await lambdaJitHandler(echo)(event('{}', { headers: { host: 'a b' } }))).body) as Echo;
    expect(seen.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/api/b2c/signin?stage=1&x=a%20b');
  });

  it('answers a body that is not text in base64', async () => {
    const result = await lambdaJitHandler(binary)(event('{}'));
    expect(result.isBase64Encoded).toBe(true);
    expect(Buffer.from(result.body, 'base64').equals(rawBytes)).toBe(true);
  });

  it('passes the certificate API Gateway checked (mutual TLS) as the client certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-hosts-lambda-'));
    try {
      const certificates = await makeTestCertificates(dir, { caName: 'hosts test CA', commonName: 'b2c-caller', ip: '127.0.0.1', dnsName: 'localhost' });
      const pem = readFileSync(certificates.certFile, 'utf8');
      const seen = JSON.parse((await lambdaJitHandler(echo)(event('{}', { clientCertPem: pem }))).body) as Echo;
      expect(seen.connection.clientCertificate).toEqual({ fingerprint256: new X509Certificate(pem).fingerprint256, subject: { CN: 'b2c-caller' }, authorized: true });
      const garbled = JSON.parse((await lambdaJitHandler(echo)(event('{}', { clientCertPem: 'not a certificate' }))).body) as Echo;
      expect(garbled.connection.clientCertificate).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes the endpoint\'s 413 through', async () => {
    const result = await lambdaJitHandler(sized)(event(Buffer.from(oversized), { headers: { 'x-api-key': apiKey } }));
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers a handler failure with a fixed 500 and logs its class name only', async () => {
    const logger = recordingLogger();
    const result = await lambdaJitHandler(failing, { logger })(event('{}'));
    expect(result).toEqual({ statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"server_error"}', isBase64Encoded: false });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines.join('\n')).not.toContain(canary);
  });
});

describe('node:http glue', () => {
  it('writes a custom handler\'s body that is not text byte for byte, with its length', async () => {
    const server = createServer(toNodeListener(binary));
    const url = await listen(server);
    try {
      const response = await fetch(`${url}/binary`, { method: 'POST', body: '{}' });
      expect(response.headers.get('content-length')).toBe(String(rawBytes.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(rawBytes)).toBe(true);
    } finally {
      await close(server);
    }
  });

  it("answers 500 without the exception's text when a custom handler throws instead of rejecting", async () => {
    const throwing: JitHandler = () => {
      throw new Error('secret detail from a bug');
    };
    const rejecting: JitHandler = () => Promise.reject(new Error('secret detail from a bug'));
    for (const handler of [throwing, rejecting]) {
      const server = createServer(toNodeListener(handler));
      const url = await listen(server);
      try {
        const response = await fetch(`${url}/any`, { method: 'POST', body: '{}' });
        expect(response.status).toBe(500);
        expect(await response.text()).toBe('{"error":"server_error"}');
      } finally {
        await close(server);
      }
    }
  });

  it('answers a request whose Host header no URL can hold, instead of ending the process', async () => {
    const server = createServer(toNodeListener(echo));
    const url = await listen(server);
    try {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.write('POST /echo HTTP/1.1\r\nHost: a b\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(socket, 'end');
      expect(Buffer.concat(chunks).toString('utf8')).toMatch(/^HTTP\/1\.1 207 /u);
    } finally {
      await close(server);
    }
  }, 5_000);
});
