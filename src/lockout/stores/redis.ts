/**
 * Redis lockout store (`legacy-idp/lockout/redis`): several JIT instances share one count. Every step is one
 * Lua script (redis-scripts.ts, the twin of rules.ts), so a reservation is atomic and costs one round trip on
 * a single Redis; on Redis Cluster it costs one per slot group, in parallel (see `reserve` below).
 *
 * Key names hold digests only, never a username or an IP: `<keyPrefix>{<digest of slot>}:<digest of key>`.
 * The hash tag puts an account's keys (account, account + IP) in one Cluster slot; the IP's key has its own.
 * The label (username, IP) is a value inside the hash, for status and listLocked.
 *
 * ioredis is an optional peer: it is only loaded when the store has to create its client (`connection`); an
 * injected client needs no import at all (type-only imports here). A created client is loaded and connected when
 * the store is built, so the first sign-in does not pay for both within its storeTimeoutMs.
 */
import { hash } from 'node:crypto';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { LockoutScope } from '../../core/lockout.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { driverRefusal } from '../../core/driver-refusal.js';
import { importOptional } from '../../core/optional-import.js';
import { hasFunction, parseOptions } from '../../core/validate.js';
import type { ListLockedResult, LockoutKeyStatus, LockoutStore, LockoutTarget, ReserveRequest, ReserveResult, SettleRequest } from '../types.js';
import { commandNames, lockoutScripts } from './redis-scripts.js';

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const clientSchema = z.custom<Redis | Cluster>(
  (value) => isObject(value) && typeof value.defineCommand === 'function' && typeof value.scan === 'function',
  'expected an ioredis Redis or Cluster instance',
);

const redisStoreSchema = z
  .object({
    /** An ioredis `Redis` or `Cluster` the caller owns: the store never closes it. */
    client: clientSchema.optional(),
    /**
     * Or how to connect: a redis:// URL or ioredis options. The store creates the client and starts connecting
     * when it is built (a Redis down at that time is retried, as below), and closes it in close(). Defaults, each
     * overridable here: no offline queue and no retries of a command (a call during an outage fails at once, and
     * the policy's failure mode decides), no resending of commands in flight when the connection dropped (the
     * policy has already given up on them), and reconnection attempts every 50-500 ms for as long as it takes.
     */
    connection: z.union([z.string().min(1), z.custom<RedisOptions>(isObject, 'expected ioredis options')]).optional(),
    /** Prefix of every key. Give each application (or test run) sharing a Redis its own. */
    keyPrefix: z.string().min(1).default('legacy-idp:lockout:'),
    /**
     * listLocked stops (with `complete: false`) after SCAN has returned this many keys of this store. SCAN walks
     * the whole database, so on a Redis shared with other data its cost grows with that data too.
     */
    scanBudget: z.number().int().min(1).default(10_000),
    /**
     * How long close() waits for the connection it made (and then for Redis to take QUIT) before it drops the
     * connection: a frozen or unreachable Redis never answers, and must not hold up a shutdown.
     */
    closeTimeoutMs: z.number().int().min(0).max(60_000).default(1_000),
    /** Warnings about the Redis the store connects to (an evicting maxmemory-policy). Silent by default. */
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
  })
  .strict()
  .refine((options) => (options.client === undefined) !== (options.connection === undefined), {
    error: 'give exactly one of `client` (an ioredis instance) or `connection` (a URL or ioredis options)',
  });

export type RedisLockoutStoreOptions = z.input<typeof redisStoreSchema>;

export interface RedisLockoutStore extends LockoutStore {
  readonly name: 'redis';
  readonly shared: true;
  /** The Redis key of a target, as the scripts use it (without the client's own ioredis keyPrefix). For tests and debugging. */
  keyOf(target: Pick<LockoutTarget, 'key' | 'slot'>): string;
}

type Arg = string | number;
/** The scripts, as defineCommand adds them to a client (numkeys first, then the keys, then ARGV). */
type ScriptCommands = Record<(typeof commandNames)[keyof typeof commandNames], (numKeys: number, ...args: Arg[]) => Promise<unknown>>;
type Client = (Redis | Cluster) & ScriptCommands;

function defineScripts(client: Redis | Cluster): Client {
  for (const operation of ['reserve', 'settle', 'status', 'unlock'] as const) {
    // EVALSHA with EVAL on the first use per connection (and on NOSCRIPT): one round trip per call either way.
    client.defineCommand(commandNames[operation], { lua: lockoutScripts[operation] });
  }
  return client as Client;
}

/** 22 characters of base64url SHA-256: no name in the key, no `{`, `}` or glob character either. */
const digestOf = (text: string): string => hash('sha256', text, 'base64url').slice(0, 22);
const keyShape = /\{[\w-]{22}\}:[\w-]{22}$/;

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

