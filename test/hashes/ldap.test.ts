import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/index.js';
import { passlibSaslprep, postgresSaslprep } from '../../src/hashes/schemes/ldap/saslprep.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const slappasswd = 'OpenLDAP slappasswd 2.5.13 (Debian 12), generated for this test';
const spring = 'spring-projects/spring-security@07b6c451:LdapShaPasswordEncoderTests.java (published-vectors.jsonl)';
const hashcat = 'hashcat/hashcat@d3983eda:src/modules (published-vectors.jsonl)';
const passlibTests = 'passlib test suite, passlib/tests/test_handlers.py (e.g. glic3rinu/passlib@859ac2d8)';

// [scheme, password, hash, provenance]
const vectors: [string, string, string, string][] = [
  ['ldap_sha1', 'secret', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', slappasswd],
  ['ldap_sha1', 'hashcat', '{SHA}uJ6qx+YUFzQbcQtyd2gpTQ5qJ3s=', hashcat],
  ['ldap_sha1', 'boabspasswurd', '{sha}ddSFGmjXYPbZC+NXR2kCzBRjqiE=', spring],
  ['ldap_hex_sha1', 'secret', '{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4', 'sha1sum of "secret" (coreutils)'],
  ['ldap_md5', 'secret', '{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==', slappasswd],
  ['ldap_md5', 'helloworld', '{MD5}/F4DjTilcDIIVEHn/nAQsA==', passlibTests],
  ['ldap_hex_md5', 'secret', '{MD5}5ebe2294ecd0e0f08eab7690d2a6ee69', 'md5sum of "secret" (coreutils)'],
  ['ldap_salted_md5', 'secret', '{SMD5}o29+CbO9uk+iV252WnqwODP/7S0=', slappasswd],
  ['ldap_salted_md5', 'testing1234', '{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE=', passlibTests],
  ['ldap_salted_sha1', 'secret', '{SSHA}Cn1aMfAmZNhvL6qZ72yKpDT7I4wYPS+M', slappasswd],
  ['ldap_salted_sha1', 'boabspasswurd', '{ssha}PQy2j+6n5ytA+YlAKkM8Fh4p6u2JxfVd', spring],
  ['ldap_salted_sha1', 'hashcat', '{SSHA}FLzWcQqyle6Mo7NvrwXCMAmRzXQxNjYxMTYzNw==', hashcat],
  ['ldap_sha256', 'secret', '{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=', slappasswd],
  ['ldap_sha384', 'secret', '{SHA384}WKd1ukESvjAFrkQHznV9iP2nHUBJe7gCbsrFTU4//HIyzo3jq1rLMK45dg/ufFPt', slappasswd],
  ['ldap_sha512', 'secret', '{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==', slappasswd],
  ['ldap_salted_sha256', 'secret', '{SSHA256}kX+i2LfpVxKJJceGh2CaveCyVzkSECugbv+hSOaoj6ausE7JzQWgtA==', slappasswd],
  // 4-byte salt: passlib refuses it, Dovecot and hashcat accept it (hash-formats.md finding 6).
  ['ldap_salted_sha256', 'hashcat', '{SSHA256}L5Wk0zPY2lmoR5pH20zngq37KkxFwgTquEhx95rxfVk3Ng==', hashcat],
  ['ldap_salted_sha256', 'test123', '{SSHA256}czO44OTV17PcF1cRxWrLZLy9xHd7CWyVYplr1rOhuMlx/7IK', 'ory/kratos@029d8a35:hash/hasher_test.go (published-vectors.jsonl)'],
  ['ldap_salted_sha384', 'secret', '{SSHA384}4jZIYftdZQXMIRWCxIPrpvecRex1BlowCLg2ml1jnjXKuUotbC91nnvAzvXkW1veq6b4ruv4LUs=', slappasswd],
  ['ldap_salted_sha512', 'secret', '{SSHA512}SWmcI65MhqDP9fT0/VDfveS4u+P3RA8ny/wyh+HlB9FwlHajgQKKaenDZKoIoCLX4WuCE1NOs1zaXHFbqht7gQ5TZPjBjpjR', slappasswd],
  ['ldap_salted_sha512', 'hashcat', '{SSHA512}Bz8w5q6qEtB1Nnc8b1jfTvTXVTwohWag33oghQGOtLChnkZTw/cuJaHQlLJEI3AWKZGCRyLA6Phujdxo+is7AjA2MDcyNjY1Mg==', hashcat],
  ['ldap_plaintext', 'password', 'password', passlibTests],
  ['ldap_des_crypt', 'secret', '{CRYPT}e17ols4S/P/26', slappasswd],
  // slappasswd -h {CRYPT} with a password over 8 characters on libxcrypt: bigcrypt (finding 8).
  ['ldap_bigcrypt', 'longpassword12', '{CRYPT}eqfOKNSRLnEUAkPwOg1crLh6', slappasswd],
  ['ldap_md5_crypt', 'secret', '{CRYPT}$1$ydvR.y3U$bY5kT0oLCcgt5GqpX8TS8/', slappasswd],
  ['ldap_md5_crypt', 'test', '{CRYPT}$1$ec6XvcoW$ghEtNK2U1MC5l.Dwgi3020', passlibTests],
  ['ldap_sha256_crypt', 'secret', '{CRYPT}$5$xdDuKdHgX7DVeOrT$37YUkvl88p5FbPbIfoqPYiSw8E7KnDDZDojHBBESf8A', slappasswd],
  ['ldap_sha512_crypt', 'secret', '{CRYPT}$6$Ca934BKSZAsPparB$uv9E6q3gYk2BFmJLFpceyj2GjTBDoII/NJ3SymUce6SbetJxU24U1qU80s2KDoRAhXOqq7bFvUwU2mZ/ILDQ7.', slappasswd],
  ['ldap_argon2', 'secret', '{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$SST2vSi5E2imLRW09dRMLg$o5CVxTLNpmyD/zNAPJcsR27Teu4VcUH/ZEArJwLYy2M', `${slappasswd}, -o module-load=argon2`],
  ['openldap_apr1', 'secret', '{APR1}UpuEzuY64O82iGq9t4pd5mtXaWNZS1pp', `${slappasswd}, -o module-load=pw-apr1`],
  ['openldap_apr1', 'pässwörd', '{APR1}mbDmPrTDITwR5zNJreqPdFljU1haVjRW', `${slappasswd}, -o module-load=pw-apr1`],
  ['openldap_bsdmd5', 'secret', '{BSDMD5}+HAh8GZy0zE9QLpDvWQKUU5HZEJYNHpm', `${slappasswd}, -o module-load=pw-apr1`],
  ['openldap_bsdmd5', 'pässwörd', '{BSDMD5}6GYzoLFfu/Z9MAmhnfq2W2I4U0lGc08u', `${slappasswd}, -o module-load=pw-apr1`],
  ['aix_smd5', 'hashcat', '{smd5}17800721$WkGka7tXcrfpUQS6WOQyw/', `${hashcat}; openssl passwd -aixmd5 agrees`],
  ['fshp', 'test', '{FSHP0|0|1}qUqP5cyxm6YcTAhz05Hph5gvu9M=', `${passlibTests}, from the FSHP reference implementation`],
  ['fshp', 'test', '{FSHP1|8|4096}MTIzNDU2NzjTdHcmoXwNc0ff9+ArUHoN0CvlbPZpxFi1C6RDM/MHSA==', `${passlibTests}, from the FSHP reference implementation`],
  ['fshp', 'ExecuteOrder66', '{FSHP3|16|8192}0aY7rZQ+/PR+Rd5/I9ssRM7cjguyT8ibypNaSp/U1uziNO3BVlg5qPUng+zHUDQC3ao/JbzOnIBUtAeWHEy7a2vZeZ7jAwyJJa2EqOsq4Io=', passlibTests],
  ['roundup_plaintext', 'pässwörd', '{plaintext}pässwörd', 'passlib roundup_plaintext format'],
  ['scram', 'password', '$scram$6400$.Z/znnNOKWUsBaCU$sha-1=cRseQyJpnuPGn3e6d6u6JdJWk.0,sha-256=5GcjEbRaUIIci1r6NAMdI9OPZbxl9S5CFR6la9CHXYc,sha-512=.DHbIm82ajXbFR196Y.9TtbsgzvGjbMeuWCtKve8TPjRMNoZK9EGyHQ6y0lW9OtWdHZrDZbBUhB9ou./VI2mlw', 'passlib documentation, passlib.hash.scram usage example'],
  // The same hash with only its SHA-1 entry: the digest RFC 5802 mandates and passlib always writes.
  ['scram', 'password', '$scram$6400$.Z/znnNOKWUsBaCU$sha-1=cRseQyJpnuPGn3e6d6u6JdJWk.0', 'passlib documentation, sha-1 entry only'],
  ['postgres_scram_sha256', 'hashcat', 'SCRAM-SHA-256$4096:IKfxzJ8Nq4PkLJCfgKcPmA==$iRw3qwTp18uaBnsTOEExbtgWdKeBMbSSnZvqD4sdqLQ=:hPciC1CcnBna3szR8Mf3MVc8t0W7QPbIHoMMrh4zRV0=', `${hashcat} module_28600`],
];

describe('ldap family: known vectors', () => {
  it.each(vectors)('%s verifies %j and rejects a wrong password', async (scheme, password, hash) => {
    await expect(registry.verify(password, hash, { scheme })).resolves.toMatchObject({ valid: true, scheme, needsUpgrade: true });
    await expect(registry.verify(`${password}!x`, hash, { scheme })).resolves.toMatchObject({ valid: false, scheme });
  });

  it.each(vectors.filter(([scheme]) => scheme !== 'ldap_plaintext'))('%s is what identify picks first for %j', (scheme, _password, hash) => {
    // A 13-character {CRYPT} bigcrypt is des_crypt; long ones are bigcrypt.
    expect(registry.identify(hash)[0]).toBe(scheme);
  });
});

describe('ldap family: identify', () => {
  it('tells {SHA}/{MD5} base64 from their hex variants by length (finding 5)', () => {
    expect(registry.identify('{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=')).toEqual(['ldap_sha1', 'dovecot_sha']);
    expect(registry.identify('{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4')).toEqual(['ldap_hex_sha1', 'dovecot_sha']);
    expect(registry.identify('{MD5}5ebe2294ecd0e0f08eab7690d2a6ee69')[0]).toBe('ldap_hex_md5');
  });

  it('refuses near misses', () => {
    for (const hash of [
      '{SHA}5en6G6MezRroT3XKqkdPOmY/Bf', // base64 of 20 bytes needs 27 characters (padding optional); 26 here
      '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=x',
      '{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f',
      '{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', // 20 bytes: digest without salt
      '{SSHA}!!!!',
      '{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=x',
      '{CRYPT}e17ols4S/P/2',
      '{CRYPT}$1$ydvR.y3U$bY5kT0oLCcgt5GqpX8TS8',
      '{CRYPT}{CRYPT}e17ols4S/P/26',
      '{APR1}UpuEzuY64O82iGq9t4pd5g==', // 16 bytes: no salt
      '{smd5}17800721$WkGka7tXcrfpUQS6WOQyw',
      '{FSHP4|0|1}qUqP5cyxm6YcTAhz05Hph5gvu9M=',
      '{FSHP0|1|1}qUqP5cyxm6YcTAhz05Hph5gvu9M=',
      '{PLAINTEXT}secret', // roundup's prefix is lower-case, as passlib matches it
      '$scram$6400$.Z/znnNOKWUsBaCU$sha-256=5GcjEbRaUIIci1r6NAMdI9OPZbxl9S5CFR6la9CHXYc',
      'SCRAM-SHA-256$4096:IKfxzJ8Nq4PkLJCfgKcPmA==$iRw3qwTp18uaBnsTOEExbtgWdKeBMbSSnZvqD4sdqLQ=',
    ]) {
      expect(registry.identify(hash), hash).toEqual([]);
    }
  });

  it("announces {ARGON2} only in OpenLDAP's upper case: {argon2} is Spring's delegating id", async () => {
    const spring = '{argon2}$argon2i$v=19$m=4096,t=3,p=1$SST2vSi5E2imLRW09dRMLg$o5CVxTLNpmyD/zNAPJcsR27Teu4VcUH/ZEArJwLYy2M';
    expect(registry.identify(spring)).not.toContain('ldap_argon2');
    await expect(registry.verify('secret', spring, { scheme: 'ldap_argon2' })).resolves.toMatchObject({ valid: true });
  });

  it('does not identify plaintext', () => {
    expect(registry.identify('password')).toEqual([]);
  });

  it('lists every ldap id', () => {
    const ids = registry.list().filter((info) => info.family === 'ldap').map((info) => info.id);
    for (const id of ['ldap_sha1', 'ldap_hex_sha1', 'ldap_md5', 'ldap_hex_md5', 'ldap_salted_md5', 'ldap_salted_sha1', 'ldap_sha256', 'ldap_sha384', 'ldap_sha512', 'ldap_salted_sha256', 'ldap_salted_sha384', 'ldap_salted_sha512', 'ldap_plaintext', 'ldap_des_crypt', 'ldap_bsdi_crypt', 'ldap_bigcrypt', 'ldap_md5_crypt', 'ldap_sha1_crypt', 'ldap_sha256_crypt', 'ldap_sha512_crypt', 'ldap_bcrypt', 'ldap_argon2', 'openldap_apr1', 'openldap_bsdmd5', 'aix_smd5', 'fshp', 'roundup_plaintext']) {
      expect(ids).toContain(id);
    }
  });
});

describe('ldap family: {CRYPT} wrappers delegate to the inner scheme', () => {
  it('ldap_bsdi_crypt, ldap_sha1_crypt and ldap_bcrypt identify their inner shapes', () => {
    expect(registry.identify('{CRYPT}_J9..CCCCXBrJUJV154M')[0]).toBe('ldap_bsdi_crypt');
    expect(registry.identify('{CRYPT}$sha1$40000$jtNX3nZ2$hBNaIXkt4wBI2o5rsi8KejSjNqIq')[0]).toBe('ldap_sha1_crypt');
    expect(registry.identify('{CRYPT}$2b$05$ZWgdLr5vQpFZDex9ch0fAOV8E.3mU2wHX73QUB450gVpZNBcw468S')[0]).toBe('ldap_bcrypt');
  });

  it('ldap_bcrypt verifies a bcrypt hash inside {CRYPT}', async () => {
    // doveadm pw -s BLF-CRYPT -p secret (Dovecot 2.3.19), re-wrapped: the inner string is plain bcrypt.
    const hash = '{CRYPT}$2y$05$ZWgdLr5vQpFZDex9ch0fAOV8E.3mU2wHX73QUB450gVpZNBcw468S';
    await expect(registry.verify('secret', hash, { scheme: 'ldap_bcrypt' })).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('Secret', hash, { scheme: 'ldap_bcrypt' })).resolves.toMatchObject({ valid: false });
  });

  it('names a wrong inner shape malformed', async () => {
    await expect(registry.verify('secret', '{CRYPT}$1$ydvR.y3U$bY5kT0oLCcgt5GqpX8TS8/', { scheme: 'ldap_sha512_crypt' })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_MALFORMED',
    });
  });
});

