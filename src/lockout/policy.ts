/**
 * The brute-force lockout policy (docs/lockout.md): turns a sign-in into per-scope targets, reserves the
 * attempt in the store before the password is checked, and settles it afterwards. The policy holds the
 * configuration and the failure mode; the counting itself is one atomic store step (rules.ts).
 */
import { lockoutAccountKey } from './account-key.js';
import { createHash, hash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LegacyIdpError, isLegacyIdpError, toError } from '../core/errors.js';
import type { LockoutBeginOptions, LockoutDecision, LockoutKeys, LockoutPolicy, LockoutScope, LockoutTicket } from '../core/lockout.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { hasFunction, isPromise, parseOptions } from '../core/validate.js';
import { normalizeClientIp } from './client-ip.js';
import { memoryLockoutStore } from './stores/memory.js';
import type { LockoutKeyStatus, LockoutStore, LockoutTarget, MaybePromise, RepeatRule, ReserveResult } from './types.js';

const storeSchema = z.custom<LockoutStore>(hasFunction('reserve'), 'expected a LockoutStore (an object with reserve())');

const minute = 60;
const hour = 60 * minute;

const lockSchema = z
  .object({
    /** First lock, seconds. Entra and B2C: 60 s. */
    baseSeconds: z.number().positive().default(minute),
    /** Each further lock lasts this many times the previous one. */
    factor: z.number().min(1).max(100).default(2),
    /** Longest temporary lock. B2C grows "up to five hours"; 4 h keeps a slow guesser near 60 guesses a day. */
    maxSeconds: z.number().positive().default(4 * hour),
    /** Lock number that becomes permanent (admin unlock only). 0 = never: a permanent lock is a free DoS. */
    permanentAfter: z.number().int().min(0).default(0),
    /** The growth starts again from baseSeconds this long after the last lock. */
    memorySeconds: z.number().positive().default(24 * hour),
  })
  .strict()
  .refine((lock) => lock.maxSeconds >= lock.baseSeconds, { error: 'maxSeconds must be >= baseSeconds' });

const scopeSchema = (threshold: number, windowSeconds: number) =>
  z
    .object({
      /** Failures that lock; the threshold-th is still checked. NIST 800-63B: never more than 100. */
      threshold: z.number().int().min(1).max(100).default(threshold),
      /** Failures are forgotten this long after the last one. */
      windowSeconds: z.number().positive().default(windowSeconds),
      /** Lock growth for this scope; defaults to the policy's `lock`. */
      lock: lockSchema.optional(),
    })
    .strict();

const policySchema = z
  .object({
    /** Where counts live. Default: a memory store (one instance only). */
    store: storeSchema.optional(),
    /**
     * Key of the HMAC that turns (account, wrong password) into a short-lived digest for the repeat rule. Give
     * every instance that shares a store the same secret (>= 16 bytes); without one a random key per process
     * is used and repeats are only recognized by the instance that saw the first attempt.
     */
    secret: z.union([z.string().min(16), z.instanceof(Uint8Array).refine((key) => key.length >= 16, 'at least 16 bytes')]).optional(),
    /** Consecutive failures per account, from any IP. Entra smart lockout and B2C: 10. */
    account: scopeSchema(10, 12 * hour).prefault({}),
    /**
     * Per (account, client IP), off by default: with the account threshold at its default it adds little. Turn
     * it on (`{}` = 5 failures) together with a higher account threshold, and one source is stopped after 5
     * while only a distributed attack reaches the account lock that also shuts out the real user.
     */
    accountIp: z.union([scopeSchema(5, 12 * hour), z.literal(false)]).default(false),
    /** Per client IP across accounts: password spraying. rate-limiter-flexible's login recipe: 100 a day. */
    ip: z.union([scopeSchema(100, hour), z.literal(false)]).prefault({}),
    lock: lockSchema.prefault({}),
    /** Recent wrong passwords that do not count again (B2C retries a slow call; people retype typos). */
    repeat: z
      .union([
        z
          .object({
            /** Entra smart lockout skips repeats of the last 3 bad passwords. */
            remember: z.number().int().min(1).max(20).default(3),
            windowSeconds: z.number().positive().default(15 * minute),
          })
          .strict(),
        z.literal(false),
      ])
      .prefault({}),
    /**
     * When the store fails or times out: `fail-closed` refuses the sign-in as unavailable (the default: an
     * outage must not become an open oracle), `fail-open` lets it through uncounted, `{ fallback }` counts in
     * another store (a memory store per instance) until the main one answers again.
     */
    failureMode: z.union([z.enum(['fail-closed', 'fail-open']), z.object({ fallback: storeSchema }).strict()]).default('fail-closed'),
    /** A store call slower than this counts as a failure of the store. */
    storeTimeoutMs: z.number().int().min(1).max(60_000).default(1_000),
    /** The same bound for admin calls (status, unlock, listLocked): listing scans, so it may take longer. */
    adminTimeoutMs: z.number().int().min(1).max(600_000).default(10_000),
    /** Epoch milliseconds; injectable for tests. */
    clock: z.custom<() => number>((value) => typeof value === 'function', 'expected a function returning epoch ms').optional(),
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
  })
  .strict();

