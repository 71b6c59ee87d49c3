import { compareDigest, mssqlDigest, mssqlScheme } from './mssql.js';

export const mssql2012 = mssqlScheme({
  id: 'mssql2012',
  version: '0200',
  digestBytes: 64,
  summary: 'SQL Server 2012+ pwdencrypt: 0x0200 + 4-byte salt + SHA-512(UTF-16LE(password) + salt)',
  source: 'SQL Server 2012 pwdencrypt/pwdcompare (hashcat mode 1731)',
  check: (password, salt, stored) => compareDigest(mssqlDigest('sha512', password, salt), stored),
});
