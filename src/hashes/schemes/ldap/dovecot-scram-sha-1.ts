import type { HashScheme } from '../../types.js';
import { dovecotScramScheme } from './dovecot-scram.js';

export const dovecotScramSha1: HashScheme = dovecotScramScheme('sha1');
