/**
 * Dedicated redis-server instances for fault tests (kill the server, watch the client fail).
 * Never touches the machine's shared Redis on 6379.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureTail, freePort, runChecked, stopProcess, tieToThisProcess, waitUntil, withFreshPorts } from './process.js';

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

export interface RedisServerOptions {
  /** Listen on this port (to restart a stopped server where its clients expect it); default: a free one. */
  readonly port?: number;
  /** Extra redis-server arguments, e.g. the cluster ones. */
  readonly args?: readonly string[];
}

export function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerInstance> {
  // A port of our choosing may be taken before the server binds it; a fixed one (a restart) is not retried.
  return options.port === undefined ? withFreshPorts(() => startRedisServerOnce(options)) : startRedisServerOnce(options);
}

async function startRedisServerOnce(options: RedisServerOptions): Promise<RedisServerInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-redis-'));
  const port = options.port ?? (await freePort());
  // Foreground, no persistence, loopback only: the process is ours to kill.
  const child = spawn(
    REDIS_SERVER_BIN,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...(options.args ?? []),
    ],
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

export interface RedisClusterInstance {
  /** One entry per master, for `new Cluster(nodes)`. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly servers: readonly RedisServerInstance[];
  /** Stops every node. Idempotent. */
  stop(): Promise<void>;
}

/** Sends one command over a raw socket and returns the raw reply once `complete` says it is whole. */
function rawCommand(port: number, command: string, complete: (reply: string) => boolean, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no reply to ${command} from port ${port}`));
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (complete(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
  });
}

/** True once a RESP bulk string reply (or an error line) has fully arrived. */
function wholeBulkReply(reply: string): boolean {
  const header = /^\$(\d+)\r\n/.exec(reply);
  if (!header) return /^[-+:].*\r\n/.test(reply);
  return reply.length >= header[0].length + Number(header[1]) + 2;
}

/**
 * A private Redis Cluster: `masters` redis-server processes with cluster mode on (each with its own cluster
 * bus port, picked free, so no port + 10000 arithmetic), joined with `redis-cli --cluster create`, no
 * replicas. Resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterInstance> {
  const servers: RedisServerInstance[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const busPort = await freePort();
      servers.push(
        await startRedisServer({
          args: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
        }),
      );
    }
    await runChecked('redis-cli', ['--cluster', 'create', ...servers.map((server) => `127.0.0.1:${server.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeoutMs: 60_000,
    });
    for (const server of servers) {
      await waitUntil(
        async () => (await rawCommand(server.port, 'CLUSTER INFO', wholeBulkReply).catch(() => '')).includes('cluster_state:ok'),
        { timeoutMs: 30_000, what: `cluster_state:ok on port ${server.port}` },
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })), servers, stop };
}
