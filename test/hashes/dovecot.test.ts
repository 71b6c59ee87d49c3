import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/index.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

// Every vector below was made with Dovecot doveadm 2.3.19.1 (Debian 12): `doveadm -O pw -s <SCHEME> -p <password>`.
const long = 'x'.repeat(70);
const unicode = 'pässwörd🔑';

// [scheme, password, hash, context?]
const vectors: [string, string, string, Record<string, string>?][] = [
  ['dovecot_sha', 'secret', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ='],
  ['dovecot_sha1', 'secret', '{SHA1}5en6G6MezRroT3XKqkdPOmY/BfQ='],
  ['dovecot_sha256', 'secret', '{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols='],
  // doveadm pw -s SHA256.HEX: the encoding suffix Dovecot accepts on any scheme.
  ['dovecot_sha256', 'secret', '{SHA256.HEX}2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b'],
  ['dovecot_sha512', 'secret', '{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=='],
  ['dovecot_ssha', 'secret', '{SSHA}Gf9E6OdIW+EeBucNT0JkS8f6NrqYvqZ+'],
  ['dovecot_ssha256', 'secret', '{SSHA256}Z/+ycPCtJImsRjrZKl/Vy8vldkbm2Xon3cfSKGtfoxkMg3T2'],
  ['dovecot_ssha512', 'secret', '{SSHA512}fW8XfhKNTca6YZukK44uyXCKEVhSVQ2TsP6Ve6BFIx4+V5HO98NeTU0AXzwA0W3HNxD8y0wKkDbtka/veF9yKkYbGAs='],
  ['dovecot_ssha512', unicode, '{SSHA512}SLbEvrUKDZpUQ8EimRHnHSeD/uOscX9mR+KqPrqpKx+6IRWVfRZvMqF5OzHWpFZIklzlJUcrZ2VXU/mhq/rssq/YNNs='],
  ['dovecot_smd5', 'secret', '{SMD5}+L+g/L7oSIolhkHsCXdc2UIK5Po='],
  ['dovecot_ldap_md5', 'secret', '{LDAP-MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ=='],
  ['dovecot_plain_md5', 'secret', '{PLAIN-MD5}5ebe2294ecd0e0f08eab7690d2a6ee69'],
  ['dovecot_plain_md4', 'secret', '{PLAIN-MD4}67d3dafef63ff00603aeef3769cfbf0d'],
  ['dovecot_plain_md4', 'pässwörd', '{PLAIN-MD4}84c1a6a379ead788b7832b658ce73da8'],
  ['dovecot_md5', 'secret', '{MD5}$1$KHWfBCA1$6OZOo2kfsC1gr4HlautYM.'],
  ['dovecot_md5_crypt', 'secret', '{MD5-CRYPT}$1$erMyDQJj$ugl99rAj5BH6CvF4wMK4t.'],
  ['dovecot_sha256_crypt', 'secret', '{SHA256-CRYPT}$5$EXqKwOE2nATCzhyX$NzB0KslAlbQikGaRpiatAnSkadd50xdb7WP5LxB.0m.'],
  ['dovecot_sha256_crypt', 'secret', '{SHA256-CRYPT}$5$rounds=10000$fD/lKd6H8bcExK7b$j9c1f/knVdpnTyXJ8CuEEDBEV8iMUjkihJYoYTJdY0D'],
  ['dovecot_sha512_crypt', 'secret', '{SHA512-CRYPT}$6$Y6kI4tcO8h.prh1Z$PNIzKZ8vp/fSkzb9XNYhjsmW2ZUIrQUxbpqWRSQ/BAsMcGElFfIdC0zhUqQNUrqaNp2ym5Jodx3yoAkTBvhyG1'],
  ['dovecot_blf_crypt', 'secret', '{BLF-CRYPT}$2y$05$ZWgdLr5vQpFZDex9ch0fAOV8E.3mU2wHX73QUB450gVpZNBcw468S'],
  ['dovecot_des_crypt', 'secret', '{DES-CRYPT}hj6T1O.tbrMXQ'],
  ['dovecot_crypt', 'secret', '{CRYPT}$2y$05$9sBgvfLh1/mnG/K6CUXMp.rDTbTAJE5n2LUVUyIw.sV7q0j9aYRi.'],
  ['dovecot_argon2i', 'secret', '{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$+qe1fL59Oyx49yFZpyDaXg$2v8Kt8Tlfkuaq4q1DMQDxX9FpFPoWFWLxlLoiURI5bc'],
  ['dovecot_argon2id', 'secret', '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$ZERquLUYztebhIQgX+HSiA$8r4paCn7Qmu7FDFT0lqRfqZX4x60hX8WwmI6IW/nygU'],
  ['dovecot_cleartext', 'secret', '{CLEARTEXT}secret'],
  ['dovecot_plain', 'secret', '{PLAIN}secret'],
  ['dovecot_cram_md5', 'secret', '{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56'],
  // Keys over 64 bytes are hashed first, as in any HMAC.
  ['dovecot_cram_md5', long, '{CRAM-MD5}8103bb3a2a4b96a9ca9cce4efecc8d22ebe7163dff7401afb5aa16d4edcf9f1f'],
  ['dovecot_cram_md5', unicode, '{CRAM-MD5}95989456a310a331eecbe868cc2b44930f6a53982dc4f0defe6833c25f3109e4'],
  ['dovecot_hmac_md5', 'secret', '{HMAC-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bbaac395731b56'],
  ['dovecot_digest_md5', 'secret', '{DIGEST-MD5}b1726872c344b6dc8365b774f8fd6412', { user: 'alice@example.com' }],
  ['dovecot_digest_md5', 'secret', '{DIGEST-MD5}cc3a3506aba601d2feee7bf9b34237ce', { user: 'alice' }],
  // user@domain@realm: the realm is after the last @.
  ['dovecot_digest_md5', 'pässwörd', '{DIGEST-MD5}5041915e3ed12c7c84b93b4b480c3161', { user: 'bob@corp@mail.example' }],
  ['dovecot_digest_md5', 'pässwörd', '{DIGEST-MD5}5041915e3ed12c7c84b93b4b480c3161', { user: 'bob@corp', realm: 'mail.example' }],
  ['dovecot_scram_sha_1', 'secret', '{SCRAM-SHA-1}4096,G0hvaIBWYMAoDe6iHuvxrQ==,feQWRfSUiVOwoNB8aJ6yEnbZjKU=,n3wGrpxlDCln+Ka7H449gYTMgpY='],
  ['dovecot_scram_sha_256', 'secret', '{SCRAM-SHA-256}4096,r0i4MaEiqTav1C3VmoZv0g==,wGz+6ipb7+v62SfR6XBMPlM1Rd10MuQDsSIzZXVlMGo=,VZ8VgLbq6bVj3H+IDei0unI0jLNq6nfrNeQGuJn5JyU='],
  ['dovecot_scram_sha_256', unicode, '{SCRAM-SHA-256}4096,LNa/FaAAdn8kj0O4FGOUbQ==,xJOhffkvI6f/snmpELorheVJlCtrulHmeC73oiy6QTs=,GbNqmlmgtDdrqe30+JqryHf4MCdZKZunG9gMZinJDR0='],
];

describe('dovecot family: doveadm vectors', () => {
  it.each(vectors)('%s verifies %j and rejects a wrong password', async (scheme, password, hash, context = {}) => {
    await expect(registry.verify(password, hash, { scheme, context })).resolves.toMatchObject({ valid: true, scheme });
    await expect(registry.verify(`${password}x`, hash, { scheme, context })).resolves.toMatchObject({ valid: false });
  });

  it('accepts hex where Dovecot guesses it from the length, and lower-case prefixes', async () => {
    // doveadm pw -t '{SHA}e5e9...' -p secret and '{sha}5en6...' both say (verified).
    await expect(registry.verify('secret', '{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4', { scheme: 'dovecot_sha' })).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('secret', '{sha}5en6G6MezRroT3XKqkdPOmY/BfQ=', { scheme: 'dovecot_sha' })).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('secret', '{PLAIN-MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==', { scheme: 'dovecot_plain_md5' })).resolves.toMatchObject({ valid: true });
  });

  it('{MD5} named as dovecot_md5 also takes plain MD5, as Dovecot md5_verify does', async () => {
    await expect(registry.verify('secret', '{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==', { scheme: 'dovecot_md5' })).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('secret', '{MD5}5ebe2294ecd0e0f08eab7690d2a6ee69', { scheme: 'dovecot_md5' })).resolves.toMatchObject({ valid: true });
  });
});

