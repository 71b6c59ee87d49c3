import { afterAll, describe, expect, it, vi } from 'vitest';
import { itVerifiesKnownVectors, type KnownVector } from './known-vectors.js';
import { createHashRegistry } from '../../src/hashes/registry.js';
import { aixBase64 } from '../../src/hashes/schemes/pbkdf2/aix.js';
import { pbkdf2Schemes } from '../../src/hashes/schemes/pbkdf2/index.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());


const hashcat = 'hashcat/hashcat@d3983edaf22f5370d1bb136c930460bcad2d9f6e src/modules';
const aspnet = 'dotnet/aspnetcore@03741a0a53c95e382c351bc9a2ae0796aded4fa7 src/Identity/test/Identity.Test/PasswordHasherTest.cs';
const django = 'django/django@02dbf1667c6da61ea9346f7c9f174a158b896811 tests/auth_tests/test_hashers.py';
const kratos = 'ory/kratos@029d8a359233d762a897837e3aaf2c4d3a825399 hash/hasher_test.go';
const spring = 'spring-projects/spring-security@9443ef7091ed13ae254383898b65e90976ffc8ed Pbkdf2PasswordEncoderTests.java';
const passlibDocs = 'passlib 1.7 documentation examples (passlib.readthedocs.io lib/passlib.hash.*)';
const python = 'Python 3.11 hashlib.pbkdf2_hmac, format assembled by hand (independent of this code)';
const springContext = { encoder: 'Pbkdf2PasswordEncoder', secret: 'secret', iterations: 185000, hashWidth: 256, saltLength: 8 };
const keycloakSalt = 'AAECAwQFBgcICQoLDA0ODw==';

function keycloakJson(value: string, iterations: number, algorithm: string): string {
  return JSON.stringify({ secretData: { value, salt: keycloakSalt }, credentialData: { hashIterations: iterations, algorithm } });
}

