/**
 * vitest globalSetup: runs once, in the main process, before any test file.
 * Finds out which real servers this machine can offer, starts or installs what is missing when
 * we are root on Debian (the CI and development machines), and hands the result to the tests
 * through provide()/inject(). Suites of a missing server are skipped with one line of notice,
 * or the run fails when LEGACY_IDP_REQUIRE_SERVICES=1.
 */
import { existsSync } from 'node:fs';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import {
  SERVICE_NAMES,
  SUITES_BY_SERVICE,
  redactUrl,
  resolveUrls,
  skipNotice,
  type ServiceAvailability,
  type ServiceName,
  type ServiceStatus,
  type ServiceUrls,
} from './catalog.js';
import { run, sleep } from './process.js';
import { REDIS_SERVER_BIN } from './redis-server.js';
import { missingSlapdParts, startSlapd } from './slapd.js';
import { sambaAvailability } from './samba-ad.js';

const PROBE_TIMEOUT_MS = 3000;
const START_WAIT_MS = 30_000;
/** slapd-contrib brings pw-pbkdf2 (plus pw-apr1, pw-netscape) for legacy hash fixtures. */
const SLAPD_PACKAGES = ['slapd', 'ldap-utils', 'slapd-contrib'];
const REDIS_SERVER_PACKAGES = ['redis-server'];

const AVAILABLE: ServiceStatus = { available: true, reason: '' };

function unavailable(reason: string): ServiceStatus {
  return { available: false, reason };
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(errorMessage).join('; ');
  if (error instanceof Error) return error.message !== '' ? error.message : error.name;
  return String(error);
}

function seconds(startedAt: number): string {
  return ((performance.now() - startedAt) / 1000).toFixed(1);
}

function rootOnDebian(): boolean {
  return existsSync('/etc/debian_version') && process.getuid?.() === 0;
}

// --- apt-get ------------------------------------------------------------------------------

type Installer = (packages: readonly string[]) => Promise<string | undefined>;

/**
 * apt-get install with output in a log file; returns undefined on success, else the reason.
 * `apt-get update` runs once per test run, on the first install.
 */
function createInstaller(): Installer {
  let updated: Promise<void> | undefined;
  return async (packages) => {
    const log = join(tmpdir(), `legacy-idp-apt-${String(process.pid)}.log`);
    const startedAt = performance.now();
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const appendRun = async (args: readonly string[]): Promise<number | null> => {
      const result = await run('apt-get', args, { env, timeoutMs: 600_000 });
      await appendFile(log, `$ apt-get ${args.join(' ')}\n${result.stdout}${result.stderr}\n`);
      return result.code;
    };
    const removeGuard = await blockServiceStarts();
    try {
      updated ??= appendRun(['update']).then(() => undefined);
      await updated;
      const code = await appendRun(['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', ...packages]);
      if (code !== 0) return `apt-get install ${packages.join(' ')} failed with ${String(code)} (log: ${log})`;
      console.log(`legacy-idp tests: installed ${packages.join(' ')} from Debian packages in ${seconds(startedAt)} s (log: ${log})`);
      return undefined;
    } finally {
      await removeGuard();
    }
  };
}

/**
 * Makes sure package scripts cannot start slapd on 389 or a second Redis on 6379: Debian's
 * invoke-rc.d honours /usr/sbin/policy-rc.d (exit 101 = "do not start"). Our instances never
 * use the system configuration. Returns how to undo it (a no-op when the file was already there).
 */
async function blockServiceStarts(): Promise<() => Promise<void>> {
  const policy = '/usr/sbin/policy-rc.d';
  if (existsSync(policy)) return () => Promise.resolve();
  await writeFile(policy, '#!/bin/sh\n# written by legacy-idp test harness during apt-get install\nexit 101\n', { mode: 0o755 });
  return () => rm(policy, { force: true });
}

// --- PostgreSQL / MariaDB / Redis ----------------------------------------------------------

