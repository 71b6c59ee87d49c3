import { compareDigest, mssqlDigest, mssqlScheme } from './mssql.js';

/**
 * SQL Server 2000 keeps SHA-1 over the password as typed and over its upper-case form; a login on the
 * default case-insensitive collation checks the upper-case one, and so does passlib's mssql2000, so a
 * password differing only in case verifies.
 */
export const mssql2000 = mssqlScheme({
  id: 'mssql2000',
  version: '0100',
  digestBytes: 40,
  summary: 'SQL Server 2000 pwdencrypt: 0x0100 + salt + SHA-1 of the password and of its upper-case form (UTF-16LE)',
  source: 'SQL Server 2000 pwdencrypt/pwdcompare; passlib mssql2000',
  check: (password, salt, stored) => compareDigest(mssqlDigest('sha1', password.toUpperCase(), salt), stored.subarray(20)),
});