const vectors: KnownVector[] = [
  { scheme: 'pbkdf2_sha256', password: 'password', hash: '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M', source: passlibDocs },
  { scheme: 'pbkdf2_sha256', password: 'password', hash: '$pbkdf2-sha256$8000$XAuBMIYQQogxRg$tRRlz8hYn63B9LYiCd6PRo6FMiunY9ozmMMI3srxeRE', source: passlibDocs },
  {
    scheme: 'pbkdf2_sha512',
    password: 'pässwörd 🔑',
    hash: '$pbkdf2-sha512$1000$AQIDBAUGBwgJCgsMDQ4PEA$9t0SA8giUmeG5uju4JcRP66FhvGzovakDzkWipz0E23IRFNIRKHVFBT2IWsHXv6Pmqsr8XXoDG/ESqQqeYU4mg',
    source: python,
  },
  { scheme: 'pbkdf2_sha1', password: 'x'.repeat(100), hash: '$pbkdf2$1000$AQIDBAUGBwg$t8KmWhv5S9F4xrXObg6t7o.dxrw', source: python },
  { scheme: 'ldap_pbkdf2_sha1', password: 'secret', hash: '{PBKDF2}10000$aG/gUnHI4t/qanI7sLVmLg$RKw9Aa3J75L0kEU0aZPVwjt4XM8', source: 'slappasswd 2.5.13 pw-pbkdf2 -h {PBKDF2}' },
  { scheme: 'ldap_pbkdf2_sha1', password: 'secret', hash: '{PBKDF2-SHA1}10000$H/uW36uCXTD2MCZqDwRGtw$mFGaMXf/beg8z4hZKqLcwOt0jsQ', source: 'slappasswd 2.5.13 pw-pbkdf2 -h {PBKDF2-SHA1}' },
  { scheme: 'ldap_pbkdf2_sha256', password: 'secret', hash: '{PBKDF2-SHA256}10000$w8kQULyFJLpKe8eaI53Qgw$lhKMI4fO0NmLL.frv5j0bDxyuVBSRFFtySXlz05am3c', source: 'slappasswd 2.5.13 pw-pbkdf2' },
  {
    scheme: 'ldap_pbkdf2_sha512',
    password: 'secret',
    hash: '{PBKDF2-SHA512}10000$q5Ssv9RFjYWlKaLXcvAlcA$uc89m2AgeXZVW265fHKeKB3awgITTIYpAaWVy7gc0VU/S.S0O3OYTzeO0TAqOtNX2G.hP.QjlC6pMcC0mGUvFw',
    source: 'slappasswd 2.5.13 pw-pbkdf2',
  },
  { scheme: 'django_pbkdf2_sha256', password: 'lètmein', hash: 'pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=', source: django },
  { scheme: 'django_pbkdf2_sha256', password: 'hashcat', hash: 'pbkdf2_sha256$10000$1135411628$bFYX62rfJobJ07VwrUMXfuffLfj2RDM2G6/BrTrUWkE=', source: `${hashcat}/module_10000.c` },
  { scheme: 'django_pbkdf2_sha256', password: 'pässwörd 🔑', hash: 'pbkdf2_sha256$1000$s4lt$/t7SaIG01uig0zfK++S20/waT7FxB+1hu9akqp1CeMw=', source: python },
  { scheme: 'django_pbkdf2_sha1', password: 'lètmein', hash: 'pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=', source: django },
  { scheme: 'aspnet_identity', password: 'my password', hash: 'AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==', source: aspnet },
  { scheme: 'aspnet_identity', password: 'my password', hash: 'AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw==', source: aspnet },
  { scheme: 'aspnet_identity', password: 'my password', hash: 'AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw', source: aspnet },
  { scheme: 'aspnet_identity', password: 'my password', hash: 'AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M', source: aspnet },
  {
    scheme: 'aspnet_membership_sha1',
    password: 'hashcat',
    hash: 'ZUgAmuaYTqAvisD0A427FA3oaWU=',
    context: { salt: 'MjEwNA==', algorithm: 'SHA1', passwordFormat: 1 },
    source: `${hashcat}/module_00141.c`,
  },
  {
    scheme: 'aspnet_membership_sha256',
    password: 'hashcat',
    hash: '8BFCg/YJBAuZs/wjbH3OWKe69BLr5Lao26ybpnD48Zk=',
    context: { salt: 'NDg1NTIz', algorithm: 'SHA256', passwordFormat: 1 },
    source: `${hashcat}/module_01441.c`,
  },
  { scheme: 'atlassian_pbkdf2_sha1', password: 'hashcat', hash: '{PKCS5S2}NTczNTY0NDY2NjQyNzU1Mx8gGiRGobaZYwumctGHbn2ZOHB8LkwzH+Z1gkWfy1zD', source: `${hashcat}/module_12001.c` },
  { scheme: 'cta_pbkdf2_sha1', password: 'password', hash: '$p5k2$2710$oX9ZZOcNgYoAsYL-8bqxKg==$AU2JLf2rNxWoZxWxRCluY0u6h6c=', source: passlibDocs },
  { scheme: 'dlitz_pbkdf2_sha1', password: 'password', hash: '$p5k2$2710$.pPqsEwHD7MiECU0$b8TQ5AMQemtlaSgegw5Je.JBE3QQhLbO', source: passlibDocs },
  {
    scheme: 'grub_pbkdf2_sha512',
    password: 'secret',
    hash: 'grub.pbkdf2.sha512.10000.00112233445566778899AABBCCDDEEFF0123456789ABCDEF0123456789ABCDEF.102857DAB62CCCBD6AC1AF72E7963BB6A10F391D3B0A1EECECA696F6073086CC91867DF0439D5F1561121B81283B14ADC99FAC181CF2E38EE8E9CFBD17945B4C',
    source: python,
  },
  { scheme: 'web2py_pbkdf2', password: 'hashcat', hash: 'pbkdf2(1000,20,sha512)$744943$c5f8cdef76e3327c908d8d96d4abdb3d8caba14c', source: `${hashcat}/module_21600.c` },
  { scheme: 'cisco_type8', password: 'hashcat', hash: '$8$84486783037343$pYNyVrtyMalQrZLxRi7ZLQS1Fl.jkYCgASUi5P8JNb2', source: `${hashcat}/module_09200.c` },
  { scheme: 'spring_pbkdf2', password: 'password', hash: 'ab1146a8458d4ce4e65789e5a3f60e423373cfa10b01abd23739e5ae2fdc37f8e9ede4ae6da65264', context: { ...springContext, algorithm: 'PBKDF2WithHmacSHA1', encoding: 'hex' }, source: spring },
  { scheme: 'spring_pbkdf2', password: 'password', hash: '3FOwOMcDgxP+z1x/sv184LFY2WVD+ZGMgYP3LPOSmCcDmk1XPYvcCQ==', context: { ...springContext, algorithm: 'PBKDF2WithHmacSHA1', encoding: 'base64' }, source: spring },
  { scheme: 'spring_pbkdf2', password: 'password', hash: '821447f994e2b04c5014e31fa9fca4ae1cc9f2188c4ed53d3ddb5ba7980982b51a0ecebfc0b81a79', context: { ...springContext, algorithm: 'PBKDF2WithHmacSHA256', encoding: 'hex' }, source: spring },
  // Keycloak has published no vector with a known password: these are derived with Python's hashlib.
  { scheme: 'keycloak_pbkdf2', password: 'secret', hash: keycloakJson('IV4uxR7IzUYMiRgv8ZryKUDLRDCM2XJ01CHu2dI4+4GPqe0Dmxn/x925Tax0UAnwLWJpbMBdbuFqqnMvK8ReJQ==', 27500, 'pbkdf2'), source: python },
  {
    scheme: 'keycloak_pbkdf2_sha256',
    password: 'secret',
    hash: keycloakJson('qJW2u7hW9vzPcJvAhg8mwG3lRB5o5/AaBk6+U5mKi3Rl5lxk6l1ALi4CP4b/CBRM6uR47J5Luefgg4jaA9VRZg==', 27500, 'pbkdf2-sha256'),
    source: python,
  },
  {
    scheme: 'keycloak_pbkdf2_sha512',
    password: 'secret',
    // The CREDENTIAL table form: both columns are JSON strings.
    hash: JSON.stringify({
      secretData: JSON.stringify({ value: 'bh1CyNbqO8E74L/vu45as7NSq2mTLFzVbvIO6tmSSMMMV41Ro34I9A+dvEB5LsShDkw5/L5GVQXdRIN7d4Wp6Q==', salt: keycloakSalt, additionalParameters: {} }),
      credentialData: JSON.stringify({ hashIterations: 210000, algorithm: 'pbkdf2-sha512', additionalParameters: {} }),
    }),
    source: python,
  },
  {
    scheme: 'pbkdf2_password_hash',
    password: 'secret',
    hash: 'sha512$1000$64$KavUPAo0Zawh/wqm/oPmd5cA5lBgyMbvw4Av8pfaCbm4/BNtsKF2xQ3WRFOrtMlUmITK4piEUrmEPxSvgQ6RLw==$wKjfEwzecULnMdCiFJUey4EtI2g8aKwZ8VkN5RIx6ht1PLrTxciyYpxqnGvOaX43ZE2KhaBoKTrKq70deMexxA==',
    source: 'npm pbkdf2-password-hash 3.1.1 hash()',
  },
  { scheme: 'pbkdf2_password_hash', password: 'pässwörd 🔑', hash: 'sha256$2000$32$aG5xRzNR/LA193/ZYQQ31Q==$qTrVCgPnjgmeUnWabIzbW8rQPIo5kiB6jjkBLOdpC6Q=', source: 'npm pbkdf2-password-hash 3.1.1 hash()' },
  { scheme: 'pbkdf2_password_hash', password: 'hunter2', hash: 'sha1$1500$20$4QDQsWHtOrQ=$JFyvisKuHMMAP2Sv65rD4Ww0eJ8=', source: 'npm pbkdf2-password-hash 3.1.1 hash()' },
  {
    scheme: 'ds389_pbkdf2_sha256',
    password: 'hashcat',
    hash: '{PBKDF2_SHA256}AAAgADkxMjM2NTIzMzgzMjQ3MjI4MDAwNTk5OTAyOTk4NDI2MjkyMzAzNjg0NjQwOTMxNjI3OTMzNjg0MDI0OTY5NTe5ULagRTYpLaUoeqJMg8x9W/DXu+9VTFaVhaYvebYrY+sOqn1ZMRnws22C1uAkiE2tFM8qN+xw5xe7OmCPZ203NuruK4oB33QlsKIEz4ppm0TR94JB9PJx7lIQwFHD3FUNUNryj4jk6UYyJ4+V1Z9Ug/Iy/ylQBJgfs5ihzgxHYZrfp1wUCXFzlZG9mxmziPm8VFnAhaX4+FBAZvLAx33jpbKOwEg7TmwP2VJ8BNFLQRqwYdlqIjQlAhncXH+dqIF9VdM4MonAA0hx76bMvFTP7LF5VO1IqVmcuYz7YG9v4KKRjnvoUUqOj6okUBQTay3EzsdFVnUW1FemYOccJd5q',
    source: `${hashcat}/module_10901.c`,
  },
  { scheme: 'dovecot_pbkdf2', password: 'secret', hash: '{PBKDF2}$1$4yCmUV6NZXEIuoP2$5000$46cd2ed86f225baff60f71791104288bcfeb296d', source: 'doveadm 2.3.19.1 pw -s PBKDF2' },
  { scheme: 'dovecot_pbkdf2', password: 'secret', hash: '{PBKDF2}$1$ApX0yjBX6PGOKSeG$1234$3ac2e247c9b9bd39b4a5e9e6c769071a4f69ba07', source: 'doveadm 2.3.19.1 pw -s PBKDF2 -r 1234' },
  { scheme: 'aix_ssha1', password: 'hashcat', hash: '{ssha1}06$5586485655847243$V5f1Ff1y4dr7AWeVSSdv6N52..Y', source: `${hashcat}/module_06700.c` },
  { scheme: 'aix_ssha256', password: 'hashcat', hash: '{ssha256}06$2715084824104660$1s/s4RZWEcvZ5VuWPXWGUfwSoG07eVSVce8F6ANJ.g4', source: `${hashcat}/module_06400.c` },
  {
    scheme: 'aix_ssha512',
    password: 'hashcat',
    hash: '{ssha512}06$4653718755856803$O04nVHL7iU9Jguy/B3Yow.veBM52irn.038Y/Ln6AMy/BG8wbU6ozSP8/W9KDZPUbhdsbl1lf8px.vKJS1S/..',
    source: `${hashcat}/module_06500.c`,
  },
  { scheme: 'kratos_pbkdf2', password: 'test', hash: '$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI', source: kratos },
  { scheme: 'kratos_pbkdf2', password: 'test', hash: '$pbkdf2-sha512$i=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc', source: kratos },
  { scheme: 'kratos_pbkdf2', password: 'pässwörd 🔑', hash: '$pbkdf2-sha1$i=1000,l=20$AQIDBAUGBwgJCgsMDQ4PEA$Xne6NO1p/KAb+/h/eMn/XxN7gN0', source: python },
];

