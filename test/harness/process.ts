/**
 * Small process and network helpers shared by the harness. No vitest imports: globalSetup
 * runs these in the main vitest process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion; never throws for a non-zero exit (callers decide). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      resolve({ code: null, stdout, stderr: stderr + error.message });
    });
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    // A command may exit without reading its input; that EPIPE is not our error to report.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** Like run() but throws with the command's stderr on failure. The args are not echoed: they may hold secrets. */
export async function runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} exited with ${String(result.code)}: ${result.stderr.trim().slice(0, 2000)}`);
  }
  return result.stdout;
}

/**
 * A free TCP port on 127.0.0.1 for a server a test spawns. Taken below Linux's ephemeral range (32768-60999),
 * which `listen(0)` and every outgoing connection draw from: a port from there, closed again until the child
 * binds it, could be handed to another socket in between (a spawned slapd then exited before it was ready, in
 * CI). Random, so parallel test files rarely try the same one; checked by binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000 in 100 tries');
}

/** Whether a server can listen on `port` now (it is closed again at once). */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  server.unref();
  try {
    await listenTcp(server, port);
  } catch {
    return false;
  }
  await new Promise((resolve) => server.close(resolve));
  return true;
}

/**
 * Starts a server on fresh ports, again on other ports if it exits before it is ready (its port was taken after
 * `freePort` checked it): `start` must stop what it spawned before it throws.
 */
export async function withFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof Error) || !/exited with .* before it was ready/u.test(error.message)) throw error;
    }
  }
}

/** Random lowercase hex name usable as a database name or key prefix (no glob or quote characters). */
export function randomName(prefix = 'test_'): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      done(false);
    });
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns true, the child dies, or the deadline passes. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  options: { readonly timeoutMs: number; readonly what: string; readonly child?: ChildProcess; readonly output?: () => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let spawnError: Error | undefined;
  options.child?.once('error', (error) => {
    spawnError = error;
  });
  while (Date.now() < deadline) {
    if (spawnError !== undefined) throw new Error(`${options.what} could not start: ${spawnError.message}`);
    if (options.child !== undefined && options.child.exitCode !== null) {
      throw new Error(`${options.what} exited with ${String(options.child.exitCode)} before it was ready: ${options.output?.() ?? ''}`.trim());
    }
    if (await probe()) return;
    await sleep(25);
  }
  throw new Error(`${options.what} was not ready after ${options.timeoutMs} ms: ${options.output?.() ?? ''}`.trim());
}

/**
 * SIGSTOP, then waits until every thread of `pid` is really stopped. kill() returns before the
 * signal takes effect: a multi-threaded server (slapd) can still answer a request or two sent
 * right after it, which turned a fault test's "frozen" checks into valid ones now and then.
 */
export async function freezeProcess(pid: number, timeoutMs = 5000): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const taskDir = `/proc/${String(pid)}/task`;
  // Without /proc (not Linux) there is nothing to read: a pause is the best we can do.
  if (!existsSync(taskDir)) return sleep(200);
  await waitUntil(async () => {
    const tasks = await readdir(taskDir).catch(() => []);
    const states = await Promise.all(tasks.map((task) => readFile(`${taskDir}/${task}/stat`, 'utf8').then(taskState, () => 'T')));
    return states.length > 0 && states.every((state) => state === 'T' || state === 't');
  }, { timeoutMs, what: `process ${String(pid)} stopping on SIGSTOP` });
}

/** The state letter of a /proc/<pid>/task/<tid>/stat line: after the command name, which may hold spaces and parentheses. */
function taskState(stat: string): string {
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  // No pid: the spawn itself failed, so there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Makes sure a server child never outlives the test process: an 'exit' hook for normal exits,
 * plus a detached shell watchdog for the cases Node cannot hook (SIGKILL of a vitest worker).
 * Returns a function that disarms both (for a regular stop()).
 */
export function tieToThisProcess(child: ChildProcess, tempDir: string): () => void {
  const pid = child.pid;
  if (pid === undefined) return () => undefined;
  const onExit = (): void => {
    child.kill('SIGKILL');
    rmSync(tempDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'if kill -0 "$2" 2>/dev/null; then kill -TERM "$2"; sleep 3; kill -KILL "$2" 2>/dev/null; rm -rf "$3"; fi';
  const watchdog = spawn('sh', ['-c', script, 'watchdog', String(process.pid), String(pid), tempDir], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return () => {
    process.removeListener('exit', onExit);
    watchdog.kill('SIGKILL');
  };
}

/** Keeps the last `limit` characters of a stream, for error messages. */
export function captureTail(stream: NodeJS.ReadableStream | null, limit = 4000): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-limit);
  });
  return () => text.trim();
}

/** Puts a secret on an object as a non-enumerable property: printing, diffing or spreading never shows it. */
export function hideSecret<T extends object, K extends string>(target: T, key: K, value: string): T & Readonly<Record<K, string>> {
  return Object.defineProperty(target, key, { value, enumerable: false, writable: false }) as T & Readonly<Record<K, string>>;
}


/**
 * Listens on `port` (0: a free one) on `host`; resolves the port bound. The in-repo wire servers (TDS, MongoDB)
 * use it to start, and to listen again on the same port when a test restarts them.
 */
export function listenTcp(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('the test server has no TCP address'));
      else resolve(address.port);
    });
  });
}

/** A long-running script started by `startScript`, once it printed what `ready` waits for. */
export interface StartedScript<Ready> {
  child: ChildProcess;
  ready: Ready;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM (SIGKILL after 5 s), and how the process ended; at once when it already has. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `node --import tsx <args>` and resolves once `ready` finds what it waits for in standard output (the
 * examples and `legacy-idp serve` print their URL); rejects with both outputs when the process exits first or
 * nothing comes within `timeoutMs`.
 */
export function startScript<Ready>(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; ready: (stdout: string) => Ready | undefined; what: string; timeoutMs?: number },
): Promise<StartedScript<Ready>> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    const ended = await exited;
    clearTimeout(timer);
    return ended;
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${options.what} printed nothing to go on within ${timeoutMs / 1000} s\n${stdout}\n${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const ready = options.ready(stdout);
      if (ready !== undefined) {
        clearTimeout(timer);
        resolve({ child, ready, stdout: () => stdout, stderr: () => stderr, stop });
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${options.what} exited with ${String(code)} before it was ready\n${stdout}\n${stderr.slice(-2000)}`));
    });
  });
}
