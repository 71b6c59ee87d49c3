import type { HashScheme } from '../../types.js';
import { dovecotArgon2Scheme } from './dovecot-argon2.js';

export const dovecotArgon2i: HashScheme = dovecotArgon2Scheme('i');