async function verdict(password: string, hash: string, scheme: string, context?: Record<string, unknown>): Promise<boolean> {
  return (await registry.verify(password, hash, context === undefined ? { scheme } : { scheme, context })).valid;
}

async function errorCode(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
}

describe('pbkdf2 family: known vectors', () => {
  it('registers every id of the family once', () => {
    const ids = pbkdf2Schemes.map((scheme) => scheme.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const scheme of pbkdf2Schemes) expect(scheme.family).toBe('pbkdf2');
    const covered = new Set(vectors.map((vector) => vector.scheme));
    for (const id of ids) expect(covered, id).toContain(id);
  });

  itVerifiesKnownVectors(registry, vectors, { identifyFirst: true });

  it('rejects the empty password for every vector', async () => {
    for (const vector of vectors) expect(await verdict('', vector.hash, vector.scheme, vector.context)).toBe(false);
  });
});

describe('pbkdf2 family: owner-specific behaviour', () => {
  it('Keycloak compares base64 texts: the right password against a value without its padding is false', async () => {
    const padded = 'IV4uxR7IzUYMiRgv8ZryKUDLRDCM2XJ01CHu2dI4+4GPqe0Dmxn/x925Tax0UAnwLWJpbMBdbuFqqnMvK8ReJQ==';
    expect((await registry.verify('secret', keycloakJson(padded, 27500, 'pbkdf2'))).valid).toBe(true);
    expect((await registry.verify('secret', keycloakJson(padded.replace(/=+$/u, ''), 27500, 'pbkdf2'))).valid).toBe(false);
  });

  it('ASP.NET Identity answers false, as PasswordHasher does, for blobs whose lengths do not add up', async () => {
    // dotnet/aspnetcore PasswordHasherTest VerifyHashedPassword_FailureCases.
    for (const hash of [
      'AAABAgMEBQYHCAkKCwwNDg+uAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALtH1uJg==',
      'AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggE=',
      'AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJgAAAAAAAAAAAAA=',
      'AQAAAAAAAAD6AAAAEAhftMyfTJyAAAAAAAAAAAAAAAAAAAih5WsjXaR3PA9M',
      'AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4A=',
      'AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHwAAAAAAAAAAAA',
    ]) {
      expect(await verdict('my password', hash, 'aspnet_identity')).toBe(false);
    }
  });

  it('ASP.NET Membership: clear text, encrypted and keyed formats', async () => {
    const salt = 'MjEwNA==';
    expect(await verdict('p@ss', 'p@ss', 'aspnet_membership_sha1', { salt, passwordFormat: 0 })).toBe(true);
    expect(await verdict('p@sS', 'p@ss', 'aspnet_membership_sha1', { salt, passwordFormat: 0 })).toBe(false);
    const encrypted = registry.verify('x', 'c2VjcmV0', { scheme: 'aspnet_membership_sha1', context: { salt, passwordFormat: 2 } });
    await expect(encrypted).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_UNSUPPORTED', message: expect.stringContaining('machineKey') as unknown });
    const keyed = registry.verify('x', 'ZUgAmuaYTqAvisD0A427FA3oaWU=', { scheme: 'aspnet_membership_sha1', context: { salt, algorithm: 'HMACSHA256' } });
    expect(await errorCode(keyed)).toBe('ERR_LEGACY_IDP_HASH_UNSUPPORTED');
    expect(await errorCode(registry.verify('hashcat', 'ZUgAmuaYTqAvisD0A427FA3oaWU=', { scheme: 'aspnet_membership_sha1' }))).toBe('ERR_LEGACY_IDP_HASH_CONTEXT');
    const otherDigest = registry.verify('hashcat', 'ZUgAmuaYTqAvisD0A427FA3oaWU=', { scheme: 'aspnet_membership_sha1', context: { salt, algorithm: 'SHA256' } });
    expect(await errorCode(otherDigest)).toBe('ERR_LEGACY_IDP_HASH_CONTEXT');
  });

  it('Spring: the secret is part of the salt, and the encoding must be the one the encoder used', async () => {
    const hash = 'ab1146a8458d4ce4e65789e5a3f60e423373cfa10b01abd23739e5ae2fdc37f8e9ede4ae6da65264';
    expect(await verdict('password', hash, 'spring_pbkdf2', { ...springContext, secret: 'other' })).toBe(false);
    const wrongEncoding = registry.verify('password', '3FOwOMcDgxP+z1x/sv184LFY2WVD+ZGMgYP3LPOSmCcDmk1XPYvcCQ==', { scheme: 'spring_pbkdf2', context: springContext });
    expect(await errorCode(wrongEncoding)).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
    expect(await errorCode(registry.verify('password', hash, { scheme: 'spring_pbkdf2', context: { algorithm: 'MD5' } }))).toBe('ERR_LEGACY_IDP_HASH_CONTEXT');
  });

  it('dlitz: rounds may be omitted (400), and the whole configuration string is the PBKDF2 salt', async () => {
    // Built from python-pbkdf2's rule: key = PBKDF2-SHA1(password, "$p5k2$$salt", 400, 24), ab64-encoded.
    const { pbkdf2Sync } = await import('node:crypto');
    const config = '$p5k2$$saltsalt';
    const key = pbkdf2Sync('secret', config, 400, 24, 'sha1').toString('base64').replace(/\+/gu, '.');
    expect(await verdict('secret', `${config}$${key}`, 'dlitz_pbkdf2_sha1')).toBe(true);
    expect(await verdict('secret', `$p5k2$190$saltsalt$${key}`, 'dlitz_pbkdf2_sha1')).toBe(false);
  });

  it('AIX base64 drops the bits a short final group cannot hold', () => {
    expect(aixBase64(Buffer.from([0xff]))).toBe('..');
    expect(aixBase64(Buffer.from([0x00, 0x00, 0x01]))).toBe('/...');
  });

  it('Keycloak: a credential whose algorithm belongs to another id is refused', async () => {
    const hash = keycloakJson('qJW2u7hW9vzPcJvAhg8mwG3lRB5o5/AaBk6+U5mKi3Rl5lxk6l1ALi4CP4b/CBRM6uR47J5Luefgg4jaA9VRZg==', 27500, 'pbkdf2-sha256');
    expect(await errorCode(registry.verify('secret', hash, { scheme: 'keycloak_pbkdf2_sha512' }))).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
    expect(registry.identify(hash)).toEqual(['keycloak_pbkdf2_sha256']);
  });
});

