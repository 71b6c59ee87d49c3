import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { createAuthenticator } from '../core/authenticator.js';
import type { UserStore } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import { jsonLogger, type Logger } from '../core/logger.js';
import { parseOptions } from '../core/validate.js';
import type { CallerAuthenticator } from '../jit/caller-auth.js';
import type { JitHandler } from '../jit/endpoint.js';
import { isProxyAddress } from '../jit/hosts/shared.js';
import type { LockoutStore } from '../lockout/types.js';
import type { CliIo } from './cli.js';
import { openStore, type LoadedConfig } from './config.js';
import { callDeadline, deadlineExceeded } from '../core/deadline.js';

/**
 * `legacy-idp serve`: the JIT endpoint from the config file's `serve` and `lockout` sections, or, without a
 * config file, the embedded default: the bundled demo users, in-memory lockout, every protocol on 127.0.0.1,
 * a fresh API key, and ready-to-paste curl lines.
 *
 * Anywhere in those sections, `{ "env": "NAME" }` stands for an environment variable's value and
 * `{ "file": "path" }` for a file's content (relative to the config file), so secrets and keys stay out of it.
 */

const routeSchema = z.looseObject({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9/_.~-]*$/u, 'must be a URL path such as /api/b2c/signin')
    // Requests are matched on their parsed path: `/api/./verify`, `/a/../verify` or `//api/verify` would never match.
    .refine((path) => !URL.canParse(path, 'http://localhost') || new URL(path, 'http://localhost').pathname === path, 'can never match a request: no dot segments (/./, /../) and no leading //'),
  protocol: z.enum(['b2c', 'entra', 'generic']),
});

export const serveConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(8080),
    /**
     * Client address from X-Forwarded-For, counted from the right (only behind your own proxies): true = one proxy,
     * a number = that many, a list = the proxies' addresses or CIDR ranges. The lockout's IP scope uses it.
     */
    trustProxy: z
      .union([z.boolean(), z.number().int().min(0).max(32), z.array(z.string().refine(isProxyAddress, 'an IP address or CIDR range of a proxy you run')).min(1)])
      .default(false),
    tls: z
      .object({
        cert: z.string().min(1),
        key: z.string().min(1),
        ca: z.string().min(1).optional(),
        requestClientCertificate: z.boolean().default(false),
      })
      .strict()
      .optional(),
    /** `createCallerAuth` options (docs/jit-security.md) for every route without its own `callerAuth`. */
    callerAuth: z.record(z.string(), z.unknown()).optional(),
    routes: z.array(routeSchema).min(1),
    /** Microsoft Graph client options, for B2C routes in `create` mode (docs/graph.md). */
    graph: z.record(z.string(), z.unknown()).optional(),
    shutdownTimeoutMs: z.number().int().positive().max(120_000).default(10_000),
  })
  .strict();

export type ServeConfig = z.output<typeof serveConfigSchema>;

export const lockoutConfigSchema = z.looseObject({
  /** `memory` (default, one process) or `{ redis: <url>, keyPrefix? }` (shared by every instance). */
  store: z
    .union([
      z.literal('memory'),
      z
        .object({
          // Checked here so that a typo stops the start, not every sign-in later (the message never quotes the URL).
          redis: z.string().min(1).refine(isRedisUrl, 'must be a redis:// or rediss:// URL'),
          keyPrefix: z.string().optional(),
        })
        .strict(),
    ])
    .default('memory'),
});

/**
 * Readiness of the user store: it answers a lookup (any answer, even "no such user") of a name no one has.
 * A store that hangs is not ready: the probe gets 2 s. Shared by `/readyz` and `legacy-idp doctor`.
 */
export async function probeStore(store: UserStore): Promise<void> {
  await store.get('legacy-idp-readiness-probe', { signal: AbortSignal.timeout(2_000) });
}

