import { describe, expect, it } from 'vitest';
import { itVerifiesKnownVectors, type KnownVector } from './known-vectors.js';
import { LegacyIdpError } from '../../src/core/errors.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { defaultHashLimits } from '../../src/hashes/limits.js';
import {
  type Argon2Backend,
  firstArgon2Backend,
  loadArgon2Npm,
  loadNodeRsArgon2,
  verifyPhcArgon2,
} from '../../src/hashes/schemes/argon2/argon2-core.js';

const registry = createHashRegistry({ workers: false });

const kratos = 'ory/kratos@029d8a3 hash/hasher_test.go';
const django = 'django/django@02dbf16 tests/auth_tests/test_hashers.py';
// Generated here with the PHC reference CLI (Debian argon2 0~20171227), e.g.
// `printf %s 'pässwörd 🙂' | argon2 saltsaltsalt -d -v 10 -m 6 -t 2 -p 2 -e`.
const cli = 'argon2 reference CLI (Debian 0~20171227)';
const cliPassword = 'pässwörd 🙂';


const vectors: KnownVector[] = [
  { scheme: 'argon2id', password: 'test', hash: '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw', source: kratos },
  { scheme: 'argon2id', password: 'test', hash: '$argon2id$v=19$m=32,t=5,p=4$cm94YnRVOW5jZzFzcVE4bQ$fBxypOL0nP/zdPE71JtAV71i487LbX3fJI5PoTN6Lp4', source: kratos },
  { scheme: 'argon2id', password: cliPassword, hash: '$argon2id$v=19$m=1024,t=2,p=4$c2FsdHNhbHRzYWx0$9Bw09a/72mZSvUBuLsteot0emjuKMtyzph55zz5w+eI', source: cli },
  { scheme: 'argon2id', password: 'password', hash: '$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$DdQuOj0MTYTNSA/P22TyGw', source: cli },
  { scheme: 'argon2i', password: 'test', hash: '$argon2i$v=19$m=65536,t=3,p=4$kk51rW/vxIVCYn+EG4kTSg$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c', source: kratos },
  { scheme: 'argon2i', password: cliPassword, hash: '$argon2i$v=16$m=256,t=3,p=1$c2FsdHNhbHRzYWx0$4wz5mHP+Ys0feD3rtv+5qYTCm0bGM52775xSb3/hdtk', source: cli },
  { scheme: 'argon2d', password: cliPassword, hash: '$argon2d$v=19$m=64,t=2,p=2$c2FsdHNhbHRzYWx0$swncOWw+/s3Dw2NA/U/AVMInyk4eixCD30txTXoRE3A', source: cli },
  { scheme: 'argon2d', password: cliPassword, hash: '$argon2d$v=16$m=64,t=2,p=2$c2FsdHNhbHRzYWx0$EmUimn1nuvXBbBHw9HjhnuapXqWSl4M49eA4UA1JRQ4', source: cli },
  // The `argon2` npm package's m,p,t order: the same CLI hash, parameters reordered.
  { scheme: 'argon2d', password: cliPassword, hash: '$argon2d$v=19$m=64,p=2,t=2$c2FsdHNhbHRzYWx0$swncOWw+/s3Dw2NA/U/AVMInyk4eixCD30txTXoRE3A', source: `${cli}, reordered` },
  { scheme: 'argon2', password: cliPassword, hash: '$argon2d$v=16$m=64,t=2,p=2$c2FsdHNhbHRzYWx0$EmUimn1nuvXBbBHw9HjhnuapXqWSl4M49eA4UA1JRQ4', source: cli },
  { scheme: 'argon2', password: 'test', hash: '$argon2i$v=19$m=65536,t=3,p=4$kk51rW/vxIVCYn+EG4kTSg$NyT88uraJ6im6dyha/M5jhXvpqlEdlS/9fEm7ScMb8c', source: kratos },
  // Django's pre-argon2-cffi-16 form: no v= (version 16), 64-byte tag.
  { scheme: 'django_argon2', password: 'secret', hash: 'argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg', source: django },
  { scheme: 'django_argon2', password: 'secret', hash: 'argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', source: django },
  { scheme: 'django_argon2', password: 'secret', hash: 'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw', source: django },
];

describe('argon2 family: known vectors', () => {
  itVerifiesKnownVectors(registry, vectors);

  it('auto-detects the specific type first', async () => {
    for (const { scheme, password, hash } of vectors) {
      const result = await registry.verify(password, hash);
      expect(result.valid).toBe(true);
      expect(result.scheme).toBe(scheme === 'argon2' ? hash.slice(1, hash.indexOf('$', 1)) : scheme);
    }
  });

  it('rejects a tag whose unused base64 bits are set (Kratos negative vector, libargon2 refuses it)', async () => {
    const hash = '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRN2';
    expect((await registry.verify('test', hash)).valid).toBe(false);
  });
});