describe('pbkdf2 family: malformed hashes and cost caps', () => {
  const malformedCases: [string, string, Record<string, unknown>?][] = [
    ['pbkdf2_sha256', '$pbkdf2-sha256$0600$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M'],
    ['pbkdf2_sha256', '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9'],
    ['pbkdf2_sha512', '$pbkdf2-sha512$1000$A$9t0SA8giUmeG5uju4JcRP66FhvGzovakDzkWipz0E23IRFNIRKHVFBT2IWsHXv6Pmqsr8XXoDG/ESqQqeYU4mg'],
    ['pbkdf2_sha1', '$pbkdf2$0$AQIDBAUGBwg$t8KmWhv5S9F4xrXObg6t7o.dxrw'],
    ['ldap_pbkdf2_sha256', '{PBKDF2-SHA256}10000$w8kQULyFJLpKe8eaI53Qgw$'],
    ['django_pbkdf2_sha256', 'pbkdf2_sha256$abc$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c='],
    ['aspnet_identity', 'AgAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw=='],
    ['aspnet_identity', 'not base64!'],
    ['aspnet_membership_sha1', 'ZUgAmuaYTqAvisD0A427FA3o', { salt: 'MjEwNA==' }],
    ['atlassian_pbkdf2_sha1', '{PKCS5S2}NTczNTY0NDY2NjQyNzU1Mx8gGiRGobaZYwumctGHbn2ZOHB8LkwzH+Z1gkWfy1z'],
    ['cta_pbkdf2_sha1', '$p5k2$2710$oX9ZZOcNgYoAsYL-8bqxKg==$AU2JLf2rNxWoZxWxRCluY0u6h6c'],
    ['dlitz_pbkdf2_sha1', '$p5k2$02710$.pPqsEwHD7MiECU0$b8TQ5AMQemtlaSgegw5Je.JBE3QQhLbO'],
    ['grub_pbkdf2_sha512', 'grub.pbkdf2.sha512.10000.ABC.DEF'],
    ['web2py_pbkdf2', 'pbkdf2(1000,21,sha512)$744943$c5f8cdef76e3327c908d8d96d4abdb3d8caba14c'],
    ['cisco_type8', '$8$8448678303734$pYNyVrtyMalQrZLxRi7ZLQS1Fl.jkYCgASUi5P8JNb2'],
    ['keycloak_pbkdf2_sha256', '{"secretData":{"value":"%%%","salt":"AA=="},"credentialData":{"hashIterations":1}}'],
    ['keycloak_pbkdf2_sha256', '{"secretData":'],
    ['pbkdf2_password_hash', 'sha512$1000$64$!!$wKjf'],
    ['ds389_pbkdf2_sha256', '{PBKDF2_SHA256}AAAgADkx'],
    ['dovecot_pbkdf2', '{PBKDF2}$1$4yCmUV6NZXEIuoP2$5000$46CD2ED86F225BAFF60F71791104288BCFEB296D'],
    ['aix_ssha256', '{ssha256}06$2715084824104660$1s/s4RZWEcvZ5VuWPXWGUfwSoG07eVSVce8F6ANJ.g'],
    ['kratos_pbkdf2', '$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc=$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI'],
    ['spring_pbkdf2', 'ab1146a8'],
  ];
  it.each(malformedCases)('%s rejects %s', async (scheme, hash, context) => {
    expect(await errorCode(registry.verify('secret', hash, context === undefined ? { scheme } : { scheme, context }))).toBe('ERR_LEGACY_IDP_HASH_MALFORMED');
  });

  it('malformed messages never quote the hash', async () => {
    const hash = 'pbkdf2_sha256$abc$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=';
    await expect(registry.verify('secret', hash, { scheme: 'django_pbkdf2_sha256' })).rejects.toSatisfy((error: Error) => !error.message.includes('seasalt'));
  });

  it('refuses iteration counts above the cap before deriving', async () => {
    const capped = createHashRegistry({ workers: false, limits: { maxPbkdf2Iterations: 5000 } });
    const started = Date.now();
    const cases: [string, string, Record<string, unknown>?][] = [
      ['pbkdf2_sha256', '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M'],
      ['django_pbkdf2_sha1', 'pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I='],
      ['aspnet_identity', 'AQAAAAEAACcQAAAAEAABAgMEBQYHCAkKCwwNDg+yWU7rLgUwPZb1Itsmra7cbxw2EFpwpVFIEtP+JIuUEw=='],
      ['atlassian_pbkdf2_sha1', '{PKCS5S2}NTczNTY0NDY2NjQyNzU1Mx8gGiRGobaZYwumctGHbn2ZOHB8LkwzH+Z1gkWfy1zD'],
      ['cta_pbkdf2_sha1', '$p5k2$ffffffff$oX9ZZOcNgYoAsYL-8bqxKg==$AU2JLf2rNxWoZxWxRCluY0u6h6c='],
      ['cisco_type8', '$8$84486783037343$pYNyVrtyMalQrZLxRi7ZLQS1Fl.jkYCgASUi5P8JNb2'],
      ['ds389_pbkdf2_sha256', vectors.find((vector) => vector.scheme === 'ds389_pbkdf2_sha256')!.hash],
      ['dovecot_pbkdf2', '{PBKDF2}$1$4yCmUV6NZXEIuoP2$999999999$46cd2ed86f225baff60f71791104288bcfeb296d'],
      ['aix_ssha1', '{ssha1}31$5586485655847243$V5f1Ff1y4dr7AWeVSSdv6N52..Y'],
      ['kratos_pbkdf2', '$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI'],
      ['spring_pbkdf2', 'ab1146a8458d4ce4e65789e5a3f60e423373cfa10b01abd23739e5ae2fdc37f8e9ede4ae6da65264', springContext],
      ['keycloak_pbkdf2_sha512', keycloakJson(Buffer.alloc(64).toString('base64'), 210000, 'pbkdf2-sha512')],
    ];
    for (const [scheme, hash, context] of cases) {
      const promise = capped.verify('secret', hash, context === undefined ? { scheme } : { scheme, context });
      expect(await errorCode(promise), scheme).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    }
    // Under the default cap of 10^7 a corrupt count is refused too, and nothing was derived on the way.
    const huge = registry.verify('secret', '$pbkdf2-sha256$99999999999$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M');
    expect(await errorCode(huge)).toBe('ERR_LEGACY_IDP_HASH_COST_LIMIT');
    expect(Date.now() - started).toBeLessThan(1000);
    await capped.close();
  });
});

