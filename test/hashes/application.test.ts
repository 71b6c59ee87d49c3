import { afterAll, describe, expect, it } from 'vitest';
import { itVerifiesKnownVectors, type KnownVector } from './known-vectors.js';
import { createHashRegistry } from '../../src/hashes/registry.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());


const hc = (mode: string): string => `hashcat/hashcat src/modules/module_${mode}.c ST_HASH/ST_PASS`;
const django = 'django/django tests/auth_tests/test_hashers.py';
const spring = 'spring-projects/spring-security PasswordEncoderFactoriesTests';
const springMd = 'spring-projects/spring-security MessageDigestPasswordEncoderTests';
const kratos = 'ory/kratos hash/hasher_test.go';

const vectors: KnownVector[] = [
  { scheme: 'phpass', hash: '$P$946647711V1klyitUYhtB8Yw5DMA/w.', password: 'hashcat', source: hc('00400') },
  { scheme: 'phpass', hash: '$H$BabcdefghqrpeUHSJ5aCDn/PUuBzOd/', password: 'pässword', source: 'passlib 1.7.4 phpass (ident H, rounds 13)' },
  { scheme: 'phpass', hash: '$P$6abcdefghX5bjubDQDqnh9RiVH94Su0', password: 'pässword', source: 'passlib 1.7.4 phpass (rounds 8)' },
  { scheme: 'drupal7', hash: '$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQRh', password: 'hashcat', source: hc('07900') },
  { scheme: 'joomla_md5_salt', hash: 'b78f863f2c67410c41e617f724e22f34:89384528665349271307465505333378', password: 'hashcat', source: hc('00011') },
  { scheme: 'oscommerce_md5_salt', hash: 'e983672a03adcc9767b24584338eb378:00', password: 'hashcat', source: hc('00021') },
  { scheme: 'vbulletin_md5', hash: '28f9975808ae2bdc5847b1cda26033ea', password: 'hashcat', context: { salt: '308' }, source: hc('02611') },
  { scheme: 'vbulletin_md5', hash: '0844fbb2fdeda31884a7a45ec2010bb6', password: 'hashcat', context: { salt: '324410183853308365427804872426' }, source: hc('02711') },
  { scheme: 'ipb_mybb_md5', hash: '022f7e02b3314f7d0968f73c00ba759f', password: 'hashcat', context: { salt: '67588' }, source: hc('02811') },
  { scheme: 'smf_sha1', hash: 'd27c0a627a45db487af161fcc3a4005d88eb8a1f', password: 'hashcat', context: { user: '25551135' }, source: hc('00121') },
  {
    scheme: 'prestashop_md5',
    hash: 'f22cade043e7214200206dbffca49fd9',
    password: 'hashcat',
    context: { cookieKey: '27167508161455764247627144160038845437138252877014827848' },
    source: hc('11000'),
  },
  { scheme: 'opencart_sha1', hash: '058c1c3773340c8563421e2b17e60eb7c916787e', password: 'hashcat', context: { salt: '827500576' }, source: hc('13900') },
  { scheme: 'redmine_sha1', hash: 'c18e826af2a78c7b9b7261452613233417e65817', password: 'hashcat', context: { salt: '28246535720688452723483475753333' }, source: hc('04521') },
  { scheme: 'punbb_sha1', hash: '9038129c474caa3f0de56f38db84033d0fe1d4b8', password: 'hashcat', context: { salt: '365563602032' }, source: hc('04522') },
  { scheme: 'mediawiki_b', hash: ':B:2152187716:8c8b39c3602b194eeeb6cac78eea2742', password: 'hashcat', source: hc('03711') },
  // md5("hashcat"), the unsalted :A: form MediaWiki still reads.
  { scheme: 'mediawiki_b', hash: ':A:8743b52063cd84097a65d1633f5c74f5', password: 'hashcat', source: 'md5("hashcat") as in hashcat mode 0 self-test' },
  {
    scheme: 'rails_restful_auth',
    hash: 'd7d5ea3e09391da412b653ae6c8d7431ec273ea2',
    password: 'hashcat',
    context: { salt: '238769868762', siteKey: '8962783556527653675', stretches: 10 },
    source: hc('19500'),
  },
  { scheme: 'django_salted_md5', hash: 'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3', password: 'lètmein', source: django },
  { scheme: 'django_salted_md5', hash: 'md5$seasalt$38fd0f6c61731dbed7c81f8645a65e9a', password: 'pässword', source: 'passlib 1.7.4 django_salted_md5' },
  { scheme: 'django_salted_sha1', hash: 'sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8', password: 'lètmein', source: django },
  { scheme: 'django_salted_sha1', hash: 'sha1$fe76b$02d5916550edf7fc8c886f044887f4b1abf9b013', password: 'hashcat', source: hc('00124') },
  { scheme: 'django_unsalted_md5', hash: '88a434c88cca4e900f7874cd98123f43', password: 'lètmein', source: django },
  { scheme: 'django_unsalted_md5', hash: 'md5$$88a434c88cca4e900f7874cd98123f43', password: 'lètmein', source: django },
  { scheme: 'django_unsalted_sha1', hash: 'sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b', password: 'lètmein', source: django },
  { scheme: 'django_des_crypt', hash: 'crypt$$ab1Hv2Lg7ltQo', password: 'lètmei', source: django },
  { scheme: 'spring_delegating', hash: '{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG', password: 'password', source: spring },
  { scheme: 'spring_delegating', hash: '{ldap}{SSHA}igvD9lOiTXm16dmOw0YWRb9OjK2ThZvdQku2EQ==', password: 'password', source: spring },
  { scheme: 'spring_delegating', hash: '{MD4}{KYp8/QErWyQemYazZQ8UnWWfbGbkYkVC8qMi0duoA84=}152ce09d3261d2b53cac55b2ea4d1c7a', password: 'password', source: spring },
  { scheme: 'spring_delegating', hash: '{MD5}{aRYR+Yp2xSqtgF+vtjH6jNda6M083iEbP+zCFjLt9IA=}905e382a25eed53e22224223b3581092', password: 'password', source: spring },
  { scheme: 'spring_delegating', hash: '{noop}password', password: 'password', source: spring },
  {
    scheme: 'spring_delegating',
    hash: '{scrypt}$e0801$8bWJaSu2IKSn9Z9kM+TPXfOc/9bdYSrN1oD9qfVThWEwdRTnO7re7Ei+fUZRJ68k9lTyuTeUp4of4g24hHnazw==$OAOec05+bXxvuu/1qZ6NUR+xQYvYv7BeL1QxwRpY5Pc=',
    password: 'password',
    source: spring,
  },
  { scheme: 'spring_delegating', hash: '{SHA-1}{6581QepZz2qd8jVrT2QYPVtK8DuM2n45dVslmc3UTWc=}4f31573948ddbfb8ac9dd80107dfad13fd8f2454', password: 'password', source: spring },
  {
    scheme: 'spring_delegating',
    hash: '{SHA-256}{UisHp3pFSMqcqrhQsrhR+hspIG0SyMDyDW/XtY+t6nA=}a98efbaf59277bfd1837c33fd4fde67de5bcfd2205bcba0992f6fc32b03a8f88',
    password: 'password',
    source: spring,
  },
  { scheme: 'spring_delegating', hash: '{argon2}$argon2d$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$Li5eBf5XrCz0cuzQRe9oflYqmA/VAzmzichw4ZYrvEU', password: 'password', source: spring },
  {
    scheme: 'spring_delegating',
    hash: '{pbkdf2}5d923b44a6d129f3ddf3e3c8d29412723dcbde72445e8ef6bf3b508fbf17fa4ed4d6b99ca763d8dc',
    password: 'password',
    source: spring,
  },
  { scheme: 'spring_delegating', hash: '{sha256}97cde38028ad898ebc02e690819fa220e88c62e0699403e94fff291cfffaf8410849f27605abcbc0', password: 'password', source: spring },
  { scheme: 'spring_message_digest', hash: '{THIS_IS_A_SALT}a68aafd90299d0b137de28fb4bb68573', password: 'abc123', context: { algorithm: 'MD5' }, source: springMd },
  { scheme: 'spring_message_digest', hash: '7eca689f0d3389d9dea66ae112e5cfd7', password: '你好', context: { algorithm: 'MD5' }, source: springMd },
  { scheme: 'spring_message_digest', hash: '{THIS_IS_A_SALT}poqv2QKZ0LE33ij7S7aFcw==', password: 'abc123', context: { algorithm: 'MD5', encoding: 'base64' }, source: springMd },
  { scheme: 'spring_message_digest', hash: '{salt}eb753fb0c370582b4ee01b30f304b9fc', password: 'password', context: { algorithm: 'MD5', iterations: 2 }, source: springMd },
  { scheme: 'spring_message_digest', hash: '{}f1026a66095fc2058c1f8771ed05d6da', password: 'password', context: { algorithm: 'MD5' }, source: springMd },
  { scheme: 'spring_message_digest', hash: '{THIS_IS_A_SALT}b2f50ffcbd3407fe9415c062d55f54731f340d32', password: 'abc123', context: { algorithm: 'SHA-1' }, source: springMd },
  { scheme: 'kratos_import', hash: '$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=', password: 'test', source: kratos },
  { scheme: 'kratos_import', hash: '$sha1$pf=e1BBU1NXT1JEfSUle1NBTFR9$NW9wbWtnejAzcg==$YX0AW8/MW5ojUlnzTaR43ucHCog=', password: 'test', source: kratos },
  { scheme: 'kratos_import', hash: '$sha256$pf=e1NBTFR9JCR7UEFTU1dPUkR9$NW9wbWtnejAzcg==$HokCOi9OtiZaZRvnkgemV3B4UUHpI7kA8zq/EZWH2NY=', password: 'test', source: kratos },
  {
    scheme: 'kratos_import',
    hash: '$sha512$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$6ctpVuApMNp0CgBXcdHw/GC562eFEFGr4gpgANX8ZYsX+j5B19IkdmOY2Fytsz3QUwSWdGcUjbqwgJGTH0UYvw==',
    password: 'test',
    source: kratos,
  },
  { scheme: 'kratos_import', hash: '$md5$CY9rzUYh03PK3k6DJie09g==', password: 'test', source: kratos },
  { scheme: 'kratos_import', hash: '$md5$pf=e1BBU1NXT1JEfXtTQUxUfSQ/$MTIzNDU2Nzg5$8PhwWanVRnpJAFK4NUjR0w==', password: 'ory', source: kratos },
  { scheme: 'kratos_import', hash: '$md5-crypt$xWMlm2eL$GGTOpgZu4p2k6ORprAu3b.', password: 'ory', source: kratos },
  { scheme: 'kratos_import', hash: '$hmac-md5$ZmU4Njk3Zjc0MmQwODA0MDVkMTI3MGU2MTYzMzE2Zjk=$MTIzNDU=', password: 'test', source: kratos },
  { scheme: 'kratos_import', hash: '$hmac-sha1$NDMyNjcxZTUyY2Y2YTBmYjZjZDE2NjQxYjAwNjFiZjAwOGEzNWM5MA==$MTIzNDU=', password: 'test', source: kratos },
  {
    scheme: 'kratos_import',
    hash: '$hmac-sha256$ZTAzMWJhMWMyOTM4YjFkMjgzZjkxOWExZGY5YWM2NmMxOTJhN2RkNzQ0MzJkNWZkNGFkYTI5OTk0MWJhMTA5Zg==$MTIzNDU=',
    password: 'test',
    source: kratos,
  },
  {
    scheme: 'kratos_import',
    hash: '$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=',
    password: 'test',
    source: kratos,
  },
  {
    scheme: 'kratos_import',
    hash: '$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI',
    password: 'test',
    source: kratos,
  },
];

