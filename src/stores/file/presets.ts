import { z } from 'zod';
import { LegacyIdpError } from '../../core/errors.js';
import type { FilePresetDefinition, FilePresetParts } from './preset-definition.js';
import { builtinFilePresets } from './presets/index.js';

/**
 * Ready wiring for the exports of products our users leave: the format, the array's key, the field mapping,
 * the scheme and its context, account states and how users sign in. Each preset documents the export it
 * reads (docs/stores/file.md).
 */

const presets = new Map<string, FilePresetDefinition>();
for (const preset of builtinFilePresets) presets.set(preset.name, preset);

export function filePresetNames(): string[] {
  return [...presets.keys()];
}

/** `'auth0'`, or an object with the preset's options: `{ name: 'firebase', signerKey: '...' }`. */
export const filePresetSchema = z.union([z.string().min(1), z.looseObject({ name: z.string().min(1) })]);
export type FilePresetOption = z.input<typeof filePresetSchema>;

export function resolveFilePreset(preset: z.output<typeof filePresetSchema>): FilePresetParts {
  const { name, ...rest } = typeof preset === 'string' ? { name: preset } : preset;
  const definition = presets.get(name);
  if (!definition) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `file store options: unknown preset "${name}" (known: ${filePresetNames().join(', ')})`, { path: 'preset' });
  }
  const parsed = definition.options.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.code === 'unrecognized_keys' ? `unknown key "${issue.keys.join('", "')}"` : `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`;
    // Preset options hold secrets (a Firebase signer key): name the key, never echo the value.
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `file store options: preset "${name}": ${key}`, { path: 'preset' });
  }
  return definition.build(parsed.data);
}
