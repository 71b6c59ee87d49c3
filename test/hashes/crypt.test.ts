import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { cryptSchemes } from '../../src/hashes/schemes/crypt/index.js';
import { hmacStreebog256, streebog256 } from '../../src/hashes/schemes/crypt/streebog.js';

const registry = createHashRegistry({ workers: false });

const hashcat = 'hashcat/hashcat@d3983ed src/modules (ST_HASH/ST_PASS), via published-vectors.jsonl';
const libxcrypt = 'libxcrypt 4.4.33 crypt(3) (Debian 12, python3 crypt / mkpasswd)';
const passlib = 'passlib 1.7.4 (Debian 12)';
const mkpasswd = 'mkpasswd 5.5.17 (libxcrypt 1:4.4.33-2), test/vectors';

/** [scheme, password, hash, source] */
const vectors: [string, string, string, string][] = [
  ['md5_crypt', 'hashcat', '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/', hashcat],
  ['md5_crypt', 'password', '$1$3azHgidD$SrJPt7B.9rekpmwJwtON31', passlib],
  ['md5_crypt', 'héllo €', '$1$saltsalt$Hb8TWLLv7.kg0zUBrKrVO.', libxcrypt],
  ['md5_crypt', '', '$1$$qRPK7m23GJusamGpoGLby/', `${libxcrypt}: empty salt and password`],
  ['apr_md5_crypt', 'hashcat', '$apr1$62722340$zGjeAwVP2KwY6MtumUI1N/', hashcat],
  ['apr_md5_crypt', 'password', '$apr1$r31.....$ARC3pREO82RIm0aQ2zszC0', passlib],
  ['sha256_crypt', 'hashcat', '$5$7777657035274252$XftMj84MW.New1/ViLY5V4CM4Y7EBvfETaZsCW9vcJ8', hashcat],
  ['sha256_crypt', '', '$5$rounds=1000$saltstring$TzAJABAaJwl111nyuH1uQy8kjHahyMHq1D7Y09hLQV1', libxcrypt],
  ['sha256_crypt', 'héllo €', '$5$LKO/Ute40T3FNF95$fM8.npEKTetmWZb0brQs4WnQFidirL4fNbIWTbcHziA', passlib],
  ['sha512_crypt', 'hashcat', '$6$72820166$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1', hashcat],
  ['sha512_crypt', 'a'.repeat(70), '$6$rounds=1400$anotherlongsalts$IgUP7uIMZ4AuYGEs3GS3.RVPG.W6VjADCPrAvTevdfjsmnH/W1UTz0mC.9fqVbt3dcWCIHj3h7q7Oo0w8mkY61', libxcrypt],
  ['sha512_crypt', 'héllo €', '$6$$pHOdFAhP5Zvu1SdqTABTvr64jax6MK1eyKFdWAmExtVIVCSiIKQvZe.ALW6TPHadp9k/fkKBdwgYTkX/xf.dz0', `${libxcrypt}: empty salt`],
  ['sha1_crypt', 'password', '$sha1$5000$jtNX3nZ2$OEVkbQ0Os0aSf/heJscou2Gc0LtI', passlib],
  ['sha1_crypt', 'héllo €', `$sha1$1$${'a'.repeat(64)}$L9fXSCNXE8UJdXiv9.HrGO/HCedq`, `${passlib}: 64-character salt, 1 round`],
  ['sun_md5_crypt', 'hashcat', '$md5$abcdefgh$$G9i5pu3ZWue6.RqUQx9MU.', `${libxcrypt}: $$ form`],
  ['sun_md5_crypt', 'hashcat', '$md5$abcdefgh$7eF9Azppq/D14nDjXbP3y1', `${libxcrypt}: bare salt`],
  ['sun_md5_crypt', 'hashcat', '$md5,rounds=5000$abcdefgh$$7U3I24mO/XXVF2GWOAUOU0', `${libxcrypt}; ${passlib}`],
  ['sun_md5_crypt', 'hashcat', '$md5$rounds=5000$abcdefgh$Ic51rIzf0R6hsNBjGX/ua0', 'mkpasswd -m sunmd5 -R 5000 (libxcrypt 4.4.33)'],
  ['des_crypt', 'hashcat', '24leDr0hHfb3A', hashcat],
  ['des_crypt', 'password', 'AbTLrS7zqigWE', libxcrypt],
  ['des_crypt', 'passwordIGNORED', 'AbTLrS7zqigWE', `${libxcrypt}: 8-character truncation`],
  ['bsdi_crypt', 'hashcat', '_GW..8841inaTltazRsQ', hashcat],
  ['bsdi_crypt', 'héllo wörld', '_J9..abcd4NH9SSmsEro', `${libxcrypt}: 725 rounds, password past 8 bytes`],
  ['bigcrypt', '12345678abcdefghXYZ', 'saX6EvfO393GoEW73IvKzZ.Y8BSXF3f24rk', `${libxcrypt}; ${passlib}`],
  ['crypt16', 'hashcat1234567890', 'sagDlZPQQy.wAAbDKx5Fbe3s', passlib],
  ['crypt16', '', '.............X8NBuQ4l6uQ', passlib],
  ['bsd_nthash', 'password', '$3$$8846f7eaee8fb117ad06bdd830b7586c', `${libxcrypt}; ${passlib}`],
  ['bsd_nthash', 'hé', '$3$$94862b319dfb615cc4901f56622d4f3a', `${libxcrypt}: bytes widened to 16 bits (passlib gives $3$$21bbf9cc...)`],
  ['scrypt_crypt7', 'hashcat', '$7$CU..../....nOGUv4XMHGtQaj/cWaQKB/$uHtgoMapP6phkhqz.L9oFxxnw45BA1W0dj/1ni2Q4S2', 'mkpasswd -m scrypt (libxcrypt 4.4.33)'],
  ['scrypt_crypt7', 'héllo €', '$7$AU..../....abcdefgh$Yfbd1KcJ5rZTSTh5wBxvXR9LDm2oZLpreBJH029jYZ6', `${libxcrypt}: N=2^10, r=32`],
  ['yescrypt', 'password', '$y$j75$cgAjA1dTCw.sjIBc7vu.c1$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJobya.', `${mkpasswd} -R 1`],
  ['yescrypt', 'héllo wörld', '$y$j7T$jSmCAZlLjbTnq9E8huCk3/$B0plmVxrUVL3.fAK59aDfkyfq79hrQdn7zdFZ4jl.PD', `${mkpasswd} -R 3`],
  ['yescrypt', 'hashcat', '$y$j9T$TMVpSqTr2YH9l73xE0uBi/$gFJhOr60ZvhvlH4anetZ5Ga0D5QTJn0o9IfD3WyVVV6', 'mkpasswd -m yescrypt (libxcrypt 4.4.33): default cost, takes the pre-hash pass'],
  ['yescrypt', 'héllo', '$y$j750..$TMVpSqTr2YH9l73xE0uBi/$jXFqy5xONs78PPLyFOjPbD.QQB4ToYzY/ULbrOfZ9tA', `${libxcrypt}: p=2, t=1`],
  ['yescrypt', 'héllo', '$y$j75/.$TMVpSqTr2YH9l73xE0uBi/$j.NDMwJQPmGmATg.xeVfRxq6m3sGn/SlFZQn9b8TOy5', `${libxcrypt}: t=1`],
  ['yescrypt', 'héllo', '$y$j5.0..$$3IfPB.xRD9yWnfC.AxErmGqjYO/zdRB.b38voskZlLB', `${libxcrypt}: r=1, p=2, t=1, empty salt`],
  ['gost_yescrypt', 'password', '$gy$j75$SrkgkiS8zfWSO68SG/sK01$ipbec7xA4sy5Z17KydHSMZazRPiELbybsoPiZs71dCD', `${mkpasswd} -R 1`],
  ['gost_yescrypt', 'héllo', '$gy$j750..$TMVpSqTr2YH9l73xE0uBi/$cTufSh13y7JCaEi6EBBTptPwgXaCGO3vnlJS0.UNGI.', `${libxcrypt}: p=2, t=1`],
];

