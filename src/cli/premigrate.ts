import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { MigrationWriteBack } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import { jsonLogger } from '../core/logger.js';
import { parseOptions } from '../core/validate.js';
import type { PremigrateProgress } from '../premigrate/engine.js';
import type { MigrationSink } from '../premigrate/types.js';
import { exitCodes, type CliIo } from './cli.js';
import { openStore, type LoadedConfig } from './config.js';
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
  })
  .strict();

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

/** The extension attributes a mapping writes: the requiresMigration flag (Boolean) and `extension:` targets (String). */
function extensionsOf(mapping: Record<string, unknown>): Array<{ name: string; dataType: 'Boolean' | 'String' }> {
  const passwords = (mapping['passwords'] ?? {}) as { requiresMigrationAttribute?: unknown };
  const flag = passwords.requiresMigrationAttribute === undefined ? 'requiresMigration' : passwords.requiresMigrationAttribute;
  const attributes = ((mapping['fields'] ?? {}) as { attributes?: Record<string, unknown> }).attributes ?? {};
  return [
    ...(typeof flag === 'string' ? [{ name: flag, dataType: 'Boolean' as const }] : []),
    ...Object.values(attributes)
      .filter((target): target is string => typeof target === 'string' && target.startsWith('extension:'))
      .map((target) => ({ name: target.slice('extension:'.length), dataType: 'String' as const })),
  ];
}

function writeBackOf(store: object): MigrationWriteBack {
  if (typeof (store as Partial<MigrationWriteBack>).markMigrated !== 'function') {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'premigrate.writeBack needs a store with a write-back configured (store.writeBack: the columns or fields to set)', {
      path: 'premigrate.writeBack',
    });
  }
  return store as MigrationWriteBack;
}

export async function premigrate(values: Record<string, string | boolean | undefined>, io: CliIo, loaded: LoadedConfig): Promise<number> {
  const section = loaded.raw['premigrate'];
  if (section === undefined) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file ${loaded.path}: no "premigrate" section`, { path: 'premigrate' });
  const baseDir = dirname(loaded.path);
  const config = parseOptions(premigrateConfigSchema, resolveReferences(section, baseDir, io.env, 'premigrate'), `config file ${loaded.path} (premigrate)`);
  const dryRun = values['dry-run'] === true;
  const logger = jsonLogger({ level: loaded.config.log.level === 'silent' ? 'warn' : loaded.config.log.level, write: (text) => io.stderr.write(`${text}\n`) });

  const { createMapper } = await import('../premigrate/mapping.js');
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

    if (!dryRun && graph && (config.registerExtensions || values['register-extensions'] === true)) {
      const { registerExtensionProperties } = await import('../premigrate/extensions.js');
      const extensionAppId = config.mapping['extensionAppId'];
      if (typeof extensionAppId !== 'string') throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'registering extension attributes needs premigrate.mapping.extensionAppId', { path: 'premigrate.mapping.extensionAppId' });
      const registered = await registerExtensionProperties(graph, extensionAppId, extensionsOf(config.mapping), io.stopSignal);
      io.stderr.write(`premigrate: extension attributes registered: ${registered.registered.join(', ') || 'none'}; already there: ${registered.existing.join(', ') || 'none'}\n`);
    }

    let sink: MigrationSink | undefined;
    if (!dryRun) {
      if (config.sink.type === 'graph' && graph) {
        const { createPacer } = await import('../premigrate/pacer.js');
        const { graphSink } = await import('../premigrate/graph-sink.js');
        const pacer = createPacer(config.sink.pacer);
        sink = graphSink({ graph, pacer, ...(config.sink.concurrency === undefined ? {} : { concurrency: config.sink.concurrency }) });
      } else if (config.sink.type === 'jsonl') {
        const { jsonlSink } = await import('../premigrate/jsonl-sink.js');
        sink = jsonlSink({ path: resolve(baseDir, config.sink.path), redactPasswords: config.sink.redactPasswords, append: true });
      }
      const opened = sink;
      closers.unshift(async () => opened?.close());
    }

    const { openCheckpoint } = await import('../premigrate/checkpoint.js');
    const checkpoint = dryRun ? undefined : await openCheckpoint(resolve(baseDir, typeof values.journal === 'string' ? values.journal : config.journal));
    if (checkpoint) {
      closers.push(() => {
        checkpoint.close();
        return Promise.resolve();
      });
      // A journal belongs to one target: resuming into another tenant or file would skip users it never got.
      const target = config.sink.type === 'graph' ? `graph:${String(config.sink.graph['tenantId'])}` : `jsonl:${resolve(baseDir, config.sink.path)}`;
      const recorded = checkpoint.meta('target');
      if (recorded !== undefined && recorded !== target) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `the journal ${checkpoint.path} belongs to another target (${recorded}); use another --journal`, { path: 'premigrate.journal' });
      }
      checkpoint.setMeta('target', target);
    }

    const progress = progressWriter(io);
    const { runPremigration } = await import('../premigrate/engine.js');
    const summary = await runPremigration({
      source: store,
      map,
      ...(sink ? { sink } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      dryRun,
      retryFailed: values['retry-failed'] === true,
      ...(config.writeBack ? { writeBack: writeBackOf(store) } : {}),
      concurrency: config.concurrency,
      onProgress: progress.update,
      logger,
      ...(io.stopSignal ? { signal: io.stopSignal } : {}),
    });
    progress.done();
    const { writeReport } = await import('../premigrate/report.js');
    const jsonPath = resolve(baseDir, config.report.json);
    const csvPath = resolve(baseDir, config.report.csv);
    await writeReport({ summary, ...(checkpoint ? { checkpoint } : {}), jsonPath, csvPath });
    io.stdout.write(`${JSON.stringify({ ...summary, report: { json: jsonPath, csv: csvPath } }, null, 2)}\n`);
    const failed = summary.journal?.failed ?? summary.failed;
    return failed > 0 ? exitCodes.rejected : exitCodes.valid;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
