import { ciscoEncrypted } from './cisco-pix-asa.js';

/** Same as PIX for short passwords; longer ones (17-32 bytes) use a 32-byte block. */
export const ciscoAsa = ciscoEncrypted({
  id: 'cisco_asa',
  asa: true,
  summary: 'Cisco ASA (PIX 7.0+) "encrypted" password: truncated MD5 of the password (+ user), 32 bytes max',
  source: 'Cisco ASA 9.x; passlib cisco_asa',
});
