import { decodeBase64, encodeBase64, hashSync } from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { itVerifiesKnownVectors, type KnownVector } from './known-vectors.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import {
  bcryptBackend,
  bcryptCompute,
  bcryptComputeAsync,
  loadNativeBcrypt,
  nativeBcryptNames,
} from '../../src/hashes/schemes/bcrypt/bcrypt-core.js';
import { bcryptKeyWords, eksBlowfish } from '../../src/hashes/schemes/bcrypt/blowfish.js';

const registry = createHashRegistry({ workers: false });

const openwall = 'Openwall crypt_blowfish wrapper.c tests (also PHP ext/standard/tests/strings/crypt_blowfish.phpt)';
const passlibTests = 'passlib 1.7.4 passlib/tests/test_handlers_bcrypt.py known_correct_hashes';
const hashcat = 'hashcat/hashcat@d3983ed src/modules (ST_HASH/ST_PASS), via published-vectors.jsonl';
const upass = 't\u00e1\u0411\u2113\u0259';


const vectors: KnownVector[] = [
  { scheme: 'bcrypt', password: 'U*U', hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', source: openwall },
  { scheme: 'bcrypt', password: '', hash: '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy', source: openwall },
  { scheme: 'bcrypt', password: 'hashcat', hash: '$2a$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou', source: hashcat },
  { scheme: 'bcrypt', password: 'test', hash: '$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6', source: 'ory/kratos@029d8a3 hash/hasher_test.go' },
  { scheme: 'bcrypt', password: upass, hash: '$2a$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG', source: passlibTests },
  { scheme: 'bcrypt', password: upass, hash: '$2b$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG', source: passlibTests },
  { scheme: 'bcrypt', password: 'abc', hash: '$2$05$......................XuQjdH.wPVNUZ/bOfstdW/FqB8QSjte', source: passlibTests },
  { scheme: 'bcrypt', password: '', hash: '$2$05$......................J2ihDv8vVf7QZ9BsaRrKyqs2tkn55Yq', source: passlibTests },
  { scheme: 'bcrypt_2x', password: '\u00a3', hash: '$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e', context: { passwordEncoding: 'latin1' }, source: openwall },
  { scheme: 'bcrypt_2x', password: '\u00ff\u00ff\u00a3', hash: '$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e', context: { passwordEncoding: 'latin1' }, source: openwall },
  { scheme: 'bcrypt_2x', password: '1\u00a3345', hash: '$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi', context: { passwordEncoding: 'latin1' }, source: openwall },
  // "\xd1\x91" in wrapper.c is the UTF-8 encoding of U+0451.
  { scheme: 'bcrypt_2x', password: '\u0451', hash: '$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS', source: openwall },
  { scheme: 'bcrypt_2x', password: '\u00d0\u00c1\u00d2\u00cf\u00cc\u00d8', hash: '$2x$05$6bNw2HLQYeqHYyBfLMsv/O9LIGgn8OMzuDoHfof8AQimSGfcSWxnS', context: { passwordEncoding: 'latin1' }, source: openwall },
  { scheme: 'bcrypt_2x', password: 'U*U', hash: '$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', source: 'Openwall: ASCII $2x$ equals $2a$' },
  { scheme: 'bcrypt_sha256', password: 'password', hash: '$bcrypt-sha256$2a,5$5Hg1DKFqPE8C2aflZ5vVoe$12BjNE0p7axMg55.Y/mHsYiVuFBDQyu', source: passlibTests },
  { scheme: 'bcrypt_sha256', password: '', hash: '$bcrypt-sha256$2a,5$E/e/2AOhqM5W/KJTFQzLce$F6dYSxOdAEoJZO2eoHUZWZljW/e0TXO', source: passlibTests },
  { scheme: 'bcrypt_sha256', password: upass, hash: '$bcrypt-sha256$2b,5$.US1fQ4TQS.ZTz/uJ5Kyn.$QNdPDOTKKT5/sovNz1iWg26quOU4Pje', source: passlibTests },
  { scheme: 'bcrypt_sha256', password: 'abc123'.repeat(12) + 'qwr', hash: '$bcrypt-sha256$2b,5$X1g1nh3g0v4h6970O68cxe$021KLEif6epjot5yoxk0m8I0929ohEa', source: passlibTests },
  { scheme: 'bcrypt_sha256', password: 'password', hash: '$bcrypt-sha256$v=2,t=2b,r=5$5Hg1DKFqPE8C2aflZ5vVoe$wOK1VFFtS8IGTrGa7.h5fs0u84qyPbS', source: passlibTests },
  { scheme: 'bcrypt_sha256', password: 'password', hash: '$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2', source: 'passlib docs lib/passlib.hash.bcrypt_sha256.rst' },
  // Django's wrappers around independent bcrypt vectors: the wrapper adds only its prefix.
  { scheme: 'django_bcrypt', password: 'U*U', hash: 'bcrypt$$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', source: `Django layout over ${openwall}` },
  { scheme: 'django_bcrypt_sha256', password: 'hashcat', hash: 'bcrypt_sha256$$2b$10$FxDtpTNaL303lLcWtd6LFO2U6Gc63VJ07qycHcfqbQQ71GhO/qSzu', source: `Django layout over hashcat 30600 (bcrypt(sha256_hex)), ${hashcat}` },
  { scheme: 'bcrypt_md5', password: 'hashcat', hash: '$2a$05$/VT2Xs2dMd8GJKfrXhjYP.DkTjOVrY12yDN7/6I8ZV0q/1lEohLru', source: hashcat },
  { scheme: 'bcrypt_sha1', password: 'hashcat', hash: '$2a$05$Uo385Fa0g86uUXHwZxB90.qMMdRFExaXePGka4WGFv.86I45AEjmO', source: hashcat },
  { scheme: 'bcrypt_sha256_hex', password: 'hashcat', hash: '$2b$10$FxDtpTNaL303lLcWtd6LFO2U6Gc63VJ07qycHcfqbQQ71GhO/qSzu', source: hashcat },
  { scheme: 'bcrypt_sha512_hex', password: 'hashcat', hash: '$2a$12$KhivLhCuLhSyMBOxLxCyLu78x4z2X/EJdZNfS3Gy36fvRt56P2jbS', source: hashcat },
  { scheme: 'wbb4_double_bcrypt', password: 'hashcat', hash: '$2a$08$hashcatohohohohohohohegk6PN.SFkoXxDIkacAGKFN9AF8nx.Hi', source: hashcat },
  // No vector published by WordPress exists; these come from third-party test suites that generated them
  // with PHP (wp_hash_password / password_hash) and checked them against a live wp_check_password.
  { scheme: 'wordpress_bcrypt', password: 'grimoire-test-123', hash: '$wp$2y$12$iWN5xRwDE7i9R5jVJvCyqOxS1CNnwUggQaF8O2W9Bg8TuXQz.ngrS', source: 'third-party (code search), PHP-generated' },
  { scheme: 'wordpress_bcrypt', password: 'BigBike@2026', hash: '$wp$2y$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm', source: 'third-party (code search), PHP-generated' },
];

afterAll(async () => {
  await registry.close();
});

describe('bcrypt family: known vectors', () => {
  itVerifiesKnownVectors(registry, vectors);

  it('auto-detects every identifiable scheme from its vector', async () => {
    for (const { scheme, password, hash, context } of vectors) {
      if (registry.get(scheme)?.identify === undefined) continue;
      const result = await registry.verify(password, hash, context ? { context } : {});
      expect(result.scheme, hash).toBe(scheme);
      expect(result.valid).toBe(true);
    }
  });
});

describe('bcrypt: byte-exact behaviour of the owners', () => {
  it('reads 72 bytes of the password and ignores the rest', async () => {
    const hash = '$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui';
    const base = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    expect((await registry.verify(`${base}chars after 72 are ignored`, hash)).valid).toBe(true);
    expect((await registry.verify(`${base}anything else`, hash)).valid).toBe(true);
    expect((await registry.verify(base.slice(0, 71), hash)).valid).toBe(false);
  });

  it('rejects unused bits set in the last digest or salt character (finding 3: Go, PHP, libxcrypt)', async () => {
    const good = '$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6';
    expect((await registry.verify('test', good.replace(/6$/u, '7'))).valid).toBe(false);
    // Salt "CCC...C." is canonical; ".../" differs only in the 4 unused bits of the 22nd character.
    const salted = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
    expect((await registry.verify('U*U', `${salted.slice(0, 28)}/${salted.slice(29)}`)).valid).toBe(false);
  });

  it('never verifies a password containing NUL (C implementations stop there)', async () => {
    const hash = hashSync('abc', '$2b$04$CCCCCCCCCCCCCCCCCCCCC.');
    expect((await registry.verify('abc', hash)).valid).toBe(true);
    expect((await registry.verify('abc\0def', hash)).valid).toBe(false);
  });

  it('our EksBlowfish equals bcryptjs without the sign-extension bug, and differs with it', () => {
    const setting = '$2a$04$/OK.fbVrR/bpIqNJ5ianF.';
    const salt = Buffer.from(decodeBase64(setting.slice(7), 16));
    for (const password of ['\u00e9t\u00e9', 'ünïcødé 🙂 passwörd', '\u20ac'.repeat(30)]) {
      const bytes = Buffer.from(password, 'utf8');
      const reference = hashSync(password, setting).slice(29);
      const ours = (signExtend: boolean): string => encodeBase64(eksBlowfish(bcryptKeyWords(bytes, signExtend), salt, 4), 23);
      expect(ours(false)).toBe(reference);
      expect(ours(true)).not.toBe(reference);
    }
  });

  it('reads passwords as UTF-8 for $2x$ by default and refuses characters latin-1 lacks', async () => {
    const hash = '$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e';
    expect((await registry.verify('\u00a3', hash)).valid).toBe(false);
    expect((await registry.verify('\u20ac', hash, { context: { passwordEncoding: 'latin1' } })).valid).toBe(false);
    await expect(registry.verify('\u00a3', hash, { context: { passwordEncoding: 'cp1252' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_INVALID_INPUT',
    });
  });

  it('trims the WordPress password with PHP trim() rules, as wp_authenticate does', async () => {
    const hash = '$wp$2y$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm';
    expect((await registry.verify(' \tBigBike@2026\r\n', hash)).valid).toBe(true);
    expect((await registry.verify('\u00a0BigBike@2026', hash)).valid).toBe(false);
  });
});

describe('bcrypt family: malformed hashes and cost caps', () => {
  const malformedCases: [string, string][] = [
    ['bcrypt', '$2b$12$tooshort'],
    ['bcrypt', '$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['bcrypt', '$2b$32$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['bcrypt', '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe!'],
    ['bcrypt', '$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['bcrypt', '$2c$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['bcrypt_2x', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['bcrypt_sha256', '$bcrypt-sha256$2a,05$5Hg1DKFqPE8C2aflZ5vVoe$12BjNE0p7axMg55.Y/mHsYiVuFBDQyu'],
    ['bcrypt_sha256', '$bcrypt-sha256$v=2,t=2a,r=5$5Hg1DKFqPE8C2aflZ5vVoe$wOK1VFFtS8IGTrGa7.h5fs0u84qyPbS'],
    ['bcrypt_sha256', '$bcrypt-sha256$v=2,t=2b,r=5$5Hg1DKFqPE8C2aflZ5vVof$wOK1VFFtS8IGTrGa7.h5fs0u84qyPbS'],
    ['django_bcrypt', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
    ['django_bcrypt_sha256', 'bcrypt_sha256$$2a$05$short'],
    ['wordpress_bcrypt', '$2y$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm'],
    ['bcrypt_md5', '5f4dcc3b5aa765d61d8327deb882cf99'],
    ['wbb4_double_bcrypt', '$2a$08$hashcat'],
  ];

  it.each(malformedCases)('%s rejects %s as malformed', async (scheme, hash) => {
    await expect(registry.verify('password', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it('never quotes the hash in the error', async () => {
    const hash = '$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe!';
    await expect(registry.verify('password', hash, { scheme: 'bcrypt' })).rejects.toSatisfy((error: Error) => !error.message.includes('CCCC'));
  });

  it('refuses costs above maxBcryptCost before hashing, for every wrapper', async () => {
    const capped = createHashRegistry({ workers: false, limits: { maxBcryptCost: 5 } });
    const cases: [string, string][] = [
      ['bcrypt', '$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6'],
      ['bcrypt_2x', '$2x$31$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e'],
      ['bcrypt_sha256', '$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2'],
      ['django_bcrypt', 'bcrypt$$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
      ['wordpress_bcrypt', '$wp$2y$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm'],
      ['wbb4_double_bcrypt', '$2a$08$hashcatohohohohohohohegk6PN.SFkoXxDIkacAGKFN9AF8nx.Hi'],
      ['bcrypt_sha512_hex', '$2a$12$KhivLhCuLhSyMBOxLxCyLu78x4z2X/EJdZNfS3Gy36fvRt56P2jbS'],
    ];
    for (const [scheme, hash] of cases) {
      const started = performance.now();
      await expect(capped.verify('password', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
      expect(performance.now() - started).toBeLessThan(50);
    }
    // The default cap (16) refuses cost 31 too, which would otherwise take days.
    await expect(registry.verify('x', '$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT',
    });
  });
});

describe('bcrypt family: identify', () => {
  it('claims its own shapes only', () => {
    expect(registry.identify('$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6')).toEqual(['bcrypt']);
    expect(registry.identify('$2$05$......................XuQjdH.wPVNUZ/bOfstdW/FqB8QSjte')).toEqual(['bcrypt']);
    expect(registry.identify('$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e')).toEqual(['bcrypt_2x']);
    expect(registry.identify('$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2')).toEqual(['bcrypt_sha256']);
    expect(registry.identify('bcrypt$$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6')).toEqual(['django_bcrypt']);
    expect(registry.identify('bcrypt_sha256$$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6')).toEqual(['django_bcrypt_sha256']);
    expect(registry.identify('$wp$2y$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm')).toEqual(['wordpress_bcrypt']);
  });

  it.each([
    '$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL',
    '$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL66',
    '$2b$1$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6',
    '$2z$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6',
    '$bcrypt-sha256$v=2,t=2b,r=012$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2',
    '$wp$2a$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm',
    '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
    '5f4dcc3b5aa765d61d8327deb882cf99',
    '',
  ])('claims nothing in the family for %s', (hash) => {
    const ids = registry.identify(hash);
    expect(ids.filter((id) => registry.get(id)?.family === 'bcrypt')).toEqual([]);
  });

  it('has no identify for the shapes that look like plain bcrypt', () => {
    for (const id of ['bcrypt_md5', 'bcrypt_sha1', 'bcrypt_sha256_hex', 'bcrypt_sha512_hex', 'wbb4_double_bcrypt']) {
      expect(registry.get(id)?.identify, id).toBeUndefined();
    }
  });
});

describe('bcrypt: new hashes', () => {
  it('makes $2b$ hashes that verify, at cost 12 by default', async () => {
    const hash = await registry.hash('bcrypt', 'correct horse', { cost: 4 });
    expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/u);
    const result = await registry.verify('correct horse', hash);
    expect(result).toMatchObject({ valid: true, scheme: 'bcrypt', needsUpgrade: true });
    const fresh = await createHashRegistry({ workers: false, limits: { maxBcryptCost: 12 } }).hash('bcrypt', 'x');
    expect(fresh.startsWith('$2b$12$')).toBe(true);
    expect((await registry.verify('x', fresh)).needsUpgrade).toBe(false);
  });

  it('refuses bad options, costs above the cap and NUL characters', async () => {
    await expect(registry.hash('bcrypt', 'x', { cost: 3 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    await expect(registry.hash('bcrypt', 'x', { rounds: 10 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    await expect(registry.hash('bcrypt', 'x', { cost: 20 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    await expect(registry.hash('bcrypt', 'a\0b', { cost: 4 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    await expect(registry.hash('bcrypt_sha256', 'x')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNSUPPORTED' });
  });
});

describe('bcrypt: worker execution', () => {
  it('verifies through the default registry, in worker threads', async () => {
    const pooled = createHashRegistry({ concurrency: 2 });
    try {
      const results = await Promise.all([
        pooled.verify('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'),
        pooled.verify('\u0451', '$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS'),
        pooled.verify('wrong', '$wp$2y$10$qeleDSuDaeZO5fBsEqFReeWdlqaDnBDBzB16hFgsFnhN9qFBIihvm'),
      ]);
      expect(results.map((r) => r.valid)).toEqual([true, true, false]);
      await expect(pooled.verify('x', '$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).rejects.toMatchObject({
        code: 'ERR_LEGACY_IDP_HASH_MALFORMED',
      });
    } finally {
      await pooled.close();
    }
  }, 60_000);
});

describe('bcrypt backends', () => {
  // Both native packages are dev dependencies (@node-rs/bcrypt pinned to 1.10.8: 2.x cannot be locked, its
  // platform packages are not all published), so each is compared with bcryptjs here.
  const settings = [
    ['pässwörd 🔑', '$2b$04$abcdefghijklmnopqrstuu'],
    ['x'.repeat(80), '$2y$05$ABCDEFGHIJKLMNOPQRSTUu'],
    ['', '$2a$04$./0123456789abcdefghiu'],
    // A salt with unused bits set: bcryptjs re-encodes canonically, so the stored string never matches.
    ['pw', '$2b$04$abcdefghijklmnopqrstuv'],
    // The original $2$ (no NUL terminator): bcryptjs only.
    ['pw', '$2$04$abcdefghijklmnopqrstuu'],
  ] as const;

  it.each(nativeBcryptNames)('%s gives the same strings as bcryptjs, synchronously and on the threadpool', async (name) => {
    const backend = loadNativeBcrypt(name);
    expect(backend?.name).toBe(name);
    for (const [key, setting] of settings) {
      // The registry never hands these two to a native backend (bcryptCompute routes them to bcryptjs).
      if (setting.startsWith('$2$') || setting.endsWith('v')) continue;
      const expected = hashSync(key, setting);
      expect(backend?.computeSync(key, setting)).toBe(expected);
      expect(await backend?.compute(key, setting)).toBe(expected);
    }
  });

  it('bcryptCompute picks the preferred native package and routes what it cannot take to bcryptjs', async () => {
    const choice = process.env.LEGACY_IDP_BCRYPT;
    expect(bcryptBackend()).toBe(choice === 'js' ? 'bcryptjs' : (choice ?? 'bcrypt'));
    for (const [key, setting] of settings) {
      const expected = hashSync(key, setting);
      expect(bcryptCompute(key, setting)).toBe(expected);
      expect(await bcryptComputeAsync(key, setting)).toBe(expected);
    }
  });

  it('with the native backend, bcrypt schemes run on the threadpool and new hashes verify', async () => {
    const registry = createHashRegistry();
    try {
      const info = registry.list().find((scheme) => scheme.id === 'bcrypt');
      expect(info?.threadpoolWith).toBe('bcrypt or @node-rs/bcrypt');
      expect(info?.execution).toBe(process.env.LEGACY_IDP_BCRYPT === 'js' ? 'worker' : 'threadpool');
      const stored = await registry.hash('bcrypt', 'correct horse', { cost: 4 });
      expect(stored).toMatch(/^\$2b\$04\$/u);
      expect((await registry.verify('correct horse', stored)).valid).toBe(true);
      expect((await registry.verify('correct hors', stored)).valid).toBe(false);
    } finally {
      await registry.close();
    }
  });
});
