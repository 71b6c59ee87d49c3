import { Client, InvalidCredentialsError } from 'ldapts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService, startSlapd, type SlapdInstance, type SlapdUser } from '../harness/services.js';

/** Opens a client, runs `fn`, always unbinds. */
async function withClient<T>(options: ConstructorParameters<typeof Client>[0], fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ timeout: 5000, connectTimeout: 5000, ...options });
  try {
    return await fn(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function bindAs(url: string, dn: string, password: string): Promise<void> {
  return withClient({ url }, (client) => client.bind(dn, password));
}

function asStrings(value: unknown): string[] {
  const values: unknown[] = Array.isArray(value) ? value : [value];
  return values.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));
}

describeWithService('slapd', 'throw-away OpenLDAP (slapd) harness', () => {
  let ldap: SlapdInstance;
  const user = (uid: string): SlapdUser => {
    const found = ldap.users.find((candidate) => candidate.uid === uid);
    if (found === undefined) throw new Error(`no fixture user ${uid}`);
    return found;
  };

  beforeAll(async () => {
    ldap = await startSlapd();
  });

  afterAll(async () => {
    await ldap.stop();
  });

  it('seeds users in the expected password schemes, hashed at start-up', async () => {
    const schemes = ldap.users.map((entry) => entry.scheme);
    expect(schemes).toEqual(expect.arrayContaining(['{SSHA}', '{CRYPT}$6$', '{SSHA512}']));
    if (ldap.modules.includes('pw-pbkdf2')) expect(schemes).toContain('{PBKDF2-SHA512}');
    if (ldap.modules.includes('argon2')) expect(schemes).toContain('{ARGON2}');
    // Secrets are non-enumerable, so a printed or diffed instance never shows them.
    expect(Object.keys(ldap)).not.toContain('adminPassword');
    expect(JSON.stringify(ldap.users).includes(user('alice').password)).toBe(false);

    const stored = await withClient({ url: ldap.url }, async (client) => {
      await client.bind(ldap.adminDn, ldap.adminPassword);
      const { searchEntries } = await client.search(`ou=people,${ldap.baseDn}`, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid', 'userPassword'] });
      return new Map(searchEntries.map((entry) => [asStrings(entry.uid)[0], asStrings(entry.userPassword)[0] ?? '']));
    });
    for (const entry of ldap.users) {
      const hash = stored.get(entry.uid) ?? '';
      expect(hash.startsWith(entry.scheme), `${entry.uid} stored as ${entry.scheme}`).toBe(true);
    }
  });

  it('binds each active user with the right password and rejects a wrong one', async () => {
    const active = ldap.users.filter((entry) => !entry.locked && entry.uid !== 'grace');
    expect(active.length).toBeGreaterThanOrEqual(3);
    for (const entry of active) {
      await expect(bindAs(ldap.url, entry.dn, entry.password), `${entry.uid} (${entry.scheme})`).resolves.toBeUndefined();
      await expect(bindAs(ldap.url, entry.dn, `${entry.password}x`)).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    await expect(bindAs(ldap.url, ldap.adminDn, ldap.adminPassword)).resolves.toBeUndefined();
  });

  it('rejects the administratively locked user even with the right password', async () => {
    const locked = ldap.users.filter((entry) => entry.locked);
    expect(locked.map((entry) => entry.uid)).toEqual(['dave']);
    await expect(bindAs(ldap.url, user('dave').dn, user('dave').password)).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('locks an account after three wrong passwords (ppolicy pwdMaxFailure 3)', async () => {
    const grace = user('grace');
    await expect(bindAs(ldap.url, grace.dn, grace.password)).resolves.toBeUndefined();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(bindAs(ldap.url, grace.dn, 'wrong')).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
    await expect(bindAs(ldap.url, grace.dn, grace.password)).rejects.toBeInstanceOf(InvalidCredentialsError);
    const lockedTime = await withClient({ url: ldap.url }, async (client) => {
      await client.bind(ldap.adminDn, ldap.adminPassword);
      const { searchEntries } = await client.search(grace.dn, { scope: 'base', attributes: ['pwdAccountLockedTime'] });
      return searchEntries[0]?.pwdAccountLockedTime;
    });
    expect(lockedTime).toBeDefined();
  });

  it('serves LDAPS with a certificate that verifies against the generated CA', async () => {
    const alice = user('alice');
    const uids = await withClient({ url: ldap.ldapsUrl, tlsOptions: { ca: [ldap.caCertPem] } }, async (client) => {
      await client.bind(alice.dn, alice.password);
      const { searchEntries } = await client.search(`ou=people,${ldap.baseDn}`, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid'] });
      return searchEntries.flatMap((entry) => asStrings(entry.uid)).sort();
    });
    expect(uids).toEqual(ldap.users.map((entry) => entry.uid).sort());
    // Verification is on: without the CA the handshake must fail.
    await expect(withClient({ url: ldap.ldapsUrl }, (client) => client.bind(alice.dn, alice.password))).rejects.toThrow();
  });

  it('upgrades ldap:// with StartTLS and reports group membership through memberOf', async () => {
    const alice = user('alice');
    const memberOf = await withClient({ url: ldap.url }, async (client) => {
      await client.startTLS({ ca: [ldap.caCertPem] });
      await client.bind(alice.dn, alice.password);
      const { searchEntries } = await client.search(alice.dn, { scope: 'base', attributes: ['memberOf'] });
      return asStrings(searchEntries[0]?.memberOf ?? []).sort();
    });
    expect(memberOf).toEqual([`cn=admins,ou=groups,${ldap.baseDn}`, `cn=staff,ou=groups,${ldap.baseDn}`]);
  });
});
