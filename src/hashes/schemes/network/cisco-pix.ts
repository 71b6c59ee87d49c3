import { ciscoEncrypted } from './cisco-pix-asa.js';

export const ciscoPix = ciscoEncrypted({
  id: 'cisco_pix',
  asa: false,
  summary: 'Cisco PIX "encrypted" password: truncated MD5 of the password (+ user), 16 bytes max',
  source: 'Cisco PIX; passlib cisco_pix',
});