/** Readiness of a shared (Redis) lockout store: it answers a status read of a key no one has, within 2 s. */
export async function probeLockoutStore(store: LockoutStore): Promise<void> {
  const deadline = callDeadline(2_000, undefined);
  try {
    const answered = await deadline.race(Promise.resolve(store.status({ key: 'legacy-idp-readiness-probe', scope: 'account', slot: 'legacy-idp-readiness-probe' }, Date.now())));
    if (answered === deadlineExceeded) throw new LegacyIdpError('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE', 'lockout store readiness probe timed out');
  } finally {
    deadline.dispose();
  }
}

/** The `serve` section, references resolved and validated (exit 2 on a mistake). */
export function parseServeSection(loaded: LoadedConfig, env: Readonly<Record<string, string | undefined>>, section: unknown = loaded.raw['serve']): ServeConfig {
  return parseOptions(serveConfigSchema, resolveReferences(section, dirname(loaded.path), env, 'serve'), `config file ${loaded.path} (serve)`);
}

/** The `lockout` section (absent: the defaults), references resolved and validated (exit 2 on a mistake). */
export function parseLockoutSection(loaded: LoadedConfig, env: Readonly<Record<string, string | undefined>>): z.output<typeof lockoutConfigSchema> {
  return parseOptions(lockoutConfigSchema, resolveReferences(loaded.raw['lockout'] ?? {}, dirname(loaded.path), env, 'lockout'), `config file ${loaded.path} (lockout)`);
}

/** PEM text, not a path: a plain path where `{ "file": ... }` was meant is the usual mistake. */
function checkPem(tls: NonNullable<ServeConfig['tls']>): void {
  for (const key of ['cert', 'key', 'ca'] as const) {
    const value = tls[key];
    if (value === undefined || value.includes('-----BEGIN ')) continue;
    const hint = /^[^\n]{1,1024}\.(?:pem|crt|cer|key)$/iu.test(value.trim()) ? `; to read a file write { "file": "${value.trim()}" }` : '';
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: serve.tls.${key} is not PEM text (-----BEGIN ...)${hint}`, { path: `serve.tls.${key}` });
  }
}

/**
 * A `clientCertificate` caller check needs a certificate, which the server gets only over TLS that asks for one:
 * without both, that check refuses every call, and a route with no other method answers every call 401.
 */
function checkClientCertificateAuth(serveConfig: ServeConfig): void {
  if (serveConfig.tls?.requestClientCertificate === true) return;
  const users = [
    ...(serveConfig.callerAuth?.['clientCertificate'] === undefined ? [] : ['serve.callerAuth.clientCertificate']),
    ...serveConfig.routes.flatMap((route, index) => {
      const own = route['callerAuth'] as Record<string, unknown> | undefined;
      return own?.['clientCertificate'] === undefined ? [] : [`serve.routes[${index}].callerAuth.clientCertificate`];
    }),
  ];
  const [first] = users;
  if (first === undefined) return;
  const missing = serveConfig.tls === undefined ? 'serve.tls is not set' : 'serve.tls.requestClientCertificate is not true';
  throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: ${users.join(', ')} needs a client certificate, which no caller can present: ${missing}`, { path: first });
}

function isRedisUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
}

