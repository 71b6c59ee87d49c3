import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCallerAuth } from '../../src/jit/caller-auth.js';
import { createJitEndpoint, jitCallHandler, jitErrorStatus, jsonAnswer, jsonResponse, type JitConnectionInfo, type JitHandler } from '../../src/jit/endpoint.js';
import { startJitServer, type JitServer } from '../../src/jit/server.js';
import { makeTestCertificates, type TestCertificates } from '../harness/certificates.js';
import { getterOf } from '../harness/accessors.js';
import { hangUpAndWatch } from './jit-fixture.js';

/** The node:http(s) server of `legacy-idp serve`: routing, health, readiness, TLS client certificates, stop. */

/** Echoes what the handler received, so the tests see what the server passed on. */
const echo: JitHandler = async (request, connection) => jsonResponse(200, { method: request.method, body: await request.text(), connection: connection ?? null });

describe('JIT server', () => {
  let server: JitServer;
  let ready = true;
  beforeAll(async () => {
    server = await startJitServer({
      port: 0,
      routes: { '/echo': echo },
      ready: () => (ready ? Promise.resolve(true) : Promise.reject(new Error('store down'))),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('routes by exact path, passes the body and the peer address, and answers 404 elsewhere', async () => {
    const answer = await fetch(`${server.url}/echo`, { method: 'POST', body: 'héllo 🔑' });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { method: string; body: string; connection: JitConnectionInfo };
    expect(body).toMatchObject({ method: 'POST', body: 'héllo 🔑', connection: { remoteAddress: '127.0.0.1' } });
    const missing = await fetch(`${server.url}/echo/more`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/u);
  });

  it('routes a raw request target by the path the URL parser reads from it (query, fragment, dot segments, encoding, absolute form)', async () => {
    const { port } = server;
    /** The status for a request target sent exactly as written (fetch would normalize it first). */
    const statusOf = (target: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const call = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: target, headers: { 'content-length': '2' } }, (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        });
        call.on('error', reject);
        call.end('{}');
      });
    const targets = [
      '/echo', '/echo?x=1', '/echo?next=/../other', '/echo/', '/echo/.', '/other/../echo', '/./echo', '/%65cho', '/ech%6F',
      '/echo%3Fx', `http://127.0.0.1:${port}/echo`, '/Echo', '/echo.', '/.echo', '/e.cho', '/echo//',
    ];
    for (const target of targets) {
      // The route table holds /echo only: the answer must be 200 exactly when the parser's path is /echo.
      const expected = new URL(target, 'http://localhost').pathname === '/echo' ? 200 : 404;
      expect({ target, status: await statusOf(target) }).toEqual({ target, status: expected });
    }
    // The cases above include both answers.
    expect(targets.filter((target) => new URL(target, 'http://localhost').pathname === '/echo').length).toBe(6);
  });

  it('answers 413 itself for a body over the host cap, without handing it to the handler', async () => {
    const answer = await fetch(`${server.url}/echo`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({ error: 'payload_too_large' });
  });

  it('answers /healthz while running and /readyz by the store probe', async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    ready = false;
    const down = await fetch(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable' });
    ready = true;
  });

  it('reports a port in use as a configuration error, not a crash', async () => {
    await expect(startJitServer({ port: server.port, routes: { '/echo': echo } })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID', message: expect.stringMatching(/EADDRINUSE/u) as unknown });
  });

  it('refuses routes that would hide the health endpoints', async () => {
    await expect(startJitServer({ port: 0, routes: { '/healthz': echo } })).rejects.toThrow(/healthz/u);
  });

  it('lets a call in flight finish on close, then stops listening', async () => {
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    // Close only once the handler runs: a fixed sleep let a loaded machine close before the request arrived.
    const handlerEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slow: JitHandler = () =>
      new Promise((resolve) => {
        release = () => { resolve(jsonResponse(200, { finished: true })); };
        entered();
      });
    const stopping = await startJitServer({ port: 0, routes: { '/slow': slow } });
    const inFlight = fetch(`${stopping.url}/slow`, { method: 'POST', body: '{}' });
    await handlerEntered;
    const closed = stopping.close();
    release();
    expect(await (await inFlight).json()).toEqual({ finished: true });
    await closed;
    await expect(fetch(`${stopping.url}/healthz`)).rejects.toThrow();
  });
});

describe('JIT server over TLS', () => {
  let dir: string;
  let certificates: TestCertificates;
  let server: JitServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'legacy-idp-jit-tls-'));
    certificates = await makeTestCertificates(dir, { caName: 'legacy-idp test CA', commonName: 'jit.test', ip: '127.0.0.1', dnsName: 'localhost' });
    server = await startJitServer({
      port: 0,
      routes: { '/echo': echo },
      tls: { cert: readFileSync(certificates.certFile), key: readFileSync(certificates.keyFile), ca: certificates.caCertPem, requestClientCertificate: true },
    });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function post(withCertificate: boolean): Promise<{ status: number; body: { connection: JitConnectionInfo } }> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        `${server.url}/echo`,
        {
          method: 'POST',
          ca: certificates.caCertPem,
          ...(withCertificate ? { cert: readFileSync(certificates.certFile), key: readFileSync(certificates.keyFile) } : {}),
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => { resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as { connection: JitConnectionInfo } }); });
        },
      );
      request.on('error', reject);
      request.end('{}');
    });
  }

  it('passes the client certificate fingerprint and subject to the handler, and nothing without one', async () => {
    const expected = new X509Certificate(readFileSync(certificates.certFile)).fingerprint256;
    const withCertificate = await post(true);
    expect(withCertificate.status).toBe(200);
    expect(withCertificate.body.connection.clientCertificate).toMatchObject({ fingerprint256: expected, subject: { CN: 'jit.test' } });
    expect(typeof withCertificate.body.connection.clientCertificate?.authorized).toBe('boolean');
    const without = await post(false);
    expect(without.body.connection.clientCertificate).toBeUndefined();
  });
});