describe('dovecot family: identify order', () => {
  it('the LDAP id wins for strings both write; the Dovecot id comes next', () => {
    expect(registry.identify('{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=')).toEqual(['ldap_sha1', 'dovecot_sha']);
    expect(registry.identify('{SSHA}Gf9E6OdIW+EeBucNT0JkS8f6NrqYvqZ+')).toEqual(['ldap_salted_sha1', 'dovecot_ssha']);
    expect(registry.identify('{SMD5}+L+g/L7oSIolhkHsCXdc2UIK5Po=')).toEqual(['ldap_salted_md5', 'dovecot_smd5']);
  });

  it('{MD5} is Dovecot MD5-crypt by its $1$ shape and LDAP MD5 otherwise (finding 2)', () => {
    expect(registry.identify('{MD5}$1$KHWfBCA1$6OZOo2kfsC1gr4HlautYM.')).toEqual(['dovecot_md5']);
    expect(registry.identify('{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==')).toEqual(['ldap_md5']);
  });

  it.each(vectors.filter(([scheme]) => !['dovecot_sha', 'dovecot_ssha', 'dovecot_ssha256', 'dovecot_ssha512', 'dovecot_smd5', 'dovecot_sha256', 'dovecot_sha512', 'dovecot_crypt'].includes(scheme)))(
    '%s is the first candidate for %j',
    (scheme, _password, hash) => {
      expect(registry.identify(hash)[0]).toBe(scheme);
    },
  );

  it('generic {CRYPT} takes crypt ids no LDAP wrapper claims, and not broken ones', () => {
    expect(registry.identify('{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7')[0]).toBe('dovecot_crypt');
    expect(registry.identify('{CRYPT}$6$short')).toEqual([]);
  });
});