const springPbkdf2Context = { secret: '', iterations: 185000, algorithm: 'PBKDF2WithHmacSHA1', hashWidth: 256, saltLength: 8 };

describe('application schemes: known vectors', () => {
  itVerifiesKnownVectors(registry, vectors, { defaultContext: ({ hash }) => (hash.startsWith('{pbkdf2}') ? springPbkdf2Context : {}) });

  it('HMAC-MD4 (no OpenSSL MD4) matches RFC 2104 built by hand', async () => {
    // Kratos' $hmac-md4$: base64 of the hex MAC. hmac-md4(key "12345", "test") computed with Python's hmac module over passlib's md4.
    const hash = '$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU=';
    expect((await registry.verify('test', hash, { scheme: 'kratos_import' })).valid).toBe(true);
    expect((await registry.verify('tesT', hash, { scheme: 'kratos_import' })).valid).toBe(false);
  });

  it('Drupal U$ rows wrap md5(password) and reject passwords over 512 bytes', async () => {
    // U$ + the $S$ loop over md5hex("hashcat") with the hashcat vector's setting, from a Python transcription of
    // Drupal 7 includes/password.inc written for this test.
    const upgraded = 'U$S$C20340258BaC2UXeN6rIw17UdC7RgG1iBC4b346zdsxjT6OGR/M7';
    expect((await registry.verify('hashcat', upgraded)).valid).toBe(true);
    expect((await registry.verify('hashcat!', upgraded)).valid).toBe(false);
    expect((await registry.verify('x'.repeat(513), '$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQRh', { scheme: 'drupal7' })).valid).toBe(false);
  });

  it('Django compares lower-case hex text: an upper-cased row does not verify', async () => {
    const hash = 'md5$seasalt$3F86D0D3D465B7B458C231BF3555C0E3';
    expect((await registry.verify('lètmein', hash, { scheme: 'django_salted_md5' })).valid).toBe(false);
  });

  it('SMF lower-cases the member name (ASCII, as PHP strtolower)', async () => {
    const result = await registry.verify('hashcat', 'd27c0a627a45db487af161fcc3a4005d88eb8a1f', { scheme: 'smf_sha1', context: { user: '25551135' } });
    expect(result.valid).toBe(true);
  });

  it('reports upgrade need: legacy digests yes, {bcrypt} no', async () => {
    expect((await registry.verify('hashcat', '$P$946647711V1klyitUYhtB8Yw5DMA/w.')).needsUpgrade).toBe(true);
    const bcrypt = await registry.verify('password', '{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG');
    expect(bcrypt).toMatchObject({ valid: true, scheme: 'spring_delegating', needsUpgrade: false });
  });
});

