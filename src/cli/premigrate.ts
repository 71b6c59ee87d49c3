import { setMaxListeners } from 'node:events';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { MigrationWriteBack } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import { jsonLogger } from '../core/logger.js';
import { parseOptions } from '../core/validate.js';
import type { Checkpoint } from '../premigrate/checkpoint.js';
import type { PremigrateProgress } from '../premigrate/engine.js';
import type { MigrationSink } from '../premigrate/types.js';
import { exitCodes, type CliIo } from './cli.js';
import { openStore, resolveStore, type LoadedConfig } from './config.js';
import { resolveReferences } from './serve.js';

/**
 * `legacy-idp premigrate`: the config file's `store` is the source, its `premigrate` section the mapping,
 * the sink (Microsoft Graph or a JSONL file), the journal and the report. Resumable: run it again after a crash
 * or a Ctrl-C and it goes on where it stopped. `--reconcile` compares source and directory instead.
 */

const premigrateConfigSchema = z
  .object({
    /** `createMapper` options (docs/premigrate.md). */
    mapping: z.record(z.string(), z.unknown()),
    sink: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('graph'),
          /** `createGraphClient` options; the secret as `{ "env": "NAME" }`. */
          graph: z.record(z.string(), z.unknown()),
          /** `createPacer` options (quotas); default: the documented app+tenant write quota. */
          pacer: z.record(z.string(), z.unknown()).default({}),
          /** Batches of 20 in flight inside the sink (default 4). */
          concurrency: z.number().int().min(1).max(32).optional(),
        })
        .strict(),
      z.object({ type: z.literal('jsonl'), path: z.string().min(1), redactPasswords: z.boolean().default(false) }).strict(),
    ]),
    /** The checkpoint journal (SQLite), relative to the config file. */
    journal: z.string().min(1).default('premigrate-journal.db'),
    report: z.object({ json: z.string().min(1).default('premigrate-report.json'), csv: z.string().min(1).default('premigrate-failures.csv') }).strict().default({ json: 'premigrate-report.json', csv: 'premigrate-failures.csv' }),
    /** Register the mapping's extension attributes on the b2c-extensions-app before the run (also `--register-extensions`). */
    registerExtensions: z.boolean().default(false),
    /** Record each migration in the legacy store through its configured write-back (SQL, MongoDB), after the create. */
    writeBack: z.boolean().default(false),
    /** sink.write calls in flight in the engine (default 4). */
    concurrency: z.number().int().min(1).max(64).default(4),
    /**
     * On SIGINT/SIGTERM/SIGHUP no further user is read; the writes already sent get this long to finish and be
     * recorded. Those still unanswered then stay in the journal's in-flight table (the next run looks them up).
     */
    shutdownTimeoutMs: z.number().int().positive().max(600_000).default(20_000),
  })
  .strict();

/**
 * A run stopped by SIGINT/SIGTERM/SIGHUP before it read the whole source: resumable, neither a success (0: every
 * user is in the directory) nor a failure. 75 is sysexits' EX_TEMPFAIL ("try again later"), beside 70 (EX_SOFTWARE).
 */
export const stoppedExitCode = 75;

