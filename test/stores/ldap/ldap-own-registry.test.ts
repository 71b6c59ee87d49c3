/**
 * Compare mode without a `registry` option builds one of its own on first use; close() must close it (its hash
 * workers: it never did), and sign-ins that come together share one build.
 * The registry module is wrapped to count what it builds and closes; the registries themselves are real.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';

const built = vi.hoisted(() => ({ count: 0, closed: 0 }));
vi.mock('../../../src/hashes/registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/hashes/registry.js')>();
  return {
    ...real,
    createHashRegistry: (...args: Parameters<typeof real.createHashRegistry>) => {
      const registry = real.createHashRegistry(...args);
      built.count += 1;
      return {
        ...registry,
        close: async () => {
          built.closed += 1;
          await registry.close();
        },
      };
    },
  };
});

const { ldapUserStore } = await import('../../../src/stores/ldap/ldap-store.js');

const people = 'ou=people,dc=example,dc=org';
const password = `Own ${randomBytes(9).toString('base64url')}`;
const salt = randomBytes(8);
const storedHash = `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;

describeWithService('slapd', 'LDAP store, compare mode: the registry it builds for itself', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({ extraLdif: [`dn: uid=own,${people}`, 'objectClass: inetOrgPerson', 'uid: own', 'cn: own', 'sn: Own', `userPassword: ${storedHash}`].join('\n') });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  it('is built once for sign-ins that come together and closed by close()', async () => {
    const before = { ...built };
    const store = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword }, bind: { mode: 'compare', baseDn: slapd.baseDn } });
    const answers = await Promise.all([store.verify({ username: 'own', password }), store.verify({ username: 'own', password: 'wrong' }), store.verify({ username: 'own', password })]);
    expect(answers.map((answer) => answer.status)).toEqual(['valid', 'invalid', 'valid']);
    expect(built.count - before.count).toBe(1);
    await store.close?.();
    // Before: never closed.
    expect(built.closed - before.closed).toBe(1);
  });
});
