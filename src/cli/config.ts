import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { UserStore } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import { driverRefusal } from '../core/driver-refusal.js';
import { usernameNormalizationSchema, type UsernameNormalizationOptions } from '../core/normalize.js';
import { parseOptions } from '../core/validate.js';
import { defaultListFilter, defaultListScope } from '../stores/ldap/list-defaults.js';
import type { Logger } from '../core/logger.js';
import type { HashRegistry } from '../hashes/registry.js';
import { memoryUserSchema } from '../stores/memory/memory-store.js';

/**
 * The CLI's config file. Every store type is one branch of `store`, built by a lazy import so that the
 * CLI loads only the backend it uses. Relative paths are resolved against the config file's folder.
 */
const memoryStoreConfig = z
  .object({
    type: z.literal('memory'),
    /** Users inline, or `usersFile`: a JSON array of the same records. */
    users: z.array(memoryUserSchema).optional(),
    usersFile: z.string().min(1).optional(),
    matchEmail: z.boolean().optional(),
  })
  .strict()
  .refine((store) => (store.users === undefined) !== (store.usersFile === undefined), 'give exactly one of "users" or "usersFile"');

/**
 * Stores with their own option schemas: the CLI checks the type here and leaves every other key to the
 * store's factory, whose validation names the bad key. Secrets can come from the environment instead of the
 * file: `connectionEnv` (SQL), `uriEnv` (MongoDB), `serviceAccount.passwordEnv` (LDAP).
 */
const sqlStoreConfig = z.looseObject({ type: z.literal('sql'), connectionEnv: z.string().min(1).optional() });
const mongoStoreConfig = z.looseObject({ type: z.literal('mongo'), uriEnv: z.string().min(1).optional() });
const ldapStoreConfig = z.looseObject({ type: z.literal('ldap') });
const fileStoreConfig = z.looseObject({ type: z.literal('file'), path: z.string().min(1) });

export const cliConfigSchema = z
  .object({
    $schema: z.string().optional(),
    store: z.discriminatedUnion('type', [memoryStoreConfig, sqlStoreConfig, mongoStoreConfig, ldapStoreConfig, fileStoreConfig]),
    normalization: usernameNormalizationSchema.optional(),
    log: z.object({ level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('silent') }).strict().default({ level: 'silent' }),
    /** Milliseconds a single check may take before it is answered `unavailable`. */
    deadlineMs: z.number().int().positive().max(300_000).default(10_000),
    /** The hash registry of the sql, mongo, file and ldap (compare mode) stores: see docs/serve.md, "Overload". */
    hashes: z
      .object({
        /** Hashes computed at once (default: one per core). */
        concurrency: z.number().int().positive().max(256).optional(),
        /** Checks allowed to wait for a slot. */
        maxQueue: z.number().int().nonnegative().optional(),
        /** Refuse a check whose expected wait for a slot is longer (answered `unavailable` at once); false: no limit. */
        maxQueueWaitMs: z.union([z.number().int().positive().max(600_000), z.literal(false)]).default(200),
        /** While checks are refused, one warning per this many ms says how many (default 10 s). */
        overloadReportMs: z.number().int().positive().max(3_600_000).optional(),
      })
      .strict()
      .default({ maxQueueWaitMs: 200 }),
    /** `legacy-idp serve`: routes, caller authentication, TLS (checked by the serve command). */
    serve: z.unknown().optional(),
    /** Lockout policy options and store for `legacy-idp serve`. */
    lockout: z.unknown().optional(),
    /** `legacy-idp premigrate`: mapping, sink, journal, report (checked by the premigrate command). */
    premigrate: z.unknown().optional(),
  })
  .strict();

export type CliConfig = z.output<typeof cliConfigSchema>;