describe('ldap family: malformed hashes and limits', () => {
  it.each([
    ['ldap_salted_sha1', '{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ='],
    ['ldap_sha1', '{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4'],
    ['ldap_hex_sha1', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ='],
    ['ldap_sha256', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ='],
    ['ldap_md5', '{MD5}%%%%'],
    ['ldap_des_crypt', '{CRYPT}e17ols4S/P/2!'],
    ['ldap_argon2', '{ARGON2}argon2i$v=19$m=4096'],
    ['openldap_apr1', '{APR1}UpuEzuY64O82iGq9t4pd5g=='],
    ['aix_smd5', '{smd5}17800721$WkGka7tXcrfpUQS6WOQyw!'],
    ['fshp', '{FSHP0|1|1}qUqP5cyxm6YcTAhz05Hph5gvu9M='],
    ['roundup_plaintext', '{PLAIN}secret'],
    ['scram', '$scram$6400$.Z/znnNOKWUsBaCU$sha-1=cRseQyJpnuPGn3e6d6u6JdJWk'],
    ['postgres_scram_sha256', 'SCRAM-SHA-256$4096:IKfxzJ8Nq4PkLJCfgKcPmA==$AAAA:AAAA'],
  ])('%s rejects %j as malformed without quoting it', async (scheme, hash) => {
    const error: unknown = await registry.verify('secret', hash, { scheme }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    expect((error as Error).message).not.toContain(hash.slice(-8));
  });

  it('caps fshp rounds and SCRAM iterations before any work', async () => {
    await expect(registry.verify('test', '{FSHP1|8|99999999}MTIzNDU2NzjTdHcmoXwNc0ff9+ArUHoN0CvlbPZpxFi1C6RDM/MHSA==')).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT',
    });
    const tight = createHashRegistry({ workers: false, limits: { maxPbkdf2Iterations: 1000 } });
    await expect(tight.verify('hashcat', vectors.find(([id]) => id === 'postgres_scram_sha256')?.[2] ?? '')).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT',
    });
    await expect(tight.verify('password', '$scram$6400$.Z/znnNOKWUsBaCU$sha-1=cRseQyJpnuPGn3e6d6u6JdJWk.0')).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT',
    });
    await tight.close();
  });

  it('applies SASLprep for passlib scram: a no-break space is a space', async () => {
    const hash = vectors.find(([id]) => id === 'scram')?.[2] ?? '';
    await expect(registry.verify('pass\u00ADword', hash)).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('pass\u0007word', hash)).resolves.toMatchObject({ valid: false });
  });
});