describe('pbkdf2 family: identify', () => {
  it('claims nothing foreign and never throws', () => {
    const foreign = [
      '',
      '$2b$12$abcdefghijklmnopqrstuu5Xv8b7I1Gn1B3e2oIrYqvZXtZg3F/2O',
      '$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E',
      '{SSHA}abcdefghijklmnopqrstuvwxyzABCD==',
      '5f4dcc3b5aa765d61d8327deb882cf99',
      'ZUgAmuaYTqAvisD0A427FA3oaWU=',
      '{"secretData":',
      '{"a":1}',
      'sha1$salt$abcdef',
      '$pbkdf2-sha256$i=abc,l=32$AA$AA',
    ];
    for (const hash of foreign) {
      for (const scheme of pbkdf2Schemes) expect(scheme.identify?.(hash) ?? false, `${scheme.id} on ${hash}`).toBe(false);
    }
  });

  it('tells the look-alike pairs apart', () => {
    expect(registry.identify('{PBKDF2}$1$4yCmUV6NZXEIuoP2$5000$46cd2ed86f225baff60f71791104288bcfeb296d')).toEqual(['dovecot_pbkdf2']);
    expect(registry.identify('{PBKDF2}10000$aG/gUnHI4t/qanI7sLVmLg$RKw9Aa3J75L0kEU0aZPVwjt4XM8')).toEqual(['ldap_pbkdf2_sha1']);
    expect(registry.identify('{pbkdf2-sha256}10000$w8kQULyFJLpKe8eaI53Qgw$lhKMI4fO0NmLL.frv5j0bDxyuVBSRFFtySXlz05am3c')).toEqual(['ldap_pbkdf2_sha256']);
    expect(registry.identify('$p5k2$2710$oX9ZZOcNgYoAsYL-8bqxKg==$AU2JLf2rNxWoZxWxRCluY0u6h6c=')).toEqual(['cta_pbkdf2_sha1']);
    expect(registry.identify('$p5k2$2710$.pPqsEwHD7MiECU0$b8TQ5AMQemtlaSgegw5Je.JBE3QQhLbO')).toEqual(['dlitz_pbkdf2_sha1']);
    expect(registry.identify('$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI')).toEqual(['kratos_pbkdf2']);
  });
});

