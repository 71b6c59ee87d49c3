import type { HashScheme } from '../../types.js';
import { djangoDisabled } from './django-disabled.js';
import { unixDisabled } from './unix-disabled.js';

/**
 * The marker family, in identify order; builtin.ts puts it before every hash family, so `!$6$...` is a
 * locked account and never a hash to check. Django's shape is the more specific one.
 */
export const markerSchemes: readonly HashScheme[] = [djangoDisabled, unixDisabled];
