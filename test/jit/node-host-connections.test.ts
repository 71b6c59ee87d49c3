import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.js';
import { createCallerAuth, type CallerAuthenticator } from '../../src/jit/caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, type JitHandler } from '../../src/jit/endpoint.js';
import { startJitServer, type JitServer } from '../../src/jit/server.js';

/**
 * The node:http host's connections when a client leaves early or keeps sending. A client that left while its caller
 * check waited (a bearer token's JWKS fetch) used to leave a call that never ended: no `jit call` line, and every stop
 * gave up on it. An answer sent before the body had arrived (401 without a key, 413 for a declared length) kept the
 * connection, and Node read and dropped the rest of the body, gigabytes of it, until requestTimeout; a stop waited
 * for such a client, or one trickling its headers, for the whole shutdownTimeoutMs. A client aborting mid-body was
 * logged as an error (`internal`, 500).
 */

const key = 'key-0123456789abcdef-0123456789';

interface Line {
  level: string;
  message: string;
  fields: Readonly<Record<string, unknown>>;
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Readonly<Record<string, unknown>>): void => {
      lines.push({ level, message, fields: fields ?? {} });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function endpoint(callerAuth: CallerAuthenticator, logger: Logger): JitHandler {
  return createJitEndpoint(
    {
      name: 'test',
      input: z.object({ echoed: z.string() }),
      errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
      handle: (input) => Promise.resolve({ answer: jsonAnswer(200, { echoed: input.echoed }), outcome: 'echoed' }),
    },
    { callerAuth, logger },
  );
}

const apiKeyAuth = createCallerAuth({ apiKey: { keys: [{ label: 'test', value: key }] } });

/** An API key check that first waits `ms`, as a bearer check waits for its JWKS. */
function slowCallerAuth(ms: number): CallerAuthenticator {
  return async (request, connection) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return apiKeyAuth(request, connection);
  };
}

let server: JitServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function open(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return socket;
}

/** What arrives on a socket, and when it closes (milliseconds from the call). */
function watch(socket: Socket): { text: () => string; closed: Promise<number> } {
  const started = performance.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
  });
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => {
      resolve(performance.now() - started);
    });
  });
  return { text: () => text, closed };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> =>
  Promise.race([
    promise,
    new Promise<'timed out'>((resolve) => {
      setTimeout(() => {
        resolve('timed out');
      }, ms).unref();
    }),
  ]);

const jitCalls = (lines: Line[]) => lines.filter((line) => line.message === 'jit call');
const body = JSON.stringify({ echoed: 'hi' });
const head = (headers: string) => `POST /api HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n${headers}\r\n`;

describe('node:http host: a client that leaves', () => {
  it('while its caller check waits: the call ends with one client_gone line, and a stop gives up on nothing', async () => {
    const lines: Line[] = [];
    const logger = recordingLogger(lines);
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(slowCallerAuth(400), logger) }, logger, shutdownTimeoutMs: 5_000 });
    for (const sent of [body.slice(0, 5), body]) {
      const socket = await open(server.port);
      socket.write(head(`x-api-key: ${key}\r\ncontent-length: ${body.length}\r\n`) + sent);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The caller gives up (Entra waits 2 s at most) while its check still runs.
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(jitCalls(lines).map((line) => [line.fields['status'], line.fields['outcome']])).toEqual([
      [499, 'client_gone'],
      [499, 'client_gone'],
    ]);
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(lines.at(-1)).toMatchObject({ message: 'jit server stopped', fields: { abandoned: 0 } });
    server = undefined;
  });

  it('mid-body: logged at info as client_gone, not as an error', async () => {
    const lines: Line[] = [];
    const logger = recordingLogger(lines);
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(apiKeyAuth, logger) }, logger });
    const socket = await open(server.port);
    socket.write(head(`x-api-key: ${key}\r\ncontent-length: 100\r\n`) + '{"echoed":"h');
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(jitCalls(lines)).toHaveLength(1);
    expect(jitCalls(lines)[0]).toMatchObject({ level: 'info', fields: { status: 499, outcome: 'client_gone', caller: 'api-key' } });
  });
});

