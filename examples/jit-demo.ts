/**
 * What the jit-* examples share, so that each of them shows only its host: the bundled demo users
 * (examples/demo/users.jsonl, read with the store section of examples/demo/legacy-idp.json), lockout in memory,
 * an API key the caller must send, and two handlers: Azure AD B2C's `claims` mode and the generic JSON protocol.
 * Not runnable by itself: run jit-express.ts, jit-fastify.ts, jit-hono.ts, jit-azure-functions.ts or jit-lambda.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createAuthenticator, jsonLogger, type UsernameNormalizationOptions } from 'legacy-idp';
import { fileUserStore, type FileStoreOptions } from 'legacy-idp/file';
import { createCallerAuth, genericHandler, type JitHandler } from 'legacy-idp/jit';
import { b2cHandler } from 'legacy-idp/jit/b2c';
import { createLockoutPolicy } from 'legacy-idp/lockout';

export interface JitDemo {
  /** The key callers send in `x-api-key`. */
  apiKey: string;
  /** True when the key was made for this run (JIT_API_KEY was not set). */
  apiKeyGenerated: boolean;
  /** POST /api/b2c/signin: B2C's RESTful technical profile, `claims` mode. */
  b2cSignIn: JitHandler;
  /** POST /api/verify: `{ username, password }` in, `{ status, profile? }` out. */
  verify: JitHandler;
  close(): Promise<void>;
}

interface DemoConfig {
  store: Omit<FileStoreOptions, 'path'> & { type: 'file'; path: string };
  normalization: UsernameNormalizationOptions;
  deadlineMs: number;
}

export async function startJitDemo(): Promise<JitDemo> {
  const demoDir = new URL('demo/', import.meta.url);
  const config = JSON.parse(await readFile(new URL('legacy-idp.json', demoDir), 'utf8')) as DemoConfig;
  const { type: _type, path, ...storeOptions } = config.store;
  const store = await fileUserStore({ ...storeOptions, normalization: config.normalization, path: fileURLToPath(new URL(path, demoDir)) });

  // The operator log goes to stderr, one line per call; it never holds a password.
  const logger = jsonLogger({ level: 'info' });
  // One process, so the memory store is enough; several instances share a Redis store (legacy-idp/lockout/redis).
  const lockout = createLockoutPolicy({ logger });
  const authenticator = createAuthenticator({ verifier: store, profiles: store, lockout, logger, normalization: config.normalization, defaultDeadlineMs: config.deadlineMs });

  const configuredKey = process.env.JIT_API_KEY;
  const apiKey = configuredKey === undefined || configuredKey === '' ? randomBytes(24).toString('base64url') : configuredKey;
  // B2C's ApiKeyHeader sends the policy key in the header named by the key's Id.
  const callerAuth = createCallerAuth({ apiKey: { header: 'x-api-key', keys: [{ label: 'demo', value: apiKey }] }, logger });

  return {
    apiKey,
    apiKeyGenerated: apiKey !== configuredKey,
    b2cSignIn: b2cHandler({ mode: 'claims', authenticator, callerAuth, logger }),
    verify: genericHandler({ authenticator, callerAuth, logger }),
    async close() {
      await authenticator.close();
      await lockout.close();
    },
  };
}

/** What a server example prints after its URL: the key (when made for this run) and calls to try. */
export function tryLines(baseUrl: string, demo: JitDemo): string[] {
  // A key the operator chose stays in the environment, out of the output.
  const key = demo.apiKeyGenerated ? demo.apiKey : '$JIT_API_KEY';
  const call = (path: string, body: object): string =>
    `  curl -si ${baseUrl}${path} -H "x-api-key: ${key}" -H 'content-type: application/json' -d '${JSON.stringify(body)}'`;
  return [
    demo.apiKeyGenerated ? `x-api-key: ${demo.apiKey} (made for this run; set JIT_API_KEY to choose one)` : 'x-api-key: the value of JIT_API_KEY',
    'Try (demo user alice, password Wonderland-2024):',
    call('/api/b2c/signin', { signInName: 'alice', password: 'Wonderland-2024' }),
    call('/api/verify', { username: 'alice', password: 'Wonderland-2024' }),
  ];
}

/** True when `moduleUrl` is the file node was started with (not imported by a platform's runtime or a test). */
export function isMainModule(moduleUrl: string): boolean {
  const started = process.argv[1];
  return started !== undefined && pathToFileURL(started).href === moduleUrl;
}
