/**
 * The Microsoft Graph sink of the bulk pre-migration: users are created with POST /users inside JSON batches
 * of up to 20 (reference §3.4), under a pacer that keeps the run at the throttling quota (§3.5, pacer.ts).
 *
 * Graph throttles each item of a batch on its own and answers the batch 200, and SDKs do not retry
 * throttled batch items (§3.4), so this sink does: every item that answers 429 or 5xx goes back in the queue
 * alone, after its own Retry-After (fractions kept), or after an exponential backoff with full jitter when it
 * has none, and is sent again with whatever else is ready, up to `maxItemAttempts` sends. A Retry-After longer
 * than `maxRetryAfterMs` (the Graph client's rule, default 5 minutes) is not waited out: the item fails at once,
 * retryable, with code `retry_after_too_long`, and the pacer does not pause for it. The other items of
 * its batch are settled at once. An ObjectConflict means the identity is already in the directory (an
 * earlier run, a timed-out attempt of this one, a JIT sign-in): the user is looked up and reported as
 * `existed`, unless another user of a write still unanswered created that object (two legacy accounts whose names
 * differ only in case, the second one's create throttled and retried): that one is failed `duplicate_identity`,
 * whichever answer comes first. Any other 4xx is final: the payload was refused.
 *
 * Items of concurrent write() calls share one queue and the batches in flight (`concurrency`), so retried
 * items ride along with fresh ones instead of taking a batch of their own.
 *
 * Passwords: a payload goes to Graph and nowhere else. Outcomes carry Graph's code and message (the client
 * scrubs the request's passwords from them, and this sink does it again); log lines carry counts and statuses.
 */
