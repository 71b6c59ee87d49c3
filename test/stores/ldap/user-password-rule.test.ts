/**
 * The one rule for several userPassword values (src/stores/ldap/user-password.ts, docs/stores/ldap.md), pinned
 * with the same entries and the same expectations for the LDIF store and for the LDAP store in compare mode
 * against slapd. Before the rule was shared the two stores disagreed: the LDIF store answered `unavailable` to
 * a wrong password on an entry with one uncheckable value (which the lockout never counts), the LDAP store
 * decoded a non-UTF-8 value with replacement characters (so a typed "caf\uFFFD" signed in) and let a marker
 * after a matching value go unseen.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/core/authenticator.js';
import type { UserStore } from '../../../src/core/contracts.js';
import { createHashRegistry } from '../../../src/hashes/index.js';
import type { HashScheme } from '../../../src/hashes/types.js';
import { createLockoutPolicy } from '../../../src/lockout/index.js';
import { ldapUserStore } from '../../../src/stores/ldap/ldap-store.js';
import { ldifUserStore } from '../../../src/stores/ldap/ldif-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';

/** `{SSHA}`: base64(sha1(password + salt) + salt), the RFC 2307 / OpenLDAP layout, built here with node:crypto. */
function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password, 'utf8').update(salt).digest(), salt]).toString('base64')}`;
}

/** A marker scheme of the test's own: no built-in scheme claims a `{...}` value as a locked-account marker. */
const lockedMarker: HashScheme = {
  id: 'test_locked_marker',
  family: 'marker',
  summary: 'test: {LOCKED} marks a locked entry',
  example: '{LOCKED}',
  source: 'this test',
  execution: 'inline',
  upgradeAdvice: 'none',
  identify: (hash) => hash.startsWith('{LOCKED}'),
  verify: () => 'disabled',
};

const right = `right ${randomBytes(6).toString('base64url')}`;
const clear = `clear ${randomBytes(6).toString('base64url')}`;
const wrong = `wrong ${randomBytes(6).toString('base64url')}`;
/** "café" in Latin-1: an octet string slapd keeps as it is, and no UTF-8 text. */
const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
/** What a lossy UTF-8 decoding of `latin1` gives, and so what a typed password would have to be to match it. */
const replaced = 'caf\uFFFD';

type Value = string | Buffer;
type Expected = Record<string, unknown>;
interface RuleCase {
  uid: string;
  values: Value[];
  /** Password -> the outcome both stores must give. */
  answers: Array<[string, Expected]>;
}

const wrongBecause = (code: string): Expected => ({
  status: 'invalid',
  reason: 'wrong_password',
  detail: `1 of 2 userPassword values could not be checked (${code})`,
  // Named, so the Authenticator counts the failure against the account.
  subjectId: expect.any(String) as unknown,
});
const misconfigured = (code: string): Expected => ({ status: 'unavailable', reason: 'misconfigured', error: { code } });

const cases: RuleCase[] = [
  {
    // One unknown scheme must not hide a known value that matches; a miss on the known one is a wrong password.
    uid: 'unknown-first',
    values: ['{NOPE}c2VjcmV0', ssha(right)],
    answers: [
      [right, { status: 'valid', scheme: 'ldap_salted_sha1' }],
      [wrong, wrongBecause('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME')],
    ],
  },
  {
    uid: 'unknown-last',
    values: [ssha(right), '{NOPE}c2VjcmV0'],
    answers: [
      [right, { status: 'valid', scheme: 'ldap_salted_sha1' }],
      [wrong, wrongBecause('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME')],
    ],
  },
  {
    // A value without {SCHEME} is clear text and one value among the others.
    uid: 'clear-and-ssha',
    values: [clear, ssha(right)],
    answers: [
      [right, { status: 'valid', scheme: 'ldap_salted_sha1' }],
      [clear, { status: 'valid', scheme: 'ldap_plaintext', needsUpgrade: true }],
      [wrong, { status: 'invalid', reason: 'wrong_password', subjectId: expect.any(String) as unknown }],
    ],
  },
  {
    // {SSHA} whose body is no base64 digest: no scheme can take it.
    uid: 'bad-ssha',
    values: ['{SSHA}not base64!', ssha(right)],
    answers: [
      [right, { status: 'valid', scheme: 'ldap_salted_sha1' }],
      [wrong, wrongBecause('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME')],
    ],
  },
  {
    // Nothing was compared: not a wrong password, the operator must act.
    uid: 'nothing-checkable',
    values: ['{NOPE}c2VjcmV0', '{SSHA}not base64!'],
    answers: [
      [right, misconfigured('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME')],
      ['secret', misconfigured('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME')],
    ],
  },
  {
    // Bytes that are not UTF-8 cannot be equal to any typed password: never valid, whatever was typed.
    uid: 'not-utf8',
    values: [latin1],
    answers: [
      [replaced, misconfigured('ERR_LEGACY_IDP_HASH_MALFORMED')],
      ['café', misconfigured('ERR_LEGACY_IDP_HASH_MALFORMED')],
    ],
  },
  {
    uid: 'not-utf8-and-ssha',
    values: [latin1, ssha(right)],
    answers: [
      [right, { status: 'valid', scheme: 'ldap_salted_sha1' }],
      [replaced, wrongBecause('ERR_LEGACY_IDP_HASH_MALFORMED')],
    ],
  },
  {
    // A locked-account marker locks the entry wherever it stands, even after a value that matches.
    uid: 'marker-last',
    values: [ssha(right), '{LOCKED}'],
    answers: [
      [right, { status: 'disabled' }],
      [wrong, { status: 'disabled' }],
    ],
  },
  {
    uid: 'marker-first',
    values: ['{LOCKED}', ssha(right)],
    answers: [
      [right, { status: 'disabled' }],
      [wrong, { status: 'disabled' }],
    ],
  },
];

const people = 'ou=people,dc=example,dc=org';
const ldifValue = (value: Value): string => (typeof value === 'string' ? `userPassword: ${value}` : `userPassword:: ${value.toString('base64')}`);
const entryLdif = ({ uid, values }: RuleCase): string =>
  [`dn: uid=${uid},${people}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, 'sn: Rule', ...values.map(ldifValue)].join('\n');