export type LockoutPolicyOptions = z.input<typeof policySchema>;

/** One key to look at or unlock: an account, an (account, IP) pair, or an IP. */
export type LockoutSubject = { account: string; clientIp?: string } | { clientIp: string };

export interface LockoutSubjectStatus extends Omit<LockoutKeyStatus, 'lockedUntil'> {
  locked: boolean;
  /** Whole seconds until the lock ends; 0 when not locked or permanent. */
  retryAfter: number;
  lockedUntil: Date | null;
}

export interface ConfiguredLockoutPolicy extends LockoutPolicy {
  digestAttempt(account: string, password: string): string;
  status(subject: LockoutSubject): Promise<LockoutSubjectStatus | null>;
  /** Ends a lock (temporary or permanent) and clears the key's counters; false when the key held nothing. */
  unlock(subject: LockoutSubject): Promise<boolean>;
  /** Locked keys, at most `limit` (default 100, at most 1,000); `complete: false` when more may exist. */
  listLocked(options?: { limit?: number }): Promise<{ items: LockoutSubjectStatus[]; complete: boolean }>;
  readonly store: LockoutStore;
  close(): Promise<void>;
}

/** At most one "lockout store unavailable" line per this interval; shorter outages in between are counted. */
const outageLogIntervalMs = 60_000;

