import type { FilePresetDefinition } from '../preset-definition.js';
import { auth0Preset } from './auth0.js';
import { firebasePreset } from './firebase.js';
import { msSamplePreset } from './ms-sample.js';

/** The built-in presets, one file each; `preset: '<name>'` resolves from this list. */
export const builtinFilePresets: readonly FilePresetDefinition[] = [auth0Preset, firebasePreset, msSamplePreset];