afterAll(async () => {
  await registry.close();
});

describe('crypt family: known vectors', () => {
  it.each(vectors)('%s verifies %j', async (scheme, password, hash) => {
    expect(await registry.verify(password, hash, { scheme })).toMatchObject({ valid: true, scheme, needsUpgrade: true });
  });

  it.each(vectors)('%s rejects a wrong password for %j', async (scheme, password, hash) => {
    // DES schemes ignore bytes past their truncation; change the first character instead of appending.
    const wrong = password === '' ? 'x' : `${password.charAt(0) === 'z' ? 'y' : 'z'}${password.slice(1)}`;
    expect((await registry.verify(wrong, hash, { scheme })).valid).toBe(false);
  });

  it('identifies its own hashes by shape', () => {
    const expected: Record<string, string> = { crypt16: 'bigcrypt' };
    for (const [scheme, , hash] of vectors) expect(registry.identify(hash)[0]).toBe(expected[scheme] ?? scheme);
  });

  it('verifies through auto-identification', async () => {
    expect(await registry.verify('hashcat', '$6$72820166$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1')).toMatchObject({ valid: true, scheme: 'sha512_crypt' });
    expect(await registry.verify('hashcat', '24leDr0hHfb3A')).toMatchObject({ valid: true, scheme: 'des_crypt' });
  });
});

