import type { HashScheme } from '../../types.js';
import { dovecotCramScheme } from './dovecot-cram.js';

export const dovecotCramMd5: HashScheme = dovecotCramScheme('CRAM-MD5');
