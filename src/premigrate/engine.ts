import type { MigrationWriteBack, Profile, ProfileSource } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { duplicateIdentity, type Checkpoint } from './checkpoint.js';
import type { ItemOutcome, MappingFailure, MigrationItem, MigrationSink } from './types.js';

/**
 * The bulk pre-migration loop: stream the source, map each user, skip users the journal already settled,
 * send the rest to the sink in batches (several in flight), record every outcome, and move the source cursor
 * only past users whose outcome is recorded. Memory holds the batches in flight and nothing per user.
 */

export interface PremigrateProgress {
  /** Users read from the source in this run. */
  listed: number;
  created: number;
  existed: number;
  failed: number;
  /** Users the journal had already settled (an earlier run). */
  skipped: number;
  inFlight: number;
  /** Users settled (created, existed or failed) per second in this run. */
  perSecond: number;
  elapsedMs: number;
  /** Users the source holds, when it can count them. */
  total?: number;
  /** Seconds left at the current rate, when the total is known. */
  etaSeconds?: number;
}

export interface PremigrateRunOptions {
  source: ProfileSource;
  map: (profile: Profile) => MigrationItem | MappingFailure;
  /** Absent in a dry run. */
  sink?: MigrationSink;
  /** Absent in a dry run. */
  checkpoint?: Checkpoint;
  /** Map and validate everything; create nothing and write no journal. */
  dryRun?: boolean;
  /**
   * Records each migration in the legacy store (a flag, a time, the new object id) after the directory
   * confirmed the user, never before. The journal marks each user once its write-back succeeded; a failed
   * write-back is logged, does not fail the user, and stays pending: every run with a write-back starts by
   * retrying the pending ones (users a crash left unconfirmed, or a kill between the record and the write-back).
   */
  writeBack?: MigrationWriteBack;
  /**
   * Send again the users a previous run recorded as failed (lists the source from the start). Their rows stay
   * `failed` until a new outcome replaces them, so a retry run that stops early loses nobody.
   */
  retryFailed?: boolean;
  /** Batches in flight at once (default 4). */
  concurrency?: number;
  /** Source page size (default 1000). */
  listBatchSize?: number;
  onProgress?: (progress: PremigrateProgress) => void;
  /** How often onProgress is called, at most (default 1000 ms; always once at the end). */
  progressIntervalMs?: number;
  /** Aborts at once: source reads, sink writes and lookups in progress are abandoned, and the run rejects. */
  signal?: AbortSignal;
  /**
   * Stops the run gracefully (the CLI's SIGINT/SIGTERM/SIGHUP): no further user is read or sent, the writes
   * already sent finish and are recorded (with their write-backs), and the run resolves with `stopped: true`.
   * To bound the wait, abort `signal` later: the writes still unanswered then are left in the journal's in-flight
   * table, counted in `unconfirmed`, and the next run looks their users up as after a crash.
   */
  stopSignal?: AbortSignal;
  logger?: Logger;
}

export interface PremigrateSummary {
  dryRun: boolean;
  listed: number;
  /** In this run. */
  created: number;
  existed: number;
  failed: number;
  skipped: number;
  /** Users a crash had left unconfirmed and the directory turned out to hold. */
  confirmedAfterCrash: number;
  /** Legacy rows the write-back updated (this run's users, and earlier ones whose write-back was pending). */
  writtenBack: number;
  /** With a write-back: migrated users whose write-back has still not succeeded (tried again next run). */
  writeBackPending?: number;
  passwords: { recovered: number; generated: number };
  /** Dry run: users that would be sent. */
  wouldCreate: number;
  /** The run was stopped (stopSignal) before it read the whole source: run it again to go on. */
  stopped?: boolean;
  /** Stopped: users whose writes were abandoned unanswered (the next run looks them up in the directory). */
  unconfirmed?: number;
  /** The whole journal after the run (every run so far). */
  journal?: { created: number; existed: number; failed: number };
  durationMs: number;
}

const isFailure = (mapped: MigrationItem | MappingFailure): mapped is MappingFailure => 'code' in mapped;