const defaultConnection: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
};

const flag = (value: boolean): string => (value ? '1' : '0');

function targetArgs(targets: readonly LockoutTarget[]): Arg[] {
  const args: Arg[] = [];
  for (const t of targets) {
    args.push(t.scope, t.label, t.threshold, t.windowMs, t.lock.baseMs, t.lock.factor, t.lock.maxMs, t.lock.permanentAfter, t.lock.memoryMs);
  }
  return args;
}

const scopes: readonly string[] = ['account', 'account_ip', 'ip'] satisfies LockoutScope[];
const isScope = (value: unknown): value is LockoutScope => typeof value === 'string' && scopes.includes(value);

function unexpected(operation: string, reply: unknown): Error {
  return new Error(`lockout ${operation} script gave an unexpected reply: ${JSON.stringify(reply)}`);
}

function parseReserve(reply: unknown, targets: readonly LockoutTarget[]): ReserveResult {
  if (!Array.isArray(reply)) throw unexpected('reserve', reply);
  const [allowed, second, retry, permanent] = reply as unknown[];
  if (allowed === 1) return { allowed: true, counted: second === 1 };
  const scope = typeof second === 'number' ? targets[second - 1]?.scope : undefined;
  if (allowed !== 0 || scope === undefined) throw unexpected('reserve', reply);
  return permanent === 1
    ? { allowed: false, scope, retryAfterMs: Number.POSITIVE_INFINITY, permanent: true }
    : { allowed: false, scope, retryAfterMs: Number(retry), permanent: false };
}

function parseStatus(reply: unknown): LockoutKeyStatus | null {
  if (reply === null) return null;
  if (!Array.isArray(reply)) throw unexpected('status', reply);
  const [scope, label, failures, lockCount, lockedUntil, permanent] = reply as unknown[];
  if (!isScope(scope) || typeof label !== 'string') throw unexpected('status', reply);
  return { scope, label, failures: Number(failures), lockCount: Number(lockCount), lockedUntil: Number(lockedUntil), permanent: permanent === 1 };
}

/** Targets grouped by slot, in first-seen order: the group holding targets[0] (the account) comes first. */
function slotGroups(targets: readonly LockoutTarget[]): LockoutTarget[][] {
  const groups = new Map<string, LockoutTarget[]>();
  for (const target of targets) {
    const group = groups.get(target.slot);
    if (group) group.push(target);
    else groups.set(target.slot, [target]);
  }
  return [...groups.values()];
}

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * Reads maxmemory-policy and warns when Redis may evict keys: under memory pressure an evicting policy drops
 * lockout keys (they all carry a TTL, so volatile-* policies take them too), and a flood of made-up names then
 * wipes a victim's lock. Managed Redis often refuses CONFIG: nothing is known then, and nothing is said.
 */
async function warnIfEvicting(client: Redis, logger: Logger, warned: Set<string>): Promise<void> {
  let reply: unknown;
  try {
    reply = await client.config('GET', 'maxmemory*');
  } catch {
    return;
  }
  if (!Array.isArray(reply)) return;
  const settings = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) settings.set(String(reply[i]), String(reply[i + 1]));
  const policy = settings.get('maxmemory-policy');
  if (policy === undefined || policy === 'noeviction' || warned.has(policy)) return;
  warned.add(policy);
  logger.warn('the lockout Redis may evict keys: locks and counts can vanish under memory pressure; use maxmemory-policy noeviction', {
    maxmemoryPolicy: policy,
    maxmemory: settings.get('maxmemory'),
  });
}

