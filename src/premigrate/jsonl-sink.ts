/**
 * A MigrationSink that writes the Graph create payloads to a JSON Lines file instead of calling Graph: one line
 * `{"subjectId":...,"payload":{...}}` per user, the payload exactly as it would be POSTed to /users. For a
 * review of what a run would send, or for another tool to import. The file holds passwords, so it is created
 * (or narrowed) to mode 0600; `redactPasswords` writes "[redacted]" in their place for copies meant to be read.
 *
 * Memory stays flat whatever the run's size: each write() resolves only after its lines reached the file, so
 * the engine never gets ahead of the disk, and nothing is kept per user.
 *
 * Durable before it is recorded: write() resolves only after fdatasync, and the engine records a user as created
 * only after write() resolved. Without it the journal's record could reach the disk before the line did (the OS
 * writes dirty pages back in any order), and a power loss would leave a user the journal calls written but the
 * file does not hold, never sent again. One sync per batch of up to 1000 lines: docs/premigrate.md has the cost.
 */
import { createReadStream, type WriteStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { LegacyIdpError } from '../core/errors.js';
import { REDACTED, type Logger } from '../core/logger.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import type { ObjectIdentity } from '../graph/users.js';
import type { ItemOutcome, MigrationItem, MigrationSink } from './types.js';

export const jsonlSinkSchema = z
  .object({
    path: z.string().min(1),
    /** Write "[redacted]" instead of each password: a copy for review, useless for an import. */
    redactPasswords: z.boolean().default(false),
    /**
     * Add to an existing file (line numbers go on from its last line) instead of replacing it. A resumed run
     * needs it. A last line cut short by a crash is cut off (and the drop logged): it belongs to a write that never
     * resolved, whose users the journal never recorded, so the resume looks them up and writes them again.
     */
    append: z.boolean().default(false),
    /**
     * How many of the file's last lines `lookup` indexes. A crash leaves at most the batches in flight
     * unconfirmed (engine concurrency x 1000), all of them at the end of the file.
     */
    lookupWindow: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Where the one warning goes (a cut-short last line dropped). Silent by default. */
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
  })
  .strict();

export type JsonlSinkOptions = z.input<typeof jsonlSinkSchema>;

export type JsonlSink = MigrationSink & { readonly path: string };

const maxBatch = 1000;

function fileError(action: string, path: string, error: unknown): LegacyIdpError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
  return new LegacyIdpError('ERR_LEGACY_IDP_OUTPUT_FILE', `jsonl sink: cannot ${action} ${path} (${code})`, { cause: error });
}

/** Counts the file's whole lines, and the length of the part they make up (less than the size after a write cut short). */
async function countLines(path: string): Promise<{ lines: number; size: number; terminatedSize: number }> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { lines: 0, size: 0, terminatedSize: 0 };
    throw error;
  }
  if (size === 0) return { lines: 0, size: 0, terminatedSize: 0 };
  let lines = 0;
  let read = 0;
  let terminatedSize = 0;
  // Up to the size taken first: nothing appends to the file meanwhile (the journal's lock keeps other runs out).
  for await (const chunk of createReadStream(path, { end: size - 1 })) {
    const bytes = chunk as Buffer;
    for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) {
      lines += 1;
      terminatedSize = read + at + 1;
    }
    read += bytes.length;
  }
  return { lines, size, terminatedSize };
}

/** How every line this sink writes begins (`JSON.stringify` keeps the key order it is given). */
const linePrefix = '{"subjectId":';

/**
 * What the bytes after the last newline are: a whole line that only lacks its newline (an editor that saved the
 * file without a final one; kept), the start of one a crash cut short (dropped), or something this sink never
 * wrote (the file is refused untouched).
 */
async function lastLineKind(path: string, from: number, size: number): Promise<'whole' | 'cut' | 'foreign'> {
  let text = '';
  // A line of this sink is one user's JSON, a few KiB; a tail of more than 1 MiB is no line of this sink.
  if (size - from > 1024 * 1024) return 'foreign';
  for await (const chunk of createReadStream(path, { start: from, end: size - 1, encoding: 'utf8' })) text += chunk as string;
  if (!text.startsWith(linePrefix.slice(0, Math.min(text.length, linePrefix.length)))) return 'foreign';
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { subjectId?: unknown }).subjectId === 'string' ? 'whole' : 'foreign';
  } catch {
    return 'cut';
  }
}