/** Runs `work` over `items` with at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function startedEmptyJournal(checkpoint: Checkpoint | undefined): boolean {
  return checkpoint === undefined || Object.values(checkpoint.counts()).every((count) => count === 0);
}

export async function runPremigration(options: PremigrateRunOptions): Promise<PremigrateSummary> {
  const { source, map, sink, checkpoint } = options;
  const dryRun = options.dryRun ?? false;
  if (!dryRun && (!sink || !checkpoint)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'runPremigration: a sink and a checkpoint are required unless dryRun');
  }
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const started = performance.now();
  const summary: PremigrateSummary = {
    dryRun,
    listed: 0,
    created: 0,
    existed: 0,
    failed: 0,
    skipped: 0,
    confirmedAfterCrash: 0,
    writtenBack: 0,
    passwords: { recovered: 0, generated: 0 },
    wouldCreate: 0,
    durationMs: 0,
  };
  let inFlight = 0;
  let lastProgress = 0;
  const stopping = (): boolean => options.stopSignal?.aborted === true;
  /** A stop whose wait was cut short (signal aborted after stopSignal): what is left unanswered stays in flight. */
  const stopCutShort = (): boolean => stopping() && options.signal?.aborted === true;
  const total = options.onProgress && source.count ? await source.count(options.signal ? { signal: options.signal } : {}).catch(() => undefined) : undefined;
  const journalAtStart = checkpoint && !dryRun ? checkpoint.counts() : undefined;
  // Users earlier runs settled (failures are sent again only with retryFailed).
  const doneBefore = journalAtStart ? journalAtStart.created + journalAtStart.existed + (options.retryFailed ? 0 : journalAtStart.failed) : 0;
  const progress = (force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < (options.progressIntervalMs ?? 1000)) return;
    lastProgress = now;
    const elapsedMs = now - started;
    const settled = summary.created + summary.existed + summary.failed;
    const perSecond = elapsedMs > 0 ? (settled * 1000) / elapsedMs : 0;
    // Users of earlier runs are done already; the rest go at this run's rate (the pacer holds it at the quota).
    const remaining = total === undefined ? undefined : Math.max(0, total - doneBefore - settled);
    options.onProgress({
      listed: summary.listed,
      created: summary.created,
      existed: summary.existed,
      failed: summary.failed,
      skipped: summary.skipped,
      inFlight,
      perSecond,
      elapsedMs,
      ...(total === undefined ? {} : { total }),
      ...(remaining !== undefined && perSecond > 0 ? { etaSeconds: Math.round(remaining / perSecond) } : {}),
    });
  };

  /** True when the write-back is settled (the row updated, or no legacy row to update); false leaves it pending. */
  const writeBackOne = async (subjectId: string, objectId: string): Promise<boolean> => {
    if (!options.writeBack) return false;
    try {
      const updated = await options.writeBack.markMigrated(subjectId, { objectId });
      if (updated) summary.writtenBack += 1;
      else logger.warn('premigrate: write-back found no legacy row for this user', { subjectId });
      return true;
    } catch (error) {
      logger.warn('premigrate: write-back failed; the next run with write-back tries again', { subjectId, code: error instanceof LegacyIdpError ? error.code : 'unknown' });
      return false;
    }
  };

  // 1. Users a killed run sent but never recorded: the directory knows whether they were created. A stop lets it
  // finish (it is bounded: the batches a run had in flight); only a stop whose wait runs out cuts it short, and the
  // in-flight table is then kept whole for the next run.
  if (!dryRun && checkpoint && sink) {
    const unconfirmed = checkpoint.unconfirmed();
    if (unconfirmed.length > 0) logger.info('premigrate: resolving users a previous run left unconfirmed', { count: unconfirmed.length });
    const resend: string[] = [];
    const found: Array<{ entry: (typeof unconfirmed)[number]; objectId: string; exact: boolean }> = [];
    let cutShort = false;
    for (const entry of unconfirmed) {
      let hit: { objectId: string; signInName?: string } | null;
      try {
        options.signal?.throwIfAborted();
        hit = entry.identity && sink.lookup ? await sink.lookup(entry.identity, options.signal) : null;
      } catch (error) {
        // A stop whose wait ran out: nothing is forgotten or cleared, the next run resolves them all again.
        if (!stopCutShort()) throw error;
        cutShort = true;
        summary.stopped = true;
        break;
      }
      if (hit) {
        found.push({ entry, objectId: hit.objectId, exact: hit.signInName !== undefined && hit.signInName === entry.identity?.issuerAssignedId });
      } else if (entry.status !== 'failed') {
        resend.push(entry.subjectId);
      }
      // Not found and failed before: a --retry-failed run was sending it again. It stays failed: the cursor
      // may be past it, and a forgotten user would never be listed again.
    }
    // Two legacy accounts that are one identity (names differing in case) can both have been in flight, and both
    // find the user one of them created; the journal does not know whose create went out (a batch's in-flight row
    // lists every user handed to the sink). The directory holds the creator's name letter for letter: that one is
    // recorded first and owns the user, the other becomes a duplicate. Otherwise in subject order.
    found.sort((a, b) => Number(b.exact) - Number(a.exact));
    for (const { entry, objectId } of cutShort ? [] : found) {
      // The identity may be one another legacy user of the journal already holds (names differing in case).
      const holder = checkpoint.holderOf(objectId, entry.subjectId);
      const outcome: ItemOutcome = holder === undefined ? { status: 'created', objectId } : duplicateIdentity(objectId, holder);
      checkpoint.record([{ subjectId: entry.subjectId, ...(entry.identity ? { identity: entry.identity } : {}), outcome }]);
      if (holder === undefined) summary.confirmedAfterCrash += 1;
    }
    if (!cutShort) {
      checkpoint.forget(resend);
      checkpoint.clearUnconfirmed();
    }
  }

  // 2. Write-backs still pending: users confirmed after a crash, a kill between the record and the write-back,
  // a legacy store that failed. Paged by subject id: memory holds one page.
  if (!dryRun && checkpoint && options.writeBack) {
    const pageSize = 500;
    let after: string | undefined;
    for (;;) {
      if (stopping()) {
        // The pending ones stay pending: the next run starts with them.
        summary.stopped = true;
        break;
      }
      options.signal?.throwIfAborted();
      const page = checkpoint.writeBackPending(after, pageSize);
      if (page.length === 0) break;
      if (after === undefined) logger.info('premigrate: writing back users an earlier run could not', { firstPage: page.length });
      const done: string[] = [];
      await forEachLimited(page, concurrency, async ({ subjectId, objectId }) => {
        if (await writeBackOne(subjectId, objectId)) done.push(subjectId);
      });
      checkpoint.markWrittenBack(done);
      after = page[page.length - 1]?.subjectId;
      if (page.length < pageSize) break;
    }
  }

  // 3. Stream, map, batch, send. Chunks complete out of order; the cursor moves over the completed prefix.
  interface Chunk {
    items: MigrationItem[];
    /** The cursor of the last user read before this chunk was sent (mapping failures and skips included). */
    cursor: string | undefined;
    done: boolean;
  }
  const chunks: Chunk[] = [];
  const running = new Set<Promise<void>>();
  let pendingCursor: string | undefined;
  let failure: unknown;
  const maxBatch = sink?.maxBatch ?? 20;

  const advanceCursor = (): void => {
    if (!checkpoint || dryRun) return;
    let cursor: string | undefined;
    while (chunks.length > 0 && chunks[0]?.done) cursor = chunks.shift()?.cursor ?? cursor;
    if (cursor !== undefined) checkpoint.setCursor(cursor);
  };

  const settle = (item: MigrationItem, outcome: ItemOutcome): void => {
    if (outcome.status === 'created') summary.created += 1;
    else if (outcome.status === 'existed') summary.existed += 1;
    else summary.failed += 1;
    if (outcome.status === 'created') summary.passwords[item.password] += 1;
  };

  const send = async (chunk: Chunk): Promise<void> => {
    if (!sink || !checkpoint) return;
    const batchId = checkpoint.markSending(chunk.items.map((item) => ({ subjectId: item.subjectId, identity: item.identity })));
    inFlight += chunk.items.length;
    try {
      let outcomes: ItemOutcome[];
      try {
        outcomes = await sink.write(chunk.items, options.signal);
      } catch (error) {
        // A stop whose wait ran out: these users stay in the in-flight table, and the next run looks them up in the
        // directory as after a crash. The chunk never completes, so the cursor stays before it.
        if (!stopCutShort()) throw error;
        summary.unconfirmed = (summary.unconfirmed ?? 0) + chunk.items.length;
        return;
      }
      if (outcomes.length !== chunk.items.length) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `sink ${sink.name} answered ${outcomes.length} outcomes for ${chunk.items.length} users`);
      }
      // As recorded: an `existed` another legacy user already holds is a failed duplicate_identity.
      const recorded = checkpoint.record(
        chunk.items.map((item, index) => ({ subjectId: item.subjectId, identity: item.identity, outcome: outcomes[index] as ItemOutcome })),
        batchId,
      );
      chunk.items.forEach((item, index) => {
        settle(item, recorded[index] as ItemOutcome);
      });
      if (options.writeBack) {
        const done: string[] = [];
        for (const [index, item] of chunk.items.entries()) {
          const outcome = recorded[index] as ItemOutcome;
          if (outcome.status === 'failed') continue;
          if (await writeBackOne(item.subjectId, outcome.objectId)) done.push(item.subjectId);
        }
        checkpoint.markWrittenBack(done);
      }
    } finally {
      inFlight -= chunk.items.length;
    }
    chunk.done = true;
    advanceCursor();
    progress();
  };

  const dispatch = async (items: MigrationItem[]): Promise<void> => {
    const chunk: Chunk = { items, cursor: pendingCursor, done: false };
    if (dryRun) {
      summary.wouldCreate += items.length;
      for (const item of items) summary.passwords[item.password] += 1;
      return;
    }
    chunks.push(chunk);
    const task = send(chunk).catch((error: unknown) => {
      failure ??= error;
    });
    running.add(task);
    void task.finally(() => running.delete(task));
    // Bounded concurrency: wait for a slot before reading further from the source.
    while (running.size >= concurrency) await Promise.race(running);
  };

  let batch: MigrationItem[] = [];
  const after = options.retryFailed ? undefined : checkpoint?.cursor();
  // A journal that starts empty can only hold users this run wrote, and a run never reads a user twice:
  // the per-user journal lookup is then skipped (it was a tenth of the time of a JSONL run).
  const journal = startedEmptyJournal(checkpoint) ? undefined : checkpoint;
  try {
    // A run stopped before this point does not open the source at all.
    for await (const profile of summary.stopped === true ? [] : source.list({ batchSize: options.listBatchSize ?? 1000, ...(after === undefined ? {} : { after }), ...(options.signal ? { signal: options.signal } : {}) })) {
      if (failure) break;
      if (stopping()) {
        // Read but not handled: the cursor is not moved past this user, the next run reads it again.
        summary.stopped = true;
        break;
      }
      summary.listed += 1;
      const entry = journal?.entry(profile.subjectId);
      // Settled: created or existed; failed too, unless this run retries failures (its new outcome replaces the row).
      if (entry && (entry.status === 'created' || entry.status === 'existed' || (entry.status === 'failed' && !options.retryFailed))) {
        summary.skipped += 1;
      } else {
        const mapped = map(profile);
        if (isFailure(mapped) && mapped.code === 'skipped_disabled') {
          // The operator chose to leave disabled accounts behind: not a failure.
          summary.skipped += 1;
        } else if (isFailure(mapped)) {
          summary.failed += 1;
          // A dry run given a checkpoint (a scratch one: the CLI's dry-run report) records its mapping failures there.
          if (checkpoint) checkpoint.record([{ subjectId: mapped.subjectId, outcome: { status: 'failed', code: mapped.code, reason: mapped.reason, retryable: false } }]);
        } else {
          batch.push(mapped);
        }
      }
      if (profile.cursor !== undefined) pendingCursor = profile.cursor;
      if (batch.length >= maxBatch) {
        const full = batch;
        batch = [];
        await dispatch(full);
      } else if (batch.length === 0 && chunks.length === 0 && pendingCursor !== undefined && checkpoint && !dryRun && summary.listed % 1000 === 0) {
        // Long stretches of settled users: remember the position without waiting for a batch.
        checkpoint.setCursor(pendingCursor);
      }
      progress();
    }
    if (batch.length > 0 && !failure && !summary.stopped) await dispatch(batch);
    await Promise.all(running);
  } catch (error) {
    // A stop whose wait ran out while the source was being read: stopped, not failed.
    if (!stopCutShort()) throw error;
    summary.stopped = true;
  } finally {
    await Promise.allSettled(running);
  }
  if (failure) throw failure instanceof Error ? failure : new Error('premigrate: a batch failed');
  // Stopped with users read but never sent: the cursor must not pass them.
  const unsent = summary.stopped === true && batch.length > 0;
  if (!dryRun && checkpoint && pendingCursor !== undefined && chunks.length === 0 && !unsent) checkpoint.setCursor(pendingCursor);

  summary.durationMs = Math.round(performance.now() - started);
  if (checkpoint && !dryRun) {
    const counts = checkpoint.counts();
    summary.journal = { created: counts.created, existed: counts.existed, failed: counts.failed };
    if (options.writeBack) summary.writeBackPending = checkpoint.writeBackPendingCount();
  }
  progress(true);
  return summary;
}
