/**
 * Stored strings that verified any password, or tied up the hashing slots for minutes, and the registry
 * paths that lost a worker or an answer (defect hunt of the hash registry). Every case is refused with a
 * typed error, fast, while the genuine hashes of the same families keep verifying.
 */
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isLegacyIdpError } from '../../src/core/errors.js';
import { createHashRegistry, defaultHashLimits } from '../../src/hashes/index.js';
import { parsePhcArgon2 } from '../../src/hashes/schemes/argon2/argon2-core.js';
import { checkYescryptParams, parseYescryptParams } from '../../src/hashes/schemes/crypt/yescrypt.js';
import { loadVectors, type HashVector } from './vector-fixtures.js';

const registry = createHashRegistry({ workers: false });
afterAll(async () => {
  await registry.close();
});

const vectors = loadVectors();

/** The first line of test/vectors/<id>.jsonl with the right password and no context. */
function positive(id: string, where: (vector: HashVector) => boolean = () => true): HashVector {
  const found = (vectors.get(id) ?? []).find((vector) => vector.expected && vector.context === undefined && where(vector));
  if (!found) throw new Error(`no positive vector for ${id}`);
  return found;
}

async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isLegacyIdpError(error)) return { code: error.code, message: error.message };
    return { code: `untyped ${(error as Error).name}`, message: '' };
  }
  return { code: 'resolved', message: '' };
}

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const digestB64 = (algorithm: string, text: string): string => createHash(algorithm).update(text).digest('base64');
const randomPasswords = (count: number): string[] => Array.from({ length: count }, () => randomBytes(9).toString('base64'));