interface NetworkService {
  readonly name: 'postgres' | 'mariadb' | 'redis';
  readonly url: string;
  readonly standardPort: number;
  /** Throws when the server does not answer a trivial query. */
  probe(url: string): Promise<void>;
  /** The machine's documented start command (machines/node-svc.md) and the binary it needs. */
  readonly start: { readonly binary: string; readonly command: string };
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeMariadb(url: string): Promise<void> {
  const connection = await createConnection({ uri: url, connectTimeout: PROBE_TIMEOUT_MS });
  try {
    await connection.query('SELECT 1');
  } finally {
    await connection.end();
  }
}

async function probeRedis(url: string): Promise<void> {
  const redis = new Redis(url, { connectTimeout: PROBE_TIMEOUT_MS, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // ioredis rejects connect() with a vague "Connection is closed."; the socket error it emits is the useful part.
  let socketError: unknown;
  redis.on('error', (error: unknown) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw socketError ?? error;
  } finally {
    redis.disconnect();
  }
}

function networkServices(urls: ServiceUrls): NetworkService[] {
  return [
    {
      name: 'postgres',
      url: urls.postgres,
      standardPort: 5432,
      probe: probePostgres,
      start: { binary: '/usr/bin/pg_ctlcluster', command: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' },
    },
    {
      name: 'mariadb',
      url: urls.mariadb,
      standardPort: 3306,
      probe: probeMariadb,
      start: { binary: '/usr/sbin/mariadbd', command: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' },
    },
    {
      name: 'redis',
      url: urls.redis,
      standardPort: 6379,
      probe: probeRedis,
      start: {
        binary: '/usr/bin/redis-server',
        command: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
      },
    },
  ];
}

/** Only the machine's own server may be started: loopback host and the standard port. */
function isMachineServer(service: NetworkService): boolean {
  try {
    const url = new URL(service.url);
    const port = url.port === '' ? service.standardPort : Number(url.port);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && port === service.standardPort;
  } catch {
    return false;
  }
}

async function probeUntil(service: NetworkService, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  do {
    try {
      await service.probe(service.url);
      return undefined;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  } while (Date.now() < deadline);
  return lastError;
}

async function ensureNetworkService(service: NetworkService): Promise<ServiceStatus> {
  const where = redactUrl(service.url);
  const firstError = await probeUntil(service, 0);
  if (firstError === undefined) return AVAILABLE;
  if (!isMachineServer(service) || !existsSync(service.start.binary)) {
    return unavailable(`cannot reach ${where}: ${errorMessage(firstError)}`);
  }
  const startedAt = performance.now();
  const result = await run('sh', ['-c', service.start.command], { timeoutMs: START_WAIT_MS });
  const laterError = await probeUntil(service, START_WAIT_MS);
  if (laterError !== undefined) {
    const startOutput = `${result.stdout}${result.stderr}`.trim().slice(0, 300);
    return unavailable(`cannot reach ${where} (${errorMessage(laterError)}), and starting it failed: ${startOutput || `exit ${String(result.code)}`}`);
  }
  console.log(`legacy-idp tests: ${service.name} was not running; started it in ${seconds(startedAt)} s`);
  return AVAILABLE;
}

// --- slapd and redis-server binaries ------------------------------------------------------

async function ensureSlapd(install: Installer): Promise<ServiceStatus> {
  let missing = missingSlapdParts();
  if (missing.length > 0) {
    if (!rootOnDebian()) return unavailable(`${missing.join(', ')} not found and not root on Debian`);
    const failure = await install(SLAPD_PACKAGES);
    if (failure !== undefined) return unavailable(`${missing.join(', ')} not found and ${failure}`);
    missing = missingSlapdParts();
    if (missing.length > 0) return unavailable(`${missing.join(', ')} still missing after installing ${SLAPD_PACKAGES.join(' ')}`);
  }
  // A real start proves the modules, schema and TLS set-up work here, not just that files exist.
  try {
    const instance = await startSlapd();
    await instance.stop();
    return AVAILABLE;
  } catch (error) {
    return unavailable(`a throw-away slapd did not start: ${errorMessage(error)}`);
  }
}

async function redisServerWorks(): Promise<boolean> {
  return (await run(REDIS_SERVER_BIN, ['--version'], { timeoutMs: 10_000 })).code === 0;
}

async function ensureRedisServer(install: Installer): Promise<ServiceStatus> {
  if (await redisServerWorks()) return AVAILABLE;
  if (!rootOnDebian()) return unavailable(`${REDIS_SERVER_BIN} not found on PATH and not root on Debian`);
  const failure = await install(REDIS_SERVER_PACKAGES);
  if (failure !== undefined) return unavailable(`${REDIS_SERVER_BIN} not found and ${failure}`);
  return (await redisServerWorks()) ? AVAILABLE : unavailable(`${REDIS_SERVER_BIN} still does not run after installing redis-server`);
}

// --- entry point --------------------------------------------------------------------------

async function detectAll(urls: ServiceUrls): Promise<ServiceAvailability> {
  const install = createInstaller();
  const [postgres, mariadb, redis] = await Promise.all(networkServices(urls).map(ensureNetworkService));
  // apt-get takes a lock, so the possible installs run one after the other.
  const slapd = await ensureSlapd(install);
  const redisServer = await ensureRedisServer(install);
  const sambaAd = await sambaAvailability(install);
  const fallback = unavailable('not checked');
  return {
    postgres: postgres ?? fallback,
    mariadb: mariadb ?? fallback,
    redis: redis ?? fallback,
    slapd,
    'redis-server': redisServer,
    'samba-ad': sambaAd,
  };
}

export default async function setup(project: TestProject): Promise<void> {
  const urls = resolveUrls();
  const services = await detectAll(urls);
  const missing = SERVICE_NAMES.filter((name: ServiceName) => !services[name].available);
  if (missing.length > 0 && process.env.LEGACY_IDP_REQUIRE_SERVICES === '1') {
    const lines = missing.map((name) => `- ${name} (${SUITES_BY_SERVICE[name].join(', ')}): ${services[name].reason}`);
    throw new Error(`LEGACY_IDP_REQUIRE_SERVICES=1 but these services are unavailable:\n${lines.join('\n')}`);
  }
  for (const name of missing) console.log(skipNotice(name, services[name].reason));
  project.provide('legacyIdpServices', services);
  project.provide('legacyIdpUrls', urls);
}
