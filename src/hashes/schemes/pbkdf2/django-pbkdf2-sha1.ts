import type { HashScheme } from '../../types.js';
import { djangoPbkdf2 } from './django.js';

export const djangoPbkdf2Sha1: HashScheme = djangoPbkdf2('django_pbkdf2_sha1', 'sha1');