describe('node:http host: an answer sent before the body arrived closes the connection', () => {
  it('no key and content-length 1e9: 401 with Connection: close, and the socket closes at once', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(apiKeyAuth, recordingLogger([])) } });
    const socket = await open(server.port);
    const seen = watch(socket);
    socket.write(head('content-length: 1000000000\r\n'));
    // The client keeps sending; the server must not keep reading it.
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    const pump = setInterval(() => {
      if (!socket.destroyed) socket.write(chunk);
    }, 5);
    try {
      const closedAfter = await within(seen.closed, 3_000);
      expect(seen.text()).toMatch(/^HTTP\/1\.1 401 /u);
      expect(seen.text().split('\r\n\r\n')[0]).toMatch(/\r\nconnection: close\r\n/iu);
      expect(closedAfter).not.toBe('timed out');
      expect(closedAfter).toBeLessThan(1_000);
    } finally {
      clearInterval(pump);
    }
  });

  it('a declared content-length over the limit: 413 with Connection: close, the socket closes', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(apiKeyAuth, recordingLogger([])) } });
    const socket = await open(server.port);
    const seen = watch(socket);
    socket.write(head(`x-api-key: ${key}\r\ncontent-length: 1000000000\r\n`) + 'x'.repeat(1000));
    const closedAfter = await within(seen.closed, 3_000);
    expect(seen.text()).toMatch(/^HTTP\/1\.1 413 /u);
    expect(seen.text()).toMatch(/\r\nconnection: close\r\n/iu);
    expect(closedAfter).toBeLessThan(1_000);
  });

  it('a call whose body was read keeps its connection alive', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(apiKeyAuth, recordingLogger([])) } });
    const socket = await open(server.port);
    const seen = watch(socket);
    socket.write(head(`x-api-key: ${key}\r\ncontent-length: ${body.length}\r\n`) + body);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen.text()).toMatch(/^HTTP\/1\.1 200 /u);
    expect(seen.text()).toMatch(/\r\nconnection: keep-alive\r\n/iu);
    expect(socket.destroyed).toBe(false);
  });

  it('a request without a body keeps its connection alive, whatever it is answered', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(apiKeyAuth, recordingLogger([])) } });
    for (const request of ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /api HTTP/1.1\r\nHost: x\r\n\r\n', 'GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n']) {
      const socket = await open(server.port);
      const seen = watch(socket);
      socket.write(request);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.text(), request).toMatch(/\r\nconnection: keep-alive\r\n/iu);
      expect(socket.destroyed).toBe(false);
    }
  });
});

describe('node:http host: a stop does not wait for clients that keep sending', () => {
  it('one trickling its body after its 401, and one trickling its headers: the stop takes well under a second', async () => {
    const lines: Line[] = [];
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(apiKeyAuth, recordingLogger(lines)) }, logger: recordingLogger(lines), shutdownTimeoutMs: 8_000 });
    const afterAnswer = await open(server.port);
    afterAnswer.write(head('content-length: 100000\r\n'));
    const trickling = await open(server.port);
    trickling.write('POST /api HTTP/1.1\r\nHost: x\r\n');
    const pump = setInterval(() => {
      if (!afterAnswer.destroyed) afterAnswer.write('x');
      if (!trickling.destroyed) trickling.write('a');
    }, 50);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = performance.now();
      await server.close();
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(lines.at(-1)).toMatchObject({ message: 'jit server stopped', fields: { abandoned: 0 } });
      server = undefined;
    } finally {
      clearInterval(pump);
    }
  });

  it('a call in flight when the stop begins still gets its answer, with Connection: close', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint(slowCallerAuth(300), recordingLogger([])) }, shutdownTimeoutMs: 5_000 });
    const socket = await open(server.port);
    const seen = watch(socket);
    socket.write(head(`x-api-key: ${key}\r\ncontent-length: ${body.length}\r\n`) + body);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.close();
    server = undefined;
    await within(seen.closed, 2_000);
    expect(seen.text()).toMatch(/^HTTP\/1\.1 200 /u);
    expect(seen.text()).toMatch(/\r\nconnection: close\r\n/iu);
    expect(seen.text()).toContain('{"echoed":"hi"}');
  });
});
