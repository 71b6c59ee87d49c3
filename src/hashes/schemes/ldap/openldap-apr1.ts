import type { HashScheme } from '../../types.js';
import { openldapPhkScheme } from './openldap-phk.js';

export const openldapApr1: HashScheme = openldapPhkScheme({
  id: 'openldap_apr1',
  prefix: 'APR1',
  magic: '$apr1$',
  summary: 'OpenLDAP contrib {APR1}: Apache MD5-crypt digest and salt in base64 (rare)',
});
