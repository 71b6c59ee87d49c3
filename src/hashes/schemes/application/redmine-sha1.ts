import { saltSha1OfSha1 } from './salt-sha1-of-sha1.js';

/** Redmine before 5 (User.hash_password): sha1(salt + sha1(password)). */
export const redmineSha1 = saltSha1OfSha1(
  'redmine_sha1',
  'Redmine: sha1(salt + sha1(password)), salt from users.salt',
  'Redmine User.hash_password (hashcat mode 4521)',
  'users.salt',
);
