import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/registry.js';
import type { HashContext } from '../../src/hashes/types.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const hc = (mode: string): string => `hashcat/hashcat src/modules/module_${mode}.c ST_HASH/ST_PASS`;
const passlib = (handler: string): string => `passlib 1.7.4 ${handler} (Debian python3-passlib)`;

const vectors: { scheme: string; hash: string; password: string; context?: HashContext; source: string }[] = [
  { scheme: 'mysql323', hash: '7196759210defdc0', password: 'hashcat', source: hc('00200') },
  { scheme: 'mysql323', hash: '63d30d9b74502090', password: 'pässword', source: passlib('mysql323') },
  { scheme: 'mysql41', hash: '*FCF7C1B8749CF99D88E5F34271D636178FB5D130', password: 'hashcat', source: hc('00300') },
  { scheme: 'mysql41', hash: '*809D64D632EB9BAB610456B482D94C2E267965C8', password: 'pässword', source: passlib('mysql41') },
  { scheme: 'postgres_md5', hash: 'md593a8cf6a7d43e3b5bcd2dc6abb3e02c6', password: 'hashcat', context: { user: '27032153220030464358344758762807' }, source: hc('12') },
  { scheme: 'postgres_md5', hash: 'md5a0687b043d6a38ed06c0428494088bcb', password: 'pässword', context: { user: 'Alice' }, source: passlib('postgres_md5') },
  {
    scheme: 'mssql2000',
    hash: '0x01001234567845E9299CCC0408A90A4A1CD408967037A2A689308066DCAEDE386D0DA84EE8A35B35AB3051364EEB',
    password: 'Pässword',
    source: passlib('mssql2000'),
  },
  { scheme: 'mssql2005', hash: '0x010045083578BF13A6E30CA29C40E540813772754D54A5FFD325', password: 'hashcat', source: hc('00132') },
  { scheme: 'mssql2005', hash: '0x01001234567845E9299CCC0408A90A4A1CD408967037A2A68930', password: 'Pässword', source: passlib('mssql2005') },
  {
    scheme: 'mssql2012',
    hash: '0x02003788006711B2E74E7D8CB4BE96B1D187C962C5591A02D5A6AE81B3A4A094B26B7877958B26733E45016D929A756ED30D0A5EE65D3CE1970F9B7BF946E705C595F07625B1',
    password: 'hashcat',
    source: hc('01731'),
  },
  { scheme: 'oracle10', hash: '792FCB0AE31D8489', password: 'hashcat', context: { user: '7284616727' }, source: hc('03100') },
  { scheme: 'oracle10', hash: '1622D3D417EBB6B1', password: 'pässwörd', context: { user: 'Scott' }, source: passlib('oracle10') },
  { scheme: 'oracle11', hash: 'S:63EC5F6113843F5D229E2D49C068D983A9670D0257677783202322766743', password: 'hashcat', source: hc('00112') },
  { scheme: 'oracle11', hash: 'S:857135CC5EBA2E86A629766259441D573BC778491234567890ABCDEF1234', password: 'Pässword', source: passlib('oracle11') },
];

/**
 * PostgreSQL 15.20 (Debian 15.20-0+deb12u1): SET password_encryption = 'md5'; CREATE ROLE app_user356 PASSWORD
 * 'Secret123'; pg_authid.rolpassword (passlib 1.7.4 postgres_md5.hash('Secret123', user='app_user356') agrees).
 */
const pgBigcryptShaped = { hash: 'md594bc41ce06397373f42768c224bd6e26', password: 'Secret123', context: { user: 'app_user356' } };

