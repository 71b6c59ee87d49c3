/**
 * JIT endpoint benchmarks, driven over real HTTP by autocannon (its load generator in one worker thread of
 * this process, the servers on the main thread). Prints figures and ratios; asserts nothing.
 *
 * (a) Throughput, in BENCH_THROUGHPUT_ROUNDS (6) rounds of BENCH_THROUGHPUT_SECONDS (4) s: the generic endpoint
 *     (`genericHandler` through `startJitServer`, API-key caller auth, in-memory lockout with the IP scope off)
 *     and the B2C `claims` route, for a user with a `{SSHA}` hash (microseconds to verify), and the pipeline
 *     alone (same caller auth and input checks, no sign-in), each against a bare node:http server that answers a
 *     JSON echo of the same body, measured right before ours. Target: >= 0.5x the bare server for the sign-in
 *     routes, read as the median ratio. Also printed: each server's main-thread time and, on Linux, main-thread
 *     CPU per request with its kernel part, which leave autocannon's thread out.
 * (b) Saturation: a bcrypt cost-10 user, 64 connections; requests/s, p50/p99, non-2xx answers, the outcomes
 *     counted from the endpoint's log lines with the server-side p99 of each, and the p99 of an fs.stat every
 *     20 ms (libuv's threadpool, which the native bcrypt shares). Three registries: the gate at one hash per core
 *     with the 200 ms queue-wait budget `legacy-idp serve` sets (admission control: an overloaded check is
 *     answered `unavailable`/`overloaded` at once); the same gate without a budget (everything queues); and the
 *     gate opened to the connection count (`concurrency: 64`). Target: p99 < 500 ms with the gate.
 *
 *   npm run bench:jit            (BENCH_SECONDS=10 per saturation measurement, BENCH_WARMUP_SECONDS=2)
 *   BENCH_ONLY=throughput | saturation          (one half)
 *   BENCH_SATURATION_CONNECTIONS=16             (the saturation half at another concurrency; default 64)
 *   LEGACY_IDP_BCRYPT=js npm run bench:jit     (the whole run on bcryptjs instead of the native package)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, stat, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { z } from 'zod';
import type { Logger } from '../src/core/logger.js';
import type { JitServer } from '../src/jit/server.js';
import { loadBuilt } from './built.js';

// The built package, as users run it (bench/built.ts says why not src/).
const core = await loadBuilt<typeof import('../src/index.js')>('index.js');
const hashes = await loadBuilt<typeof import('../src/hashes/index.js')>('hashes/index.js');
const jit = await loadBuilt<typeof import('../src/jit/index.js')>('jit/index.js');
const b2c = await loadBuilt<typeof import('../src/jit/b2c.js')>('jit/b2c.js');
const lockoutModule = await loadBuilt<typeof import('../src/lockout/index.js')>('lockout/index.js');
const fileModule = await loadBuilt<typeof import('../src/stores/file/index.js')>('file/index.js');
const { createAuthenticator, silentLogger } = core;
const { createHashRegistry } = hashes;
const { createCallerAuth, createJitEndpoint, genericHandler, jitErrorStatus, jsonAnswer, startJitServer } = jit;
const { b2cHandler } = b2c;
const { createLockoutPolicy, memoryLockoutStore } = lockoutModule;
const { fileUserStore } = fileModule;

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const rounds = 2;
// Throughput: more, shorter rounds, each ours right after the bare server's. On a shared VM the bare server's rate
// moved 18,900-33,300 req/s between 10 s runs in one session, so one long pair said little; the median of several
// short pairs is steadier.
const throughputRounds = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 6);
const throughputSeconds = Number(process.env.BENCH_THROUGHPUT_SECONDS ?? 4);
const only = process.env.BENCH_ONLY;
const saturationConnections = Number(process.env.BENCH_SATURATION_CONNECTIONS ?? 64);
const apiKey = randomBytes(24).toString('base64url');
const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };

const fastPassword = 'Ssha-Bench-2026';
const slowPassword = 'Bcrypt-Bench-2026';

/** `{SSHA}`: base64(sha1(password + salt) + salt), as OpenLDAP's slappasswd writes it. */
function sshaHash(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** A fileUserStore's export file: one `{SSHA}` user (cheap) and one bcrypt cost-10 user (expensive). */
async function writeUsers(dir: string): Promise<string> {
  const maker = createHashRegistry({ workers: false });
  const bcrypt10 = await maker.hash('bcrypt', slowPassword, { cost: 10 });
  await maker.close();
  const path = join(dir, 'users.jsonl');
  const users = [
    { id: 'bench-0001', username: 'fast', email: 'fast@example.org', displayName: 'Fast User', scheme: 'ldap_salted_sha1', hash: sshaHash(fastPassword) },
    { id: 'bench-0002', username: 'slow', email: 'slow@example.org', displayName: 'Slow User', scheme: 'bcrypt', hash: bcrypt10 },
  ];
  writeFileSync(path, `${users.map((user) => JSON.stringify(user)).join('\n')}\n`);
  return path;
}

/** Counts the outcome of every JIT call from the endpoint's log line (the handlers log nothing else at info). */
function outcomeCounter(): { logger: Logger; take(): string; settle(): Promise<void> } {
  // Per outcome, the server-side duration (ms) of every call, from the log line's durationMs.
  let durations = new Map<string, number[]>();
  let answered = 0;
  const logger: Logger = {
    ...silentLogger,
    info(message, fields) {
      if (message !== 'jit call') return;
      answered++;
      const outcome = `${String(fields?.['status'])} ${String(fields?.['outcome'])}`;
      let list = durations.get(outcome);
      if (list === undefined) durations.set(outcome, (list = []));
      list.push(Number(fields?.['durationMs']));
    },
  };
  return {
    logger,
    /**
     * Waits until no call has been answered for 300 ms: autocannon stops sending at the end of a run, but the
     * server still works through what it queued (64 bcrypt checks take seconds), which would slow the next run.
     */
    async settle() {
      for (;;) {
        const before = answered;
        await new Promise((resolve) => setTimeout(resolve, 300));
        if (answered === before) return;
      }
    },
    /** `200 valid 1,234 (server p99 312 ms), ...` since the last take. */
    take() {
      const text = [...durations.entries()]
        .map(([outcome, list]) => `${outcome} ${list.length.toLocaleString('en')} (server p99 ${ms(percentile(list, 0.99))})`)
        .join(', ');
      durations = new Map();
      return text || 'none';
    },
  };
}

interface Stack {
  server: JitServer;
  close(): Promise<void>;
}

/**
 * The endpoint pipeline without a sign-in: caller authentication, method, content type, body, input schema and
 * the log line, then a fixed answer. Its cost over the bare server is what every protocol pays before any
 * password work; the generic route's cost over it is the sign-in (Authenticator, lockout, store, hash).
 */
function pipelineOnly(callerAuth: ReturnType<typeof createCallerAuth>, logger: Logger): ReturnType<typeof genericHandler> {
  return createJitEndpoint(
    {
      name: 'pipeline-only',
      input: z.object({ username: z.string().min(1), password: z.string().min(1) }).strict(),
      errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
      handle: (input) => Promise.resolve({ answer: jsonAnswer(200, { status: 'checked-nothing' }), outcome: 'pipeline_only', username: input.username }),
    },
    { callerAuth, logger },
  );
}

/** What `legacy-idp serve` builds, minus the config file and the JSON log lines. */
async function startStack(usersPath: string, logger: Logger, registryOptions: Parameters<typeof createHashRegistry>[0] = {}): Promise<Stack> {
  const registry = createHashRegistry(registryOptions);
  const store = await fileUserStore({
    path: usersPath,
    registry,
    matchEmail: true,
    // The scheme named per record, as an export usually says it: `auto` would run every scheme's identify() per
    // sign-in, which costs more than the {SSHA} check itself (docs/benchmarks.md).
    mapping: { subjectId: 'id', username: 'username', email: 'email', hash: 'hash', schemeField: 'scheme', displayName: 'displayName' },
  });
  // The IP scope off: every call comes from 127.0.0.1 and would lock that address out after 100 failures.
  const lockout = createLockoutPolicy({ store: memoryLockoutStore(), secret: randomBytes(32), ip: false });
  const authenticator = createAuthenticator({ verifier: store, profiles: store, lockout });
  const callerAuth = createCallerAuth({ apiKey: { header: 'x-api-key', keys: [{ label: 'bench', value: apiKey }] } });
  const server = await startJitServer({
    port: 0,
    routes: {
      '/api/verify': genericHandler({ authenticator, callerAuth, logger }),
      '/api/b2c/signin': b2cHandler({ mode: 'claims', authenticator, profiles: store, callerAuth, logger }),
      '/api/pipeline': pipelineOnly(callerAuth, logger),
    },
  });
  return {
    server,
    async close() {
      await server.close();
      await authenticator.close();
      await lockout.close();
      await registry.close();
    },
  };
}

/** The baseline: node:http reading the body, parsing it and answering it back as JSON. */
async function startEcho(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

interface Load {
  perSecond: number;
  /** Main-thread busy time per request (us): the servers' own cost, which autocannon's worker thread does not share. */
  busyMicros: number;
  /** Main-thread CPU time per request (us), where /proc tells it, and the part of it spent in the kernel. */
  cpuMicros: number | undefined;
  systemMicros: number | undefined;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * CPU time (us) the main thread has used, in user space and in the kernel, from /proc (Linux; undefined
 * elsewhere). Unlike the event loop's active time it leaves out the time the thread was runnable but waiting for
 * a core, which the load generator's thread and V8's helper threads take on 2 cores. The kernel's part is mostly
 * the loopback TCP work of writing answers, which includes waking the load generator's thread when it sleeps.
 */
function mainThreadCpu(): { user: number; system: number } | undefined {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are 12 and 13.
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: (Number(fields[11]) * 1e6) / clockTicksPerSecond, system: (Number(fields[12]) * 1e6) / clockTicksPerSecond };
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux architecture node runs on. */
const clockTicksPerSecond = 100;

async function load(url: string, body: string, connections: number, duration: number): Promise<Load> {
  const before = performance.eventLoopUtilization();
  const cpuBefore = mainThreadCpu();
  const result = await autocannon({ url, method: 'POST', headers, body, connections, duration, pipelining: 1, workers: 1, timeout: 30 });
  const busy = performance.eventLoopUtilization(before);
  const cpuAfter = mainThreadCpu();
  const requests = Math.max(1, result.requests.total);
  return {
    perSecond: result.requests.average,
    busyMicros: (busy.active * 1000) / requests,
    cpuMicros: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / requests,
    systemMicros: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter.system - cpuBefore.system) / requests,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** p99 of an fs.stat every 20 ms while `during` runs: the latency libuv's threadpool gives other work. */
async function withThreadpoolProbe<T>(during: () => Promise<T>): Promise<{ result: T; statP99: number }> {
  const samples: number[] = [];
  const stop = new AbortController();
  const probe = (async () => {
    while (!stop.signal.aborted) {
      const started = performance.now();
      // The callback stat goes through libuv's threadpool, where the native bcrypt runs too.
      await new Promise<void>((resolve) => {
        stat(tmpdir(), () => {
          resolve();
        });
      });
      samples.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const result = await during();
    return { result, statP99: percentile(samples, 0.99) };
  } finally {
    stop.abort();
    await probe;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

const rate = (value: number): string => Math.round(value).toLocaleString('en');
const micros = (value: number): string => `${Math.round(value)} us`;
const ms = (value: number): string => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

async function throughput(usersPath: string): Promise<void> {
  const counter = outcomeCounter();
  const stack = await startStack(usersPath, counter.logger);
  const echo = await startEcho();
  const routes = [
    { label: 'generic', path: '/api/verify', body: JSON.stringify({ username: 'fast', password: fastPassword }) },
    { label: 'b2c claims', path: '/api/b2c/signin', body: JSON.stringify({ signInName: 'fast@example.org', password: fastPassword }) },
    { label: 'pipeline only (no sign-in)', path: '/api/pipeline', body: JSON.stringify({ username: 'fast', password: fastPassword }) },
  ];
  const ratios: Record<string, number[]> = {};
  // Bare server's main-thread time per request over ours: the ratio with the load generator's CPU taken out.
  const busyRatios: Record<string, number[]> = {};
  // The same with the main thread's CPU time (Linux), which also leaves out time spent waiting for a core.
  const cpuRatios: Record<string, number[]> = {};
  try {
    for (const route of routes) {
      const sample = await fetch(`${stack.server.url}${route.path}`, { method: 'POST', headers, body: route.body });
      console.log(`${route.label}: one call answers ${sample.status} ${await sample.text()}`);
      // Warm-up: both servers' code reaches the optimizing compiler before anything is timed.
      await load(echo.url, route.body, 32, warmupSeconds);
      await load(`${stack.server.url}${route.path}`, route.body, 32, warmupSeconds);
    }
    await counter.settle();
    counter.take();
    console.log('');
    for (let round = 1; round <= throughputRounds; round++) {
      for (const route of routes) {
        const bare = await load(echo.url, route.body, 32, throughputSeconds);
        const ours = await load(`${stack.server.url}${route.path}`, route.body, 32, throughputSeconds);
        (ratios[route.label] ??= []).push(ours.perSecond / bare.perSecond);
        (busyRatios[route.label] ??= []).push(bare.busyMicros / ours.busyMicros);
        if (bare.cpuMicros !== undefined && ours.cpuMicros !== undefined) (cpuRatios[route.label] ??= []).push(bare.cpuMicros / ours.cpuMicros);
        const cpu =
          bare.cpuMicros === undefined || ours.cpuMicros === undefined
            ? ''
            : ` (CPU ${micros(ours.cpuMicros)} vs ${micros(bare.cpuMicros)}, of which kernel ${micros(ours.systemMicros ?? 0)} vs ${micros(bare.systemMicros ?? 0)})`;
        console.log(
          `${route.label}, round ${round}: ${(ours.perSecond / bare.perSecond).toFixed(2)}x bare node:http (${rate(ours.perSecond)} vs ${rate(bare.perSecond)} req/s); ` +
            `p50 ${ms(ours.p50)} vs ${ms(bare.p50)}, p99 ${ms(ours.p99)} vs ${ms(bare.p99)}; ` +
            `server main thread ${micros(ours.busyMicros)} vs ${micros(bare.busyMicros)} per request${cpu}; non-2xx ${ours.non2xx}, errors ${ours.errors}; outcomes: ${counter.take()}`,
        );
      }
    }
    for (const [label, values] of Object.entries(ratios)) {
      const spread = (list: number[]): string => `median ${median(list).toFixed(2)}x, ${Math.min(...list).toFixed(2)}-${Math.max(...list).toFixed(2)}x`;
      const busy = busyRatios[label] ?? [];
      const cpu = cpuRatios[label];
      console.log(
        `${label}: requests/s ${spread(values)} over ${values.length} rounds (target >= 0.5x); the bare server's per-request ` +
          `main-thread time over ours ${spread(busy)}${cpu === undefined ? '' : `, main-thread CPU ${spread(cpu)}`}`,
      );
    }
    console.log('');
  } finally {
    await echo.close();
    await stack.close();
  }
}

async function saturation(usersPath: string): Promise<void> {
  const body = JSON.stringify({ username: 'slow', password: slowPassword });
  const variants = [
    { label: `gate at ${availableParallelism()}, queue wait budget 200 ms (serve's default)`, registry: { maxQueueWaitMs: 200 } },
    { label: `gate at ${availableParallelism()}, no queue wait budget`, registry: {} },
    { label: `gate opened to ${saturationConnections} (concurrency: ${saturationConnections})`, registry: { concurrency: saturationConnections } },
  ];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of variants) {
      const counter = outcomeCounter();
      const stack = await startStack(usersPath, counter.logger, variant.registry);
      try {
        const url = `${stack.server.url}/api/verify`;
        await load(url, body, saturationConnections, warmupSeconds);
        await counter.settle();
        counter.take();
        const { result, statP99 } = await withThreadpoolProbe(() => load(url, body, saturationConnections, seconds));
        await counter.settle();
        console.log(
          `bcrypt-10, ${saturationConnections} connections, round ${round}, ${variant.label}: ${rate(result.perSecond)} req/s (${result.total.toLocaleString('en')} in ${seconds} s); ` +
            `p50 ${ms(result.p50)}, p99 ${ms(result.p99)}; non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}; ` +
            `fs.stat p99 ${ms(statP99)}; outcomes: ${counter.take()}`,
        );
      } finally {
        await stack.close();
      }
    }
  }
  console.log(`target: p99 < 500 ms with the gate (${saturationConnections} connections kept busy: latency is about ${saturationConnections} / throughput, see docs/benchmarks.md)`);
  console.log('bcryptjs-only variant: not a registry option (LEGACY_IDP_BCRYPT=js is read once per process); rerun the whole bench with it set');
}

/** Where bcrypt runs in this process: `threadpool` with the native package loaded, `worker` on bcryptjs. */
function bcryptExecution(): string {
  const probe = createHashRegistry({ workers: false });
  const execution = probe.list().find((scheme) => scheme.id === 'bcrypt')?.execution ?? 'unknown';
  void probe.close();
  return execution === 'threadpool' ? 'on libuv threadpool (native package)' : `in ${execution} (bcryptjs)`;
}

const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-bench-jit-'));
try {
  const usersPath = await writeUsers(dir);
  const [cpu] = cpus();
  console.log(
    `jit benchmarks: throughput ${throughputRounds} rounds of ${throughputSeconds} s, saturation ${rounds} rounds of ${seconds} s (warm-up ${warmupSeconds} s), autocannon in 1 worker thread, pipelining 1; ` +
      `${availableParallelism()} cores (${cpu?.model ?? 'unknown CPU'}), Node ${process.version}, bcrypt ${bcryptExecution()}, built package (dist/); ` +
      `load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`,
  );
  if (only !== 'saturation') await throughput(usersPath);
  if (only !== 'throughput') await saturation(usersPath);
  console.log(`\nload average at the end: ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
