import { saltSha1OfSha1 } from './salt-sha1-of-sha1.js';

/** PunBB 1.3+ and FluxBB: sha1(salt + sha1(password)). */
export const punbbSha1 = saltSha1OfSha1(
  'punbb_sha1',
  'PunBB 1.3+/FluxBB: sha1(salt + sha1(password)), salt from users.salt',
  'PunBB forum_hash (hashcat mode 4522)',
  'users.salt',
);
