import type { SqlPresetDefinition } from '../preset-definition.js';
import { aspnetIdentityPreset } from './aspnet-identity.js';
import { aspnetMembershipPreset } from './aspnet-membership.js';
import { devisePreset } from './devise.js';
import { djangoPreset } from './django.js';
import { drupal7Preset } from './drupal7.js';
import { keycloakPreset } from './keycloak.js';
import { laravelPreset } from './laravel.js';
import { wordpressPreset } from './wordpress.js';

/** The built-in presets, one file each; `preset: '<name>'` resolves from this list. */
export const builtinSqlPresets: readonly SqlPresetDefinition[] = [
  aspnetMembershipPreset,
  aspnetIdentityPreset,
  wordpressPreset,
  djangoPreset,
  drupal7Preset,
  keycloakPreset,
  laravelPreset,
  devisePreset,
];
