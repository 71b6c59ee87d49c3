import type { MigrationWriteBack, Profile, ProfileSource } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Checkpoint } from './checkpoint.js';
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
   * confirmed the user, never before; a failed write-back is logged and does not fail the user.
   */
  writeBack?: MigrationWriteBack;
  /** Send again the users a previous run recorded as failed (lists the source from the start). */
  retryFailed?: boolean;
  /** Batches in flight at once (default 4). */
  concurrency?: number;
  /** Source page size (default 1000). */
  listBatchSize?: number;
  onProgress?: (progress: PremigrateProgress) => void;
  /** How often onProgress is called, at most (default 1000 ms; always once at the end). */
  progressIntervalMs?: number;
  signal?: AbortSignal;
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
  /** Legacy rows the write-back updated. */
  writtenBack: number;
  passwords: { recovered: number; generated: number };
  /** Dry run: users that would be sent. */
  wouldCreate: number;
  /** The whole journal after the run (every run so far). */
  journal?: { created: number; existed: number; failed: number };
  durationMs: number;
}

const isFailure = (mapped: MigrationItem | MappingFailure): mapped is MappingFailure => 'code' in mapped;

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

  // 1. Users a killed run sent but never recorded: the directory knows whether they were created.
  if (!dryRun && checkpoint && sink) {
    const unconfirmed = checkpoint.unconfirmed();
    if (unconfirmed.length > 0) logger.info('premigrate: resolving users a previous run left unconfirmed', { count: unconfirmed.length });
    const resend: string[] = [];
    for (const entry of unconfirmed) {
      options.signal?.throwIfAborted();
      const found = entry.identity && sink.lookup ? await sink.lookup(entry.identity, options.signal) : null;
      if (found) {
        checkpoint.record([{ subjectId: entry.subjectId, outcome: { status: 'created', objectId: found.objectId } }]);
        summary.confirmedAfterCrash += 1;
      } else {
        resend.push(entry.subjectId);
      }
    }
    checkpoint.forget(resend);
    checkpoint.clearUnconfirmed();
    if (options.retryFailed) checkpoint.forget(checkpoint.failedIds());
  }

  // 2. Stream, map, batch, send. Chunks complete out of order; the cursor moves over the completed prefix.
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
      const outcomes = await sink.write(chunk.items, options.signal);
      if (outcomes.length !== chunk.items.length) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `sink ${sink.name} answered ${outcomes.length} outcomes for ${chunk.items.length} users`);
      }
      checkpoint.record(
        chunk.items.map((item, index) => ({ subjectId: item.subjectId, identity: item.identity, outcome: outcomes[index] as ItemOutcome })),
        batchId,
      );
      chunk.items.forEach((item, index) => {
        settle(item, outcomes[index] as ItemOutcome);
      });
      if (options.writeBack) {
        for (const [index, item] of chunk.items.entries()) {
          const outcome = outcomes[index] as ItemOutcome;
          if (outcome.status === 'failed') continue;
          await options.writeBack.markMigrated(item.subjectId, { objectId: outcome.objectId }).then(
            (updated) => {
              if (updated) summary.writtenBack += 1;
            },
            (error: unknown) => {
              logger.warn('premigrate: write-back failed', { subjectId: item.subjectId, code: error instanceof LegacyIdpError ? error.code : 'unknown' });
            },
          );
        }
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
    for await (const profile of source.list({ batchSize: options.listBatchSize ?? 1000, ...(after === undefined ? {} : { after }), ...(options.signal ? { signal: options.signal } : {}) })) {
      if (failure) break;
      summary.listed += 1;
      const entry = journal?.entry(profile.subjectId);
      if (entry && entry.status !== 'sending') {
        summary.skipped += 1;
      } else {
        const mapped = map(profile);
        if (isFailure(mapped) && mapped.code === 'skipped_disabled') {
          // The operator chose to leave disabled accounts behind: not a failure.
          summary.skipped += 1;
        } else if (isFailure(mapped)) {
          summary.failed += 1;
          if (!dryRun && checkpoint) checkpoint.record([{ subjectId: mapped.subjectId, outcome: { status: 'failed', code: mapped.code, reason: mapped.reason, retryable: false } }]);
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
    if (batch.length > 0 && !failure) await dispatch(batch);
    await Promise.all(running);
  } finally {
    await Promise.allSettled(running);
  }
  if (failure) throw failure instanceof Error ? failure : new Error('premigrate: a batch failed');
  if (!dryRun && checkpoint && pendingCursor !== undefined && chunks.length === 0) checkpoint.setCursor(pendingCursor);

  summary.durationMs = Math.round(performance.now() - started);
  if (checkpoint && !dryRun) {
    const counts = checkpoint.counts();
    summary.journal = { created: counts.created, existed: counts.existed, failed: counts.failed };
  }
  progress(true);
  return summary;
}