function progressWriter(io: CliIo): { update: (progress: PremigrateProgress) => void; done: () => void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastLine = 0;
  const eta = (seconds: number): string => (seconds >= 3600 ? `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min` : seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${seconds} s`);
  const line = (p: PremigrateProgress): string =>
    `premigrate: ${p.created} created, ${p.existed} existed, ${p.failed} failed, ${p.skipped} already done; ${p.listed}${p.total === undefined ? '' : ` of ${p.total}`} read, ${p.inFlight} in flight; ${p.perSecond.toFixed(1)} users/s${p.etaSeconds === undefined ? '' : `, about ${eta(p.etaSeconds)} left`}`;
  return {
    update(progress) {
      if (tty) {
        io.stderr.write(`\r${line(progress)}\u001b[K`);
      } else if (progress.elapsedMs - lastLine >= 5_000) {
        // Plain periodic lines when the output is a file or a pipe.
        lastLine = progress.elapsedMs;
        io.stderr.write(`${line(progress)}\n`);
      }
    },
    done() {
      if (tty) io.stderr.write('\n');
    },
  };
}

/**
 * Keys of a connection string, URL query or driver options object that say where the data lives. Everything
 * else is left out of a source's identity: user names and passwords (a credential rotation must not orphan a
 * journal), timeouts, pool sizes, TLS settings.
 */
const locationKeys = new Set(['host', 'hostname', 'hostaddr', 'server', 'data source', 'datasource', 'address', 'addr', 'network address', 'port', 'database', 'dbname', 'db', 'initial catalog', 'instancename', 'filename', 'socketpath']);

/** Secrets can hide in presets (a Firebase signer key) and in values of other keys: such keys never count. */
const secretKey = /pass|pwd|secret|key|token|credential|salt|pepper|signer/iu;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `scheme://[user[:password]@]host[:port][,host...]/path?query`: scheme, hosts, path and location parameters. */
function urlLocation(text: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/iu.exec(text);
  if (!match) return '';
  const authority = match[2] ?? '';
  const hosts = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  const query = (match[4] ?? '')
    .split('&')
    .map((pair) => pair.split('='))
    .filter(([name]) => name !== undefined && locationKeys.has(decodeURIComponent(name).toLowerCase()))
    .map((pair) => pair.join('='))
    .sort();
  return `${(match[1] ?? '').toLowerCase()}://${hosts}${match[3] ?? ''}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

/** A connection string (URL, `Key=Value;...` or libpq's `key=value ...`) or options object, reduced to its location. */
function connectionLocation(connection: unknown): unknown {
  if (isRecord(connection)) {
    const kept = Object.entries(connection)
      .filter(([name, value]) => locationKeys.has(name.toLowerCase()) && (typeof value === 'string' || typeof value === 'number'))
      .map(([name, value]) => `${name.toLowerCase()}=${String(value)}`)
      .sort();
    const nested = isRecord(connection['options']) ? connectionLocation(connection['options']) : '';
    return [...kept, ...(nested === '' ? [] : [String(nested)])].join(';');
  }
  if (typeof connection !== 'string') return undefined;
  if (connection.includes('://')) return urlLocation(connection);
  return connection
    .split(connection.includes(';') ? ';' : /\s+/u)
    .map((part) => part.split('='))
    .filter(([name, value]) => name !== undefined && value !== undefined && locationKeys.has(name.trim().toLowerCase()))
    .map(([name, ...value]) => `${(name ?? '').trim().toLowerCase()}=${value.join('=').trim()}`)
    .sort()
    .join(';');
}

/** Column or field equalities in a stable order; none at all and an empty object are the same. */
function filterIdentity(where: unknown): unknown {
  if (!isRecord(where)) return undefined;
  const entries = Object.entries(where).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** A preset's name and its plain settings (a table prefix, a realm), without anything that looks like a secret. */
function presetIdentity(preset: unknown): unknown {
  if (!isRecord(preset)) return preset;
  return Object.fromEntries(Object.entries(preset).filter(([name, value]) => !secretKey.test(name) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * What the store reads, as a string the journal keeps: the store type, the database or file, the table, query,
 * collection or base DN, the filters. Never a secret, and nothing a credential rotation or a tuning change
 * alters (connectionEnv and uriEnv are read for their location only; the same database reached through
 * another variable is the same source). Read from the section openStore opens (`resolveStore`: paths against
 * the config file, environment variables, defaults written out), so it names the location the run reads.
 */
export function sourceIdentity(loaded: LoadedConfig): string {
  const store = resolveStore(loaded) as Record<string, unknown> & { type: string };
  let parts: Record<string, unknown>;
  switch (store.type) {
    case 'sql': {
      const connection = store['connection'];
      parts = {
        dialect: store['dialect'],
        // A SQLite connection is the database file's absolute path already; a server's is reduced to its location.
        connection: store['dialect'] === 'sqlite' && typeof connection === 'string' ? connection : connectionLocation(connection),
        preset: presetIdentity(store['preset']),
        table: store['table'],
        query: store['query'],
        where: filterIdentity(store['where']),
      };
      break;
    }
    case 'mongo': {
      const uri = store['uri'];
      parts = { uri: typeof uri === 'string' ? urlLocation(uri) : undefined, database: store['database'], collection: store['collection'], where: filterIdentity(store['where']) };
      break;
    }
    case 'ldap': {
      const urls = Array.isArray(store['urls']) ? store['urls'].map((url) => String(url).toLowerCase().replace(/\/$/u, '')).sort() : undefined;
      const profiles = isRecord(store['profiles']) ? store['profiles'] : {};
      parts = { urls, baseDn: profiles['baseDn'], listFilter: profiles['listFilter'], scope: profiles['scope'] };
      break;
    }
    case 'file':
      parts = { path: store['path'], jsonKey: store['jsonKey'], preset: presetIdentity(store['preset']) };
      break;
    default:
      parts = { usersFile: typeof store['usersFile'] === 'string' ? store['usersFile'] : 'inline' };
  }
  return JSON.stringify({ type: store.type, ...parts });
}

/** The journal's record of the file its cursor was taken in (meta key). */
const cursorFileKey = 'cursorFileSha256';

/**
 * A file store's cursors are record positions, which name other users once the export is replaced (two users
 * added at the top: the saved position skips two). So each cursor is written with the SHA-256 of the file it
 * was taken in (the file store's `sha256`), after the cursor itself: a crash between the two writes leaves an
 * old digest, which restarts the listing, never a new digest beside an old position. When the file is not
 * that one (or the journal, from an earlier version, has no digest), the run lists from the start: the engine
 * skips the users the journal settled by subject id, so nobody is sent twice and nobody is left out.
 */
function cursorOfThisFile(checkpoint: Checkpoint, store: object, io: CliIo, path: unknown): Checkpoint {
  const digest = (store as { sha256?: unknown }).sha256;
  if (typeof digest !== 'string') return checkpoint;
  let stale = checkpoint.cursor() !== undefined && checkpoint.meta(cursorFileKey) !== digest;
  if (stale) {
    io.stderr.write(
      `premigrate: ${String(path)} is not the file the journal's saved position was taken in (changed or replaced since): listing it from the start, skipping the users the journal already settled\n`,
    );
  }
  return {
    ...checkpoint,
    cursor: () => (stale ? undefined : checkpoint.cursor()),
    setCursor(cursor) {
      checkpoint.setCursor(cursor);
      checkpoint.setMeta(cursorFileKey, digest);
      stale = false;
    },
  };
}

function writeBackOf(store: object): MigrationWriteBack {
  if (typeof (store as Partial<MigrationWriteBack>).markMigrated !== 'function') {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'premigrate.writeBack needs a store with a write-back configured (store.writeBack: the columns or fields to set)', {
      path: 'premigrate.writeBack',
    });
  }
  return store as MigrationWriteBack;
}