describe('argon2: backends', () => {
  const backends: Promise<Argon2Backend>[] = [loadNodeRsArgon2(), loadArgon2Npm()];

  it('both installed backends verify every type and both versions identically', async () => {
    for (const pending of backends) {
      const backend = await pending;
      for (const { password, hash } of vectors) {
        const phc = hash.startsWith('argon2$') ? hash.slice('argon2'.length) : hash;
        const types = ['argon2i', 'argon2d', 'argon2id'] as const;
        expect(await verifyPhcArgon2(password, phc, 'argon2', types, defaultHashLimits, backend), `${backend.name} ${hash}`).toBe(true);
        expect(await verifyPhcArgon2('nope', phc, 'argon2', types, defaultHashLimits, backend)).toBe(false);
      }
    }
  });

  it('prefers @node-rs/argon2, falls back to argon2, and names both when neither is installed', async () => {
    const missing = (name: string) => () =>
      Promise.reject(new LegacyIdpError('ERR_LEGACY_IDP_MISSING_DEPENDENCY', `needs the optional package "${name}"`));
    expect((await firstArgon2Backend([loadNodeRsArgon2, loadArgon2Npm])).name).toBe('@node-rs/argon2');
    expect((await firstArgon2Backend([missing('@node-rs/argon2'), loadArgon2Npm])).name).toBe('argon2');
    await expect(firstArgon2Backend([missing('@node-rs/argon2'), missing('argon2')])).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_MISSING_DEPENDENCY',
      message: expect.stringMatching(/@node-rs\/argon2.*argon2/u) as unknown,
    });
    // A backend that is installed but broken is not silently skipped.
    await expect(firstArgon2Backend([() => Promise.reject(new Error('segfault-ish')), loadArgon2Npm])).rejects.toThrow('segfault-ish');
  });
});

describe('argon2 family: malformed hashes and cost caps', () => {
  const good = '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw';
  const malformedCases: [string, string][] = [
    ['argon2id', '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ'],
    ['argon2id', '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ==$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=17$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$t=2,m=32,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$m=32,t=2,p=4,data=YWJj$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$m=32,t=2,p=4$c2FsdA$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bR$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$m=31,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$m=32,t=0,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw'],
    ['argon2id', '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNz'],
    ['argon2i', good],
    ['argon2d', good],
    ['django_argon2', good],
    ['argon2', 'argon2$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw'],
  ];

  it.each(malformedCases)('%s rejects %s as malformed', async (scheme, hash) => {
    await expect(registry.verify('test', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it('checks memory, passes and lanes against the caps before allocating anything', async () => {
    const cases = [
      '$argon2id$v=19$m=4294967295,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
      '$argon2id$v=19$m=32,t=1000000,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
      '$argon2id$v=19$m=65536,t=2,p=200$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
      'argon2$argon2id$v=19$m=9999999999,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw',
    ];
    for (const hash of cases) {
      const started = performance.now();
      await expect(registry.verify('test', hash)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
      expect(performance.now() - started).toBeLessThan(50);
    }
    const tight = createHashRegistry({ workers: false, limits: { maxArgon2MemoryKiB: 1024, maxArgon2Passes: 2, maxArgon2Parallelism: 2 } });
    await expect(tight.verify('test', vectors[4]!.hash)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
    await expect(tight.verify('test', vectors[1]!.hash)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
    await expect(tight.verify('test', good)).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT' });
  });
});

describe('argon2 family: identify', () => {
  it('orders the specific type before passlib\'s generic argon2', () => {
    expect(registry.identify(vectors[0]!.hash)).toEqual(['argon2id', 'argon2']);
    expect(registry.identify(vectors[5]!.hash)).toEqual(['argon2i', 'argon2']);
    expect(registry.identify(vectors[7]!.hash)).toEqual(['argon2d', 'argon2']);
    expect(registry.identify(vectors[11]!.hash)).toEqual(['django_argon2']);
  });

  it.each([
    '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ',
    '$argon2x$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
    '$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw=',
    '{ARGON2}$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
    'argon2$$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw',
    '$2b$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6',
    '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
  ])('claims nothing in the family for %s', (hash) => {
    expect(registry.identify(hash).filter((id) => registry.get(id)?.family === 'argon2')).toEqual([]);
  });
});

describe('argon2id: new hashes', () => {
  it('uses OWASP parameters by default and verifies them without an upgrade', async () => {
    const hash = await registry.hash('argon2id', 'correct horse ü');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/u);
    expect(await registry.verify('correct horse ü', hash)).toMatchObject({ valid: true, scheme: 'argon2id', needsUpgrade: false });
  });

  it('reports weaker stored hashes for upgrade and takes explicit parameters', async () => {
    const weak = await registry.hash('argon2id', 'pw', { memoryCost: 64, timeCost: 1, parallelism: 2 });
    expect(weak.startsWith('$argon2id$v=19$m=64,t=1,p=2$')).toBe(true);
    expect(await registry.verify('pw', weak)).toMatchObject({ valid: true, needsUpgrade: true });
    expect((await registry.verify('test', vectors[4]!.hash)).needsUpgrade).toBe(true);
    expect((await registry.verify('secret', vectors[13]!.hash)).needsUpgrade).toBe(false);
  });

  it('refuses bad options and options above the caps', async () => {
    await expect(registry.hash('argon2id', 'x', { memory: 1 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    await expect(registry.hash('argon2id', 'x', { timeCost: 0 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    await expect(registry.hash('argon2id', 'x', { memoryCost: 8, parallelism: 2 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    await expect(registry.hash('argon2id', 'x', { memoryCost: 2 * 1024 * 1024 })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_INVALID_INPUT' });
    await expect(registry.hash('argon2i', 'x')).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNSUPPORTED' });
  });
});