import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { LegacyIdpError, isLegacyIdpError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import { maxBatchRequests, type BatchItemResult, type BatchRequest } from '../graph/batch.js';
import { defaultMaxRetryAfterMs, type GraphClient } from '../graph/client.js';
import { conflictTarget, isGraphError, isObjectConflict, scrubSecrets, type GraphError } from '../graph/errors.js';
import { backoffDelay, defaultSleep } from '../graph/retry.js';
import type { ObjectIdentity } from '../graph/users.js';
import { duplicateIdentity } from './checkpoint.js';
import { createPacer, type Pacer } from './pacer.js';
import type { ItemOutcome, MigrationItem, MigrationSink } from './types.js';

const isFunction = (value: unknown): boolean => typeof value === 'function';
const isGraphClient = (value: unknown): boolean => hasFunction('batch')(value) && hasFunction('findUserByIdentity')(value);
const isPacer = (value: unknown): boolean =>
  hasFunction('acquire')(value) && hasFunction('backOff')(value) && hasFunction('observe')(value) && typeof (value as { maxAcquire?: unknown }).maxAcquire === 'number';

const graphSinkSchema = z
  .object({
    /** A client from createGraphClient (its own retries apply to the $batch POST and the lookups). */
    graph: z.custom<GraphClient>(isGraphClient, 'expected a GraphClient (createGraphClient)'),
    /** Default: createPacer() with the documented quotas. Share one pacer between sinks of the same app and tenant. */
    pacer: z.custom<Pacer>(isPacer, 'expected a Pacer (createPacer)').optional(),
    /** Batches in flight at once. */
    concurrency: z.number().int().min(1).max(32).default(4),
    /** Sends of one user, first included, before a 429/5xx becomes a retryable `failed`. */
    maxItemAttempts: z.number().int().min(1).max(50).default(6),
    /** Backoff of an item's first retry when Graph gave no Retry-After; doubles per retry, full jitter. */
    backoffBaseMs: z.number().int().min(0).default(1000),
    backoffMaxMs: z.number().int().min(0).default(60_000),
    /**
     * A Retry-After longer than this is not waited out: the item fails (retryable, `retry_after_too_long`). Give
     * the Graph client's `maxRetryAfterMs` (same default). The pacer the sink builds when none is given pauses
     * at most this long too; a pacer you give keeps its own `maxBackOffMs`.
     */
    maxRetryAfterMs: z.number().int().min(0).default(defaultMaxRetryAfterMs),
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
    /** In [0, 1): the jitter source. */
    random: z.custom<() => number>(isFunction, 'expected a function returning a number in [0, 1)').optional(),
    /** The wait before an item's retry. */
    sleep: z.custom<(ms: number, signal?: AbortSignal) => Promise<void>>(isFunction, 'expected a function (ms, signal) => Promise').optional(),
  })
  .strict();

export type GraphSinkOptions = z.input<typeof graphSinkSchema>;

export interface GraphSinkStats {
  /** POST /$batch calls made. */
  batches: number;
  /** User creates sent (a retried user counts once per send). */
  sends: number;
  /** Sends that were retries. */
  retries: number;
  created: number;
  existed: number;
  failed: number;
}

export type GraphSink = MigrationSink & { stats(): GraphSinkStats };

/** One write() call: resolves when every one of its users has an outcome. */
interface Job {
  items: readonly MigrationItem[];
  outcomes: (ItemOutcome | undefined)[];
  remaining: number;
  settled: boolean;
  resolve: (outcomes: ItemOutcome[]) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
}

interface Task {
  /** Unique in the sink: the batch request id. */
  id: string;
  item: MigrationItem;
  job: Job;
  index: number;
  /** Sends so far. */
  attempts: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function closedError(): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', 'graphSink: the sink was closed before these users had an outcome');
}

function abortedError(signal: AbortSignal): LegacyIdpError {
  return new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', 'graphSink: the caller aborted the write', { cause: signal.reason });
}

/** isObjectConflict without its type guard: a GraphError that is not a conflict is still a GraphError. */
const isConflict = (error: GraphError): boolean => isObjectConflict(error);

const numberOf = (text: string | undefined): number | undefined => {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
};

export function graphSink(options: GraphSinkOptions): GraphSink {
  const config = parseOptions(graphSinkSchema, options, 'graphSink');
  const { graph } = config;
  // Its pauses are capped like the items' waits: with a cap over the pacer's default, a pause cut short would send
  // every other batch into the wall the waiting item stays away from.
  const pacer = config.pacer ?? createPacer({ maxBackOffMs: config.maxRetryAfterMs });
  const logger = config.logger ?? silentLogger;
  const sleep = config.sleep ?? defaultSleep;
  const random = config.random ?? Math.random;
  const backoff = { backoffBaseMs: config.backoffBaseMs, backoffMaxMs: config.backoffMaxMs };
  // A pacer sized below 20 creates (tiny test quotas) gets smaller batches rather than a refusal.
  const batchSize = Math.max(1, Math.min(maxBatchRequests, pacer.maxAcquire));
  const stats: GraphSinkStats = { batches: 0, sends: 0, retries: 0, created: 0, existed: 0, failed: 0 };

  /** Tasks ready to be sent, oldest first (retries go to the front: the engine's cursor waits for them). */
  let ready: Task[] = [];
  let inFlight = 0;
  let nextId = 0;
  let closed = false;
  const closing = new AbortController();
  // Every item waiting for its retry listens to it (80 with four batches in flight): not a leak.
  setMaxListeners(0, closing.signal);
  const jobs = new Set<Job>();
  const running = new Set<Promise<void>>();

  function finishJob(job: Job): void {
    jobs.delete(job);
    job.settled = true;
  }

  /**
   * A user of a write not answered yet whose outcome names `objectId` with `status`, other than `task`. Once a write
   * is answered the journal has its outcomes and does this check itself; until then only the sink knows them.
   */
  function openHolder(objectId: string, status: 'created' | 'existed', task: Task): { job: Job; index: number } | undefined {
    for (const job of jobs) {
      for (const [index, outcome] of job.outcomes.entries()) {
        if (outcome?.status === status && outcome.objectId === objectId && (job !== task.job || index !== task.index)) return { job, index };
      }
    }
    return undefined;
  }

  const subjectOf = (holder: { job: Job; index: number }): string => holder.job.items[holder.index]?.subjectId ?? 'unknown';

  function settle(task: Task, given: ItemOutcome): void {
    const { job } = task;
    if (job.settled || job.outcomes[task.index] !== undefined) return;
    let outcome = given;
    // Two legacy accounts that are one identity in the directory (names differing in case), in writes in flight at
    // once: one's create was throttled, and its retry met the object the other's create made meanwhile. The
    // creator owns the object, whichever answer comes first: the other is a duplicate, never written back. A write
    // answered already was recorded, and the journal's own check covers it.
    if (outcome.status === 'existed') {
      const creator = openHolder(outcome.objectId, 'created', task);
      if (creator !== undefined) outcome = duplicateIdentity(outcome.objectId, subjectOf(creator));
    } else if (outcome.status === 'created') {
      const claimed = openHolder(outcome.objectId, 'existed', task);
      if (claimed !== undefined) {
        stats.existed -= 1;
        stats.failed += 1;
        claimed.job.outcomes[claimed.index] = duplicateIdentity(outcome.objectId, task.item.subjectId);
      }
    }
    stats[outcome.status] += 1;
    job.outcomes[task.index] = outcome;
    job.remaining -= 1;
    if (job.remaining === 0) {
      finishJob(job);
      job.resolve(job.outcomes as ItemOutcome[]);
    }
  }

  function failJob(job: Job, error: Error): void {
    if (job.settled) return;
    finishJob(job);
    job.reject(error);
  }

  function pump(): void {
    while (!closed && inFlight < config.concurrency) {
      ready = ready.filter((task) => !task.job.settled);
      if (ready.length === 0) return;
      const tasks = ready.splice(0, batchSize);
      inFlight += 1;
      const run = runBatch(tasks)
        .catch((error: unknown) => {
          // runBatch settles everything it can; anything that escapes means the sink itself is broken.
          const failure = error instanceof Error ? error : new Error('graphSink: batch failed');
          for (const task of tasks) failJob(task.job, failure);
        })
        .finally(() => {
          inFlight -= 1;
          running.delete(run);
          pump();
        });
      running.add(run);
    }
  }

  /** The reason text of an outcome: Graph's own message, with this user's password scrubbed once more. */
  function reasonOf(task: Task, error: unknown, prefix = ''): string {
    const text = error instanceof Error ? error.message : 'unknown failure';
    return scrubSecrets(`${prefix}${text}`, [task.item.payload.passwordProfile.password]);
  }

  /**
   * Requeued items are sent on the next turn of the event loop, not at once: items whose waits end together
   * (the same Retry-After, the same backoff) then share a batch instead of taking one each.
   */
  let pumpScheduled = false;
  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  /** A Retry-After the sink waits out (and the pacer pauses for); longer ones fail their items instead. */
  const waitable = (seconds: number): boolean => seconds * 1000 <= config.maxRetryAfterMs;

  /**
   * 429, 5xx, or a batch that failed as a whole: again after the item's own Retry-After, or else a backoff with
   * full jitter. `jitter` is drawn once per batch: the items of a batch were sent together, and spreading them
   * would only split them into batches of one; different batches still spread.
   */
  function retryLater(task: Task, error: unknown, retryAfterSeconds: number | undefined, jitter: number): void {
    if (task.job.settled) return;
    if (retryAfterSeconds !== undefined && !waitable(retryAfterSeconds)) {
      settle(task, {
        status: 'failed',
        code: 'retry_after_too_long',
        reason: `Graph asked to wait ${Math.ceil(retryAfterSeconds)} s before this user is sent again, longer than maxRetryAfterMs (${config.maxRetryAfterMs} ms): not waited out; run again later with --retry-failed`,
        retryable: true,
      });
      return;
    }
    if (task.attempts >= config.maxItemAttempts) {
      const graphError = isGraphError(error) ? error : undefined;
      settle(task, {
        status: 'failed',
        code: graphError?.graphCode ?? (isLegacyIdpError(error) ? error.code : 'graph_unavailable'),
        reason: reasonOf(task, error, `gave up after ${task.attempts} attempts: `),
        retryable: true,
      });
      return;
    }
    const delayMs = retryAfterSeconds !== undefined ? Math.round(retryAfterSeconds * 1000) : backoffDelay(task.attempts - 1, { ...backoff, random: () => jitter });
    // close() and the write's own abort end the wait early; requeue() then finds nothing to do.
    const signal = task.job.signal === undefined ? closing.signal : AbortSignal.any([task.job.signal, closing.signal]);
    const requeue = (): void => {
      if (task.job.settled || closed) return;
      ready.unshift(task);
      schedulePump();
    };
    sleep(delayMs, signal).then(requeue, requeue);
  }

  /** The identity is in the directory already: find its object id. */
  async function lookUp(task: Task, status: 'created' | 'existed', error: GraphError | undefined): Promise<void> {
    const { identity } = task.item;
    let found: { objectId: string } | null;
    try {
      found = await lookup(identity, task.job.signal);
    } catch (lookupError) {
      if (isLegacyIdpError(lookupError, 'ERR_LEGACY_IDP_GRAPH_AUTH')) throw lookupError;
      settle(task, { status: 'failed', code: 'conflict_unresolved', reason: reasonOf(task, lookupError, 'the identity exists but the lookup failed: '), retryable: true });
      return;
    }
    if (found !== null) {
      settle(task, { status, objectId: found.objectId });
      return;
    }
    if (status === 'created') {
      settle(task, { status: 'failed', code: 'created_unconfirmed', reason: 'Graph answered 201 without an id and the lookup found no user', retryable: true });
      return;
    }
    // An identity conflict whose user is not visible yet may resolve on a later run; a userPrincipalName
    // conflict is another user holding the name, which no retry changes.
    const target = error === undefined ? undefined : conflictTarget(error);
    settle(task, {
      status: 'failed',
      code: 'conflict_unresolved',
      reason: reasonOf(task, error, 'Graph reported a conflict but no user has this identity: '),
      retryable: target !== 'userPrincipalName',
    });
  }

  async function handleResult(task: Task, result: BatchItemResult, jitter: number): Promise<void> {
    const { status } = result;
    if (status >= 200 && status < 300) {
      const id = isRecord(result.body) && typeof result.body.id === 'string' && result.body.id !== '' ? result.body.id : undefined;
      if (id !== undefined) settle(task, { status: 'created', objectId: id });
      else await lookUp(task, 'created', undefined);
      return;
    }
    if (result.error !== undefined && isConflict(result.error)) {
      await lookUp(task, 'existed', result.error);
      return;
    }
    if (status === 429 || status >= 500) {
      retryLater(task, result.error, result.retryAfterSeconds, jitter);
      return;
    }
    const code = result.error?.graphCode ?? `http_${status}`;
    settle(task, { status: 'failed', code, reason: reasonOf(task, result.error ?? new Error(`Graph answered ${status}`)), retryable: false });
  }

  async function runBatch(tasks: Task[]): Promise<void> {
    try {
      await pacer.acquire(tasks.length, closing.signal);
    } catch (error) {
      if (closing.signal.aborted) return;
      throw error;
    }
    // Writes aborted while the batch waited for quota: their users are not sent (the quota is spent anyway).
    const live = tasks.filter((task) => !task.job.settled);
    if (live.length === 0) return;
    const requests: BatchRequest[] = live.map((task) => ({ id: task.id, method: 'POST', url: '/users', body: task.item.payload }));
    for (const task of live) {
      if (task.attempts > 0) stats.retries += 1;
      task.attempts += 1;
    }
    stats.batches += 1;
    stats.sends += live.length;

    let results: BatchItemResult[];
    try {
      results = await graph.batch(requests);
    } catch (error) {
      const graphError = isGraphError(error) ? error : undefined;
      if (graphError?.code === 'ERR_LEGACY_IDP_GRAPH_UNAVAILABLE') {
        // The $batch itself failed after the client's own retries (network, timeout, 429/5xx): every item again.
        const retryAfter = graphError.retryAfterSeconds;
        logger.warn('graphSink: batch failed; its users will be sent again', { users: live.length, status: graphError.status, code: graphError.code });
        if (graphError.status !== undefined) pacer.observe({ status: graphError.status });
        if (retryAfter !== undefined && waitable(retryAfter)) pacer.backOff(retryAfter);
        const jitter = random();
        for (const task of live) retryLater(task, graphError, retryAfter, jitter);
        return;
      }
      if (graphError?.code === 'ERR_LEGACY_IDP_GRAPH_ERROR') {
        // Graph refused the batch as a whole (4xx): nothing was created, and sending it again changes nothing.
        logger.warn('graphSink: batch refused', { users: live.length, status: graphError.status });
        for (const task of live) {
          settle(task, { status: 'failed', code: graphError.graphCode ?? graphError.code, reason: reasonOf(task, graphError), retryable: false });
        }
        return;
      }
      // Credentials refused, a bad request shape, an abort: the sink is broken, the run must stop.
      throw error;
    }

    let largestRetryAfter: number | undefined;
    for (const result of results) {
      pacer.observe({ status: result.status, ...limitPercentageOf(result) });
      if (result.retryAfterSeconds !== undefined && waitable(result.retryAfterSeconds)) largestRetryAfter = Math.max(largestRetryAfter ?? 0, result.retryAfterSeconds);
    }
    if (largestRetryAfter !== undefined) pacer.backOff(largestRetryAfter);
    const retried = results.filter((result) => result.status === 429 || result.status >= 500).length;
    if (retried > 0) logger.debug('graphSink: batch items throttled or failed; retried on their own', { users: live.length, retried, retryAfterSeconds: largestRetryAfter });

    const jitter = random();
    await Promise.all(
      live.map(async (task, index) => {
        const result = results[index];
        if (result === undefined) {
          retryLater(task, new LegacyIdpError('ERR_LEGACY_IDP_GRAPH_UNAVAILABLE', 'Graph POST /$batch answered without this request'), undefined, jitter);
          return;
        }
        await handleResult(task, result, jitter);
      }),
    );
  }

  async function lookup(identity: ObjectIdentity, signal?: AbortSignal): Promise<{ objectId: string; signInName?: string } | null> {
    const user = await graph.findUserByIdentity(
      { issuer: identity.issuer, issuerAssignedId: identity.issuerAssignedId, signInType: identity.signInType },
      { ...(signal === undefined ? {} : { signal }), select: ['id'] },
    );
    if (user === null) return null;
    // The lookup always reads identities: the name as the directory holds it, letter case included.
    const wanted = identity.issuerAssignedId.toLowerCase();
    const held = user.identities?.find((item) => item.signInType === identity.signInType && item.issuerAssignedId.toLowerCase() === wanted);
    return { objectId: user.id, ...(held === undefined ? {} : { signInName: held.issuerAssignedId }) };
  }

  return {
    name: 'graph',
    maxBatch: maxBatchRequests,

    write(items, signal) {
      if (closed) return Promise.reject(closedError());
      if (items.length > maxBatchRequests) {
        return Promise.reject(new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `graphSink.write: at most ${maxBatchRequests} users per call (got ${items.length})`));
      }
      if (signal?.aborted === true) return Promise.reject(abortedError(signal));
      if (items.length === 0) return Promise.resolve([]);
      return new Promise<ItemOutcome[]>((resolve, reject) => {
        const onAbort = (): void => {
          if (signal) failJob(job, abortedError(signal));
        };
        const job: Job = {
          items,
          outcomes: items.map(() => undefined),
          remaining: items.length,
          settled: false,
          resolve: (outcomes) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(outcomes);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
          signal,
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        jobs.add(job);
        items.forEach((item, index) => {
          ready.push({ id: String(++nextId), item, job, index, attempts: 0 });
        });
        pump();
      });
    },

    lookup,

    stats() {
      return { ...stats };
    },

    /** Users not settled yet get ERR_LEGACY_IDP_CLOSED; batches already sent are waited for. */
    async close() {
      if (closed) return;
      closed = true;
      closing.abort();
      ready = [];
      for (const job of [...jobs]) failJob(job, closedError());
      await Promise.allSettled([...running]);
    },
  };
}

function limitPercentageOf(result: BatchItemResult): { limitPercentage?: number } {
  const value = numberOf(result.headers['x-ms-throttle-limit-percentage']);
  return value === undefined ? {} : { limitPercentage: value };
}
