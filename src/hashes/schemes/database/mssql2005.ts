import { compareDigest, mssqlDigest, mssqlScheme } from './mssql.js';

export const mssql2005 = mssqlScheme({
  id: 'mssql2005',
  version: '0100',
  digestBytes: 20,
  summary: 'SQL Server 2005-2008 R2 pwdencrypt: 0x0100 + 4-byte salt + SHA-1(UTF-16LE(password) + salt)',
  source: 'SQL Server 2005 pwdencrypt/pwdcompare; passlib mssql2005',
  check: (password, salt, stored) => compareDigest(mssqlDigest('sha1', password, salt), stored),
});
