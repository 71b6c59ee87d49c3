import { z } from 'zod';
import { LegacyIdpError } from '../../core/errors.js';
import type { SqlPresetParts } from './preset-definition.js';
import { builtinSqlPresets } from './presets/index.js';

/**
 * Ready wiring for the schemas of products our users leave: the table or query, the column mapping, the
 * scheme and its per-user context, account-state rules and a write-back default. Each preset documents the
 * source schema it follows (docs/stores/sql.md).
 */

type PresetFactory = (options: Record<string, unknown>) => SqlPresetParts;

export { defineSqlPreset } from './preset-definition.js';
export type { SqlPresetDefinition, SqlPresetParts } from './preset-definition.js';

const presets = new Map<string, { options: z.ZodType<Record<string, unknown>>; build: PresetFactory }>();
for (const preset of builtinSqlPresets) presets.set(preset.name, { options: preset.options, build: preset.build });

/** Adds a preset to the table `preset: '<name>'` resolves from (the built-in presets register themselves). */
export function registerSqlPreset<S extends z.ZodType<Record<string, unknown>>>(name: string, options: S, build: (options: z.output<S>) => SqlPresetParts): void {
  presets.set(name, { options, build: build as PresetFactory });
}

export function sqlPresetNames(): string[] {
  return [...presets.keys()];
}

export const sqlPresetSchema = z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]);

export function resolveSqlPreset(preset: z.output<typeof sqlPresetSchema>): SqlPresetParts {
  const { name, ...rest } = typeof preset === 'string' ? { name: preset } : preset;
  const entry = presets.get(name);
  if (!entry) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `sql store options: unknown preset "${name}" (known: ${sqlPresetNames().join(', ') || 'none'})`, {
      path: 'preset',
    });
  }
  const parsed = entry.options.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `sql store options: preset "${name}": ${[issue?.path.join('.'), issue?.message ?? 'invalid'].filter(Boolean).join(' ')}`, {
      path: 'preset',
    });
  }
  return entry.build(parsed.data);
}
