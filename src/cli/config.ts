import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { UserStore } from '../core/contracts.js';
import { LegacyIdpError } from '../core/errors.js';
import { usernameNormalizationSchema } from '../core/normalize.js';
import { parseOptions } from '../core/validate.js';
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

export const cliConfigSchema = z
  .object({
    $schema: z.string().optional(),
    store: z.discriminatedUnion('type', [memoryStoreConfig]),
    normalization: usernameNormalizationSchema.optional(),
    log: z.object({ level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('silent') }).strict().default({ level: 'silent' }),
    /** Milliseconds a single check may take before it is answered `unavailable`. */
    deadlineMs: z.number().int().positive().max(300_000).default(10_000),
  })
  .strict();

export type CliConfig = z.output<typeof cliConfigSchema>;

export interface LoadedConfig {
  path: string;
  config: CliConfig;
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
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse's message quotes the offending text, which may be a secret: give the position only.
    const position = /position (\d+)/u.exec(error instanceof Error ? error.message : '')?.[1];
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `${what} ${path} is not valid JSON${position ? ` (at position ${position})` : ''}`);
  }
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  const absolute = resolve(path);
  const config = parseOptions(cliConfigSchema, await readJson(absolute, 'config file'), `config file ${absolute}`);
  return { path: absolute, config };
}

type StoreConfig = CliConfig['store'];
type StoreOpeners = { [T in StoreConfig['type']]: (store: Extract<StoreConfig, { type: T }>, loaded: LoadedConfig) => Promise<UserStore> };

/** One opener per store type; each imports its backend only when chosen. */
const storeOpeners: StoreOpeners = {
  async memory(store, loaded) {
    const { memoryUserStore } = await import('../stores/memory/memory-store.js');
    let users = store.users ?? [];
    if (store.usersFile !== undefined) {
      const file = resolve(dirname(loaded.path), store.usersFile);
      users = parseOptions(z.array(memoryUserSchema), await readJson(file, 'users file'), `users file ${file}`);
    }
    const { normalization } = loaded.config;
    return memoryUserStore({
      users,
      ...(normalization ? { normalization } : {}),
      ...(store.matchEmail === undefined ? {} : { matchEmail: store.matchEmail }),
    });
  },
};

export function openStore(loaded: LoadedConfig): Promise<UserStore> {
  const { store } = loaded.config;
  return storeOpeners[store.type](store, loaded);
}