describe('pbkdf2_sha256: hash() and upgrades', () => {
  it('writes passlib-format hashes at 600,000 rounds that verify and need no upgrade', async () => {
    const hash = await registry.hash('pbkdf2_sha256', 'correct horse');
    expect(hash).toMatch(/^\$pbkdf2-sha256\$600000\$[A-Za-z0-9./]{22}\$[A-Za-z0-9./]{43}$/u);
    expect(await registry.verify('correct horse', hash)).toEqual({ valid: true, scheme: 'pbkdf2_sha256', needsUpgrade: false, disabled: false });
    expect((await registry.verify('correct horsf', hash)).valid).toBe(false);
  });

  it('flags weaker PBKDF2 hashes for upgrade', async () => {
    const old = '$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M';
    expect((await registry.verify('password', old)).needsUpgrade).toBe(true);
    expect((await registry.verify('lètmein', 'pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=')).needsUpgrade).toBe(true);
  });

  it('validates hash() options', async () => {
    expect(await errorCode(registry.hash('pbkdf2_sha256', 'x', { rounds: 10 }))).toBe('ERR_LEGACY_IDP_INVALID_INPUT');
    expect(await errorCode(registry.hash('pbkdf2_sha256', 'x', { saltSize: 2 }))).toBe('ERR_LEGACY_IDP_INVALID_INPUT');
    const fast = await registry.hash('pbkdf2_sha256', 'x', { rounds: 1000, saltSize: 8 });
    expect(fast).toMatch(/^\$pbkdf2-sha256\$1000\$[A-Za-z0-9./]{11}\$/u);
  });

  it('runs through the default registry (threadpool behind the gate)', async () => {
    const defaults = createHashRegistry();
    try {
      const results = await Promise.all(
        vectors.filter((vector) => vector.scheme === 'ldap_pbkdf2_sha512' || vector.scheme === 'cisco_type8').map((vector) => defaults.verify(vector.password, vector.hash)),
      );
      expect(results.map((result) => result.valid)).toEqual([true, true]);
    } finally {
      await defaults.close();
    }
  });
});

describe('Keycloak credential identification', () => {
  it('claims credential JSON (whitespace allowed) and turns `{SCHEME}` hashes away without parsing them', () => {
    const registry = createHashRegistry({ workers: false });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const spaced = `  { "secretData": { "value": "${'A'.repeat(86)}==", "salt": "${keycloakSalt}" }, "credentialData": { "hashIterations": 27500, "algorithm": "pbkdf2-sha256" } }`;
      expect(registry.identify(spaced)).toEqual(['keycloak_pbkdf2_sha256']);
      parse.mockClear();
      expect(registry.identify(`{SSHA}${Buffer.alloc(28, 7).toString('base64')}`)).toEqual(['ldap_salted_sha1', 'dovecot_ssha']);
      // `auto` identification runs per sign-in: a JSON.parse (and its exception) per scheme was most of its cost.
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
      void registry.close();
    }
  });
});