/** The `premigrate` section, references resolved and validated (exit 2 on a mistake). */
export function parsePremigrateSection(loaded: LoadedConfig, env: Readonly<Record<string, string | undefined>>, section: unknown = loaded.raw['premigrate']): z.output<typeof premigrateConfigSchema> {
  return parseOptions(premigrateConfigSchema, resolveReferences(section, dirname(loaded.path), env, 'premigrate'), `config file ${loaded.path} (premigrate)`);
}

export async function premigrate(values: Record<string, string | boolean | undefined>, io: CliIo, loaded: LoadedConfig): Promise<number> {
  const section = loaded.raw['premigrate'];
  if (section === undefined) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file ${loaded.path}: no "premigrate" section`, { path: 'premigrate' });
  const baseDir = dirname(loaded.path);
  const config = parsePremigrateSection(loaded, io.env, section);
  const dryRun = values['dry-run'] === true;
  const logger = jsonLogger({ level: loaded.config.log.level === 'silent' ? 'warn' : loaded.config.log.level, write: (text) => io.stderr.write(`${text}\n`) });

  const { createMapper, extensionPropertiesOf } = await import('../premigrate/mapping.js');
  const map = createMapper(config.mapping as Parameters<typeof createMapper>[0]);
  const store = await openStore(loaded);
  const closers: Array<() => Promise<unknown>> = [async () => store.close?.()];
  try {
    let graph: import('../graph/client.js').GraphClient | undefined;
    if (config.sink.type === 'graph') {
      const { createGraphClient } = await import('../graph/client.js');
      graph = createGraphClient({ ...config.sink.graph, logger } as Parameters<typeof createGraphClient>[0]);
    }

    if (values.reconcile === true) {
      if (!graph) throw new LegacyIdpError('ERR_LEGACY_IDP_USAGE', 'premigrate --reconcile needs the graph sink (it reads the directory)');
      const { reconcile } = await import('../premigrate/reconcile.js');
      const tenant = (config.mapping['tenant'] as string | undefined) ?? '';
      const issuer = tenant.includes('.') ? tenant : `${tenant}.onmicrosoft.com`;
      const result = await reconcile({ source: store, map, graph, issuer, ...(io.stopSignal ? { signal: io.stopSignal } : {}) });
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return result.missingInDirectoryCount + result.missingInSourceCount === 0 ? exitCodes.valid : exitCodes.rejected;
    }

    // The journal first: it is the run's lock (a second run on it stops here, before its sink touches the JSONL
    // file), and it must belong to this source and this target.
    const { openCheckpoint } = await import('../premigrate/checkpoint.js');
    // A dry run writes to a scratch journal in memory: the engine records only its mapping failures there, so its
    // report lists who would fail and why.
    const checkpoint = await openCheckpoint(dryRun ? ':memory:' : resolve(baseDir, typeof values.journal === 'string' ? values.journal : config.journal));
    closers.push(() => {
      checkpoint.close();
      return Promise.resolve();
    });
    if (!dryRun) {
      // A journal belongs to one target: resuming into another tenant or file would skip users it never got.
      const target = config.sink.type === 'graph' ? `graph:${String(config.sink.graph['tenantId'])}` : `jsonl:${resolve(baseDir, config.sink.path)}`;
      const recordedTarget = checkpoint.meta('target');
      if (recordedTarget !== undefined && recordedTarget !== target) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `the journal ${checkpoint.path} belongs to another target (${recordedTarget}); use another --journal`, { path: 'premigrate.journal' });
      }
      // And to one source: its cursor and its settled users mean nothing in another database, table or file,
      // whose users would be skipped. Journals of earlier versions have no source yet and take this one.
      const source = sourceIdentity(loaded);
      const recordedSource = checkpoint.meta('source');
      if (recordedSource !== undefined && recordedSource !== source) {
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_INVALID',
          `the journal ${checkpoint.path} belongs to another source (${recordedSource}, not ${source}); use another --journal`,
          { path: 'premigrate.journal' },
        );
      }
      checkpoint.setMeta('target', target);
      checkpoint.setMeta('source', source);
    }

    if (!dryRun && graph && (config.registerExtensions || values['register-extensions'] === true)) {
      const { registerExtensionProperties } = await import('../premigrate/extensions.js');
      const extensionAppId = config.mapping['extensionAppId'];
      if (typeof extensionAppId !== 'string') throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'registering extension attributes needs premigrate.mapping.extensionAppId', { path: 'premigrate.mapping.extensionAppId' });
      const registered = await registerExtensionProperties(graph, extensionAppId, extensionPropertiesOf(config.mapping as Parameters<typeof extensionPropertiesOf>[0]), io.stopSignal);
      io.stderr.write(`premigrate: extension attributes registered: ${registered.registered.join(', ') || 'none'}; already there: ${registered.existing.join(', ') || 'none'}\n`);
    }

    let sink: MigrationSink | undefined;
    if (!dryRun) {
      if (config.sink.type === 'graph' && graph) {
        const { createPacer } = await import('../premigrate/pacer.js');
        const { graphSink } = await import('../premigrate/graph-sink.js');
        // The client's limit on Retry-After holds for batch items and the pacer's pauses too.
        const maxRetryAfterMs = typeof config.sink.graph['maxRetryAfterMs'] === 'number' ? config.sink.graph['maxRetryAfterMs'] : undefined;
        const pacer = createPacer({ ...(maxRetryAfterMs === undefined ? {} : { maxBackOffMs: maxRetryAfterMs }), ...config.sink.pacer });
        sink = graphSink({
          graph,
          pacer,
          ...(config.sink.concurrency === undefined ? {} : { concurrency: config.sink.concurrency }),
          ...(maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs }),
        });
      } else if (config.sink.type === 'jsonl') {
        const { jsonlSink } = await import('../premigrate/jsonl-sink.js');
        sink = jsonlSink({ path: resolve(baseDir, config.sink.path), redactPasswords: config.sink.redactPasswords, append: true, logger });
      }
      const opened = sink;
      closers.unshift(async () => opened?.close());
    }

    const progress = progressWriter(io);
    const { runPremigration } = await import('../premigrate/engine.js');
    // A stop signal ends the reading and lets the writes already sent finish; once shutdownTimeoutMs has passed,
    // `hardStop` abandons what is still unanswered (the journal keeps it in flight for the next run). A second
    // signal ends the process at once (main.ts).
    const hardStop = new AbortController();
    // Every Graph call and query of the run listens on it, as on the stop signal.
    setMaxListeners(0, hardStop.signal);
    let stopTimer: ReturnType<typeof setTimeout> | undefined;
    const onStop = (): void => {
      const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
      io.stderr.write(`${tty ? '\n' : ''}premigrate: stopping: no further user is read; the writes in flight get up to ${Math.ceil(config.shutdownTimeoutMs / 1000)} s to finish (a second signal stops at once)\n`);
      stopTimer = setTimeout(() => {
        hardStop.abort(new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', `premigrate: the writes in flight did not finish within shutdownTimeoutMs (${config.shutdownTimeoutMs} ms)`));
      }, config.shutdownTimeoutMs);
    };
    if (io.stopSignal?.aborted === true) onStop();
    else io.stopSignal?.addEventListener('abort', onStop, { once: true });
    closers.push(() => {
      clearTimeout(stopTimer);
      io.stopSignal?.removeEventListener('abort', onStop);
      return Promise.resolve();
    });
    const summary = await runPremigration({
      source: store,
      map,
      ...(sink ? { sink } : {}),
      checkpoint: dryRun ? checkpoint : cursorOfThisFile(checkpoint, store, io, (resolveStore(loaded) as { path?: unknown }).path),
      dryRun,
      retryFailed: values['retry-failed'] === true,
      ...(config.writeBack ? { writeBack: writeBackOf(store) } : {}),
      concurrency: config.concurrency,
      onProgress: progress.update,
      logger,
      signal: hardStop.signal,
      ...(io.stopSignal ? { stopSignal: io.stopSignal } : {}),
    });
    progress.done();
    const { writeReport } = await import('../premigrate/report.js');
    // A dry run reports beside the real run's report, never over it: `premigrate-report.dry-run.json`.
    const reportPath = (path: string): string => resolve(baseDir, dryRun ? path.replace(/(\.[^./\\]+)?$/u, '.dry-run$1') : path);
    const jsonPath = reportPath(config.report.json);
    const csvPath = reportPath(config.report.csv);
    await writeReport({ summary, checkpoint, jsonPath, csvPath });
    io.stdout.write(`${JSON.stringify({ ...summary, report: { json: jsonPath, csv: csvPath } }, null, 2)}\n`);
    // Stopped before the end: not done, whatever the journal holds so far.
    if (summary.stopped === true) return stoppedExitCode;
    const failed = summary.journal?.failed ?? summary.failed;
    return failed > 0 ? exitCodes.rejected : exitCodes.valid;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