describe('Streebog (GOST R 34.11-2012) for gost_yescrypt', () => {
  it('RFC 6986 / byte-string vectors', () => {
    expect(streebog256(Buffer.alloc(0)).toString('hex')).toBe('3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb');
    // RFC 6986 M1 (63 bytes), in the byte order of libxcrypt and OpenSSL's GOST engine.
    expect(streebog256(Buffer.from('012345678901234567890123456789012345678901234567890123456789012')).toString('hex')).toBe(
      '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500',
    );
  });
  it('RFC 7836 section A.1.1 HMAC_GOSTR3411_2012_256', () => {
    const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
    expect(hmacStreebog256(key, Buffer.from('0126bdb87800af214341456563780100', 'hex')).toString('hex')).toBe(
      'a1aa5f7de402d7b3d323f2991c8d4534013137010a83754fd0af6d7cd4922ed9',
    );
  });
});

describe('crypt family: truncation and encoding', () => {
  it('des_crypt reads 8 bytes of 7 bits', async () => {
    expect((await registry.verify('password', 'AbTLrS7zqigWE', { scheme: 'des_crypt' })).valid).toBe(true);
    expect((await registry.verify('passwor', 'AbTLrS7zqigWE', { scheme: 'des_crypt' })).valid).toBe(false);
  });

  it('bigcrypt and bsdi_crypt read past 8 bytes', async () => {
    expect((await registry.verify('12345678abcdefghXYz', 'saX6EvfO393GoEW73IvKzZ.Y8BSXF3f24rk', { scheme: 'bigcrypt' })).valid).toBe(false);
    expect((await registry.verify('héllo wörlD', '_J9..abcd4NH9SSmsEro', { scheme: 'bsdi_crypt' })).valid).toBe(false);
  });

  describe('bigcrypt beyond 16 segments (128 bytes)', () => {
    const password = 'Ab1!'.repeat(40);
    // passlib 1.7.4 bigcrypt.using(salt='ab').hash(password[:128]) and .hash(password): 16 and 20 segments.
    // libxcrypt 4.4.33 crypt(3) accepts password[:128] + 'x' for the first (it reads 128 bytes) and refuses even
    // the right password for the second (it never writes more than 16 segments); passlib refuses both extensions.
    const sixteen =
      'aba1SLzKNnifA.QMdw2gj1Mwo7cy8rmoBSw5TsLzb6Dy7AKuxxyI6VGL.YMB2XR1/Mzs18Oil4LttMcOR/twypk6dUDcV9XHAGG5sSOa6kjqIjwEsSO0swiocjEgnoxm/9uC6gps4k1vUxccowDALuAXmRQotlHyK.ydFKUgftRVuImIO6';
    const twenty = `${sixteen}3u4jvtD.pigv6xfgadT3vguHVkj8cflcg1slFVYRKPG.`;

    it('reads 128 bytes of a 16-segment hash, as libxcrypt does', async () => {
      expect((await registry.verify(password.slice(0, 128), sixteen, { scheme: 'bigcrypt' })).valid).toBe(true);
      expect((await registry.verify(`${password.slice(0, 128)}x`, sixteen, { scheme: 'bigcrypt' })).valid).toBe(true);
    });

    it.each([
      ['bigcrypt', twenty],
      ['ldap_bigcrypt', `{CRYPT}${twenty}`],
    ])('%s reads the whole password for a longer hash, as passlib (its only writer) does', async (scheme, hash) => {
      expect((await registry.verify(password, hash, { scheme })).valid).toBe(true);
      for (const wrong of [`${password}x`, `${password}anything at all`, password.slice(0, -1)]) {
        expect((await registry.verify(wrong, hash, { scheme })).valid).toBe(false);
      }
    });
  });

  it('crypt16 reads 16 bytes', async () => {
    expect((await registry.verify('hashcat123456789', 'sagDlZPQQy.wAAbDKx5Fbe3s', { scheme: 'crypt16' })).valid).toBe(true);
    expect((await registry.verify('hashcat12345678X', 'sagDlZPQQy.wAAbDKx5Fbe3s', { scheme: 'crypt16' })).valid).toBe(false);
  });

  it('a password with a NUL byte never verifies (libc would see only the part before it)', async () => {
    expect((await registry.verify('hashcat\0junk', '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/', { scheme: 'md5_crypt' })).valid).toBe(false);
    expect((await registry.verify('password\0', 'AbTLrS7zqigWE', { scheme: 'des_crypt' })).valid).toBe(false);
  });

  it('a DES checksum with its unused low bits set does not verify', async () => {
    // 'E' (16) and 'F' (17) differ only in a padding bit of the last character.
    expect(registry.identify('AbTLrS7zqigWF')).not.toContain('des_crypt');
    await expect(registry.verify('password', 'AbTLrS7zqigWF', { scheme: 'des_crypt' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });
});

describe('crypt family: malformed hashes', () => {
  const malformed: [string, string][] = [
    ['md5_crypt', '$1$toolongsalt$DUjsu4TTlTsOe/xxZ05uf/'],
    ['md5_crypt', '$1$38652870$DUjsu4TTlTsOe/xxZ05uf'],
    ['apr_md5_crypt', '$apr1$62722340$zGjeAwVP2KwY6MtumUI1N/!'],
    ['sha256_crypt', '$5$rounds=999$saltstring$TzAJABAaJwl111nyuH1uQy8kjHahyMHq1D7Y09hLQV1'],
    ['sha256_crypt', '$5$rounds=01000$saltstring$TzAJABAaJwl111nyuH1uQy8kjHahyMHq1D7Y09hLQV1'],
    ['sha512_crypt', '$6$seventeencharsalt$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1'],
    ['sha512_crypt', '$6$72820166$short'],
    ['sha1_crypt', '$sha1$0$jtNX3nZ2$OEVkbQ0Os0aSf/heJscou2Gc0LtI'],
    ['sha1_crypt', '$sha1$5000$jtNX3nZ2$OEVkbQ0Os0aSf/heJscou2Gc0Lt'],
    ['sun_md5_crypt', '$md5,rounds=0$abcdefgh$$7U3I24mO/XXVF2GWOAUOU0'],
    ['sun_md5_crypt', '$md5$abc!efgh$$G9i5pu3ZWue6.RqUQx9MU.'],
    ['des_crypt', '24leDr0hHfb3'],
    ['des_crypt', '2!leDr0hHfb3A'],
    ['bsdi_crypt', '_....8841inaTltazRsQ'],
    ['bsdi_crypt', '_GW..8841inaTltazRs'],
    ['bigcrypt', 'saX6EvfO393GoEW73IvKzZ.Y8BSXF3f24r'],
    ['crypt16', 'sagDlZPQQy.wAAbDKx5Fbe3'],
    ['bsd_nthash', '$3$$8846f7eaee8fb117ad06bdd830b7586'],
    ['bsd_nthash', '$3$x$8846f7eaee8fb117ad06bdd830b7586c'],
    ['scrypt_crypt7', '$7$.U..../....abcdefgh$Yfbd1KcJ5rZTSTh5wBxvXR9LDm2oZLpreBJH029jYZ6'],
    ['scrypt_crypt7', '$7$AU..../....abcdefgh$Yfbd1KcJ5rZTSTh5wBxvXR9LDm2oZLpreBJH029jYZ'],
    // Flavor 0 (classic scrypt), a hash-upgrade count g, a ROM, a salt with non-zero spare bits, a bad length.
    ['yescrypt', '$y$.75$cgAjA1dTCw.sjIBc7vu.c1$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJobya.'],
    ['yescrypt', '$y$j753.$cgAjA1dTCw.sjIBc7vu.c1$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJobya.'],
    ['yescrypt', '$y$j757.$cgAjA1dTCw.sjIBc7vu.c1$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJobya.'],
    ['yescrypt', '$y$j75$cgAjA1dTCw.sjIBc7vu.cz$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJobya.'],
    ['yescrypt', '$y$j75$cgAjA1dTCw.sjIBc7vu.c1$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJoby'],
    ['gost_yescrypt', '$gy$j75$SrkgkiS8zfWSO68SG/sK01$ipbec7xA4sy5Z17KydHSMZazRPiELbybsoPiZs71dC'],
  ];
  it.each(malformed)('%s: %s', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it('never quotes the hash in the error', async () => {
    const hash = '$5$rounds=999$saltstring$TzAJABAaJwl111nyuH1uQy8kjHahyMHq1D7Y09hLQV1';
    await expect(registry.verify('hashcat', hash, { scheme: 'sha256_crypt' })).rejects.toSatisfy((error: Error) => !error.message.includes('saltstring'));
  });
});

describe('crypt family: work-factor caps', () => {
  const capped = createHashRegistry({ workers: false, limits: { maxCryptRounds: 1000, maxScryptMemoryBytes: 1024 * 1024 } });
  afterAll(async () => {
    await capped.close();
  });
  const cases: [string, string][] = [
    ['sha512_crypt', '$6$rounds=1400$anotherlongsalts$IgUP7uIMZ4AuYGEs3GS3.RVPG.W6VjADCPrAvTevdfjsmnH/W1UTz0mC.9fqVbt3dcWCIHj3h7q7Oo0w8mkY61'],
    ['sha256_crypt', '$5$7777657035274252$XftMj84MW.New1/ViLY5V4CM4Y7EBvfETaZsCW9vcJ8'],
    ['sha1_crypt', '$sha1$5000$jtNX3nZ2$OEVkbQ0Os0aSf/heJscou2Gc0LtI'],
    ['sun_md5_crypt', '$md5,rounds=5000$abcdefgh$$7U3I24mO/XXVF2GWOAUOU0'],
    ['bsdi_crypt', '_GW..8841inaTltazRsQ'],
    ['scrypt_crypt7', '$7$AU..../....abcdefgh$Yfbd1KcJ5rZTSTh5wBxvXR9LDm2oZLpreBJH029jYZ6'],
    ['yescrypt', '$y$j7T$jSmCAZlLjbTnq9E8huCk3/$B0plmVxrUVL3.fAK59aDfkyfq79hrQdn7zdFZ4jl.PD'],
    ['gost_yescrypt', '$gy$j9T$frhNpt7.8lkZLyofhWJOy0$DShQhTMvdFOPvdpcoZC/fLykaQhSKQIedw./97wair2'],
    // The format allows 999,999,999 rounds: the default cap refuses before any work.
    ['sha512_crypt', '$6$rounds=999999999$x$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1'],
  ];
  it.each(cases)('%s: %s', async (scheme, hash) => {
    await expect(capped.verify('hashcat', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
  });
  it('the default cap stops a billion sha512 rounds', async () => {
    const hash = '$6$rounds=999999999$x$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1';
    await expect(registry.verify('hashcat', hash, { scheme: 'sha512_crypt' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
  });
});

describe('crypt family: identify', () => {
  const notOurs = [
    '',
    '24leDr0hHfb3',
    '24leDr0hHfb3A!',
    '$1$38652870$DUjsu4TTlTsOe/xxZ05uf',
    '$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6',
    '$5$rounds=0100$x$XftMj84MW.New1/ViLY5V4CM4Y7EBvfETaZsCW9vcJ8',
    '$3$$zz46f7eaee8fb117ad06bdd830b7586c',
    '$y$j9T$TMVpSqTr2YH9l73xE0uBi/$gFJhOr60ZvhvlH4anetZ5Ga0D5QTJn0o9IfD3WyVVV6x',
    '$y$j9T$TMVpSqTr2YH9l73xE0uBi/',
    '{SSHA}abc',
    '8846f7eaee8fb117ad06bdd830b7586c',
  ];
  it.each(notOurs)('no crypt scheme claims %j', (hash) => {
    for (const scheme of cryptSchemes) expect(scheme.identify?.(hash) ?? false).toBe(false);
  });

  it('every scheme is in the crypt family with the right execution', () => {
    const execution = Object.fromEntries(cryptSchemes.map((scheme) => [scheme.id, scheme.execution]));
    expect(execution).toMatchObject({ des_crypt: 'inline', bsd_nthash: 'inline', scrypt_crypt7: 'threadpool', sha512_crypt: 'worker', md5_crypt: 'worker', yescrypt: 'worker' });
    for (const scheme of cryptSchemes) expect(scheme.family).toBe('crypt');
  });
});

describe('crypt family: worker execution', () => {
  it('sha512_crypt, sun_md5_crypt and yescrypt verify in the worker pool', async () => {
    const pooled = createHashRegistry();
    try {
      const sha = '$6$72820166$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1';
      const [good, bad, sun, yes] = await Promise.all([
        pooled.verify('hashcat', sha),
        pooled.verify('hashcaT', sha),
        pooled.verify('hashcat', '$md5,rounds=5000$abcdefgh$$7U3I24mO/XXVF2GWOAUOU0'),
        pooled.verify('password', '$y$j75$cgAjA1dTCw.sjIBc7vu.c1$V7u2aHNt..0VpFPCMVJl/p8ymnrMkC7ICoG0OJobya.'),
      ]);
      expect(yes).toMatchObject({ valid: true, scheme: 'yescrypt' });
      expect(good.valid).toBe(true);
      expect(bad.valid).toBe(false);
      expect(sun).toMatchObject({ valid: true, scheme: 'sun_md5_crypt' });
      await expect(pooled.verify('x', '$6$rounds=999$x$U4DVzpcYxgw7MVVDGGvB2/H5lRistD5.Ah4upwENR5UtffLR4X4SxSzfREv8z6wVl0jRFX40/KnYVvK4829kD1')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    } finally {
      await pooled.close();
    }
  });
});

describe('scrypt_crypt7 work bound (found by the fuzz test)', () => {
  it('refuses a huge p before hashing instead of running for minutes', async () => {
    const registry = createHashRegistry({ workers: false });
    // N=2^11, r=32 (a normal memory size) but p near 2^25: only the work bound (128*N*r*p) stops it.
    const hash = `$7$9U....zzzz/saltsalt$${'a'.repeat(43)}`;
    const started = performance.now();
    await expect(registry.verify('password', hash, { scheme: 'scrypt_crypt7' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
