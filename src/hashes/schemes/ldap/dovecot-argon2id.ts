import type { HashScheme } from '../../types.js';
import { dovecotArgon2Scheme } from './dovecot-argon2.js';

export const dovecotArgon2id: HashScheme = dovecotArgon2Scheme('id');
