/**
 * `{CRYPT}!<hash>` is a shadow-style lock (`usermod -L` puts `!` before the hash), and `{CRYPT}*...` a value no
 * password matches. Both LDAP stores answer them as the documented locked-account marker: `disabled` to every
 * password, right or wrong, wherever the value stands among the entry's values. Before, the value was an unknown
 * scheme: `unavailable` / `misconfigured` alone, and next to another value it was skipped, so that value signed in.
 * slapd itself never lets such a value bind.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { ldapUserStore } from '../../../src/stores/ldap/ldap-store.js';
import { ldifUserStore } from '../../../src/stores/ldap/ldif-store.js';
import { userPasswordSchemes } from '../../../src/stores/ldap/user-password.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';

const right = `Locked ${randomBytes(9).toString('base64url')}`;
const wrong = `${right}x`;
/** sha512-crypt of the right password, made by openssl (the secret on stdin, never argv). */
const sha512Crypt = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${right}\n` }).toString('utf8').trim();
function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

/** uid -> userPassword values; every one must answer `disabled` to the right and to a wrong password. */
const lockedEntries: Record<string, string[]> = {
  'usermod-l': [`{CRYPT}!${sha512Crypt}`],
  'lowercase-prefix': [`{crypt}!${sha512Crypt}`],
  'bang-only': ['{CRYPT}!'],
  'double-bang': ['{CRYPT}!!'],
  star: ['{CRYPT}*'],
  'star-lk': ['{CRYPT}*LK*'],
  'star-hash': [`{CRYPT}*${sha512Crypt}`],
  // The lock holds wherever it stands, even next to a value the right password matches.
  'lock-then-ssha': [`{CRYPT}!${sha512Crypt}`, ssha(right)],
  'ssha-then-lock': [ssha(right), `{CRYPT}!${sha512Crypt}`],
};

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

describe('userPassword rule: {CRYPT} lock markers', () => {
  const schemes = userPasswordSchemes(registry);

  it('the unlocked {CRYPT} hash signs in (the lock is only the marker)', async () => {
    const values = schemes.read([`{CRYPT}${sha512Crypt}`], 'test');
    expect(await schemes.check(right, values, 'userPassword')).toMatchObject({ status: 'valid' });
  });

  for (const [uid, values] of Object.entries(lockedEntries)) {
    it(`${uid}: disabled for the right and for a wrong password, never quoting the value`, async () => {
      const read = schemes.read(values, 'test');
      for (const password of [right, wrong]) {
        const answer = await schemes.check(password, read, 'userPassword');
        expect(answer).toMatchObject({ status: 'disabled', detail: expect.stringMatching(/^\{CRYPT\} lock marker \([!*]\)$/u) as unknown });
        expect(JSON.stringify(answer)).not.toContain(sha512Crypt.slice(3, 20));
      }
    });
  }

  it('the LDIF store answers the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-crypt-lock-'));
    try {
      const ldif = Object.entries(lockedEntries)
        .map(([uid, values]) => [`dn: uid=${uid},ou=people,dc=example,dc=org`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, 'sn: Locked', ...values.map((value) => `userPassword:: ${Buffer.from(value).toString('base64')}`)].join('\n'))
        .join('\n\n');
      const path = join(dir, 'export.ldif');
      await writeFile(path, `${ldif}\n`);
      const store = await ldifUserStore({ path, registry });
      try {
        for (const uid of Object.keys(lockedEntries)) {
          for (const password of [right, wrong]) expect((await store.verify({ username: uid, password })).status, uid).toBe('disabled');
        }
      } finally {
        await store.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithService('slapd', 'LDAP store, compare mode: {CRYPT} lock markers against slapd', () => {
  const people = 'ou=people,dc=example,dc=org';
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({
      extraLdif: [
        ...Object.entries(lockedEntries).map(([uid, values]) =>
          [`dn: uid=${uid},${people}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, 'sn: Locked', ...values.map((value) => `userPassword: ${value}`)].join('\n'),
        ),
        [`dn: uid=unlocked,${people}`, 'objectClass: inetOrgPerson', 'uid: unlocked', 'cn: unlocked', 'sn: Locked', `userPassword: {CRYPT}${sha512Crypt}`].join('\n'),
      ].join('\n\n'),
    });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  it('slapd refuses the locked value; compare mode answers disabled to every password', async () => {
    const compare = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword }, bind: { mode: 'compare', baseDn: slapd.baseDn } });
    const bind = ldapUserStore({ urls: [slapd.url], bind: { mode: 'dn-template', template: `uid={username},${people}` } });
    try {
      // The same hash without the `!` binds: slapd reads {CRYPT} as the test expects.
      expect((await bind.verify({ username: 'unlocked', password: right })).status).toBe('valid');
      expect((await compare.verify({ username: 'unlocked', password: right })).status).toBe('valid');
      // slapd never lets the locked value bind (crypt(3) takes no `!` salt).
      expect((await bind.verify({ username: 'usermod-l', password: right })).status).toBe('invalid');
      for (const uid of Object.keys(lockedEntries)) {
        for (const password of [right, wrong]) {
          expect(await compare.verify({ username: uid, password }), uid).toMatchObject({ status: 'disabled', detail: expect.stringMatching(/^\{CRYPT\} lock marker/u) as unknown });
        }
      }
    } finally {
      await Promise.all([compare.close?.(), bind.close?.()]);
    }
  });
});