describe('SASLprep as passlib and PostgreSQL each run it', () => {
  // [typed, passlib.utils.saslprep (undefined: ValueError), PostgreSQL's pg_saslprep (undefined: refused, raw password hashed)].
  // The passlib column is passlib 1.7.4's own output; the PostgreSQL column is what PostgreSQL 15.20 hashed
  // (test/vectors/postgres_scram_sha256.jsonl has the server's verifiers).
  it.each<[string, string | undefined, string | undefined]>([
    ['pass\u00a0word', 'pass word', 'pass word'],
    ['ｐａｓｓ', 'pass', 'pass'],
    // U+200B is both a non-ASCII space (C.1.2, Unicode 3.2) and "mapped to nothing" (B.1): the order decides.
    ['a\u200bb', 'ab', 'a b'],
    // Unassigned in Unicode 3.2 (an emoji, U+0221): both refuse, PostgreSQL then hashes the raw text.
    ['Cafe\u0301🙂', undefined, undefined],
    ['ȡﬁ', undefined, undefined],
    // Left-to-right and right-to-left mixed: the bidi rule refuses it.
    ['ﬁא', undefined, undefined],
    ['ﻣﺮﺣﺒﺎ', 'مرحبا', 'مرحبا'],
    // PostgreSQL checks the text before NFKC: U+FB1D is R there, a Hebrew letter and a mark (not R) after it.
    ['א\ufb1d', undefined, 'א\u05d9\u05b4'],
    // PostgreSQL refuses a password that maps to nothing; passlib returns the empty string.
    ['\u00ad', '', undefined],
    // PostgreSQL takes all-ASCII text as it is, control characters included.
    ['tab\there', undefined, 'tab\there'],
  ])('%j', (typed, passlib, postgres) => {
    expect(passlibSaslprep(typed)).toBe(passlib);
    expect(postgresSaslprep(typed)).toBe(postgres);
  });

  it('passlib scram drops U+200B where PostgreSQL makes it a space', async () => {
    // passlib 1.7.4 scram.using(rounds=1000, salt=b'legacy-idp-f8-sa').hash('a\u200bb'); passlib verifies 'ab', not 'a b'.
    const hash =
      '$scram$1000$bGVnYWN5LWlkcC1mOC1zYQ$sha-1=Y8UR2AhDSJ4Aus7TLR7fa4rVdgY,sha-256=Wtwg3sb/T3dSRz3tXe8TV6Oh/My93yP8Z7V39PswmRc,sha-512=TNSttk3tanLVhJimLmF.Qp0.5RB83AK1Xti8BBTlAWpzLoh6523ccO9/qrK.w151riJiWwrryXgoixRG6qu0XQ';
    await expect(registry.verify('a\u200bb', hash)).resolves.toMatchObject({ valid: true, scheme: 'scram' });
    await expect(registry.verify('ab', hash)).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('a b', hash)).resolves.toMatchObject({ valid: false });
    // passlib raises ValueError for a password its SASLprep refuses: never a match.
    await expect(registry.verify('a\u200bb🙂', hash)).resolves.toMatchObject({ valid: false });
  });
});

describe('ldap family: worker execution', () => {
  it('runs MD5-crypt-based schemes in the worker pool of the default registry', async () => {
    const pooled = createHashRegistry();
    expect(pooled.get('openldap_apr1')?.execution).toBe('worker');
    await expect(pooled.verify('secret', '{APR1}UpuEzuY64O82iGq9t4pd5mtXaWNZS1pp')).resolves.toMatchObject({ valid: true, scheme: 'openldap_apr1' });
    await expect(pooled.verify('hashcat', '{smd5}17800721$WkGka7tXcrfpUQS6WOQyw/')).resolves.toMatchObject({ valid: true, scheme: 'aix_smd5' });
    await expect(pooled.verify('test', '{FSHP0|1|1}qUqP5cyxm6YcTAhz05Hph5gvu9M=', { scheme: 'fshp' })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    await pooled.close();
  });
});
