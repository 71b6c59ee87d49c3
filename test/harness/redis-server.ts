/**
 * Dedicated redis-server instances for fault tests (kill the server, watch the client fail).
 * Never touches the machine's shared Redis on 6379.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureTail, freePort, stopProcess, tieToThisProcess, waitUntil } from './process.js';

export const REDIS_SERVER_BIN = 'redis-server';

export interface RedisServerInstance {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (SIGKILL after a grace period), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Sends PING over a raw socket; true only on +PONG. Avoids client libraries' retry loops. */
export function redisPing(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export async function startRedisServer(): Promise<RedisServerInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-redis-'));
  const port = await freePort();
  // Foreground, no persistence, loopback only: the process is ours to kill.
  const child = spawn(
    REDIS_SERVER_BIN,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = captureTail(child.stdout);
  const errors = captureTail(child.stderr);
  const untie = tieToThisProcess(child, dir);
  const stop = async (): Promise<void> => {
    untie();
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => redisPing(port), {
      timeoutMs: 10_000,
      what: `redis-server on port ${port}`,
      child,
      output: () => `${output()} ${errors()}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('redis-server has no pid');
  return { url: `redis://127.0.0.1:${port}/0`, port, pid: child.pid, stop };
}
