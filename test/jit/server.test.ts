import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonResponse, type JitConnectionInfo, type JitHandler } from '../../src/jit/endpoint.js';
import { startJitServer, type JitServer } from '../../src/jit/server.js';
import { makeTestCertificates, type TestCertificates } from '../harness/certificates.js';

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
    const slow: JitHandler = () =>
      new Promise((resolve) => {
        release = () => { resolve(jsonResponse(200, { finished: true })); };
      });
    const stopping = await startJitServer({ port: 0, routes: { '/slow': slow } });
    const inFlight = fetch(`${stopping.url}/slow`, { method: 'POST', body: '{}' });
    await new Promise((resolve) => setTimeout(resolve, 100));
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