/** The HMAC key derived from the server secret: 64 hex characters (tests check the HMAC against createHmac). */
export function attemptHmacKey(secret: string | Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * HMAC-SHA256 (RFC 2104) keyed with K = hex(SHA-256(secret)), from two one-shot `crypto.hash` calls: the
 * digest is taken on every sign-in, and `createHmac` costs about twice as much per call (it builds a key
 * object each time). K is 64 ASCII characters, exactly one block, so K xor ipad and K xor opad are ASCII too
 * and the inner hash can take the padded key and the message as one string, with no Buffer per call.
 * test/lockout/policy.test.ts checks it against createHmac.
 */
export function createAttemptHmac(secret: string | Uint8Array): (message: string) => string {
  const key = attemptHmacKey(secret);
  let innerPad = '';
  let outerPad = '';
  for (let i = 0; i < key.length; i++) {
    innerPad += String.fromCharCode(key.charCodeAt(i) ^ 0x36);
    outerPad += String.fromCharCode(key.charCodeAt(i) ^ 0x5c);
  }
  const outer = Buffer.alloc(64 + 32);
  outer.write(outerPad, 0, 'latin1');
  return (message) => {
    // Safe to reuse `outer`: this runs synchronously, start to end, on one thread.
    hash('sha256', innerPad + message, 'buffer').copy(outer, 64);
    return hash('sha256', outer, 'base64url').slice(0, 22);
  };
}

const settledAlready: Promise<void> = Promise.resolve();

export function createLockoutPolicy(options: LockoutPolicyOptions = {}): ConfiguredLockoutPolicy {
  const config = parseOptions(policySchema, options, 'lockout policy options');
  const store = config.store ?? memoryLockoutStore();
  const logger = config.logger ?? silentLogger;
  const clock = config.clock ?? Date.now;
  const attemptHmac = createAttemptHmac(config.secret ?? randomBytes(32));
  // Ticket ids only need to be unique among attempts in flight on one store: a random prefix per policy
  // plus a counter is enough and cheaper than a UUID per attempt.
  const ticketPrefix = randomBytes(9).toString('base64url');
  let ticketCounter = 0;
  const repeat: RepeatRule = config.repeat === false ? { remember: 0, ttlMs: 0 } : { remember: config.repeat.remember, ttlMs: config.repeat.windowSeconds * 1000 };
  const fallback = typeof config.failureMode === 'object' ? config.failureMode.fallback : undefined;
  const failureMode = typeof config.failureMode === 'object' ? 'fallback' : config.failureMode;

  const growth = (lock: z.output<typeof lockSchema> | undefined): LockoutTarget['lock'] => {
    const chosen = lock ?? config.lock;
    return {
      baseMs: chosen.baseSeconds * 1000,
      factor: chosen.factor,
      maxMs: chosen.maxSeconds * 1000,
      permanentAfter: chosen.permanentAfter,
      memoryMs: chosen.memorySeconds * 1000,
    };
  };
  const rules = {
    account: { threshold: config.account.threshold, windowMs: config.account.windowSeconds * 1000, lock: growth(config.account.lock) },
    account_ip:
      config.accountIp === false
        ? undefined
        : { threshold: config.accountIp.threshold, windowMs: config.accountIp.windowSeconds * 1000, lock: growth(config.accountIp.lock) },
    ip: config.ip === false ? undefined : { threshold: config.ip.threshold, windowMs: config.ip.windowSeconds * 1000, lock: growth(config.ip.lock) },
  } as const;
  const longestLockSeconds = Math.ceil(Math.max(...Object.values(rules).map((rule) => rule?.lock.maxMs ?? 0)) / 1000);

  // The slot groups targets that one Redis Cluster script may touch together: an account's keys share one.
  // The account's length prefixes the account_ip key, so no choice of account and IP text (NUL included:
  // standalone callers may pass anything) can collide with another pair's key.
  /** `account` is already folded (lockoutAccountKey), once per call by the callers below. */
  function target(scope: LockoutScope, account: string | undefined, ip: string | undefined): LockoutTarget | undefined {
    const rule = rules[scope];
    if (!rule) return undefined;
    const name = account ?? '';
    const address = ip ?? '';
    const { threshold, windowMs, lock } = rule;
    if (scope === 'account') {
      const key = `a:${name}`;
      return { scope, key, slot: key, label: name, threshold, windowMs, lock };
    }
    if (scope === 'account_ip') return { scope, key: `ai:${name.length}:${name}\0${address}`, slot: `a:${name}`, label: `${name} @ ${address}`, threshold, windowMs, lock };
    const key = `i:${address}`;
    return { scope, key, slot: key, label: address, threshold, windowMs, lock };
  }

  function targetsFor(keys: LockoutKeys): LockoutTarget[] {
    if (typeof keys.account !== 'string') throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'lockout keys need an account string');
    const ip = keys.clientIp === undefined ? undefined : normalizeClientIp(keys.clientIp);
    const account = lockoutAccountKey(keys.account);
    const list = [target('account', account, undefined)];
    if (ip !== undefined) list.push(target('account_ip', account, ip), target('ip', undefined, ip));
    return list.filter((entry): entry is LockoutTarget => entry !== undefined);
  }

  function subjectTarget(subject: LockoutSubject): LockoutTarget {
    const ip = subject.clientIp === undefined ? undefined : normalizeClientIp(subject.clientIp);
    const account = 'account' in subject ? lockoutAccountKey(subject.account) : undefined;
    const scope: LockoutScope = account === undefined ? 'ip' : ip === undefined ? 'account' : 'account_ip';
    const found = target(scope, account, ip);
    if (!found) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `the ${scope} scope is turned off in this policy`);
    return found;
  }

  const storeFailed = (on: LockoutStore, error: unknown): LegacyIdpError =>
    isLegacyIdpError(error) ? error : new LegacyIdpError('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE', `lockout store "${on.name}" failed`, { cause: error });

  /**
   * One store call, bounded by storeTimeoutMs; any failure becomes ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE.
   * A store that answers synchronously (memory) gets no timer and no extra promise: at 10^5 attempts a second
   * those are a large share of the cost. `late` gets an answer that came after the caller gave up (its signal).
   */
  function call<T>(
    on: LockoutStore,
    operation: (store: LockoutStore) => MaybePromise<T>,
    // Read only for a store that answers later: a caller's signal may be made on first read, at a cost.
    options?: { readonly signal?: AbortSignal },
    timeoutMs: number = config.storeTimeoutMs,
    late?: (answer: T) => void,
  ): MaybePromise<T> {
    let answer: MaybePromise<T>;
    try {
      answer = operation(on);
    } catch (error) {
      throw storeFailed(on, error);
    }
    return isPromise(answer) ? bounded(on, answer, options?.signal, timeoutMs, late) : answer;
  }

  /**
   * The store's answer, or a rejection once storeTimeoutMs passes or the caller's signal aborts, whichever comes
   * first. Only one of them settles the call: an answer that arrives after the caller gave up goes to `late`
   * (a reservation the store made anyway must be taken back, or it counts an attempt that was never checked).
   */
  function bounded<T>(on: LockoutStore, answer: Promise<T>, signal: AbortSignal | undefined, timeoutMs: number, late: ((answer: T) => void) | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Whichever comes first settles the call: the answer, the timeout, or the caller's abort.
      let state: 'waiting' | 'settled' | 'abandoned' = 'waiting';
      const onAbort = (): void => {
        if (stop('abandoned')) reject(new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', 'deadline exceeded during lockout reservation'));
      };
      const stop = (next: 'settled' | 'abandoned'): boolean => {
        if (state !== 'waiting') return false;
        state = next;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const timer = setTimeout(() => {
        if (stop('settled')) reject(new LegacyIdpError('ERR_LEGACY_IDP_LOCKOUT_STORE_UNAVAILABLE', `lockout store "${on.name}" did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      answer.then(
        (value) => {
          if (stop('settled')) resolve(value);
          // Only after the caller's abort: after a timeout the failure mode has decided (a fallback may have
          // counted the attempt instead), and a late count there errs on the side of locking (docs/lockout.md).
          else if (state === 'abandoned') late?.(value);
        },
        (error: unknown) => {
          if (stop('settled')) reject(storeFailed(on, error));
        },
      );
      if (signal) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  let degradedSince: number | undefined;
  // Logged when an outage starts and ends, not per attempt: an outage under attack would flood the log. A store
  // that fails and answers by turns (a memory store full of locks refuses new keys only) would still write two
  // lines per attempt, so a new outage within a minute of the last one logged is counted, not logged.
  let outageLogged = false;
  let lastOutageLogAt: number | undefined;
  let outagesNotLogged = 0;
  function noteStoreFailure(error: unknown): void {
    if (degradedSince !== undefined) return;
    const now = clock();
    degradedSince = now;
    outageLogged = lastOutageLogAt === undefined || now - lastOutageLogAt >= outageLogIntervalMs;
    if (!outageLogged) {
      outagesNotLogged += 1;
      return;
    }
    lastOutageLogAt = now;
    logger.error('lockout store unavailable', { store: store.name, failureMode, error, ...(outagesNotLogged > 0 ? { outagesNotLogged } : {}) });
    outagesNotLogged = 0;
  }
  function noteStoreHealthy(): void {
    if (degradedSince === undefined) return;
    if (outageLogged) logger.info('lockout store answers again', { store: store.name, downForMs: clock() - degradedSince });
    degradedSince = undefined;
  }

  const noopTicket: LockoutTicket = { success: () => Promise.resolve(), failure: () => Promise.resolve(), cancel: () => Promise.resolve() };

  /** A reserved attempt; settles once. A class, not closures: one allocation per sign-in. */
  class PolicyTicket implements LockoutTicket {
    #settled = false;
    constructor(
      private readonly on: LockoutStore,
      private readonly targets: LockoutTarget[],
      private readonly id: string,
      private readonly counted: boolean,
      private readonly digestAtBegin: string | undefined,
    ) {}

    success(): Promise<void> {
      return this.#settle('success', this.digestAtBegin);
    }

    failure(details?: { attemptDigest?: string }): Promise<void> {
      return this.#settle('failure', details?.attemptDigest);
    }

    cancel(): Promise<void> {
      return this.#settle('cancel', this.digestAtBegin);
    }

    #settle(kind: 'success' | 'cancel' | 'failure', attemptDigest: string | undefined): Promise<void> {
      if (this.#settled) return settledAlready;
      this.#settled = true;
      // A wrong password whose digest was known at reservation is already counted and remembered.
      if (kind === 'failure' && (this.digestAtBegin !== undefined || attemptDigest === undefined || repeat.remember === 0)) return settledAlready;
      if (!this.counted && kind !== 'success') return settledAlready;
      const request = { now: clock(), ticket: this.id, targets: this.targets, kind, counted: this.counted, repeat };
      try {
        const answer = call(this.on, (s) => s.settle(attemptDigest === undefined ? request : { ...request, attemptDigest }));
        return isPromise(answer) ? answer : settledAlready;
      } catch (error) {
        return Promise.reject(toError(error));
      }
    }
  }

  function decisionFrom(result: Extract<ReserveResult, { allowed: false }>): LockoutDecision {
    const retryAfter = result.permanent ? longestLockSeconds : Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    return { allowed: false, retryAfter, scope: result.scope, ...(result.permanent ? { permanent: true } : {}) };
  }

  function digestAttempt(account: string, password: string): string {
    const key = lockoutAccountKey(account);
    return attemptHmac(`${key.length}:${key}\0${password}`);
  }

  async function begin(keys: LockoutKeys, beginOptions: LockoutBeginOptions = {}): Promise<LockoutDecision> {
    const targets = targetsFor(keys);
    const id = `${ticketPrefix}${(ticketCounter++).toString(36)}`;
    const given = beginOptions.attemptDigest ?? (beginOptions.password === undefined ? undefined : digestAttempt(keys.account, beginOptions.password));
    const digest = repeat.remember > 0 ? given : undefined;
    const request = { now: clock(), ticket: id, targets, repeat, ...(digest === undefined ? {} : { attemptDigest: digest }) };
    // The caller gave up (its deadline) and the store counted the attempt anyway: no password is checked for
    // it, so it is taken back, or a slow store would lock a user who only ever got "try again".
    const takeBackLate =
      (on: LockoutStore) =>
      (late: ReserveResult): void => {
        if (!late.allowed || !late.counted) return;
        new PolicyTicket(on, targets, id, true, digest).cancel().catch((error: unknown) => {
          logger.warn('lockout store failed to take back a reservation the caller had given up on', { store: on.name, error: toError(error) });
        });
      };
    let on = store;
    let result: ReserveResult;
    try {
      const answer = call(store, (s) => s.reserve(request), beginOptions, config.storeTimeoutMs, takeBackLate(store));
      result = isPromise(answer) ? await answer : answer;
      noteStoreHealthy();
    } catch (error) {
      if (isLegacyIdpError(error) && error.code === 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED') throw error;
      noteStoreFailure(error);
      if (failureMode === 'fail-open') return { allowed: true, ticket: noopTicket };
      if (!fallback) throw error;
      on = fallback;
      const answer = call(fallback, (s) => s.reserve({ ...request, now: clock() }), beginOptions, config.storeTimeoutMs, takeBackLate(fallback));
      result = isPromise(answer) ? await answer : answer;
    }
    if (!result.allowed) return decisionFrom(result);
    return { allowed: true, ticket: new PolicyTicket(on, targets, id, result.counted, digest) };
  }

  function view(status: LockoutKeyStatus, now: number): LockoutSubjectStatus {
    const locked = status.permanent || status.lockedUntil > now;
    return {
      scope: status.scope,
      label: status.label,
      failures: status.failures,
      lockCount: status.lockCount,
      permanent: status.permanent,
      locked,
      retryAfter: locked && !status.permanent ? Math.ceil((status.lockedUntil - now) / 1000) : 0,
      lockedUntil: status.lockedUntil > now ? new Date(status.lockedUntil) : null,
    };
  }

  logger.info('lockout policy ready', {
    store: store.name,
    failureMode: fallback ? `fallback to ${fallback.name}` : failureMode,
    scopes: Object.entries(rules)
      .filter(([, rule]) => rule !== undefined)
      .map(([scope]) => scope),
  });
  if (store.shared && config.secret === undefined) {
    logger.warn('lockout store is shared but no secret was given: repeated wrong passwords are only recognized by the instance that saw them');
  }

  return {
    store,
    begin,
    // The length prefix keeps ("ab", "c") and ("a", "bc") apart whatever characters the account holds.
    digestAttempt,
    async status(subject) {
      const chosen = subjectTarget(subject);
      const now = clock();
      const status = await call(store, (s) => s.status(chosen, now), undefined, config.adminTimeoutMs);
      return status ? view(status, now) : null;
    },
    async unlock(subject) {
      const chosen = subjectTarget(subject);
      const unlocked = await call(store, (s) => s.unlock(chosen, clock()), undefined, config.adminTimeoutMs);
      logger.info('lockout key unlocked by an administrator', { scope: chosen.scope, label: chosen.label, held: unlocked });
      return unlocked;
    },
    async listLocked(listOptions = {}) {
      const limit = Math.min(1_000, Math.max(1, Math.floor(listOptions.limit ?? 100)));
      const now = clock();
      const result = await call(store, (s) => s.listLocked({ now, limit }), undefined, config.adminTimeoutMs);
      return { items: result.items.map((item) => view(item, now)), complete: result.complete };
    },
    async close() {
      await store.close?.();
      await fallback?.close?.();
    },
  };
}
