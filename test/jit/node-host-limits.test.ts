import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCallerAuth } from '../../src/jit/caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, jsonResponse, type JitHandler } from '../../src/jit/endpoint.js';
import { startJitServer, type JitServer } from '../../src/jit/server.js';

/**
 * What the node:http host does before and around the pipeline, seen from a raw socket: no body is read before
 * caller authentication, the host's cap still applies, and the server's header and request timeouts hold to
 * about a second (Node checks them only every connectionsCheckingInterval).
 */

const key = 'key-0123456789abcdef-0123456789';

function endpoint(): JitHandler {
  return createJitEndpoint(
    {
      name: 'test',
      input: z.object({ echoed: z.string() }),
      errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
      handle: (input) => Promise.resolve({ answer: jsonAnswer(200, { echoed: input.echoed }), outcome: 'echoed' }),
    },
    { callerAuth: createCallerAuth({ apiKey: { header: 'x-api-key', keys: [{ label: 'test', value: key }] } }) },
  );
}

/** A handler not made by createJitEndpoint: the host reads its body. */
const plain: JitHandler = async (request) => jsonResponse(200, { length: (await request.text()).length });

let server: JitServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

interface RawAnswer {
  /** What arrived, as text. */
  text: string;
  /** Milliseconds from connecting to the first byte of the answer, or to the close when none came. */
  after: number;
  closed: boolean;
}

/**
 * Writes `head` on a raw connection, then `trickle` every 200 ms until an answer arrives or the socket closes;
 * resolves with the first bytes of the answer, or after `waitMs`.
 */
function rawCall(port: number, head: string, trickle: string | undefined, waitMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean): void => {
      clearInterval(timer);
      resolve({ text, after: performance.now() - started, closed });
    };
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(head);
      if (trickle !== undefined) {
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(trickle);
        }, 200);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n')) finish(false);
    });
    socket.on('close', () => {
      finish(true);
    });
    setTimeout(() => {
      finish(false);
    }, waitMs).unref();
  });
}

const postHead = (headers: string) => `POST /api HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n${headers}\r\n`;

describe('node:http host: the body is read after caller authentication', () => {
  it('a caller without a key gets 401 while its body is still arriving', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint() } });
    const answer = await rawCall(server.port, postHead('content-length: 1048575\r\n'), 'x'.repeat(1024), 5_000);
    expect(answer.text).toMatch(/^HTTP\/1\.1 401 /u);
    expect(answer.after).toBeLessThan(1_500);
  });

  it('an authenticated caller still gets its answer, and the host cap still bounds what the endpoint reads', async () => {
    server = await startJitServer({ port: 0, maxBodyBytes: 64, routes: { '/api': endpoint(), '/plain': plain } });
    const ok = await fetch(`${server.url}/api`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ echoed: 'hi' }) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ echoed: 'hi' });
    // Over the host's 64 bytes though under the endpoint's 16 KiB: the endpoint's 413, in its own shape.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ echoed: 'y'.repeat(200) })));
        controller.close();
      },
    });
    const over = await fetch(`${server.url}/api`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: chunked, duplex: 'half' });
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ error: 'payload_too_large' });
    expect(over.headers.get('x-request-id')).toBeTruthy();
  });

  it("a handler of its own gets the body read by the host, and the host's 413 carries a request id", async () => {
    server = await startJitServer({ port: 0, maxBodyBytes: 64, routes: { '/plain': plain } });
    const small = await fetch(`${server.url}/plain`, { method: 'POST', body: 'abc' });
    expect(await small.json()).toEqual({ length: 3 });
    const big = await fetch(`${server.url}/plain`, { method: 'POST', body: 'z'.repeat(100) });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/u);
  });

  it('answers 405 with Allow: POST', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint() } });
    const answer = await fetch(`${server.url}/api`, { headers: { 'x-api-key': key } });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
  });
});

describe('JIT server timeouts', () => {
  it('closes a client that sends its headers too slowly within about a second of headersTimeout', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint() } });
    server.server.headersTimeout = 1_000;
    server.server.requestTimeout = 1_500;
    const answer = await rawCall(server.port, 'POST /api HTTP/1.1\r\nHost: x\r\n', 'X-a: b\r\n', 8_000);
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /u);
    expect(answer.after).toBeLessThan(3_000);
  });

  it('closes an authenticated client that sends its body too slowly within about a second of requestTimeout', async () => {
    server = await startJitServer({ port: 0, routes: { '/api': endpoint() } });
    server.server.headersTimeout = 1_000;
    server.server.requestTimeout = 1_500;
    const answer = await rawCall(server.port, postHead(`x-api-key: ${key}\r\ncontent-length: 1000\r\n`), ' ', 8_000);
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /u);
    expect(answer.after).toBeLessThan(3_500);
  });
});