describe('Dovecot {CRYPT}: only what libxcrypt crypt() computes', () => {
  // Genuine hashes of other registry schemes whose strings are `$id$...` too: crypt() refuses every one.
  const foreignInner: [string, HashVector][] = [
    ['argon2id', positive('argon2id')],
    ['scrypt', positive('scrypt')],
    ['pbkdf2_sha256', positive('pbkdf2_sha256')],
    ['cisco_type8', positive('cisco_type8')],
    ['cisco_type9', positive('cisco_type9')],
    ['wordpress_bcrypt', positive('wordpress_bcrypt')],
    ['apr_md5_crypt', positive('apr_md5_crypt')],
    ['kratos_import $md5$pf=', positive('kratos_import', (vector) => vector.hash.startsWith('$md5$pf='))],
    ['kratos_import $pbkdf2-sha256$i=', positive('kratos_import', (vector) => vector.hash.startsWith('$pbkdf2-'))],
  ];

  it.each(foreignInner)('{CRYPT} + a %s hash is not identified and is malformed, even with its own password', async (_owner, vector) => {
    const wrapped = `{CRYPT}${vector.hash}`;
    expect(registry.identify(wrapped)).not.toContain('dovecot_crypt');
    expect((await errorOf(registry.verify(vector.password, wrapped, { scheme: 'dovecot_crypt' }))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
    await expect(registry.verify(vector.password, wrapped)).rejects.toSatisfy((error: unknown) => isLegacyIdpError(error));
  });

  it('{CRYPT}$md5$pf=$$<md5 of nothing> no longer accepts every password', async () => {
    const anyPassword = `{CRYPT}$md5$pf=$$${digestB64('md5', '')}`;
    expect(registry.identify(anyPassword)).toEqual([]);
    for (const password of ['password', 'totally-wrong', ...randomPasswords(3)]) {
      expect((await errorOf(registry.verify(password, anyPassword, { scheme: 'dovecot_crypt' }))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
      expect((await errorOf(registry.verify(password, anyPassword))).code).toBe('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME');
    }
  });

  const libxcrypt = ['yescrypt', 'gost_yescrypt', 'scrypt_crypt7', 'sun_md5_crypt', 'bsd_nthash', 'sha1_crypt', 'bcrypt_2x', 'bsdi_crypt', 'md5_crypt', 'sha512_crypt', 'des_crypt'];
  it.each(libxcrypt)('{CRYPT} + a %s hash still verifies and is identified', async (id) => {
    const vector = positive(id);
    const wrapped = `{CRYPT}${vector.hash}`;
    expect(registry.identify(wrapped).some((claimed) => claimed === 'dovecot_crypt' || claimed.startsWith('ldap_'))).toBe(true);
    expect((await registry.verify(vector.password, wrapped, { scheme: 'dovecot_crypt' })).valid).toBe(true);
    expect((await registry.verify('not-the-password', wrapped, { scheme: 'dovecot_crypt' })).valid).toBe(false);
  });

  it('hands the inner hash to the worker pool by id', async () => {
    const workers = createHashRegistry({ concurrency: 1 });
    try {
      const vector = positive('yescrypt');
      expect((await workers.verify(vector.password, `{CRYPT}${vector.hash}`)).valid).toBe(true);
      expect((await errorOf(workers.verify('password', `{CRYPT}${positive('argon2id').hash}`, { scheme: 'dovecot_crypt' }))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
    } finally {
      await workers.close();
    }
  });
});

describe('Kratos import: a pf= template without {PASSWORD} is malformed', () => {
  const constantTemplates = [
    ['empty template', `$md5$pf=$$${digestB64('md5', '')}`],
    ['template {SALT}', `$md5$pf=${b64('{SALT}')}$${b64('s')}$${digestB64('md5', 's')}`],
    ['template x', `$sha256$pf=${b64('x')}$$${digestB64('sha256', 'x')}`],
    ['template {SALT}{SALT}, sha1', `$sha1$pf=${b64('{SALT}{SALT}')}$${b64('ab')}$${digestB64('sha1', 'abab')}`],
  ];

  it.each(constantTemplates)('%s', async (_name, hash) => {
    for (const password of ['password', ...randomPasswords(2)]) {
      expect((await errorOf(registry.verify(password, hash))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
      expect((await errorOf(registry.verify(password, hash, { scheme: 'kratos_import' }))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
    }
  });

  it('a template with {PASSWORD} verifies as before', async () => {
    const hash = `$sha256$pf=${b64('{SALT}{PASSWORD}')}$${b64('pepper')}$${digestB64('sha256', 'peppersecret')}`;
    expect((await registry.verify('secret', hash)).valid).toBe(true);
    expect((await registry.verify('secreT', hash)).valid).toBe(false);
  });
});

describe('stored keys shorter than 16 bytes are malformed', () => {
  const shortKeys = [
    ['kratos_pbkdf2', '$pbkdf2-sha256$i=1,l=32$c2FsdHNhbHQ$QQ'],
    ['keycloak_pbkdf2_sha256', '{"secretData":{"value":"QQ==","salt":"c2FsdA=="},"credentialData":{"hashIterations":1,"algorithm":"pbkdf2-sha256"}}'],
    ['web2py_pbkdf2', 'pbkdf2(1,1,sha256)$salt$41'],
    ['pbkdf2_password_hash', 'sha256$1$1$c2FsdA==$QQ=='],
    ['kratos_scrypt', '$scrypt$ln=16,r=1,p=1$c2FsdA==$QQ=='],
    ['spring_scrypt', '{scrypt}$10101$c2FsdA==$QQ=='],
    ['kratos_firescrypt', `$firescrypt$ln=4,r=1,p=1$c2FsdA==$QQ==$Bw==$QQ==`],
    // 15 bytes: one short of the minimum.
    ['kratos_pbkdf2', `$pbkdf2-sha256$i=1,l=15$c2FsdHNhbHQ$${pbkdf2Sync('x', 'saltsalt', 1, 15, 'sha256').toString('base64').replace(/=+$/u, '')}`],
  ];

  it.each(shortKeys)('%s: %s', async (_id, hash) => {
    // Before: about one random password in 256 verified. Every one is now refused.
    for (const password of randomPasswords(300)) {
      expect((await errorOf(registry.verify(password, hash))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
    }
  });

  it('a 16-byte Kratos PBKDF2 key still verifies', async () => {
    const key = pbkdf2Sync('secret', 'saltsalt', 1000, 16, 'sha256').toString('base64').replace(/=+$/u, '');
    const hash = `$pbkdf2-sha256$i=1000,l=16$c2FsdHNhbHQ$${key}`;
    expect(await registry.verify('secret', hash)).toMatchObject({ valid: true, scheme: 'kratos_pbkdf2' });
    expect((await registry.verify('secreT', hash)).valid).toBe(false);
  });

  it('Firebase scrypt with a short passwordHash is malformed', async () => {
    const context = { salt: 'c2FsdA==', signerKey: 'QQ==', saltSeparator: 'Bw==', rounds: 1, memCost: 4 };
    expect((await errorOf(registry.verify('password', 'QQ==', { scheme: 'firebase_scrypt', context }))).code).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
  });
});

describe('Kratos and Spring scrypt go through the scrypt work cap', () => {
  const key = b64(Buffer.alloc(32, 7));
  it.each([
    ['kratos_import', `$scrypt$ln=262144,r=8,p=64$c2FsdHNhbHQ=$${key}`],
    ['spring_delegating', `{scrypt}$120840$c2FsdHNhbHQ=$${key}`],
    ['spring_scrypt', `$120840$c2FsdHNhbHQ=$${key}`],
  ])('%s: 256 MiB at p=64 is refused at once', async (scheme, hash) => {
    const started = performance.now();
    expect((await errorOf(registry.verify('password', hash, { scheme }))).code).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('the published vectors of both still verify', async () => {
    for (const vector of [positive('kratos_import', (v) => v.hash.startsWith('$scrypt$')), positive('spring_delegating', (v) => v.hash.startsWith('{scrypt}'))]) {
      expect((await registry.verify(vector.password, vector.hash)).valid).toBe(true);
    }
  });
});

describe('memory x passes caps for argon2 and yescrypt', () => {
  it('refuses argon2id at 1 GiB and 64 passes at once (was 28 s and 1.1 GB)', async () => {
    const started = performance.now();
    const hash = `$argon2id$v=19$m=1048576,t=64,p=1$c2FsdHNhbHQ$${'A'.repeat(43)}`;
    const refused = await errorOf(registry.verify('password', hash));
    expect(refused.code).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    expect(refused.message).toContain('maxArgon2WorkKiB');
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('refuses yescrypt at 256 MiB and t=64 at once, in the worker pool too (was 198 s)', async () => {
    const hash = `$y$jDT/kD$saltsaltsalt$${'A'.repeat(43)}`;
    expect(parseYescryptParams('jDT/kD')).toMatchObject({ n: 2 ** 16, r: 32, t: 64 });
    const workers = createHashRegistry({ concurrency: 1 });
    try {
      for (const target of [registry, workers]) {
        const started = performance.now();
        const refused = await errorOf(target.verify('password', hash));
        expect(refused.code).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
        expect(refused.message).toContain('maxYescryptWorkBytes');
        // The worker's first job includes starting the thread.
        expect(performance.now() - started).toBeLessThan(target === registry ? 500 : 5000);
      }
    } finally {
      await workers.close();
    }
  });

  it('the defaults admit real argon2id settings (64 MiB to 1 GiB at 1 to 4 passes) and no more', () => {
    const phc = (m: number, t: number, p = 1): string => `$argon2id$v=19$m=${m},t=${t},p=${p}$c2FsdHNhbHQ$${'A'.repeat(43)}`;
    for (const m of [65_536, 262_144, 1_048_576]) {
      for (const t of [1, 2, 3, 4]) expect(() => parsePhcArgon2(phc(m, t, 4), 'argon2id', ['argon2id'], defaultHashLimits)).not.toThrow();
    }
    expect(() => parsePhcArgon2(phc(65_536, 64), 'argon2id', ['argon2id'], defaultHashLimits)).not.toThrow();
    expect(() => parsePhcArgon2(phc(1_048_576, 5), 'argon2id', ['argon2id'], defaultHashLimits)).toThrow(expect.objectContaining({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' }));
  });

  it('the defaults admit every libxcrypt yescrypt setting under the memory cap, and the default $y$j9T$ up to t=32', () => {
    const check = (params: string): unknown => checkYescryptParams(parseYescryptParams(params), defaultHashLimits, 'yescrypt');
    expect(parseYescryptParams('j9T/T')).toMatchObject({ n: 4096, r: 32, t: 32 });
    for (const params of ['j75', 'j7T', 'j9T', 'jBT', 'jDT', 'jDT/.', 'jDT//', 'j9T/T']) expect(() => check(params), params).not.toThrow();
    for (const params of ['j9T/U', 'jDT/0', 'jDT/kD']) expect(() => check(params), params).toThrow(expect.objectContaining({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' }));
  });

  it('both caps are registry limits: lowered they refuse a genuine vector, at their defaults it verifies', async () => {
    const argon2 = positive('argon2id', (vector) => vector.hash.includes('m=65536,t=4'));
    const yescrypt = positive('yescrypt', (vector) => vector.hash.startsWith('$y$j9T$'));
    const tight = createHashRegistry({ workers: false, limits: { maxArgon2WorkKiB: 65_536 * 4 - 1, maxYescryptWorkBytes: 16 * 1024 * 1024 } });
    try {
      expect((await errorOf(tight.verify(argon2.password, argon2.hash))).code).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
      expect((await errorOf(tight.verify(yescrypt.password, yescrypt.hash))).code).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
      await expect(tight.hash('argon2id', 'x', { memoryCost: 65_536, timeCost: 4 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    } finally {
      await tight.close();
    }
    expect((await registry.verify(argon2.password, argon2.hash)).valid).toBe(true);
    expect((await registry.verify(yescrypt.password, yescrypt.hash)).valid).toBe(true);
  });
});

describe('worker pool: a context a worker cannot receive', () => {
  it('is a typed error that does not quote the value, and the worker stays usable', async () => {
    const vector = positive('md5_crypt');
    const workers = createHashRegistry({ concurrency: 2 });
    try {
      for (let call = 0; call < 4; call++) {
        const context = { note: () => 'a-secret-in-a-closure' } as unknown as Record<string, unknown>;
        const refused = await errorOf(workers.verify(vector.password, vector.hash, { scheme: 'md5_crypt', context }));
        expect(refused.code, `call ${call + 1}`).toBe('ERR_LEGACY_IDP_INVALID_INPUT');
        expect(refused.message).not.toContain('a-secret-in-a-closure');
      }
      // Before: from the third call every worker was lost and this answered ERR_LEGACY_IDP_HASH_BUSY.
      const results = await Promise.all([workers.verify(vector.password, vector.hash), workers.verify('wrong', vector.hash)]);
      expect(results.map((result) => result.valid)).toEqual([true, false]);
    } finally {
      await workers.close();
    }
  });
});

describe('locked-account markers and over-long passwords', () => {
  const tooLong = 'x'.repeat(defaultHashLimits.maxPasswordBytes + 1);
  it.each(['!', '*', '!!', '', `!$6$saltsalt$${'A'.repeat(86)}`, `!${'a1'.repeat(20)}`])('%j answers disabled whatever the password length', async (hash) => {
    expect(await registry.verify(tooLong, hash)).toMatchObject({ valid: false, disabled: true });
    expect(await registry.verify('short', hash)).toMatchObject({ valid: false, disabled: true });
  });

  it('a real hash still refuses an over-long password without hashing it', async () => {
    const vector = positive('sha512_crypt');
    expect(await registry.verify(tooLong, vector.hash)).toMatchObject({ valid: false, disabled: false });
  });
});
