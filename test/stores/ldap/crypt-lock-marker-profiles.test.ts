/**
 * Profiles of entries whose userPassword is a `{CRYPT}` lock marker (`usermod -L` puts `!` before the hash): sign-in
 * answers them `disabled` (crypt-lock-marker.test.ts), but get() and list() still said `enabled: true`, so
 * pre-migration created the locked account enabled in the new directory. Where the store reads userPassword (the
 * LDIF store; the LDAP store in compare mode, whose service account reads it) the profile now says
 * `enabled: false` (docs/stores/ldap.md, "Lock markers in profiles").
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../../src/core/contracts.js';
import { createHashRegistry } from '../../../src/hashes/registry.js';
import { ldapUserStore } from '../../../src/stores/ldap/ldap-store.js';
import { ldifUserStore } from '../../../src/stores/ldap/ldif-store.js';
import { describeWithService, startSlapd, type SlapdInstance } from '../../harness/services.js';

const right = `Locked ${randomBytes(9).toString('base64url')}`;
/** sha512-crypt of the right password, made by openssl (the secret on stdin, never argv). */
const sha512Crypt = execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: `${right}\n` }).toString('utf8').trim();

/** uid -> userPassword values, and whether the profile is enabled. */
const entries: Record<string, { values: string[]; enabled: boolean }> = {
  'usermod-l': { values: [`{CRYPT}!${sha512Crypt}`], enabled: false },
  star: { values: ['{CRYPT}*'], enabled: false },
  // A lock marker next to a usable value still locks (as verify answers).
  'lock-beside-hash': { values: [`{CRYPT}${sha512Crypt}`, '{crypt}!'], enabled: false },
  unlocked: { values: [`{CRYPT}${sha512Crypt}`], enabled: true },
  'no-password': { values: [], enabled: true },
};
const people = 'ou=people,dc=example,dc=org';
const entryLdif = (uid: string, values: readonly string[]): string =>
  [`dn: uid=${uid},${people}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, 'sn: Locked', ...values.map((value) => `userPassword:: ${Buffer.from(value).toString('base64')}`)].join('\n');

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

async function listed(store: { list(): AsyncIterable<Profile> }): Promise<Map<string, boolean | undefined>> {
  const enabled = new Map<string, boolean | undefined>();
  for await (const profile of store.list()) enabled.set(profile.username, profile.enabled);
  return enabled;
}

describe('LDIF store: profiles of {CRYPT} lock markers', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'legacy-idp-crypt-lock-profiles-'));
    path = join(dir, 'export.ldif');
    await writeFile(path, `${Object.entries(entries).map(([uid, { values }]) => entryLdif(uid, values)).join('\n\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says enabled: false from get() and list(), with account states read or not', async () => {
    for (const accountState of [true, false]) {
      const store = await ldifUserStore({ path, registry, accountState });
      try {
        const all = await listed(store);
        for (const [uid, { enabled }] of Object.entries(entries)) {
          expect((await store.get(uid))?.enabled, `${uid} (accountState ${String(accountState)})`).toBe(enabled);
          expect(all.get(uid), uid).toBe(enabled);
        }
        // Sign-in agrees.
        expect((await store.verify({ username: 'usermod-l', password: right })).status).toBe('disabled');
        expect((await store.verify({ username: 'unlocked', password: right })).status).toBe('valid');
      } finally {
        await store.close();
      }
    }
  });
});

describeWithService('slapd', 'LDAP store, compare mode: profiles of {CRYPT} lock markers against slapd', () => {
  let slapd: SlapdInstance;
  beforeAll(async () => {
    slapd = await startSlapd({ extraLdif: Object.entries(entries).map(([uid, { values }]) => entryLdif(uid, values)).join('\n\n') });
  }, 60_000);
  afterAll(async () => {
    await slapd.stop();
  });

  it('says enabled: false from get() and list(), and a valid sign-in still carries its enabled profile', async () => {
    const store = ldapUserStore({
      urls: [slapd.url],
      serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword },
      bind: { mode: 'compare', baseDn: slapd.baseDn },
      profiles: { baseDn: people },
      registry,
    });
    try {
      // get() first, before any sign-in built the userPassword rule.
      for (const [uid, { enabled }] of Object.entries(entries)) expect((await store.get(uid))?.enabled, uid).toBe(enabled);
      const all = await listed(store);
      for (const [uid, { enabled }] of Object.entries(entries)) expect(all.get(uid), uid).toBe(enabled);
      // The fixture users without a lock marker stay enabled.
      expect(all.get('alice')).toBe(true);
      expect((await store.verify({ username: 'usermod-l', password: right })).status).toBe('disabled');
      const valid = await store.verify({ username: 'unlocked', password: right });
      expect(valid.status).toBe('valid');
      // The profile never carries the stored value.
      expect(JSON.stringify(await store.get('usermod-l'))).not.toContain(sha512Crypt.slice(3, 20));
    } finally {
      await store.close?.();
    }
  });

  it('a fresh store lists first: list() builds the rule itself', async () => {
    const store = ldapUserStore({ urls: [slapd.url], serviceAccount: { dn: slapd.adminDn, password: slapd.adminPassword }, bind: { mode: 'compare', baseDn: slapd.baseDn }, profiles: { baseDn: people } });
    try {
      expect((await listed(store)).get('usermod-l')).toBe(false);
    } finally {
      await store.close?.();
    }
  });
});
