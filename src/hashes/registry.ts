import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { LegacyIdpError, isLegacyIdpError, toError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import { builtinSchemes } from './builtin.js';
import { utf8Length } from './codec.js';
import { createComputeGate } from './compute.js';
import { defaultHashLimits, hashLimitsSchema } from './limits.js';
import type { HashContext, HashLimits, HashScheme, HashVerifyResult, SchemeVerdict } from './types.js';
import { createWorkerPool, type WorkerPool } from './worker-pool.js';

const registryOptionsSchema = z
  .object({
    /** Replace the built-in schemes (default: all of them). */
    schemes: z.array(z.custom<HashScheme>((value) => typeof value === 'object' && value !== null && 'id' in value)).optional(),
    limits: hashLimitsSchema.optional(),
    /** Hash computations in flight at once (threadpool and workers together). Default: one per core. */
    concurrency: z.number().int().positive().max(256).optional(),
    /** Verifications allowed to wait for a slot before `ERR_LEGACY_IDP_HASH_BUSY`. */
    maxQueue: z.number().int().nonnegative().default(1000),
    /**
     * Admission control: refuse a verification at once (`ERR_LEGACY_IDP_HASH_BUSY`) when its expected wait for a
     * slot is over this many ms, and drop one that waited longer. Off by default (batch work may queue); a JIT
     * endpoint wants it, so `legacy-idp serve` sets 200 ms (docs/serve.md, "Overload").
     */
    maxQueueWaitMs: z.number().int().positive().max(600_000).optional(),
    /**
     * Receives one warning per `overloadReportMs` (default 10 s) while `maxQueueWaitMs` refuses checks, with how
     * many: refusals themselves are not warnings (one per sign-in under load), so this is the operator's signal.
     */
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
    overloadReportMs: z.number().int().positive().max(3_600_000).default(10_000),
    /** Run pure-JS schemes in worker threads (default). `false` runs them inline (tests, tiny scripts). */
    workers: z.boolean().default(true),
  })
  .strict();

export type HashRegistryOptions = z.input<typeof registryOptionsSchema>;

export interface VerifyHashOptions {
  /** Scheme id, or `auto` / absent to identify it from the hash. */
  scheme?: string;
  context?: HashContext;
}

/** What `list()` tells about a scheme: everything but the functions. */
export interface SchemeInfo {
  id: string;
  family: HashScheme['family'];
  summary: string;
  example: string;
  contextKeys: NonNullable<HashScheme['contextKeys']>;
  source: string;
  /** Where verification runs on this installation (a loaded native backend can change `worker` to `threadpool`). */
  execution: HashScheme['execution'];
  /** The optional package that moves this scheme to the threadpool, when there is one. */
  threadpoolWith?: string;
  canHash: boolean;
  identifiable: boolean;
  upgradeAdvice: string;
}

export interface HashRegistry {
  readonly limits: HashLimits;
  list(): SchemeInfo[];
  get(id: string): HashScheme | undefined;
  /** Candidate scheme ids for a stored hash, in registry order; empty for bare digests. */
  identify(hash: string): string[];
  verify(password: string, hash: string, options?: VerifyHashOptions): Promise<HashVerifyResult>;
  hash(schemeId: string, password: string, options?: Readonly<Record<string, unknown>>): Promise<string>;
  register(scheme: HashScheme): void;
  close(): Promise<void>;
}

export function describeScheme(scheme: HashScheme): SchemeInfo {
  return {
    id: scheme.id,
    family: scheme.family,
    summary: scheme.summary,
    example: scheme.example,
    contextKeys: scheme.contextKeys ?? [],
    source: scheme.source,
    execution: scheme.threadpoolWith?.loaded() ? 'threadpool' : scheme.execution,
    ...(scheme.threadpoolWith ? { threadpoolWith: scheme.threadpoolWith.backend } : {}),
    canHash: typeof scheme.hash === 'function',
    identifiable: typeof scheme.identify === 'function',
    upgradeAdvice: scheme.upgradeAdvice,
  };
}

/**
 * Runs one scheme's verify on the current thread, with every failure typed. Used inline on the main
 * thread and inside the worker threads.
 */
export async function runSchemeVerify(
  scheme: HashScheme,
  password: string,
  hash: string,
  context: HashContext,
  limits: HashLimits,
  verifyInner: (password: string, hash: string, scheme?: string, context?: HashContext) => Promise<boolean>,
): Promise<SchemeVerdict> {
  try {
    return await scheme.verify({ password, hash, context, limits, verifyInner });
  } catch (error) {
    if (isLegacyIdpError(error)) throw error;
    // A throw from deep inside a scheme (bad base64, a driver's RangeError) is a malformed hash, not a crash.
    throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_MALFORMED', `${scheme.id}: malformed hash (${toError(error).name})`, { cause: error });
  }
}

function checkContext(scheme: HashScheme, context: HashContext): void {
  for (const { key, required } of scheme.contextKeys ?? []) {
    if (required && (context[key] === undefined || context[key] === null)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_CONTEXT', `${scheme.id}: needs context "${key}"`);
    }
  }
}

/**
 * Counts refusals for the wait budget and writes one warning per period in which there were any: a steady
 * signal while overloaded, silence otherwise. The timer starts with the first refusal and does not hold the
 * process open.
 */
function overloadReporter(
  logger: Logger | undefined,
  periodMs: number,
  budgetMs: number | undefined,
  averageTaskMs: () => number | undefined,
): { count: () => void; stop: () => void } {
  let refused = 0;
  let timer: NodeJS.Timeout | undefined;
  const report = (): void => {
    timer = undefined;
    logger?.warn('hash queue over its wait budget: checks refused as overloaded', {
      refused,
      periodMs,
      ...(budgetMs === undefined ? {} : { maxQueueWaitMs: budgetMs }),
      ...(averageTaskMs() === undefined ? {} : { averageTaskMs: Math.round(averageTaskMs() as number) }),
    });
    refused = 0;
  };
  return {
    count() {
      if (logger === undefined) return;
      refused++;
      if (timer === undefined) {
        timer = setTimeout(report, periodMs);
        timer.unref();
      }
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

export function createHashRegistry(options: HashRegistryOptions = {}): HashRegistry {
  const config = parseOptions(registryOptionsSchema, options, 'hash registry options');
  const overrides = Object.fromEntries(Object.entries(config.limits ?? {}).filter(([, value]) => value !== undefined));
  const limits: HashLimits = Object.freeze({ ...defaultHashLimits, ...overrides });
  const concurrency = config.concurrency ?? availableParallelism();
  const overload = overloadReporter(config.logger, config.overloadReportMs, config.maxQueueWaitMs, () => gate.averageTaskMs);
  const gate = createComputeGate(concurrency, config.maxQueue, config.maxQueueWaitMs === undefined ? {} : { maxWaitMs: config.maxQueueWaitMs, onShed: overload.count });
  const schemes = new Map<string, HashScheme>();
  let pool: WorkerPool | undefined;

  /**
   * Only built-in schemes can run in a worker: the worker finds them by id in its own copy of the table. A
   * loaded native backend (threadpoolWith) keeps the scheme on the main thread, gated, on libuv's pool.
   */
  const runsInWorker = (scheme: HashScheme): boolean =>
    scheme.execution === 'worker' && config.workers && builtinSchemes.includes(scheme) && scheme.threadpoolWith?.loaded() !== true;

  function register(scheme: HashScheme): void {
    if (schemes.has(scheme.id)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_DUPLICATE_SCHEME', `a scheme with id "${scheme.id}" is already registered`);
    }
    schemes.set(scheme.id, scheme);
  }
  for (const scheme of config.schemes ?? builtinSchemes) register(scheme);

  function identify(hash: string): string[] {
    if (typeof hash !== 'string') return [];
    const ids: string[] = [];
    for (const scheme of schemes.values()) {
      try {
        if (scheme.identify?.(hash)) ids.push(scheme.id);
      } catch {
        // identify must not throw; a scheme that does simply does not claim the hash.
      }
    }
    return ids;
  }

  function resolve(hash: string, schemeId: string | undefined): HashScheme {
    if (schemeId !== undefined && schemeId !== 'auto') {
      const scheme = schemes.get(schemeId);
      if (!scheme) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME', `unknown hash scheme "${schemeId}"`);
      return scheme;
    }
    const [first] = identify(hash);
    const scheme = first === undefined ? undefined : schemes.get(first);
    if (!scheme) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME', 'no registered scheme recognizes this hash; name the scheme explicitly');
    }
    return scheme;
  }

  // Inner verifications of a gated scheme run directly: it already holds a slot.
  const direct = async (innerPassword: string, innerHash: string, innerScheme?: string, innerContext?: HashContext): Promise<boolean> =>
    (await runSchemeVerify(resolve(innerHash, innerScheme), innerPassword, innerHash, innerContext ?? {}, limits, direct)) === true;
  const gated = async (innerPassword: string, innerHash: string, innerScheme?: string, innerContext?: HashContext): Promise<boolean> =>
    (await verifyWith(resolve(innerHash, innerScheme), innerPassword, innerHash, innerContext ?? {})) === true;

  /**
   * Not an async function: it hands back the scheme's (or the gate's) own promise, where an async frame returning
   * a promise would cost two more microtask hops on every verification.
   */
  function verifyWith(scheme: HashScheme, password: string, hash: string, context: HashContext): Promise<SchemeVerdict> {
    try {
      checkContext(scheme, context);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    if (scheme.execution === 'inline') return runSchemeVerify(scheme, password, hash, context, limits, gated);
    if (runsInWorker(scheme)) {
      const workers = (pool ??= createWorkerPool(concurrency));
      return gate.run(() => workers.run({ kind: 'verify', scheme: scheme.id, password, hash, context, limits }));
    }
    return gate.run(() => runSchemeVerify(scheme, password, hash, context, limits, direct));
  }

  return {
    limits,
    list: () => [...schemes.values()].map(describeScheme),
    get: (id) => schemes.get(id),
    identify,
    async verify(password, hash, verifyOptions = {}) {
      if (typeof password !== 'string' || typeof hash !== 'string') {
        throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'verify(password, hash): both must be strings');
      }
      const scheme = resolve(hash, verifyOptions.scheme);
      // Longer than any real password: not worth hashing, and a cheap way to burn CPU otherwise. A locked-account
      // marker hashes nothing and must still say `disabled`, whatever was typed.
      if (scheme.family !== 'marker' && utf8Length(password) > limits.maxPasswordBytes) return { valid: false, scheme: scheme.id, needsUpgrade: false, disabled: false };
      const verdict = await verifyWith(scheme, password, hash, verifyOptions.context ?? {});
      const valid = verdict === true;
      const needsUpgrade = valid && (scheme.needsUpgrade ? scheme.needsUpgrade(hash) : typeof scheme.hash !== 'function');
      return { valid, scheme: scheme.id, needsUpgrade, disabled: verdict === 'disabled' };
    },
    async hash(schemeId, password, hashOptions = {}) {
      const scheme = schemes.get(schemeId);
      if (!scheme) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME', `unknown hash scheme "${schemeId}"`);
      const make = scheme.hash?.bind(scheme);
      if (!make) throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNSUPPORTED', `${schemeId} cannot create new hashes; use bcrypt, argon2id, scrypt or pbkdf2_sha256`);
      if (runsInWorker(scheme)) {
        const workers = (pool ??= createWorkerPool(concurrency));
        return gate.run(() => workers.run({ kind: 'hash', scheme: schemeId, password, options: hashOptions, limits }));
      }
      return gate.run(() => make(password, hashOptions, limits));
    },
    register,
    async close() {
      overload.stop();
      await pool?.close();
      pool = undefined;
    },
  };
}