export interface LoadedConfig {
  path: string;
  config: CliConfig;
  /** The file's JSON as read, for sections another command validates. */
  raw: Record<string, unknown>;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `cannot read ${what} ${path}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
  }
  try {
    // Editors on Windows start a UTF-8 file with a byte order mark, which JSON.parse refuses.
    return JSON.parse(text.replace(/^\uFEFF/u, '')) as unknown;
  } catch (error) {
    // JSON.parse's message quotes the offending text, which may be a secret: give the position only.
    const position = /position (\d+)/u.exec(error instanceof Error ? error.message : '')?.[1];
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `${what} ${path} is not valid JSON${position ? ` (at position ${position})` : ''}`);
  }
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  const absolute = resolve(path);
  const raw = await readJson(absolute, 'config file');
  const config = parseOptions(cliConfigSchema, raw, `config file ${absolute}`);
  return { path: absolute, config, raw: raw as Record<string, unknown> };
}

type StoreConfig = CliConfig['store'];
type StoreOpeners = {
  [T in StoreConfig['type']]: (store: Extract<StoreConfig, { type: T }>, registry: HashRegistry | undefined, loaded: LoadedConfig) => Promise<UserStore>;
};

/** `sqlite:users.db` and `sqlite://users.db` name the file `users.db` (the SQLite dialect takes both forms). */
const sqliteScheme = /^sqlite:(?:\/\/)?/u;

/**
 * The store section as the store is given it, resolved in this one place: relative file paths against the config
 * file's folder (SQLite's database, the file store's export, the memory store's usersFile), `connectionEnv` and
 * `uriEnv` read from the environment, and the defaults of what `list()` reads written out (MongoDB's collection,
 * LDAP's listFilter and scope). openStore opens exactly this, and `legacy-idp premigrate` names its journal's
 * source from it, so the journal cannot name another location than the one read. An LDAP service account's
 * `passwordEnv` is read by the opener: a secret, not a location.
 */
export function resolveStore(loaded: LoadedConfig): StoreConfig {
  const { store } = loaded.config;
  const here = (path: string): string => resolve(dirname(loaded.path), path);
  switch (store.type) {
    case 'memory':
      return store.usersFile === undefined ? store : { ...store, usersFile: here(store.usersFile) };
    case 'sql': {
      const { connectionEnv, ...options } = store;
      const connection = connectionEnv === undefined ? options['connection'] : fromEnvironment(connectionEnv, 'store.connectionEnv');
      // A SQLite file is found next to the config file, like every other path in it.
      const located = options['dialect'] === 'sqlite' && typeof connection === 'string' ? here(connection.replace(sqliteScheme, '')) : connection;
      return { ...options, ...(located === undefined ? {} : { connection: located }) };
    }
    case 'mongo': {
      const { uriEnv, ...options } = store;
      const uri = uriEnv === undefined ? options['uri'] : fromEnvironment(uriEnv, 'store.uriEnv');
      // The store's own default, written out: the journal then names the collection whatever that default becomes.
      return { ...options, collection: options['collection'] ?? 'users', ...(uri === undefined ? {} : { uri }) };
    }
    case 'file':
      return { ...store, path: here(store.path) };
    case 'ldap': {
      const profiles = store['profiles'];
      if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) return store;
      // The store's own defaults, written out, as for MongoDB's collection.
      return { ...store, profiles: { listFilter: defaultListFilter, scope: defaultListScope, ...profiles } };
    }
  }
}

/**
 * The normalization a sql or file store with a preset is opened with (docs/cli.md, "Normalization and presets"). A
 * preset's fold is how the product stored the names (ASP.NET Identity's NormalizedUserName is .NET's one-character
 * upper case, `WEIßMANN`), so the store keeps it and takes only the shared section's explicit `trim` and `unicode`:
 * the section's parsed form says `lower` even when it names only `unicode`. A shared `caseFold` that names another
 * fold is refused rather than overridden: the Authenticator folds the login with it before the store sees it, and
 * `upper` turns ß into SS, which no later fold undoes. `none` leaves folding to the store. A `normalization` in the
 * store section is the operator's deliberate choice for that store and is used as given.
 */
