import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { jsonResponse, type JitHandler } from '../../src/jit/endpoint.js';
import { startJitServer, type JitServerStop } from '../../src/jit/server.js';

/**
 * How the JIT server stops when calls are still running. It used to write its last line (`jit server stopped`)
 * as soon as no connection was left, while calls cut off at `shutdownTimeoutMs`, or whose client had left, still
 * ran and wrote their own lines after it. Now it waits for calls whose client left too, says in its last line how
 * many calls it gave up on, and tells its owner right after that line (`legacy-idp serve` seals its log there).
 */

interface Line {
  message: string;
  fields?: Readonly<Record<string, unknown>>;
}

function recordingLogger(lines: Line[]): Logger {
  const at = (message: string, fields?: Readonly<Record<string, unknown>>): void => {
    lines.push(fields === undefined ? { message } : { message, fields });
  };
  return { debug: at, info: at, warn: at, error: at };
}

/** A handler that runs until `release()`, then writes a line of its own and answers. */
function heldHandler(lines: Line[]): { handler: JitHandler; started: Promise<void>; clientLeft: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  let markStarted: () => void = () => undefined;
  let markLeft: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const clientLeft = new Promise<void>((resolve) => {
    markLeft = resolve;
  });
  const handler: JitHandler = (request) =>
    new Promise((resolve) => {
      request.signal.addEventListener('abort', markLeft);
      release = () => {
        lines.push({ message: 'handler finished' });
        resolve(jsonResponse(200, { finished: true }));
      };
      markStarted();
    });
  return { handler, started, clientLeft, release: () => { release(); } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('JIT server stop with calls in flight', () => {
  it('gives up on a call still running after shutdownTimeoutMs: its connection closes, the last line counts it, onStopped follows that line', async () => {
    const lines: Line[] = [];
    const stops: JitServerStop[] = [];
    const held = heldHandler(lines);
    const server = await startJitServer({
      port: 0,
      routes: { '/held': held.handler },
      logger: recordingLogger(lines),
      shutdownTimeoutMs: 50,
      onStopped: (stop) => {
        stops.push(stop);
        lines.push({ message: 'onStopped' });
      },
    });
    const inFlight = fetch(`${server.url}/held`, { method: 'POST', body: '{}' }).then(
      () => 'answered',
      () => 'connection closed',
    );
    await held.started;
    await server.close();
    expect(await inFlight).toBe('connection closed');
    expect(lines.slice(-2)).toEqual([{ message: 'jit server stopped', fields: { url: server.url, abandoned: 1 } }, { message: 'onStopped' }]);
    expect(stops).toEqual([{ abandoned: 1 }]);
    held.release();
  });

  it('waits for a call whose client left until its handler ends: the handler\'s line comes before the last one', async () => {
    const lines: Line[] = [];
    const held = heldHandler(lines);
    const server = await startJitServer({ port: 0, routes: { '/held': held.handler }, logger: recordingLogger(lines), shutdownTimeoutMs: 10_000 });
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /held HTTP/1.1\r\nHost: jit.test\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
    await held.started;
    // The client goes at once (a reset): no connection is left, and the handler still runs.
    socket.resetAndDestroy();
    await held.clientLeft;
    const closed = server.close().then(() => 'stopped');
    // Not resolved while the handler runs (it used to be, as soon as no connection was left).
    expect(await Promise.race([closed, sleep(300).then(() => 'still waiting')])).toBe('still waiting');
    held.release();
    expect(await closed).toBe('stopped');
    expect(lines.map((line) => line.message).slice(-2)).toEqual(['handler finished', 'jit server stopped']);
    expect(lines.at(-1)?.fields).toEqual({ url: server.url, abandoned: 0 });
  });

  it('a stop with nothing in flight gives up on nothing', async () => {
    const lines: Line[] = [];
    const stops: JitServerStop[] = [];
    const server = await startJitServer({ port: 0, routes: { '/ok': () => Promise.resolve(jsonResponse(200, {})) }, logger: recordingLogger(lines), onStopped: (stop) => stops.push(stop) });
    expect((await fetch(`${server.url}/ok`, { method: 'POST', body: '{}' })).status).toBe(200);
    await server.close();
    expect(lines.at(-1)).toEqual({ message: 'jit server stopped', fields: { url: server.url, abandoned: 0 } });
    expect(stops).toEqual([{ abandoned: 0 }]);
  });
});