/** Replaces `{ env }` and `{ file }` references, depth first. */
export function resolveReferences(value: unknown, baseDir: string, env: Readonly<Record<string, string | undefined>>, path = ''): unknown {
  if (Array.isArray(value)) return value.map((item, index) => resolveReferences(item, baseDir, env, `${path}[${index}]`));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]?.[0] === 'env' && typeof entries[0][1] === 'string') {
    const name = entries[0][1];
    const found = env[name];
    if (found === undefined || found.length === 0) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: "${path}" names the environment variable ${name}, which is not set`, { path });
    }
    return found;
  }
  if (entries.length === 1 && entries[0]?.[0] === 'file' && typeof entries[0][1] === 'string') {
    const file = resolve(baseDir, entries[0][1]);
    try {
      // One final line break goes (`echo secret > file` writes one); a PEM file keeps its content either way.
      return readFileSync(file, 'utf8').replace(/\r?\n$/u, '');
    } catch (error) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `config file: "${path}" names ${file}, which cannot be read`, { cause: error });
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveReferences(item, baseDir, env, path === '' ? key : `${path}.${key}`)]));
}

/**
 * How long the port waits for the warm-up before it opens; `/readyz` answers unavailable until the warm-up is done,
 * or has run for `warmUpLimitMs` (what is left then is for the first calls, as without it).
 */
const warmUpWaitMs = 2_000;
const warmUpLimitMs = 10_000;

/**
 * Work the first sign-ins would otherwise do out of their deadline, done before the server takes calls. On a
 * cold start (built CLI, file store, bearer caller check) the first Entra call spent most of its default 800 ms
 * on it: the JWKS fetch with the start of Node's HTTP client, and loading the native bcrypt backend (with its
 * check against bcryptjs); see docs/serve.md#start-up. So the store answers a lookup (its pool connects) and
 * makes one dummy verification (after the dummy hash is chosen, see `store.prepare`: the hash backend of the
 * store's values loads), and every bearer check fetches its JWKS. The Entra routes have already opened a JWE of
 * each algorithm with each key, when they were built. Never rejects: a part that fails is logged and left to
 * the first call, as without the warm-up.
 */
async function warmUp(store: UserStore, callerAuths: readonly CallerAuthenticator[], logger: Logger): Promise<void> {
  const startedAt = performance.now();
  const problems: string[] = [];
  // Names only: a driver's message can quote a connection string.
  const problem = (part: string, error: unknown): void => {
    problems.push(`${part}: ${error instanceof LegacyIdpError ? error.code : error instanceof Error ? error.name : 'failed'}`);
  };
  const { prepareCallerAuth } = await import('../jit/caller-auth.js');
  const storePart = async (): Promise<void> => {
    await probeStore(store).catch((error: unknown) => {
      problem('store lookup', error);
    });
    // A password no one has: the dummy check verifies it against one of the store's own stored values.
    await store.dummyVerify?.(randomBytes(12).toString('base64url'), { signal: AbortSignal.timeout(warmUpLimitMs) }).catch((error: unknown) => {
      problem('dummy verification', error);
    });
  };
  const callerPart = async (auth: CallerAuthenticator): Promise<void> => {
    problems.push(...(await prepareCallerAuth(auth)));
  };
  const deadline = callDeadline(warmUpLimitMs, undefined);
  try {
    if ((await deadline.race(Promise.all([storePart(), ...callerAuths.map(callerPart)]))) === deadlineExceeded) problems.push(`not done within ${warmUpLimitMs} ms`);
  } finally {
    deadline.dispose();
  }
  const fields = { durationMs: Math.round(performance.now() - startedAt) };
  if (problems.length === 0) logger.info('warm-up finished', fields);
  else logger.warn('warm-up incomplete: the first calls do the rest', { ...fields, problems });
}

interface DemoExtras {
  apiKey: string;
  entraRequestFile: string;
}

/** The embedded default's serve section: every protocol, an API key made for this run, an Entra key pair. */
async function demoServeSection(port: number): Promise<{ serve: unknown; extras: DemoExtras }> {
  const jose = await import('jose');
  const apiKey = randomBytes(24).toString('base64url');
  const { publicKey, privateKey } = await jose.generateKeyPair('RSA-OAEP-256', { extractable: true });
  const privatePem = await jose.exportPKCS8(privateKey);
  // What Entra would send for alice: an RSA JWE over an unsigned JWS, made with this run's public key.
  const jws = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
    JSON.stringify({ 'user-password': 'Wonderland-2024', nonce: 'demo-nonce-0001', username: 'alice@example.org' }),
  ).toString('base64url')}.`;
  const jwe = await new jose.CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'demo' }).encrypt(publicKey);
  const entraRequestFile = join(tmpdir(), `legacy-idp-demo-entra-${process.pid}.json`);
  writeFileSync(
    entraRequestFile,
    JSON.stringify({
      type: 'microsoft.graph.authenticationEvent.passwordSubmit',
      data: {
        '@odata.type': 'microsoft.graph.onPasswordSubmitCalloutData',
        tenantId: '00000000-0000-4000-8000-000000000000',
        encryptedPasswordContext: jwe,
        authenticationContext: { correlationId: 'demo', client: { ip: '127.0.0.1', locale: 'en-us' }, user: { mail: 'alice@example.org' } },
      },
    }),
    { mode: 0o600 },
  );
  return {
    serve: {
      host: '127.0.0.1',
      port,
      callerAuth: { apiKey: { header: 'x-api-key', keys: [{ label: 'demo', value: apiKey }] } },
      routes: [
        { path: '/api/verify', protocol: 'generic' },
        { path: '/api/b2c/signin', protocol: 'b2c', mode: 'claims' },
        { path: '/api/b2c/seamless', protocol: 'b2c', mode: 'seamless' },
        { path: '/api/b2c/signup-check', protocol: 'b2c', mode: 'signup-check' },
        { path: '/api/b2c/reset-discovery', protocol: 'b2c', mode: 'reset-discovery' },
        { path: '/api/entra', protocol: 'entra', keys: [{ kid: 'demo', privateKey: privatePem }] },
      ],
    },
    extras: { apiKey, entraRequestFile },
  };
}