describe('dovecot family: refusals and malformed hashes', () => {
  it('argon2 version 16 and argon2d verify as false: libsodium refuses them (finding 4)', async () => {
    const v16 = '{ARGON2I}$argon2i$v=16$m=4096,t=3,p=1$SST2vSi5E2imLRW09dRMLg$o5CVxTLNpmyD/zNAPJcsR27Teu4VcUH/ZEArJwLYy2M';
    await expect(registry.verify('secret', v16, { scheme: 'dovecot_argon2i' })).resolves.toMatchObject({ valid: false });
    expect(registry.identify(v16)).toEqual([]);
    // doveadm pw -t accepts an argon2id string behind {ARGON2I}: libsodium dispatches on the inner prefix.
    const id = '{ARGON2I}$argon2id$v=19$m=65536,t=3,p=1$ZERquLUYztebhIQgX+HSiA$8r4paCn7Qmu7FDFT0lqRfqZX4x60hX8WwmI6IW/nygU';
    await expect(registry.verify('secret', id, { scheme: 'dovecot_argon2i' })).resolves.toMatchObject({ valid: true });
  });

  it('SCRAM below 4096 iterations is malformed, as Dovecot says', async () => {
    const low = '{SCRAM-SHA-1}1000,G0hvaIBWYMAoDe6iHuvxrQ==,feQWRfSUiVOwoNB8aJ6yEnbZjKU=,n3wGrpxlDCln+Ka7H449gYTMgpY=';
    await expect(registry.verify('secret', low)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it('caps SCRAM iterations', async () => {
    const tight = createHashRegistry({ workers: false, limits: { maxPbkdf2Iterations: 4000 } });
    await expect(tight.verify('secret', vectors.find(([id]) => id === 'dovecot_scram_sha_1')?.[2] ?? '')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
    await tight.close();
  });

  it('DIGEST-MD5 needs the user', async () => {
    await expect(registry.verify('secret', '{DIGEST-MD5}b1726872c344b6dc8365b774f8fd6412')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT' });
  });

  it.each([
    ['dovecot_ssha', '{SSHA}5en6G6MezRroT3XKqkdPOmY/BfQ='],
    ['dovecot_sha256', '{SHA256}5en6G6MezRroT3XKqkdPOmY/BfQ='],
    ['dovecot_cram_md5', '{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747'],
    ['dovecot_scram_sha_1', '{SCRAM-SHA-1}4096,G0hvaIBWYMAoDe6iHuvxrQ==,feQWRfSUiVOwoNB8aJ6yEnbZjKU='],
    ['dovecot_md5', '{MD5}$1$KHWfBCA1$6OZOo2kfsC1gr4HlautYM'],
    ['dovecot_blf_crypt', '{BLF-CRYPT}$6$Y6kI4tcO8h.prh1Z$PNIzKZ8vp'],
    ['dovecot_crypt', '{CRYPT}{SSHA}Gf9E6OdIW+EeBucNT0JkS8f6NrqYvqZ+'],
    ['dovecot_crypt', '{CRYPT}$zz$nothing-knows-this'],
    ['dovecot_plain', '{CLEARTEXT}secret'],
  ])('%s rejects %j as malformed', async (scheme, hash) => {
    await expect(registry.verify('secret', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });
});
