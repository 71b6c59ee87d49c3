import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/index.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

// passlib test suite (passlib/tests/test_handlers.py, hex_*_test and plaintext), password "password".
const hexVectors: [string, string][] = [
  ['hex_md4', '8a9d093f14f8701df17732b2bb182c74'],
  ['hex_md5', '5f4dcc3b5aa765d61d8327deb882cf99'],
  ['hex_sha1', '5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8'],
  ['hex_sha256', '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'],
  ['hex_sha512', 'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86'],
];

describe('digest family: bare hex digests', () => {
  it.each(hexVectors)('%s verifies "password", ignores hex case, and rejects a wrong password', async (scheme, hash) => {
    await expect(registry.verify('password', hash, { scheme })).resolves.toMatchObject({ valid: true, scheme, needsUpgrade: true });
    await expect(registry.verify('password', hash.toUpperCase(), { scheme })).resolves.toMatchObject({ valid: true });
    await expect(registry.verify('Password', hash, { scheme })).resolves.toMatchObject({ valid: false });
  });

  it.each(hexVectors)('%s is never identified and rejects a wrong length or non-hex', async (scheme, hash) => {
    expect(registry.identify(hash)).toEqual([]);
    await expect(registry.verify('password', hash.slice(2), { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
    await expect(registry.verify('password', `${hash.slice(1)}g`, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it('passlib unicode vector: UTF-8 password bytes', async () => {
    // passlib UPASS_TABLE = 't\u00e1\u0411\u2113\u0259' -> hex_md5 05473f8a19f66815e737b33264a0d0b0.
    await expect(registry.verify('t\u00e1\u0411\u2113\u0259', '05473f8a19f66815e737b33264a0d0b0', { scheme: 'hex_md5' })).resolves.toMatchObject({ valid: true });
  });
});

describe('digest family: plaintext', () => {
  it('compares the password itself and is never identified', async () => {
    await expect(registry.verify('pässwörd🔑', 'pässwörd🔑', { scheme: 'plaintext' })).resolves.toMatchObject({ valid: true, scheme: 'plaintext' });
    await expect(registry.verify('pässwörd', 'pässwörd🔑', { scheme: 'plaintext' })).resolves.toMatchObject({ valid: false });
    expect(registry.identify('password')).toEqual([]);
  });
});

// Expected digests computed with Python's hashlib/hmac (an independent implementation) when the test was written.
describe('digest family: salted_digest', () => {
  const scheme = 'salted_digest';
  it.each([
    ['sha256, salt before', 'password', 'b20ab74aa2549f7e13a0e886cb4471cc2e70fcd2ce8075c0ee6483abba6132f3', { algorithm: 'sha256', salt: 'NaCl', saltPosition: 'prefix' }],
    ['sha1, salt after, base64 detected', 'password', 'QCdIktL+AaarHg+95cIrgxLRB4A=', { algorithm: 'sha1', salt: 'NaCl' }],
    ['md5, hex salt, UTF-16LE password', 'pässwörd', '1ee91ac9ec1ec64a1a7d36603ca0bddb', { algorithm: 'md5', salt: '00ff10', saltEncoding: 'hex', saltPosition: 'prefix', passwordEncoding: 'utf16le' }],
    ['HMAC-SHA512 with a key', 'password', 'afe33c68fa41742fec41d4762688462afbd972946c41e7065696894a734f741d5324962e167bcfc2803afa20787ae47874c68f66c38f31b08c031f53764b7200', { algorithm: 'sha512', salt: 'NaCl', hmacKey: 'pepper' }],
    ['HMAC-SHA256, base64 key, base64 output', 'password', 'Eix3qpeUh0OFMWfjExaAHrYaeDMK7DO1YkwT3OhD3+Q=', { algorithm: 'sha256', salt: 'NaCl', saltPosition: 'prefix', hmacKey: 'c2l0ZWtleQ==', hmacKeyEncoding: 'base64', encoding: 'base64' }],
    ['sha1 unsalted, latin-1, upper-case hex', 'pässwörd', '798C481D8EC06C08915EB09639F9C210131FA4BF', { algorithm: 'sha1', passwordEncoding: 'latin1' }],
  ])('%s', async (_title, password, hash, context) => {
    await expect(registry.verify(password, hash, { scheme, context })).resolves.toMatchObject({ valid: true, scheme });
    await expect(registry.verify(`${password}x`, hash, { scheme, context })).resolves.toMatchObject({ valid: false });
  });

  it('a password latin-1 cannot encode never matches', async () => {
    await expect(registry.verify('🔑', '798C481D8EC06C08915EB09639F9C210131FA4BF', { scheme, context: { algorithm: 'sha1', passwordEncoding: 'latin1' } })).resolves.toMatchObject({ valid: false });
  });

  it('names the bad context key in a typed error', async () => {
    const hash = '5f4dcc3b5aa765d61d8327deb882cf99';
    const attempt = (context: Record<string, unknown>): Promise<unknown> => registry.verify('password', hash, { scheme, context }).catch((error: unknown) => error);
    await expect(attempt({})).resolves.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT', message: expect.stringContaining('"algorithm"') as unknown });
    await expect(attempt({ algorithm: 'sha3' })).resolves.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT', message: expect.stringContaining('"algorithm"') as unknown });
    await expect(attempt({ algorithm: 'md5', saltposition: 'prefix' })).resolves.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT', message: expect.stringContaining('"saltposition"') as unknown });
    await expect(attempt({ algorithm: 'md5', salt: 'zz', saltEncoding: 'hex' })).resolves.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT', message: expect.stringContaining('"salt"') as unknown });
    await expect(attempt({ algorithm: 'md5', passwordEncoding: 'ucs2' })).resolves.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT', message: expect.stringContaining('"passwordEncoding"') as unknown });
    await expect(registry.verify('password', hash, { scheme, context: { algorithm: 'md5' } })).resolves.toMatchObject({ valid: true });
  });

  it('rejects a digest of the wrong size as malformed', async () => {
    await expect(registry.verify('password', '5f4dcc3b5aa765d61d8327deb882cf99', { scheme, context: { algorithm: 'sha1' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_MALFORMED',
    });
    await expect(registry.verify('password', 'QCdIktL+AaarHg+95cIrgxLRB4A=', { scheme, context: { algorithm: 'sha1', encoding: 'hex' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_MALFORMED',
    });
  });
});