function curlLines(url: string, extras: DemoExtras): string[] {
  const header = `-H 'x-api-key: ${extras.apiKey}' -H 'content-type: application/json'`;
  return [
    `curl -s ${url}/api/verify ${header} -d '{"username":"alice","password":"Wonderland-2024"}'`,
    `curl -s ${url}/api/b2c/signin ${header} -d '{"signInName":"bob@example.org","password":"Builder-2024!"}'`,
    `curl -s ${url}/api/b2c/signin ${header} -d '{"signInName":"bob@example.org","password":"wrong"}'`,
    `curl -s ${url}/api/b2c/seamless ${header} -d '{"signInName":"erin","password":"Identity-V3-2024"}'`,
    `curl -s ${url}/api/b2c/signup-check ${header} -d '{"signInName":"alice@example.org"}'`,
    `curl -s ${url}/api/entra ${header} -d @${extras.entraRequestFile}`,
    `curl -s ${url}/readyz`,
  ];
}

async function buildHandler(
  route: z.output<typeof routeSchema>,
  shared: { authenticator: ReturnType<typeof createAuthenticator>; store: UserStore; callerAuth: CallerAuthenticator; logger: Logger; graph: unknown },
  /** Every caller check made, for the warm-up. */
  callerAuths: CallerAuthenticator[],
): Promise<JitHandler> {
  const { path: _path, protocol, callerAuth: routeCallerAuth, ...options } = route;
  let callerAuth = shared.callerAuth;
  if (routeCallerAuth !== undefined) {
    // A route with its own callers (the B2C key must not open the Entra route, and the other way round).
    const { createCallerAuth } = await import('../jit/caller-auth.js');
    callerAuth = createCallerAuth({ ...(routeCallerAuth as Record<string, unknown>), logger: shared.logger });
    callerAuths.push(callerAuth);
  }
  const common = { authenticator: shared.authenticator, callerAuth, logger: shared.logger };
  switch (protocol) {
    case 'generic': {
      const { genericHandler } = await import('../jit/generic.js');
      return genericHandler({ ...common, ...options });
    }
    case 'entra': {
      const { entraHandler } = await import('../jit/entra.js');
      return entraHandler({ ...common, ...options } as Parameters<typeof entraHandler>[0]);
    }
    case 'b2c': {
      const { b2cHandler } = await import('../jit/b2c.js');
      const create = options['create'] as Record<string, unknown> | undefined;
      const writeBack = create?.['writeBack'] === true ? { writeBack: shared.store } : {};
      if (create && !shared.graph) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: route ${route.path} creates users and needs serve.graph`, { path: 'serve.graph' });
      }
      return b2cHandler({
        ...common,
        profiles: shared.store,
        ...options,
        ...(create ? { create: { ...create, graph: shared.graph, ...writeBack } } : {}),
      } as unknown as Parameters<typeof b2cHandler>[0]);
    }
  }
}

/** Runs until `io.stopSignal` aborts (SIGINT/SIGTERM/SIGHUP in the real CLI); returns the exit status. */
export async function serve(values: Record<string, string | boolean | undefined>, io: CliIo, loaded: LoadedConfig, embedded: boolean): Promise<number> {
  const raw = loaded.raw;
  // Decimal digits only: Number() would take '' (a random port), ' 80', '0x50' and '1e3'.
  const portOption = typeof values.port === 'string' && /^\d{1,5}$/u.test(values.port) ? Number(values.port) : typeof values.port === 'string' ? Number.NaN : undefined;
  if (portOption !== undefined && (!Number.isInteger(portOption) || portOption < 0 || portOption > 65_535)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_USAGE', 'serve: --port must be a port number (0 picks a free one)');
  }
  let extras: DemoExtras | undefined;
  let serveSection: unknown = raw['serve'];
  if (embedded) {
    const demo = await demoServeSection(portOption ?? 8080);
    serveSection = demo.serve;
    extras = demo.extras;
  }
  if (serveSection === undefined) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file ${loaded.path}: no "serve" section (routes, callerAuth)`, { path: 'serve' });
  }
  const serveConfig = parseServeSection(loaded, io.env, serveSection);
  const lockoutConfig = parseLockoutSection(loaded, io.env);
  if (portOption !== undefined) serveConfig.port = portOption;
  if (serveConfig.tls) checkPem(serveConfig.tls);
  checkClientCertificateAuth(serveConfig);
  const level = loaded.config.log.level === 'silent' ? 'info' : loaded.config.log.level;
  // Sealed after the server's last line (`jit server stopped`, which counts the calls the stop gave up on): those
  // calls go on until their check ends, and their lines would otherwise follow it.
  let logSealed = false;
  const logger = jsonLogger({
    level,
    write: (line) => {
      if (!logSealed) io.stderr.write(`${line}\n`);
    },
  });

  const store = await openStore(loaded, { logger });
  const closers: Array<() => Promise<unknown>> = [async () => store.close?.()];
  // The store's one-off work (a hash store's dummy hash, up to 24 verifications) runs while the rest starts, not
  // in the first unknown user's sign-in; /readyz waits for it. A failure is tried again by the next /readyz.
  store.prepare?.().catch(() => undefined);
  try {
    const { createLockoutPolicy } = await import('../lockout/policy.js');
    const { store: lockoutStoreOption, ...policyOptions } = lockoutConfig;
    let lockoutStore: LockoutStore | undefined;
    if (lockoutStoreOption !== 'memory') {
      const { redisLockoutStore } = await import('../lockout/stores/redis.js');
      lockoutStore = redisLockoutStore({ connection: lockoutStoreOption.redis, logger, ...(lockoutStoreOption.keyPrefix ? { keyPrefix: lockoutStoreOption.keyPrefix } : {}) });
      const opened = lockoutStore;
      closers.push(async () => opened.close?.());
    }
    const lockout = createLockoutPolicy({ ...policyOptions, ...(lockoutStore ? { store: lockoutStore } : {}), logger });
    const { normalization, deadlineMs } = loaded.config;
    // One info line per call: the endpoint's `jit call` carries the outcome's reason and detail, so the
    // Authenticator's own line goes to debug. Its warnings (a backend failure, with the error) stay.
    const authenticatorLogger: Logger = { ...logger, info: (message, fields) => { logger.debug(message, fields); } };
    const authenticator = createAuthenticator({ verifier: store, profiles: store, lockout, logger: authenticatorLogger, defaultDeadlineMs: deadlineMs, ...(normalization ? { normalization } : {}) });
    closers.unshift(() => authenticator.close());
    const { createCallerAuth } = await import('../jit/caller-auth.js');
    const unprotected = serveConfig.routes.filter((route) => route['callerAuth'] === undefined).map((route) => route.path);
    if (serveConfig.callerAuth === undefined && unprotected.length > 0) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: serve.callerAuth is missing, and routes ${unprotected.join(', ')} have none of their own`, {
        path: 'serve.callerAuth',
      });
    }
    const callerAuth: CallerAuthenticator =
      serveConfig.callerAuth === undefined
        ? () => Promise.resolve({ ok: false, reason: 'no caller authentication configured' })
        : createCallerAuth({ ...serveConfig.callerAuth, logger });
    let graph: unknown;
    if (serveConfig.graph) {
      const { createGraphClient } = await import('../graph/index.js');
      graph = createGraphClient({ ...serveConfig.graph, logger } as Parameters<typeof createGraphClient>[0]);
    }
    const routes: Record<string, JitHandler> = {};
    const callerAuths = [callerAuth];
    for (const route of serveConfig.routes) {
      if (routes[route.path]) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: route ${route.path} is listed twice`, { path: 'serve.routes' });
      routes[route.path] = await buildHandler(route, { authenticator, store, callerAuth, logger, graph }, callerAuths);
    }
    let warmedUp = false;
    const warmUpDone = warmUp(store, callerAuths, logger).then(() => {
      warmedUp = true;
    });
    const portWait = callDeadline(warmUpWaitMs, undefined);
    try {
      await portWait.race(warmUpDone);
    } finally {
      portWait.dispose();
    }
    const { startJitServer } = await import('../jit/server.js');
    const server = await startJitServer({
      host: serveConfig.host,
      port: serveConfig.port,
      trustProxy: serveConfig.trustProxy,
      routes,
      logger,
      shutdownTimeoutMs: serveConfig.shutdownTimeoutMs,
      onStopped: () => {
        logSealed = true;
      },
      ...(serveConfig.tls
        ? { tls: { cert: serveConfig.tls.cert, key: serveConfig.tls.key, ...(serveConfig.tls.ca ? { ca: serveConfig.tls.ca } : {}), requestClientCertificate: serveConfig.tls.requestClientCertificate } }
        : {}),
      // Ready when the warm-up is done, the user store answers and, when it is shared, the lockout store too:
      // with Redis down every sign-in fails closed, so the instance must leave the load balancer.
      ready: async () => {
        if (!warmedUp) return false;
        await Promise.all([
          probeStore(store),
          ...(lockoutStore ? [probeLockoutStore(lockoutStore)] : []),
          // Until the store's start-up work is done, a sign-in could wait for it: not ready yet.
          ...(store.prepare ? [store.prepare({ signal: AbortSignal.timeout(2_000) })] : []),
        ]);
        return true;
      },
    });
    closers.unshift(() => server.close());
    io.stdout.write(`legacy-idp serve: listening on ${server.url} (${Object.keys(routes).join(', ')})\n`);
    if (extras) {
      // The lines below work once the instance is ready, /readyz among them, which waits for the store's dummy
      // hash (several seconds for the demo's seven hash schemes): they are printed then, or at once on a stop.
      if (store.prepare) {
        const prepared = callDeadline(io.stopSignal, undefined);
        try {
          await prepared.race(store.prepare()).catch(() => undefined);
        } finally {
          prepared.dispose();
        }
      }
      io.stdout.write(
        [
          `Embedded default: the bundled demo users (${loaded.path.replace(/legacy-idp\.json$/u, 'users.jsonl')}), in-memory lockout, an API key made for this run.`,
          'Demo passwords: alice Wonderland-2024 (bcrypt), bob Builder-2024! (Django PBKDF2), erin Identity-V3-2024 (ASP.NET Identity V3),',
          'frank Argon2id-2024 (argon2id), grace Ssha-Directory-2024 ({SSHA}), carol Expired-2019 (sha512-crypt, expired), dave Disabled-2020 (disabled).',
          'Try:',
          ...curlLines(server.url, extras).map((line) => `  ${line}`),
          '',
        ].join('\n'),
      );
    }
    await new Promise<void>((resolveStop) => {
      if (io.stopSignal?.aborted) resolveStop();
      io.stopSignal?.addEventListener('abort', () => {
        resolveStop();
      });
    });
    io.stdout.write('legacy-idp serve: stopping\n');
    return 0;
  } finally {
    if (extras) rmSync(extras.entraRequestFile, { force: true });
    for (const close of closers) await close().catch(() => undefined);
  }
}
