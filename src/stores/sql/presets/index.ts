import type { SqlPresetDefinition } from '../preset-definition.js';

/** The built-in presets, one file each; `preset: '<name>'` resolves from this list. */
export const builtinSqlPresets: readonly SqlPresetDefinition[] = [];
