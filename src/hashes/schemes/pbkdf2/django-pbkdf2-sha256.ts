import type { HashScheme } from '../../types.js';
import { djangoPbkdf2 } from './django.js';

export const djangoPbkdf2Sha256: HashScheme = djangoPbkdf2('django_pbkdf2_sha256', 'sha256');