describe('application schemes: identify', () => {
  it.each([
    ['$P$946647711V1klyitUYhtB8Yw5DMA/w.', 'phpass'],
    ['$H$BabcdefghqrpeUHSJ5aCDn/PUuBzOd/', 'phpass'],
    ['$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQRh', 'drupal7'],
    ['U$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQRh', 'drupal7'],
    [':B:2152187716:8c8b39c3602b194eeeb6cac78eea2742', 'mediawiki_b'],
    ['md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3', 'django_salted_md5'],
    ['sha1$fe76b$02d5916550edf7fc8c886f044887f4b1abf9b013', 'django_salted_sha1'],
    ['md5$$88a434c88cca4e900f7874cd98123f43', 'django_unsalted_md5'],
    ['sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b', 'django_unsalted_sha1'],
    ['crypt$$ab1Hv2Lg7ltQo', 'django_des_crypt'],
    ['{noop}password', 'spring_delegating'],
    ['{sha256}97cde38028ad898ebc02e690819fa220e88c62e0699403e94fff291cfffaf8410849f27605abcbc0', 'spring_delegating'],
    ['{MD5}{aRYR+Yp2xSqtgF+vtjH6jNda6M083iEbP+zCFjLt9IA=}905e382a25eed53e22224223b3581092', 'spring_delegating'],
    ['$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=', 'kratos_import'],
    ['$md5$CY9rzUYh03PK3k6DJie09g==', 'kratos_import'],
    ['$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=', 'kratos_import'],
  ])('%s is %s', (hash, id) => {
    expect(registry.identify(hash)).toContain(id);
  });

  it.each([
    '88a434c88cca4e900f7874cd98123f43',
    'b78f863f2c67410c41e617f724e22f34:89384528665349271307465505333378',
    'd27c0a627a45db487af161fcc3a4005d88eb8a1f',
    '$P$946647711V1klyitUYhtB8Yw5DMA/w',
    '$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQR',
    'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e',
    'crypt$xy$ab1Hv2Lg7ltQo',
    '{SHA256}XohImNooBHFR0OVvjcYpJ3NgPQ1qq73WKhHvch0VQtg=',
    '{unknown}abc',
    '$md5$salt$$hash',
  ])('application schemes do not claim %s', (hash) => {
    const ours = new Set(registry.list().filter((s) => s.family === 'application').map((s) => s.id));
    expect(registry.identify(hash).filter((id) => ours.has(id))).toEqual([]);
  });
});

