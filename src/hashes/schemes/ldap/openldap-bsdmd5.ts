import type { HashScheme } from '../../types.js';
import { openldapPhkScheme } from './openldap-phk.js';

export const openldapBsdmd5: HashScheme = openldapPhkScheme({
  id: 'openldap_bsdmd5',
  prefix: 'BSDMD5',
  magic: '$1$',
  summary: 'OpenLDAP contrib {BSDMD5}: FreeBSD MD5-crypt digest and salt in base64 (rare)',
});