function presetNormalization(loaded: LoadedConfig, options: Record<string, unknown>, preset: UsernameNormalizationOptions | undefined, presetName: string): UsernameNormalizationOptions | undefined {
  const shared = loaded.config.normalization;
  if (shared === undefined || options['normalization'] !== undefined || preset?.caseFold === undefined) return shared;
  // The section as written: the parsed one has every default filled in.
  const raw = loaded.raw['normalization'] as Record<string, unknown>;
  const sharedFold = Object.hasOwn(raw, 'caseFold') ? shared.caseFold : undefined;
  if (sharedFold !== undefined && sharedFold !== 'none' && sharedFold !== preset.caseFold) {
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_CONFIG_INVALID',
      `config file: normalization.caseFold "${sharedFold}" contradicts the "${presetName}" preset's fold "${preset.caseFold}" (how the product stored the names): remove normalization.caseFold (the store folds as the preset does), set it to "${preset.caseFold}" or "none", or set store.normalization to override the preset deliberately (docs/cli.md)`,
      { path: 'normalization.caseFold' },
    );
  }
  const explicit = Object.fromEntries(Object.entries(shared).filter(([key]) => key !== 'caseFold' && Object.hasOwn(raw, key)));
  return { ...preset, ...explicit, caseFold: preset.caseFold };
}

/** The name of a preset option (`'wordpress'` or `{ name: 'wordpress', ... }`); undefined for a value the store will refuse. */
function presetNameOf(preset: unknown): string | undefined {
  if (typeof preset === 'string') return preset;
  const name = (preset as { name?: unknown } | null)?.name;
  return typeof preset === 'object' && preset !== null && typeof name === 'string' ? name : undefined;
}

/** One opener per store type, given the resolved section; each imports its backend only when chosen. */
const storeOpeners: StoreOpeners = {
  async memory(store, _registry, loaded) {
    const { memoryUserStore } = await import('../stores/memory/memory-store.js');
    let users = store.users ?? [];
    if (store.usersFile !== undefined) {
      users = parseOptions(z.array(memoryUserSchema), await readJson(store.usersFile, 'users file'), `users file ${store.usersFile}`);
    }
    const { normalization } = loaded.config;
    return memoryUserStore({
      users,
      ...(normalization ? { normalization } : {}),
      ...(store.matchEmail === undefined ? {} : { matchEmail: store.matchEmail }),
    });
  },
  async sql(store, registry, loaded) {
    const { sqlUserStore } = await import('../stores/sql/sql-store.js');
    const { type: _type, ...options } = store;
    const presetName = presetNameOf(options['preset']);
    let preset: UsernameNormalizationOptions | undefined;
    if (presetName !== undefined) {
      const { resolveSqlPreset } = await import('../stores/sql/presets.js');
      preset = resolveSqlPreset(options['preset'] as Parameters<typeof resolveSqlPreset>[0]).normalization;
    }
    const normalization = presetNormalization(loaded, options, preset, presetName ?? '');
    return sqlUserStore({ ...(normalization ? { normalization } : {}), ...options, registry } as Parameters<typeof sqlUserStore>[0]);
  },
  async mongo(store, registry, loaded) {
    const { mongoUserStore } = await import('../stores/mongo/mongo-store.js');
    const { type: _type, ...options } = store;
    const { normalization } = loaded.config;
    return mongoUserStore({ ...(normalization ? { normalization } : {}), ...options, registry } as Parameters<typeof mongoUserStore>[0]);
  },
  async file(store, registry, loaded) {
    const { fileUserStore } = await import('../stores/file/file-store.js');
    const { type: _type, preset, ...options } = store;
    // A preset's options can be secrets (the Firebase signer key): `{ "env": "NAME" }` and `{ "file": "path" }` stand
    // for them, resolved here as in the serve and premigrate sections. Read when the store opens, like the LDAP
    // service password: a secret, not a location, so the journal's source never holds it.
    let resolvedPreset = preset;
    if (typeof preset === 'object' && preset !== null) {
      const { resolveReferences } = await import('./serve.js');
      resolvedPreset = resolveReferences(preset, dirname(loaded.path), process.env, 'store.preset');
    }
    const presetName = presetNameOf(resolvedPreset);
    let presetFold: UsernameNormalizationOptions | undefined;
    if (presetName !== undefined) {
      const { resolveFilePreset } = await import('../stores/file/presets.js');
      presetFold = resolveFilePreset(resolvedPreset as Parameters<typeof resolveFilePreset>[0]).normalization;
    }
    const normalization = presetNormalization(loaded, options, presetFold, presetName ?? '');
    return fileUserStore({ ...(normalization ? { normalization } : {}), ...options, ...(resolvedPreset === undefined ? {} : { preset: resolvedPreset }), registry } as Parameters<typeof fileUserStore>[0]);
  },
  async ldap(store, registry) {
    const { ldapUserStore } = await import('../stores/ldap/ldap-store.js');
    const { type: _type, ...options } = store;
    const service = options['serviceAccount'] as { passwordEnv?: unknown; password?: unknown } | undefined;
    if (service && typeof service.passwordEnv === 'string') {
      const { passwordEnv, ...rest } = service;
      options['serviceAccount'] = { ...rest, password: fromEnvironment(passwordEnv, 'store.serviceAccount.passwordEnv') };
    }
    return ldapUserStore({ ...options, registry } as Parameters<typeof ldapUserStore>[0]);
  },
};

