import type { HashScheme } from '../../types.js';
import { dovecotScramScheme } from './dovecot-scram.js';

export const dovecotScramSha256: HashScheme = dovecotScramScheme('sha256');