describe('application schemes: malformed, context and cost caps', () => {
  it.each([
    ['phpass', '$P$946647711V1klyitUYhtB8Yw5DMA/w'],
    ['phpass', '$P$!46647711V1klyitUYhtB8Yw5DMA/w.'],
    ['phpass', '$P$446647711V1klyitUYhtB8Yw5DMA/w.'],
    ['drupal7', '$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQR'],
    ['joomla_md5_salt', 'b78f863f2c67410c41e617f724e22f3:89384528665349271307465505333378'],
    ['oscommerce_md5_salt', 'e983672a03adcc9767b24584338eb378'],
    ['mediawiki_b', ':C:2152187716:8c8b39c3602b194eeeb6cac78eea2742'],
    ['django_salted_md5', 'md5$salt$zz'],
    ['django_unsalted_sha1', 'sha1$$6d138ca3'],
    ['django_des_crypt', 'crypt$xy$ab1Hv2Lg7ltQo'],
    ['spring_delegating', 'password-without-id'],
    ['spring_delegating', '{whirlpool}abc'],
    ['spring_delegating', '{scrypt}$e0801$not base64!$abc'],
    ['spring_delegating', '{sha256}abcd'],
    ['kratos_import', '$sha1$pf=!!!$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ='],
    ['kratos_import', '$unknown$abc'],
  ])('%s rejects %s as malformed', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme, context: { salt: 'x', user: 'u', algorithm: 'MD5' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_MALFORMED',
    });
  });

  it.each(['vbulletin_md5', 'ipb_mybb_md5', 'opencart_sha1', 'redmine_sha1', 'punbb_sha1'])('%s rejects a wrong-length digest', async (scheme) => {
    await expect(registry.verify('hashcat', 'abcd', { scheme, context: { salt: '1' } })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it.each([
    ['smf_sha1', 'd27c0a627a45db487af161fcc3a4005d88eb8a1f'],
    ['prestashop_md5', 'f22cade043e7214200206dbffca49fd9'],
    ['vbulletin_md5', '28f9975808ae2bdc5847b1cda26033ea'],
    ['rails_restful_auth', 'd7d5ea3e09391da412b653ae6c8d7431ec273ea2'],
    ['spring_message_digest', '5f4dcc3b5aa765d61d8327deb882cf99'],
  ])('%s needs its context', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT' });
  });

  it('caps phpass and drupal7 rounds (2^N) by maxCryptRounds before working', async () => {
    const capped = createHashRegistry({ workers: false, limits: { maxCryptRounds: 4096 } });
    try {
      // 'B' = 2^13 rounds.
      await expect(capped.verify('x', '$H$BabcdefghqrpeUHSJ5aCDn/PUuBzOd/')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
      await expect(capped.verify('x', '$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQRh')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
      // The default cap (10^6) refuses N = 30 (10^9 MD5 calls) at once.
      await expect(registry.verify('x', '$P$Sabcdefgh0000000000000000000000')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
      await expect(
        capped.verify('x', 'd7d5ea3e09391da412b653ae6c8d7431ec273ea2', { scheme: 'rails_restful_auth', context: { salt: 's', siteKey: 'k', stretches: 5000 } }),
      ).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
      await expect(
        capped.verify('x', '5f4dcc3b5aa765d61d8327deb882cf99', { scheme: 'spring_message_digest', context: { algorithm: 'MD5', iterations: 5000 } }),
      ).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
    } finally {
      await capped.close();
    }
  });

  it('caps scrypt memory in Spring and Kratos values', async () => {
    // log2 N = 30, r = 8: 128 GiB.
    const spring = '{scrypt}$1e0801$8bWJaSu2IKSn9Z9kM+TPXfOc/9bdYSrN1oD9qfVThWEwdRTnO7re7Ei+fUZRJ68k9lTyuTeUp4of4g24hHnazw==$OAOec05+bXxvuu/1qZ6NUR+xQYvYv7BeL1QxwRpY5Pc=';
    await expect(registry.verify('password', spring)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
    const kratosHash = '$scrypt$ln=1073741824,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=';
    await expect(registry.verify('test', kratosHash, { scheme: 'kratos_import' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
  });

  it('unknown Spring digest algorithm is a context error', async () => {
    await expect(registry.verify('x', '5f4dcc3b5aa765d61d8327deb882cf99', { scheme: 'spring_message_digest', context: { algorithm: 'WHIRLPOOL' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_CONTEXT',
    });
  });
});

describe('application schemes: worker execution', () => {
  it('phpass and drupal7 are worker schemes and verify through the default registry', async () => {
    const pooled = createHashRegistry();
    try {
      expect(pooled.list().find((s) => s.id === 'phpass')?.execution).toBe('worker');
      expect(pooled.list().find((s) => s.id === 'drupal7')?.execution).toBe('worker');
      const results = await Promise.all([
        pooled.verify('hashcat', '$P$946647711V1klyitUYhtB8Yw5DMA/w.'),
        pooled.verify('nope', '$P$946647711V1klyitUYhtB8Yw5DMA/w.'),
        pooled.verify('hashcat', '$S$C20340258nzjDWpoQthrdNTR02f0pmev0K/5/Nx80WSkOQcPEQRh'),
      ]);
      expect(results.map((r) => r.valid)).toEqual([true, false, true]);
      await expect(pooled.verify('x', '$P$!46647711V1klyitUYhtB8Yw5DMA/w.', { scheme: 'phpass' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    } finally {
      await pooled.close();
    }
  });
});
