import { afterAll, describe, expect, it } from 'vitest';
import { itVerifiesKnownVectors, type KnownVector } from './known-vectors.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { scryptSchemes } from '../../src/hashes/schemes/scrypt/index.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());


const passlibDocs = 'passlib 1.7 documentation, lib/passlib.hash.scrypt';
const python = 'Python 3.11 hashlib.scrypt, format assembled by hand (independent of this code)';
const django = 'django/django@02dbf1667c6da61ea9346f7c9f174a158b896811 tests/auth_tests/test_hashers.py';
const kratos = 'ory/kratos@029d8a359233d762a897837e3aaf2c4d3a825399 hash/hasher_test.go';
const firebaseProject = { saltSeparator: 'Bw==', rounds: 8, memCost: 14 };

const vectors: KnownVector[] = [
  { scheme: 'scrypt', password: 'password', hash: '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', source: passlibDocs },
  { scheme: 'scrypt', password: 'password', hash: '$scrypt$ln=8,r=8,p=1$WKs1xljLudd6z9kbY0wpJQ$yCR4iDZYDKv+iEJj6yHY0lv/epnfB6f/w1EbXrsJOuQ', source: passlibDocs },
  {
    scheme: 'scrypt',
    password: `${'correct horse battery staple '.repeat(3)}🐴`,
    hash: '$scrypt$ln=12,r=4,p=2$AAECAwQFBgcICQoLDA0ODw$1p3sbWHL5gIwYPX6Y6OXyeHPYjzlvpilnZzoubT+GsA',
    source: python,
  },
  {
    scheme: 'django_scrypt',
    password: 'lètmein',
    hash: 'scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
    source: django,
  },
  {
    scheme: 'django_scrypt',
    password: 'pässwörd',
    hash: 'scrypt$1024$s4lt🧂$8$1$XRRs6iwGOKeEyTiFrBsE/cLblKnNroR8iq19eHAfLMiHNGlZBedmQF+i2TQPbB36hGC5VilvtAGcXhFjpEJxdw==',
    source: python,
  },
  { scheme: 'cisco_type9', password: 'hashcat', hash: '$9$87023684531115$phio0TBQwaO7KZ8toQFyGFyDvyOzidaypRWN0uKX0hU', source: 'hashcat/hashcat@d3983edaf22f5370d1bb136c930460bcad2d9f6e src/modules/module_09300.c' },
  {
    scheme: 'firebase_scrypt',
    password: 'user1password',
    hash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
    context: { ...firebaseProject, salt: '42xEC+ixf3L2lw==', signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==' },
    source: 'firebase/scrypt@d6b3ce8afff902da0ce6eff39d7a6b07a0d650b6 README.md',
  },
  {
    scheme: 'firebase_scrypt',
    password: '8x4WjoDbSxJZdR',
    hash: 'xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==',
    context: { ...firebaseProject, salt: 'sPtDhWcd1MfdAw==', signerKey: 'YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==' },
    source: `${kratos} (firescrypt case, fields split out)`,
  },
  {
    scheme: 'kratos_firescrypt',
    password: '8x4WjoDbSxJZdR',
    hash: '$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==',
    source: kratos,
  },
];

async function errorCode(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
}

function verify(password: string, hash: string, scheme: string, context?: Record<string, unknown>): Promise<boolean> {
  return registry.verify(password, hash, context === undefined ? { scheme } : { scheme, context }).then((result) => result.valid);
}

describe('scrypt family: known vectors', () => {
  it('covers every id of the family', () => {
    const covered = new Set(vectors.map((vector) => vector.scheme));
    for (const scheme of scryptSchemes) {
      expect(covered, scheme.id).toContain(scheme.id);
      expect(scheme.family).toBe('scrypt');
      expect(scheme.execution).toBe('threadpool');
    }
  });

  itVerifiesKnownVectors(registry, vectors, { identifyFirst: true });

  it('Django: a one-character change is rejected (published negative)', async () => {
    expect(await verify('lètmeinz', vectors[3]!.hash, 'django_scrypt')).toBe(false);
  });

  it('Firebase: the project parameters matter', async () => {
    const vector = vectors.find((candidate) => candidate.scheme === 'firebase_scrypt')!;
    expect(await verify(vector.password, vector.hash, 'firebase_scrypt', { ...vector.context, saltSeparator: 'Bg==' })).toBe(false);
    expect(await verify(vector.password, vector.hash, 'firebase_scrypt', { ...vector.context, rounds: 7 })).toBe(false);
    const missing = registry.verify(vector.password, vector.hash, { scheme: 'firebase_scrypt', context: { salt: '42xEC+ixf3L2lw==' } });
    expect(await errorCode(missing)).toBe('ERR_LEGACY_IDP_HASH_CONTEXT');
    const badKey = registry.verify(vector.password, vector.hash, { scheme: 'firebase_scrypt', context: { ...vector.context, signerKey: 'not base64!' } });
    expect(await errorCode(badKey)).toBe('ERR_LEGACY_IDP_HASH_CONTEXT');
  });
});

describe('scrypt family: malformed hashes and cost caps', () => {
  it.each([
    ['scrypt', '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5'],
    ['scrypt', '$scrypt$ln=0,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'],
    ['scrypt', '$scrypt$ln=16,r=0,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E'],
    ['scrypt', '$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE='],
    ['django_scrypt', 'scrypt$16385$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=='],
    ['django_scrypt', 'scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG'],
    ['cisco_type9', '$9$87023684531115$phio0TBQwaO7KZ8toQFyGFyDvyOzidaypRWN0uKX0h'],
    ['kratos_firescrypt', '$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw$xbSou7FO$Bw==$YE0d'],
    ['firebase_scrypt', 'not base64!'],
  ])('%s rejects %s', async (scheme, hash) => {
    const context = scheme === 'firebase_scrypt' ? { ...firebaseProject, salt: 'AA==', signerKey: 'AA==' } : undefined;
    const promise = registry.verify('secret', hash, context === undefined ? { scheme } : { scheme, context });
    expect(await errorCode(promise)).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
  });

  it('refuses memory (128*N*r) and work (x p) above the caps before deriving', async () => {
    const started = Date.now();
    const key = 'nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E';
    // 128 * 2^20 * 8 = 1 GiB > the 256 MiB default.
    expect(await errorCode(registry.verify('x', `$scrypt$ln=20,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$${key}`))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    expect(await errorCode(registry.verify('x', `$scrypt$ln=31,r=99999,p=1$aM15713r3Xsvxbi31lqr1Q$${key}`))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    // 16 MiB per pass is fine, a million passes is not.
    expect(await errorCode(registry.verify('x', `$scrypt$ln=14,r=8,p=1000000$aM15713r3Xsvxbi31lqr1Q$${key}`))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    const djangoHuge = 'scrypt$1073741824$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==';
    expect(await errorCode(registry.verify('x', djangoHuge))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    const firebase = vectors.find((candidate) => candidate.scheme === 'firebase_scrypt')!;
    const firebaseHuge = registry.verify('x', firebase.hash, { scheme: 'firebase_scrypt', context: { ...firebase.context, memCost: 30 } });
    expect(await errorCode(firebaseHuge)).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');

    const small = createHashRegistry({ workers: false, limits: { maxScryptMemoryBytes: 1024 * 1024 } });
    expect(await errorCode(small.verify('hashcat', vectors.find((candidate) => candidate.scheme === 'cisco_type9')!.hash))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    expect(await errorCode(small.verify('x', vectors.find((candidate) => candidate.scheme === 'kratos_firescrypt')!.hash))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    await small.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('scrypt family: identify', () => {
  it('claims nothing foreign and never throws', () => {
    const foreign = [
      '',
      '$7$CU..../....aaaaaaaa$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP',
      '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M',
      '$8$84486783037343$pYNyVrtyMalQrZLxRi7ZLQS1Fl.jkYCgASUi5P8JNb2',
      'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
      // Kratos' own $scrypt$ writes N itself and padded base64: not passlib's format.
      '$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=',
      '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD.iCs5E',
    ];
    for (const hash of foreign) {
      for (const scheme of scryptSchemes) expect(scheme.identify?.(hash) ?? false, `${scheme.id} on ${hash}`).toBe(false);
    }
  });
});

describe('scrypt: hash() and upgrades', () => {
  it('writes passlib-format hashes at ln=17, r=8, p=1 (OWASP 2023) that verify and need no upgrade', async () => {
    const hash = await registry.hash('scrypt', 'correct horse');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/u);
    expect(await registry.verify('correct horse', hash)).toEqual({ valid: true, scheme: 'scrypt', needsUpgrade: false, disabled: false });
  });

  it('accepts cheaper options, flags them for upgrade, and validates them', async () => {
    const hash = await registry.hash('scrypt', 'x', { ln: 10, r: 8, p: 1, saltSize: 8 });
    expect(hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{11}\$/u);
    expect(await registry.verify('x', hash)).toMatchObject({ valid: true, needsUpgrade: true });
    expect(await errorCode(registry.hash('scrypt', 'x', { ln: 40 }))).toBe('ERR_LEGACY_IDP_INVALID_INPUT');
    expect(await errorCode(registry.hash('scrypt', 'x', { ln: 22 }))).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
  });

  it('runs through the default registry (threadpool behind the gate)', async () => {
    const defaults = createHashRegistry();
    try {
      const [kratosVector, ciscoVector] = [vectors[8]!, vectors[5]!];
      const results = await Promise.all([defaults.verify(kratosVector.password, kratosVector.hash), defaults.verify(ciscoVector.password, ciscoVector.hash)]);
      expect(results.map((result) => [result.scheme, result.valid])).toEqual([
        ['kratos_firescrypt', true],
        ['cisco_type9', true],
      ]);
    } finally {
      await defaults.close();
    }
  });
});