describe('JIT server: handlers made by createJitEndpoint', () => {
  /** A protocol that answers `{ echoed }`, or waits for the call's abort signal when asked to. */
  function waitingEndpoint(onAbort: () => void): JitHandler {
    return createJitEndpoint(
      {
        name: 'test',
        input: z.object({ echoed: z.string(), wait: z.boolean().optional() }),
        errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
        handle: (input, context) =>
          input.wait
            ? new Promise((resolve) => {
                context.signal.addEventListener('abort', () => {
                  onAbort();
                  resolve({ answer: jsonAnswer(200, {}), outcome: 'aborted' });
                });
              })
            : Promise.resolve({ answer: jsonAnswer(200, { echoed: input.echoed }, { 'x-extra': 'yes' }), outcome: 'ok' }),
      },
      { callerAuth: createCallerAuth({ apiKey: { header: 'x-api-key', keys: [{ label: 'test', value: 'key-0123456789abcdef' }] } }) },
    );
  }

  it('run without a web Request or Response per call, and answer the same as through the web types', async () => {
    const handler = waitingEndpoint(() => undefined);
    expect(jitCallHandler(handler)).toBeTypeOf('function');
    expect(jitCallHandler(echo)).toBeUndefined();
    const server = await startJitServer({ port: 0, routes: { '/call': handler } });
    const made = { requests: 0, responses: 0 };
    const OriginalRequest = globalThis.Request;
    const OriginalResponse = globalThis.Response;
    const headers = { 'content-type': 'application/json', 'x-api-key': 'key-0123456789abcdef', 'x-request-id': 'req-42' };
    const body = JSON.stringify({ echoed: 'héllo' });
    try {
      // Counting subclasses in place of the globals while the server answers (fetch itself runs in this process
      // too, so the calls go out through node:http instead).
      globalThis.Request = class extends OriginalRequest {
        constructor(...args: ConstructorParameters<typeof Request>) {
          super(...args);
          made.requests++;
        }
      };
      globalThis.Response = class extends OriginalResponse {
        constructor(...args: ConstructorParameters<typeof Response>) {
          super(...args);
          made.responses++;
        }
      };
      const answer = await postWithNodeHttp(`${server.url}/call`, headers, body);
      const refused = await postWithNodeHttp(`${server.url}/call`, { ...headers, 'x-api-key': 'wrong' }, body);
      globalThis.Request = OriginalRequest;
      globalThis.Response = OriginalResponse;
      expect(made).toEqual({ requests: 0, responses: 0 });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ echoed: 'héllo' });
      expect(answer.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req-42', 'cache-control': 'no-store', 'x-extra': 'yes' });
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.text));
      expect(refused.status).toBe(401);

      // The same handler through the web types gives the same answer.
      const web = await handler(new Request('http://localhost/call', { method: 'POST', headers, body }));
      expect(web.status).toBe(200);
      expect(await web.text()).toBe(answer.text);
      expect(web.headers.get('x-request-id')).toBe('req-42');
      expect(web.headers.get('x-extra')).toBe('yes');
    } finally {
      globalThis.Request = OriginalRequest;
      globalThis.Response = OriginalResponse;
      await server.close();
    }
  });

  it('give every call and its context the same signal getter, not one made per call', async () => {
    // What caller authentication and the protocol are handed: the host's call object and the pipeline's context.
    const calls: object[] = [];
    const contexts: object[] = [];
    const handler = createJitEndpoint(
      {
        name: 'test',
        input: z.object({ echoed: z.string() }),
        errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
        handle: (input, context) => {
          contexts.push(context);
          return Promise.resolve({ answer: jsonAnswer(200, { echoed: input.echoed, aborted: context.signal.aborted }), outcome: 'ok' });
        },
      },
      {
        callerAuth: (request) => {
          calls.push(request);
          return Promise.resolve({ ok: true, identity: { method: 'insecure-dev' } });
        },
      },
    );
    const server = await startJitServer({ port: 0, routes: { '/call': handler } });
    try {
      for (const echoed of ['first', 'second']) {
        const answer = await postWithNodeHttp(`${server.url}/call`, { 'content-type': 'application/json' }, JSON.stringify({ echoed }));
        expect(JSON.parse(answer.text)).toEqual({ echoed, aborted: false });
      }
    } finally {
      await server.close();
    }
    expect(calls).toHaveLength(2);
    expect(contexts).toHaveLength(2);
    // A getter made per call would keep each call's objects (node's request and response) alive past minor GCs.
    for (const objects of [calls, contexts]) {
      const [first, second] = objects as [object, object];
      expect(getterOf(first, 'signal')).toBeTypeOf('function');
      expect(getterOf(second, 'signal')).toBe(getterOf(first, 'signal'));
    }
  });

  it("abort the call's signal when the client goes away (the signal is made on first use)", async () => {
    let sawAbort!: () => void;
    const aborted = new Promise<string>((resolve) => {
      sawAbort = () => {
        resolve('aborted');
      };
    });
    const server = await startJitServer({ port: 0, routes: { '/call': waitingEndpoint(() => { sawAbort(); }) } });
    try {
      const headers = { 'content-type': 'application/json', 'x-api-key': 'key-0123456789abcdef' };
      expect(await hangUpAndWatch(`${server.url}/call`, { headers, body: JSON.stringify({ echoed: 'x', wait: true }) }, aborted)).toBe('aborted');
    } finally {
      await server.close();
    }
  });
});

function postWithNodeHttp(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const call = httpRequest(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    call.on('error', reject);
    call.end(body);
  });
}