const identityKey = (identity: Pick<ObjectIdentity, 'issuer' | 'issuerAssignedId'>): string => `${identity.issuer.toLowerCase()}\n${identity.issuerAssignedId.toLowerCase()}`;

function redact(payload: MigrationItem['payload']): MigrationItem['payload'] {
  return { ...payload, passwordProfile: { ...payload.passwordProfile, password: REDACTED } };
}

/**
 * Makes a new file's directory entry durable too: a synced file whose name was lost is lost. Best effort: Windows
 * cannot open a directory, and some file systems refuse to sync one; the lines are synced either way.
 */
async function syncDirectory(directory: string): Promise<void> {
  if (process.platform === 'win32') return;
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Nothing more can be done about the entry.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

export function jsonlSink(options: JsonlSinkOptions): JsonlSink {
  const config = parseOptions(jsonlSinkSchema, options, 'jsonl sink options');
  const { path } = config;
  let lines = 0;
  let broken: Error | undefined;
  let closing: Promise<void> | undefined;
  let index: Promise<Map<string, number>> | undefined;

  const ready = (async (): Promise<{ stream: WriteStream; handle: FileHandle }> => {
    let cutShort = 0;
    let terminatedSize = 0;
    let tail: 'whole' | 'cut' | 'foreign' | undefined;
    if (config.append) {
      try {
        let size: number;
        ({ lines, size, terminatedSize } = await countLines(path));
        cutShort = size - terminatedSize;
        if (cutShort > 0) tail = await lastLineKind(path, terminatedSize, size);
      } catch (error) {
        throw fileError('read', path, error);
      }
      if (tail === 'foreign') {
        throw new LegacyIdpError('ERR_LEGACY_IDP_OUTPUT_FILE', `jsonl sink: cannot append to ${path} (its last line is not one this sink wrote: another file?)`, { path });
      }
      if (tail === 'whole') {
        // A whole line without its newline: it counts, and gets its newline before the next line.
        lines += 1;
        cutShort = 0;
      }
    }
    let handle: FileHandle;
    try {
      handle = await open(path, config.append ? 'a' : 'w', 0o600);
    } catch (error) {
      throw fileError('open', path, error);
    }
    await syncDirectory(dirname(path));
    try {
      // The mode on open only applies to a new file; an existing one is narrowed too.
      await handle.chmod(0o600);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw fileError('restrict the mode of', path, error);
    }
    if (cutShort > 0) {
      // A last line a crash cut short (a kill in the middle of a batch's write). Its write never resolved, so the
      // journal never recorded its users: the resume finds the batch in flight, looks its users up (the whole lines
      // before the fragment are found), and writes the others again. The fragment itself would stay an
      // unparseable line for good: it goes, and with it no line a recorded user points to. Its bytes may hold a
      // password: the log line has their number only.
      try {
        await handle.truncate(terminatedSize);
        await handle.sync();
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw fileError('truncate', path, error);
      }
      config.logger?.warn('jsonl sink: dropped the end of a last line a crash cut short; its users are looked up and written again', { path, bytes: cutShort });
    }
    const opened = handle.createWriteStream({ encoding: 'utf8' });
    opened.on('error', (error) => {
      broken ??= fileError('write', path, error);
    });
    if (tail === 'whole') await writeText(opened, '\n');
    return { stream: opened, handle };
  })();
  // Reported by the first write or lookup (or swallowed by close) instead of as an unhandled rejection.
  ready.catch(() => undefined);

  function writeText(target: WriteStream, text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      // The callback runs once the file has the bytes: waiting for it is the backpressure.
      target.write(text, (error) => {
        if (error) reject(broken ?? fileError('write', path, error));
        else resolve();
      });
    });
  }

  // One batch at a time, so line numbers are the lines' real positions even with several writes in flight.
  let queue: Promise<unknown> = ready;

  async function writeBatch(items: readonly MigrationItem[]): Promise<ItemOutcome[]> {
    const { stream: target } = await ready;
    if (broken) throw broken;
    let text = '';
    for (const item of items) {
      text += `${JSON.stringify({ subjectId: item.subjectId, payload: config.redactPasswords ? redact(item.payload) : item.payload })}\n`;
    }
    const first = lines + 1;
    await writeText(target, text);
    lines += items.length;
    return items.map((_, offset) => ({ status: 'created', objectId: `jsonl:${first + offset}` }));
  }

  /**
   * Group commit: a sync covers every write finished before it began, so the batches that finish while one runs
   * share the next instead of queueing one each, and the next batch is written while a sync runs.
   */
  let syncing: Promise<void> | undefined;
  let nextSync: Promise<void> | undefined;
  /** write() calls not settled yet: close() waits for them. */
  const unsynced = new Set<Promise<ItemOutcome[]>>();
  function syncWritten(handle: FileHandle): Promise<void> {
    if (syncing === undefined) {
      syncing = handle.datasync().then(
        () => {
          syncing = undefined;
        },
        (error: unknown) => {
          syncing = undefined;
          broken ??= fileError('sync', path, error);
          throw broken;
        },
      );
      return syncing;
    }
    nextSync ??= syncing
      .catch(() => undefined)
      .then(() => {
        nextSync = undefined;
        if (broken) throw broken;
        return syncWritten(handle);
      });
    return nextSync;
  }

  async function buildIndex(): Promise<Map<string, number>> {
    await ready;
    await queue;
    const found = new Map<string, number>();
    const reader = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of reader) {
      lineNumber += 1;
      let identities: unknown;
      try {
        identities = (JSON.parse(line) as { payload?: { identities?: unknown } }).payload?.identities;
      } catch {
        continue;
      }
      if (!Array.isArray(identities)) continue;
      for (const identity of identities as Partial<ObjectIdentity>[]) {
        if (typeof identity.issuer !== 'string' || typeof identity.issuerAssignedId !== 'string' || identity.signInType === 'federated') continue;
        const key = identityKey({ issuer: identity.issuer, issuerAssignedId: identity.issuerAssignedId });
        found.delete(key);
        found.set(key, lineNumber);
      }
      // Keep the last `lookupWindow` lines' identities: a Map iterates in insertion order, oldest first.
      while (found.size > config.lookupWindow) {
        const oldest = found.keys().next();
        if (oldest.done === true) break;
        found.delete(oldest.value);
      }
    }
    return found;
  }

  return {
    name: 'jsonl',
    path,
    maxBatch,
    write(items, signal) {
      if (closing) return Promise.reject(new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', `jsonl sink ${path} is closed`));
      if (items.length > maxBatch) return Promise.reject(new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `jsonl sink: at most ${maxBatch} users per write, got ${items.length}`));
      if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const run = queue.then(() => writeBatch(items));
      queue = run.catch(() => undefined);
      // On the disk, not only in the OS's cache, before the caller may record these users as written.
      const durable = run.then(async (outcomes) => {
        await syncWritten((await ready).handle);
        return outcomes;
      });
      unsynced.add(durable);
      void durable.catch(() => undefined).finally(() => unsynced.delete(durable));
      return durable;
    },
    /** Finds a user among the file's last `lookupWindow` lines (the engine's check after a crash). */
    async lookup(identity, signal) {
      signal?.throwIfAborted();
      index ??= buildIndex();
      let found: Map<string, number>;
      try {
        found = await index;
      } catch (error) {
        index = undefined;
        throw error instanceof LegacyIdpError ? error : fileError('read', path, error);
      }
      const line = found.get(identityKey(identity));
      return line === undefined ? null : { objectId: `jsonl:${line}` };
    },
    close() {
      closing ??= (async () => {
        // Writes and their syncs run on the handle the stream is about to close.
        await Promise.allSettled([...unsynced]);
        let target: WriteStream;
        try {
          target = (await ready).stream;
        } catch {
          return; // never opened: nothing to flush
        }
        if (target.closed) return;
        let failure: unknown;
        await new Promise<void>((resolve) => {
          target.once('error', (error) => {
            failure = error;
          });
          target.once('close', () => {
            resolve();
          });
          target.end();
        });
        if (failure !== undefined) throw fileError('finish', path, failure);
      })();
      return closing;
    },
  };
}