/** The value of an environment variable a config names for a secret; a typed error when it is not set. */
function fromEnvironment(name: string, key: string): string {
  const value = process.env[name];
  if (value === undefined || value.length === 0) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `config file: "${key}" names the environment variable ${name}, which is not set`, { path: key });
  }
  return value;
}

/** `logger` receives the hash registry's overload warnings (docs/serve.md, "Overload"). */
export async function openStore(loaded: LoadedConfig, options: { logger?: Logger } = {}): Promise<UserStore> {
  const { hashes } = loaded.config;
  const store = resolveStore(loaded);
  // The mapped type pairs each opener with its branch; TypeScript cannot follow that through the index.
  const open = storeOpeners[store.type] as (store: StoreConfig, registry: HashRegistry | undefined, loaded: LoadedConfig) => Promise<UserStore>;
  if (store.type === 'memory') return open(store, undefined, loaded);
  const openChecked = async (registry: HashRegistry): Promise<UserStore> => {
    try {
      return await open(store, registry, loaded);
    } catch (error) {
      if (error instanceof LegacyIdpError) throw error;
      // A driver refusing the options (a malformed URI) is a config mistake; neither its message nor its fields
      // (Node's URL error keeps the URL on `input`) may reach the log as they are.
      throw driverRefusal('config file', store.type, error, { path: 'store', connection: store });
    }
  };
  const { createHashRegistry } = await import('../hashes/registry.js');
  const registry = createHashRegistry({
    ...(hashes.concurrency === undefined ? {} : { concurrency: hashes.concurrency }),
    ...(hashes.maxQueue === undefined ? {} : { maxQueue: hashes.maxQueue }),
    ...(hashes.maxQueueWaitMs === false ? {} : { maxQueueWaitMs: hashes.maxQueueWaitMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(hashes.overloadReportMs === undefined ? {} : { overloadReportMs: hashes.overloadReportMs }),
  });
  let opened: UserStore;
  try {
    opened = await openChecked(registry);
  } catch (error) {
    await registry.close();
    throw error;
  }
  // The store closes only a registry it made itself: this one goes with it.
  const closeStore = opened.close?.bind(opened);
  opened.close = async () => {
    try {
      await closeStore?.();
    } finally {
      await registry.close();
    }
  };
  return opened;
}
