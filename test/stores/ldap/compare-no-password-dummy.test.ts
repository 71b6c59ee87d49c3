/**
 * Compare mode, an entry without userPassword: the answer (`invalid`, as slapd refuses such a bind) must cost
 * the dummy check first, as in the LDIF and record stores, or its quick answer tells such accounts apart from
 * accounts with a hash. The dummy check verifies a stored value the store has compared before, so an unknown
 * user (dummyVerify, through the Authenticator) costs a hash verification too. Observed through the registry's
 * calls, not through timing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import { createHashRegistry, type HashRegistry } from '../../../src/hashes/registry.js';
import { ldapUserStore } from '../../../src/stores/ldap/ldap-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';
import { recordingRegistry } from '../../harness/recording-registry.js';

function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

const people = 'ou=people,dc=example,dc=org';
const password = `Hashed ${randomBytes(9).toString('base64url')}`;
const storedHash = ssha(password);
const entry = (uid: string, lines: string[]): string => [`dn: uid=${uid},${people}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, 'sn: Dummy', ...lines].join('\n');

const base = createHashRegistry({ workers: false });
afterAll(() => base.close());

describeWithService('slapd', 'LDAP store, compare mode: an entry without userPassword costs the dummy check', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({ extraLdif: [entry('hashed', [`userPassword: ${storedHash}`]), entry('nopassword', [])].join('\n\n') });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  const compareStore = (registry: HashRegistry) =>
    ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword }, bind: { mode: 'compare', baseDn: slapd.baseDn }, registry });

  it('verifies a stored value before answering an entry without userPassword, and for an unknown user', async () => {
    const recording = recordingRegistry(base);
    const store = compareStore(recording.registry);
    try {
      // A wrong password on an entry with a hash: the work every such answer costs.
      expect(await store.verify({ username: 'hashed', password: `${password}x` })).toMatchObject({ status: 'invalid', reason: 'wrong_password' });
      expect(recording.calls).toHaveLength(1);

      const typed = `typed ${randomBytes(6).toString('base64url')}`;
      const outcome = await store.verify({ username: 'nopassword', password: typed });
      expect(outcome).toMatchObject({ status: 'invalid', reason: 'wrong_password', detail: 'no userPassword', subjectId: `uid=nopassword,${people}` });
      // The dummy check ran: the typed password against a value the directory stores.
      expect(recording.calls.filter((call) => call.password === typed).map((call) => call.hash)).toEqual([storedHash]);

      // An unknown user costs the same through the Authenticator's dummyVerify.
      const unknown = `unknown ${randomBytes(6).toString('base64url')}`;
      const { outcome: unknownOutcome } = await createAuthenticator({ verifier: store }).authenticate({ username: 'no-such-user', password: unknown });
      expect(unknownOutcome.status).toBe('unknown_user');
      expect(recording.calls.filter((call) => call.password === unknown).map((call) => call.hash)).toEqual([storedHash]);

      // The right password still signs in; the dummy never does.
      expect((await store.verify({ username: 'hashed', password })).status).toBe('valid');
      expect((await store.verify({ username: 'nopassword', password })).status).toBe('invalid');
    } finally {
      await store.close?.();
    }
  });
});