export function redisLockoutStore(options: RedisLockoutStoreOptions): RedisLockoutStore {
  const config = parseOptions(redisStoreSchema, options, 'redis lockout store options');
  const { keyPrefix, scanBudget, connection, closeTimeoutMs } = config;
  // A malformed URL is a config error now, not an outage at the first sign-in; and Node's URL error keeps the
  // whole URL (password included) on `input`, so it never becomes a cause as it is. A string without `://` is
  // a path to a Unix socket, which ioredis takes as it is.
  if (typeof connection === 'string' && connection.includes('://')) {
    try {
      new URL(connection);
    } catch (error) {
      throw driverRefusal('redis lockout store options', 'ioredis', error, { path: 'connection', connection });
    }
  }
  const logger = config.logger ?? silentLogger;
  const injected = config.client ? defineScripts(config.client) : undefined;
  let createdClient: Redis | undefined;
  let closed = false;
  // Policies already warned about, once each: the check runs on every (re)connection, a failover included.
  const warnedPolicies = new Set<string>();

  async function createClient(settings: string | RedisOptions): Promise<Client> {
    const { Redis: RedisClass } = await importOptional('ioredis', 'redisLockoutStore({ connection })', () => import('ioredis'));
    // Closed while ioredis was loading: no connection to make (close() found no client to end).
    if (closed) throw new Error('the redis lockout store is closed');
    let client: Redis;
    try {
      client = typeof settings === 'string' ? new RedisClass(settings, defaultConnection) : new RedisClass({ ...defaultConnection, ...settings });
    } catch (error) {
      throw driverRefusal('redis lockout store options', 'ioredis', error, { path: 'connection', connection: settings });
    }
    createdClient = client;
    // Failures reach the policy through the rejected calls (it logs the outage once); an 'error' event without a
    // listener would make ioredis print every reconnection attempt.
    client.on('error', () => undefined);
    client.on('ready', () => {
      // A logger that throws must not become an unhandled rejection.
      warnIfEvicting(client, logger, warnedPolicies).catch(() => undefined);
    });
    const scripted = defineScripts(client);
    try {
      await client.connect();
    } catch {
      // Down at start: the retryStrategy keeps reconnecting, and calls fail fast until the server answers.
    }
    return scripted;
  }

  // Started now, outside any sign-in's storeTimeoutMs: the import and the first connection take a while (up to a
  // second on a busy machine). A failure here (ioredis not installed) reaches every call through `created`; the
  // catch only keeps it from being an unhandled rejection when no call comes.
  const created: Promise<Client> | undefined = injected || connection === undefined ? undefined : createClient(connection);
  created?.catch(() => undefined);

  function clientNow(): Client | Promise<Client> {
    if (injected) return injected;
    if (closed) throw new Error('the redis lockout store is closed');
    if (!created) throw new Error('the redis lockout store has neither a client nor a connection');
    return created;
  }

  const isCluster = (client: Redis | Cluster): client is Cluster & ScriptCommands => client.isCluster;
  /** ioredis prefixes keys of commands (scripts included) with its own keyPrefix option, but not SCAN's answers. */
  const clientPrefix = (client: Redis | Cluster): string => client.options.keyPrefix ?? '';

  const keyOf = (target: Pick<LockoutTarget, 'key' | 'slot'>): string => `${keyPrefix}{${digestOf(target.slot)}}:${digestOf(target.key)}`;

  async function runReserve(client: Client, request: ReserveRequest, targets: readonly LockoutTarget[], digest: string | undefined): Promise<ReserveResult> {
    const reply = await client[commandNames.reserve](
      targets.length,
      ...targets.map(keyOf),
      request.now,
      request.ticket,
      flag(digest !== undefined),
      digest ?? '',
      request.repeat.remember,
      request.repeat.ttlMs,
      ...targetArgs(targets),
    );
    return parseReserve(reply, targets);
  }

  async function runSettle(client: Client, request: SettleRequest, targets: readonly LockoutTarget[], kind: SettleRequest['kind'], digest: string | undefined): Promise<boolean> {
    const reply = await client[commandNames.settle](
      targets.length,
      ...targets.map(keyOf),
      request.now,
      request.ticket,
      kind,
      flag(request.counted),
      flag(digest !== undefined),
      digest ?? '',
      request.repeat.remember,
      request.repeat.ttlMs,
      ...targetArgs(targets),
    );
    return reply === 1;
  }

  /** Takes a Cluster slot group's reservation back (its twin in one script is "refused: nothing counted"). */
  function cancelGroup(client: Client, request: ReserveRequest, targets: readonly LockoutTarget[], digest: string | undefined): Promise<boolean> {
    const settleRequest: SettleRequest = { now: request.now, ticket: request.ticket, targets, kind: 'cancel', counted: true, repeat: request.repeat };
    return runSettle(client, settleRequest, targets, 'cancel', digest);
  }

  /**
   * Single Redis: one script over every target, one round trip. Redis Cluster: a script may only touch keys of
   * one slot, so each slot group (the account's keys; the IP's key) runs its own script, in parallel: one round
   * trip per group, at the same time. Then the groups are reconciled as the single script would have decided:
   * if any group refused, the groups that counted are cancelled and the refusal with the longest retryAfter
   * wins; if the account's group saw a repeated digest (allowed, not counted), the other groups' counts are
   * taken back. Between the two steps another attempt may briefly see the extra count: on the safe side.
   */
  async function reserve(request: ReserveRequest): Promise<ReserveResult> {
    const client = await clientNow();
    const groups = isCluster(client) ? slotGroups(request.targets) : [request.targets];
    if (groups.length === 1) return runReserve(client, request, request.targets, request.attemptDigest);

    const digestFor = (index: number): string | undefined => (index === 0 ? request.attemptDigest : undefined);
    const outcomes = await Promise.allSettled(groups.map((targets, index) => runReserve(client, request, targets, digestFor(index))));
    const counted = (index: number): boolean => {
      const outcome = outcomes[index];
      return outcome?.status === 'fulfilled' && outcome.value.allowed && outcome.value.counted;
    };
    const undo = (keep: (index: number) => boolean): Promise<boolean[]> =>
      Promise.all(groups.flatMap((targets, index) => (counted(index) && !keep(index) ? [cancelGroup(client, request, targets, digestFor(index))] : [])));

    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) {
      // Best effort: the store is failing anyway, and the policy turns the error into its failure mode.
      await undo(() => false).catch(() => undefined);
      throw failed.reason;
    }
    const results = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    let refusal: Extract<ReserveResult, { allowed: false }> | undefined;
    for (const result of results) {
      if (!result.allowed && (!refusal || result.retryAfterMs > refusal.retryAfterMs)) refusal = result;
    }
    if (refusal) {
      await undo(() => false);
      return refusal;
    }
    if (!counted(0)) {
      await undo((index) => index === 0);
      return { allowed: true, counted: false };
    }
    return { allowed: true, counted: true };
  }

  /**
   * Single Redis: one script. Cluster: success and cancel change each key on its own, so each slot group runs in
   * parallel; a late `failure` digest is looked up in the account's group first, and only when it was a repeat
   * are the other groups taken back (a second round trip, for that case only).
   */
  async function settle(request: SettleRequest): Promise<void> {
    const client = await clientNow();
    const groups = isCluster(client) ? slotGroups(request.targets) : [request.targets];
    const [first, ...rest] = groups;
    if (!first) return;
    if (rest.length === 0) {
      await runSettle(client, request, first, request.kind, request.attemptDigest);
      return;
    }
    if (request.kind === 'failure') {
      const takenBack = await runSettle(client, request, first, 'failure', request.attemptDigest);
      if (takenBack) await Promise.all(rest.map((targets) => runSettle(client, request, targets, 'cancel', undefined)));
      return;
    }
    await Promise.all(groups.map((targets) => runSettle(client, request, targets, request.kind, request.attemptDigest)));
  }

  async function status(target: Pick<LockoutTarget, 'key' | 'slot'>, now: number): Promise<LockoutKeyStatus | null> {
    const client = await clientNow();
    return parseStatus(await client[commandNames.status](1, keyOf(target), now));
  }

  async function unlock(target: Pick<LockoutTarget, 'key' | 'slot'>, now: number): Promise<boolean> {
    const client = await clientNow();
    return (await client[commandNames.unlock](1, keyOf(target), now)) === 1;
  }

  /** SCAN MATCH over the store's keys (on Cluster: every master), each candidate read by the status script. */
  async function listLocked({ now, limit }: { now: number; limit: number }): Promise<ListLockedResult> {
    const client = await clientNow();
    const outer = clientPrefix(client);
    const pattern = `${escapeGlob(outer + keyPrefix)}*`;
    const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client];
    const result: ListLockedResult = { items: [], complete: true };
    const seen = new Set<string>();
    let scanned = 0;
    for (const [index, node] of nodes.entries()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', Math.min(250, scanBudget));
        cursor = next;
        scanned += keys.length;
        // SCAN may return a key twice; a key of another shape (another store's longer prefix) is not ours.
        const fresh = keys.filter((key) => !seen.has(key) && keyShape.test(key) && key.length === outer.length + keyPrefix.length + 47);
        for (const key of fresh) seen.add(key);
        const statuses = await Promise.all(fresh.map(async (key) => parseStatus(await client[commandNames.status](1, key.slice(outer.length), now))));
        for (const found of statuses) {
          if (!found || !(found.permanent || found.lockedUntil > now)) continue;
          if (result.items.length >= limit) return { items: result.items, complete: false };
          result.items.push(found);
        }
        const finished = cursor === '0' && index === nodes.length - 1;
        if (scanned >= scanBudget && !finished) return { items: result.items, complete: false };
      } while (cursor !== '0');
    }
    return result;
  }

  async function close(): Promise<void> {
    if (injected || closed) return;
    closed = true;
    if (!created) return;
    // Neither the first connection nor QUIT may wait for a Redis that does not answer (frozen, partitioned): a
    // shutdown waits closeTimeoutMs for each at most, then drops the connection.
    await settledWithin(created, closeTimeoutMs);
    const client = createdClient;
    if (!client) return;
    if (client.status === 'ready') await settledWithin(client.quit(), closeTimeoutMs);
    // Also stops the reconnection attempts; after a QUIT that Redis answered it has nothing left to do.
    if (client.status !== 'end') client.disconnect();
  }

  return { name: 'redis', shared: true, keyOf, reserve, settle, status, unlock, listLocked, close } satisfies RedisLockoutStore;
}
