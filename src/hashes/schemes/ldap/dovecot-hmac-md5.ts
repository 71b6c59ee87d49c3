import type { HashScheme } from '../../types.js';
import { dovecotCramScheme } from './dovecot-cram.js';

export const dovecotHmacMd5: HashScheme = dovecotCramScheme('HMAC-MD5');