describe('database schemes: known vectors', () => {
  it.each(vectors)('$scheme verifies $hash ($source)', async ({ scheme, hash, password, context = {} }) => {
    expect((await registry.verify(password, hash, { scheme, context })).valid).toBe(true);
    expect((await registry.verify(`${password}!x`, hash, { scheme, context })).valid).toBe(false);
  });

  it('mysql323 ignores spaces and tabs (passlib agrees)', async () => {
    // passlib mysql323.hash('pass word') = 5d2e19393cc5ef67
    expect((await registry.verify('pass\tword', '5d2e19393cc5ef67', { scheme: 'mysql323' })).valid).toBe(true);
    expect((await registry.verify('password', '5d2e19393cc5ef67', { scheme: 'mysql323' })).valid).toBe(true);
  });

  it('mssql2000 checks the upper-case digest, like passlib and a case-insensitive server', async () => {
    const hash = '0x01001234567845E9299CCC0408A90A4A1CD408967037A2A689308066DCAEDE386D0DA84EE8A35B35AB3051364EEB';
    expect((await registry.verify('PÄSSWORD', hash, { scheme: 'mssql2000' })).valid).toBe(true);
  });

  it('oracle10 is case-insensitive in both user and password', async () => {
    // passlib oracle10.hash('Secret', user='Scott') = 5A692C5E027D08ED
    expect((await registry.verify('SECRET', '5A692C5E027D08ED', { scheme: 'oracle10', context: { user: 'SCOTT' } })).valid).toBe(true);
    expect((await registry.verify('secret', '5a692c5e027d08ed', { scheme: 'oracle10', context: { user: 'scott' } })).valid).toBe(true);
  });

  it('postgres_md5 salts with the role name as stored (case matters)', async () => {
    expect((await registry.verify('pässword', 'md5a0687b043d6a38ed06c0428494088bcb', { scheme: 'postgres_md5', context: { user: 'alice' } })).valid).toBe(false);
  });
});

describe('database schemes: identify', () => {
  it.each([
    ['*FCF7C1B8749CF99D88E5F34271D636178FB5D130', 'mysql41'],
    ['md593a8cf6a7d43e3b5bcd2dc6abb3e02c6', 'postgres_md5'],
    // Also bigcrypt's shape (2, 6 or c as its 13th, 24th and 35th characters), like about 1 in 150 md5 verifiers.
    [pgBigcryptShaped.hash, 'postgres_md5'],
    ['0x010045083578BF13A6E30CA29C40E540813772754D54A5FFD325', 'mssql2005'],
    ['0x01001234567845E9299CCC0408A90A4A1CD408967037A2A689308066DCAEDE386D0DA84EE8A35B35AB3051364EEB', 'mssql2000'],
    [vectors.find((v) => v.scheme === 'mssql2012')?.hash ?? '', 'mssql2012'],
    ['S:63EC5F6113843F5D229E2D49C068D983A9670D0257677783202322766743', 'oracle11'],
  ])('%s is %s', (hash, id) => {
    expect(registry.identify(hash)[0]).toBe(id);
  });

  it('verifies a bigcrypt-shaped PostgreSQL md5 verifier as postgres_md5 when the scheme is left to identify', async () => {
    const { hash, password, context } = pgBigcryptShaped;
    expect(registry.identify(hash)).toEqual(['postgres_md5']);
    await expect(registry.verify(password, hash, { context })).resolves.toMatchObject({ valid: true, scheme: 'postgres_md5' });
    expect((await registry.verify(`${password}!`, hash, { context })).valid).toBe(false);
    // Named explicitly, bigcrypt still reads it as a bigcrypt string (a wrong password for it).
    expect((await registry.verify(password, hash, { scheme: 'bigcrypt' })).valid).toBe(false);
  });

  it.each(['7196759210defdc0', '792FCB0AE31D8489', '*FCF7C1B8749CF99D88E5F34271D636178FB5D13', 'md5$salt$93a8cf6a7d43e3b5bcd2dc6abb3e02c6', '0x0100zz', 'S:63EC'])(
    'database schemes do not claim %s',
    (hash) => {
      const ours = new Set(registry.list().filter((s) => s.family === 'database').map((s) => s.id));
      expect(registry.identify(hash).filter((id) => ours.has(id))).toEqual([]);
    },
  );
});

describe('database schemes: malformed and context', () => {
  it.each([
    ['mysql323', '7196759210defdc'],
    ['mysql323', '7196759210defdcg'],
    ['mysql41', 'FCF7C1B8749CF99D88E5F34271D636178FB5D130'],
    ['postgres_md5', 'md593a8cf6a7d43e3b5bcd2dc6abb3e02c'],
    ['mssql2000', '0x010045083578BF13A6E30CA29C40E540813772754D54A5FFD325'],
    ['mssql2005', '0x020045083578BF13A6E30CA29C40E540813772754D54A5FFD325'],
    ['mssql2012', '0x0200378800'],
    ['oracle10', '792FCB0AE31D84'],
    ['oracle11', 'S:63EC5F6113843F5D229E2D49C068D983A9670D025767778320232276674'],
  ])('%s rejects %s', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme, context: { user: 'u' } })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it.each([
    ['postgres_md5', 'md593a8cf6a7d43e3b5bcd2dc6abb3e02c6'],
    ['oracle10', '792FCB0AE31D8489'],
  ])('%s needs context.user', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT' });
  });
});