const registry = createHashRegistry();
registry.register(lockedMarker);
afterAll(() => registry.close());

/** The same cases, the same expectations, for each store. */
function pinTheRule(store: () => UserStore): void {
  for (const c of cases) {
    it(`${c.uid}: ${c.values.map((value) => (typeof value === 'string' ? value.slice(0, 8) : 'non-UTF-8 bytes')).join(' + ')}`, async () => {
      for (const [password, expected] of c.answers) {
        const outcome = await store().verify({ username: c.uid, password });
        expect(outcome, `${c.uid} / ${password}`).toMatchObject(expected);
        if (outcome.status === 'unavailable') {
          // The operator's message names the problem, never a stored value or the password.
          expect(outcome.error.message).not.toContain('c2VjcmV0');
          expect(outcome.error.message).not.toContain(password);
        }
      }
    });
  }

  it('counts wrong passwords on an entry with an uncheckable value toward lockout', async () => {
    const authenticator = createAuthenticator({
      verifier: store(),
      lockout: createLockoutPolicy({ account: { threshold: 3 }, ip: false, repeat: false }),
    });
    const outcomes = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      outcomes.push((await authenticator.authenticate({ username: 'unknown-first', password: `${wrong}-${attempt}`, clientIp: '192.0.2.7' })).outcome.status);
    }
    expect(outcomes).toEqual(['invalid', 'invalid', 'invalid', 'locked']);
  });
}

describe('userPassword rule: LDIF store', () => {
  let dir: string;
  let store: UserStore | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'legacy-idp-user-password-'));
    const path = join(dir, 'rule.ldif');
    await writeFile(path, `${cases.map(entryLdif).join('\n\n')}\n`);
    store = await ldifUserStore({ path, registry });
  });
  afterAll(async () => {
    await store?.close?.();
    await rm(dir, { recursive: true, force: true });
  });
  pinTheRule(() => store as UserStore);
});

describeWithService('slapd', 'userPassword rule: LDAP store, compare mode', () => {
  let slapd: SlapdInstance;
  let store: UserStore | undefined;
  beforeAll(async () => {
    slapd = await startSlapd({ extraLdif: cases.map(entryLdif).join('\n\n') });
    store = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword }, bind: { mode: 'compare', baseDn: slapd.baseDn }, registry });
  }, 60_000);
  afterAll(async () => {
    await store?.close?.();
    await slapd.stop();
  });
  pinTheRule(() => store as UserStore);

  it('slapd itself takes the clear value and refuses the non-UTF-8 one to a UTF-8 password, as compare mode does', async () => {
    const bind = ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},${people}` } });
    try {
      expect((await bind.verify({ username: 'clear-and-ssha', password: clear })).status).toBe('valid');
      expect((await bind.verify({ username: 'unknown-first', password: right })).status).toBe('valid');
      expect((await bind.verify({ username: 'not-utf8', password: replaced })).status).toBe('invalid');
    } finally {
      await bind.close?.();
    }
  }, 30_000);
});
