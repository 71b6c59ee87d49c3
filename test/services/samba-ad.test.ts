import { Client, InvalidCredentialsError, OperationsError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceStatus } from '../harness/catalog.js';
import { canConnect } from '../harness/process.js';
import { sambaAvailability, startSambaAd, type SambaAdInstance } from '../harness/services.js';

/**
 * Gate: global-setup's verdict once catalog.ts lists `samba-ad`; until then (and under configs
 * without the global setup) the same check runs here, without installing anything.
 */
async function sambaStatus(): Promise<ServiceStatus> {
  const provided = inject('legacyIdpServices') as Readonly<Partial<Record<string, ServiceStatus>>> | undefined;
  return provided?.['samba-ad'] ?? sambaAvailability();
}

const status = await sambaStatus();
const describeWithSambaAd = (title: string, fn: () => void): void => {
  if (status.available) describe(title, fn);
  else describe.skip(`${title} [needs samba-ad: ${status.reason}]`, fn);
};

/** Opens a client, runs `fn`, always unbinds. */
async function withClient<T>(options: ConstructorParameters<typeof Client>[0], fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ timeout: 5000, connectTimeout: 5000, ...options });
  try {
    return await fn(client);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function bindAs(url: string, name: string, password: string): Promise<void> {
  return withClient({ url }, (client) => client.bind(name, password));
}

/** The bind error, or undefined when the bind worked. */
async function bindError(url: string, name: string, password: string): Promise<unknown> {
  try {
    await bindAs(url, name, password);
    return undefined;
  } catch (error) {
    return error;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWithSambaAd('throw-away Active Directory (Samba AD DC) harness', () => {
  let ad: SambaAdInstance;

  beforeAll(async () => {
    ad = await startSambaAd();
  }, 120_000);

  afterAll(async () => {
    // undefined when beforeAll failed; do not hide its error behind a TypeError.
    await (ad as SambaAdInstance | undefined)?.stop();
  });

  it('describes the domain, and keeps secrets out of printed objects', () => {
    expect(ad.url).toBe(`ldap://${ad.host}:389`);
    expect(ad.ldapsUrl).toBe(`ldaps://${ad.host}:636`);
    expect(ad.host).toMatch(/^127\.0\.0\.[2-9]$/);
    expect({ realm: ad.realm, domain: ad.domain, baseDn: ad.baseDn, adminDn: ad.adminDn }).toEqual({
      realm: 'TEST.LOCAL',
      domain: 'TEST',
      baseDn: 'DC=test,DC=local',
      adminDn: 'CN=Administrator,CN=Users,DC=test,DC=local',
    });
    expect(ad.caCertPem).toContain('BEGIN CERTIFICATE');
    expect(ad.bulkUsers.map((user) => user.sAMAccountName)).toEqual(Array.from({ length: 25 }, (_unused, index) => `user${String(index + 1).padStart(2, '0')}`));
    expect(Object.keys(ad)).not.toContain('adminPassword');
    expect(Object.keys(ad.users.alice)).not.toContain('password');
    expect(JSON.stringify(ad).includes(ad.users.alice.password)).toBe(false);
  });

  it('binds alice by UPN, by down-level name and by DN, but not by a bare sAMAccountName', async () => {
    const alice = ad.users.alice;
    expect(alice.userPrincipalName).toBe('alice@test.local');
    expect(alice.downLevelLogonName).toBe('TEST\\alice');
    expect(alice.dn).toBe('CN=Alice Example,OU=People,DC=test,DC=local');
    for (const name of [alice.userPrincipalName, 'ALICE@TEST.LOCAL', alice.downLevelLogonName, alice.dn]) {
      await expect(bindAs(ad.url, name, alice.password), name).resolves.toBeUndefined();
    }
    await expect(bindAs(ad.url, ad.adminDn, ad.adminPassword)).resolves.toBeUndefined();
    const bare = await bindError(ad.url, 'alice', alice.password);
    expect(bare).toBeInstanceOf(InvalidCredentialsError);
    expect((bare as Error).message).toContain('data 52e');
  });

  it('rejects a wrong password with 49 and data 52e, and never locks out (threshold 0)', async () => {
    const alice = ad.users.alice;
    expect(ad.lockoutThreshold).toBe(0);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const error = await bindError(ad.url, alice.userPrincipalName, `${alice.password}x`);
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect((error as InvalidCredentialsError).code).toBe(49);
      expect((error as Error).message).toContain('data 52e');
    }
    expect(ad.bindErrors.wrongPassword.message).toBe('80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1 Code: 0x31');
    await expect(bindAs(ad.url, alice.userPrincipalName, alice.password)).resolves.toBeUndefined();
    // Unknown users look exactly like wrong passwords.
    const unknown = await bindError(ad.url, 'nobody@test.local', 'Whatever-1');
    expect((unknown as Error).message).toContain('data 52e');
  });

  it.each([
    ['disabled', '533'],
    ['expired', '701'],
    ['mustchange', '773'],
    ['locked', '775'],
  ] as const)('gives data %s -> %s for the right password', async (name, data) => {
    const user = ad.users[name];
    expect(user.bindError?.data).toBe(data);
    for (const login of [user.userPrincipalName, user.downLevelLogonName, user.dn]) {
      const error = await bindError(ad.url, login, user.password);
      expect(error, login).toBeInstanceOf(InvalidCredentialsError);
      expect((error as Error).message, login).toBe(`80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data ${data}, v1db1 Code: 0x31`);
    }
    // A wrong password shows 52e for every state except locked, which stays 775.
    const wrong = await bindError(ad.url, user.userPrincipalName, `${user.password}x`);
    expect((wrong as Error).message).toContain(name === 'locked' ? 'data 775' : 'data 52e');
  });

  it('refuses an empty password for a named user; only a bind with no name at all is anonymous', async () => {
    const alice = ad.users.alice;
    for (const name of [alice.userPrincipalName, alice.downLevelLogonName, alice.dn]) {
      const error = await bindError(ad.url, name, '');
      expect(error, name).toBeInstanceOf(InvalidCredentialsError);
      expect((error as Error).message, name).toContain('data 52e');
    }
    // An anonymous bind succeeds, but the session can read nothing below the rootDSE.
    await withClient({ url: ad.url }, async (client) => {
      await client.bind('', '');
      await expect(client.search(ad.baseDn, { filter: '(sAMAccountName=alice)' })).rejects.toBeInstanceOf(OperationsError);
    });
  });

  it('returns objectGUID and objectSid as binary, plus the profile attributes and memberOf', async () => {
    const alice = ad.users.alice;
    const entry = await withClient({ url: ad.url }, async (client) => {
      await client.bind(alice.userPrincipalName, alice.password);
      const { searchEntries } = await client.search(ad.baseDn, {
        filter: '(&(objectCategory=person)(objectClass=user)(sAMAccountName=alice))',
        attributes: ['objectGUID', 'objectSid', 'givenName', 'sn', 'mail', 'displayName', 'userPrincipalName', 'memberOf', 'userAccountControl'],
        // Without this, ldapts returns a binary value as a string whenever its bytes happen to be valid UTF-8.
        explicitBufferAttributes: ['objectGUID', 'objectSid'],
      });
      expect(searchEntries).toHaveLength(1);
      return searchEntries[0]!;
    });
    expect(Buffer.isBuffer(entry.objectGUID)).toBe(true);
    expect((entry.objectGUID as Buffer).length).toBe(16);
    expect(Buffer.isBuffer(entry.objectSid)).toBe(true);
    const sid = entry.objectSid as Buffer;
    // S-1-5-21-a-b-c-RID: revision 1, five sub-authorities, NT authority 5.
    expect(sid.length).toBe(28);
    expect([sid[0], sid[1], sid[7], sid.readUInt32LE(8)]).toEqual([1, 5, 5, 21]);
    expect(entry).toMatchObject({
      dn: alice.dn,
      givenName: 'Alice',
      sn: 'Example',
      mail: 'alice@example.com',
      displayName: 'Alice Example',
      userPrincipalName: 'alice@test.local',
      memberOf: ad.groups.staff,
      userAccountControl: '512',
    });
  });

  it('pages through the 25 bulk users with a page size of 10', async () => {
    const { names, pages } = await withClient({ url: ad.url }, async (client) => {
      await client.bind(ad.adminDn, ad.adminPassword);
      const found: string[] = [];
      const sizes: number[] = [];
      for await (const page of client.searchPaginated(ad.bulkDn, {
        filter: '(&(objectCategory=person)(objectClass=user))',
        attributes: ['sAMAccountName'],
        paged: { pageSize: 10 },
      })) {
        sizes.push(page.searchEntries.length);
        found.push(...page.searchEntries.map((entry) => String(entry.sAMAccountName)));
      }
      const all = await client.search(ad.bulkDn, { filter: '(objectClass=user)', attributes: ['sAMAccountName'], paged: { pageSize: 10 } });
      expect(all.searchEntries).toHaveLength(25);
      return { names: found, pages: sizes };
    });
    expect(pages).toEqual([10, 10, 5]);
    expect(names.sort()).toEqual(ad.bulkUsers.map((user) => user.sAMAccountName));
  });

  it('serves LDAPS and StartTLS with a certificate that verifies against the instance CA', async () => {
    const alice = ad.users.alice;
    await expect(withClient({ url: ad.ldapsUrl, tlsOptions: { ca: [ad.caCertPem] } }, (client) => client.bind(alice.userPrincipalName, alice.password))).resolves.toBeUndefined();
    // ldapts' startTLS() does not tell tls.connect() which host it is on, so Node checks the
    // certificate against "localhost" unless the caller passes `host` (an IP) or `servername`.
    await expect(
      withClient({ url: ad.url }, async (client) => {
        await client.startTLS({ ca: [ad.caCertPem], host: ad.host });
        await client.bind(alice.downLevelLogonName, alice.password);
      }),
    ).resolves.toBeUndefined();
    await expect(withClient({ url: ad.url }, (client) => client.startTLS({ ca: [ad.caCertPem] }))).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    // Verification is on: without the CA the handshake fails.
    await expect(withClient({ url: ad.ldapsUrl }, (client) => client.bind(alice.userPrincipalName, alice.password))).rejects.toThrow();
  });

  it('stops: the process is gone and port 389 on its address is free again', async () => {
    expect(processAlive(ad.pid)).toBe(true);
    await ad.stop();
    expect(processAlive(ad.pid)).toBe(false);
    expect(await canConnect(389, ad.host)).toBe(false);
    expect(await canConnect(636, ad.host)).toBe(false);
    await ad.stop();
  });
});
