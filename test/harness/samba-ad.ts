/**
 * Throw-away Active Directory: a Samba 4 AD DC provisioned into a fresh temp dir on every start,
 * run in the foreground (`samba -i -M single`) on 127.0.0.2:389/636, with a fresh test CA and
 * seeded users in each account state the AD bind tests need. Never reads or writes /etc/samba or
 * /var/lib/samba: provisioning starts from an empty smb.conf, and every directory Samba uses
 * (private, lock, state, cache, binddns, pid, logs) is under the temp dir.
 *
 * Samba cannot listen on another LDAP port, so it binds the standard 389/636 (and the global
 * catalog 3268/3269) on a second loopback address: root (or CAP_NET_BIND_SERVICE) is required.
 * When 127.0.0.2 is taken (another test file's instance), the next free 127.0.0.3..9 is used;
 * read the address from `instance.url`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Attribute, Change, Client, InvalidCredentialsError } from 'ldapts';
import type { ServiceStatus } from './catalog.js';
import { makeTestCertificates } from './certificates.js';
import { canConnect, captureTail, hideSecret, randomName, randomPassword, run, stopProcess, tieToThisProcess, waitUntil } from './process.js';

export const SAMBA_BIN = '/usr/sbin/samba';
export const SAMBA_TOOL_BIN = '/usr/bin/samba-tool';
/** From samba-ad-provision, which apt only pulls in as a recommend. */
export const SAMBA_PROVISION_DATA = '/usr/share/samba/setup/provision.ldif';
/**
 * Debian packages, for `apt-get install --no-install-recommends`: samba-ad-dc pulls samba,
 * samba-dsdb-modules, samba-vfs-modules and winbind. Leaving the recommends out also keeps
 * libnss-winbind (which edits /etc/nsswitch.conf) and krb5-user away.
 */
export const SAMBA_AD_PACKAGES = ['samba-ad-dc', 'samba-ad-provision'] as const;

export const SAMBA_AD_REALM = 'TEST.LOCAL';
export const SAMBA_AD_DOMAIN = 'TEST';
const DNS_DOMAIN = 'test.local';
const BASE_DN = 'DC=test,DC=local';
const HOST_NAME = 'legacyidpdc';
const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
const PEOPLE_DN = `OU=People,${BASE_DN}`;
const BULK_DN = `OU=Bulk,${BASE_DN}`;
const GROUPS_DN = `OU=Groups,${BASE_DN}`;
/** Candidate addresses, in order; all of 127.0.0.0/8 reaches lo on Linux without configuration. */
const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'] as const;
const BULK_COUNT = 25;

/** How a seeded account is set up, and what a bind with its right password gives. */
export type SambaAdAccountState = 'active' | 'disabled' | 'expired' | 'mustChange' | 'locked';

/** The AD sub-code in a failed simple bind (`... data 52e, v1db1`). */
export type AdBindDataCode = '52e' | '533' | '701' | '773' | '775';

export interface AdBindError {
  /** LDAP result code: always 49 (invalidCredentials) on Samba. */
  readonly code: number;
  /** The AD sub-code from the diagnostic message. */
  readonly data: string;
  /** The whole message as ldapts reports it (the server's diagnostic text plus " Code: 0x31"). */
  readonly message: string;
}

export interface SambaAdUser {
  readonly sAMAccountName: string;
  readonly dn: string;
  /** `alice@test.local`; binds work with it, and with `TEST\alice` and the DN, but not with a bare `alice`. */
  readonly userPrincipalName: string;
  /** `TEST\alice`. */
  readonly downLevelLogonName: string;
  readonly state: SambaAdAccountState;
  /** What a bind with the right password gave at start-up; undefined when it succeeded. */
  readonly bindError: AdBindError | undefined;
  readonly password: string;
}

/** The bind failures observed at start-up (each also checked then), keyed by what causes them. */
export interface SambaAdBindErrors {
  /** Wrong password (also an unknown user, a bare sAMAccountName, or an empty password): data 52e. */
  readonly wrongPassword: AdBindError;
  readonly disabled: AdBindError;
  readonly expired: AdBindError;
  readonly mustChange: AdBindError;
  readonly locked: AdBindError;
}

export interface SambaAdOptions {
  /** Address to listen on; default: the first free of 127.0.0.2..127.0.0.9. */
  readonly host?: string;
  /**
   * Domain lockout threshold left in place after seeding (default 0: no lockout, so tests can
   * fail binds as often as they like). `locked` is locked either way; lockoutDuration is set to 0
   * ("until an admin unlocks": write lockoutTime 0 as the admin).
   */
  readonly lockoutThreshold?: number;
  /** `ldap server require strong auth`; default false so plain simple binds work. True: plain binds get 8 strongerAuthRequired. */
  readonly requireStrongAuth?: boolean;
  readonly startTimeoutMs?: number;
}

export interface SambaAdTimings {
  readonly provisionMs: number;
  readonly startMs: number;
  readonly seedMs: number;
}

export interface SambaAdInstance {
  /** `ldap://127.0.0.2:389` (or the next free loopback address). */
  readonly url: string;
  readonly ldapsUrl: string;
  readonly host: string;
  /** Verify LDAPS/StartTLS with `tlsOptions: { ca: [instance.caCertPem] }`; the server certificate has an IP SAN for `host`. */
  readonly caCertPem: string;
  /** The same CA as a file (inside the temp dir: gone after stop()). */
  readonly caCertPath: string;
  /** `TEST.LOCAL` */
  readonly realm: string;
  /** NetBIOS domain, `TEST` */
  readonly domain: string;
  /** `test.local`, the UPN suffix */
  readonly dnsDomain: string;
  readonly baseDn: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  /** OU holding alice and the special accounts. */
  readonly peopleDn: string;
  /** OU holding exactly the bulk users user01..user25. */
  readonly bulkDn: string;
  readonly users: {
    readonly alice: SambaAdUser;
    readonly disabled: SambaAdUser;
    readonly expired: SambaAdUser;
    readonly mustchange: SambaAdUser;
    readonly locked: SambaAdUser;
  };
  /** user01..user25, all active, in `bulkDn`. */
  readonly bulkUsers: readonly SambaAdUser[];
  /** `CN=Staff,OU=Groups,...` with alice as its only member (alice's memberOf lists it). */
  readonly groups: { readonly staff: string };
  readonly bindErrors: SambaAdBindErrors;
  /** Domain lockoutThreshold in force after seeding. */
  readonly lockoutThreshold: number;
  readonly pid: number;
  readonly timings: SambaAdTimings;
  /** SIGTERM (SIGKILL after a grace period), frees the address and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export type PackageInstaller = (packages: readonly string[]) => Promise<string | undefined>;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rootOnDebian(): boolean {
  return existsSync('/etc/debian_version') && process.getuid?.() === 0;
}

/** The binaries and data startSambaAd needs; the missing ones, or an empty list. */
export function missingSambaParts(): string[] {
  return [SAMBA_BIN, SAMBA_TOOL_BIN, SAMBA_PROVISION_DATA].filter((path) => !existsSync(path));
}

/** Resolves undefined when this process can listen on host:port, else the error code (EACCES, EADDRINUSE, ...). */
function listenProblem(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
    server.listen(port, host, () => {
      server.close(() => {
        resolve(undefined);
      });
    });
  });
}

/**
 * For global-setup (service name `samba-ad`): the Samba binaries and provisioning data exist
 * (installed with `install` when missing and root on Debian), `samba` runs, and this process may
 * listen on port 389 of one of the loopback addresses. No DC is provisioned here: that takes
 * about 5 s, and every suite provisions its own anyway.
 */
export async function sambaAvailability(install?: PackageInstaller): Promise<ServiceStatus> {
  let missing = missingSambaParts();
  if (missing.length > 0) {
    if (!rootOnDebian()) return { available: false, reason: `${missing.join(', ')} not found and not root on Debian` };
    if (install === undefined) return { available: false, reason: `${missing.join(', ')} not found (apt-get install ${SAMBA_AD_PACKAGES.join(' ')})` };
    const failure = await install(SAMBA_AD_PACKAGES);
    if (failure !== undefined) return { available: false, reason: `${missing.join(', ')} not found and ${failure}` };
    missing = missingSambaParts();
    if (missing.length > 0) return { available: false, reason: `${missing.join(', ')} still missing after installing ${SAMBA_AD_PACKAGES.join(' ')}` };
  }
  const version = await run(SAMBA_BIN, ['--version'], { timeoutMs: 10_000 });
  if (version.code !== 0) return { available: false, reason: `${SAMBA_BIN} --version failed: ${version.stderr.trim().slice(0, 300)}` };
  const problems: string[] = [];
  for (const host of HOSTS) {
    const problem = await listenProblem(host, 389);
    if (problem === undefined) return { available: true, reason: '' };
    problems.push(`${host}: ${problem}`);
    // Lacking the privilege is the same on every address.
    if (problem === 'EACCES') break;
  }
  return { available: false, reason: `cannot listen on port 389 of a loopback address (needs root or CAP_NET_BIND_SERVICE): ${problems.join(', ')}` };
}

// --- address claim --------------------------------------------------------------------------

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exclusive lock file per address, so parallel test files do not race for the same 389. Stale locks (dead pid) are taken over. */
async function lockAddress(host: string): Promise<(() => Promise<void>) | undefined> {
  const path = join(tmpdir(), `legacy-idp-samba-ad-${host}.lock`);
  // Written first, then hard-linked into place: the lock never exists without its pid in it.
  const draft = `${path}.${String(process.pid)}.${randomName('')}`;
  await writeFile(draft, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await link(draft, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) return undefined;
        await unlink(path).catch(() => undefined);
        continue;
      }
      let released: Promise<void> | undefined;
      // Idempotent: a second unlink could remove a lock another process took in the meantime.
      return () => (released ??= unlink(path).catch(() => undefined));
    }
    return undefined;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

async function claimAddress(preferred: string | undefined): Promise<{ host: string; release: () => Promise<void> }> {
  const candidates = preferred === undefined ? HOSTS : [preferred];
  const problems: string[] = [];
  for (const host of candidates) {
    const release = await lockAddress(host);
    if (release === undefined) {
      problems.push(`${host}: used by another test process`);
      continue;
    }
    const problem = (await canConnect(389, host, 500)) ? 'something already listens on 389' : await listenProblem(host, 389);
    if (problem === undefined) return { host, release };
    await release();
    problems.push(`${host}: ${problem}`);
  }
  throw new Error(`no loopback address with a free port 389 for Samba: ${problems.join(', ')}`);
}

// --- provisioning ---------------------------------------------------------------------------

/**
 * `samba-tool domain provision` into `dir`. It starts from an empty smb.conf (-s), so nothing is
 * read from /etc/samba; --targetdir puts private, state, lock (gencache.tdb) and binddns under
 * `dir`. No --adminpass: provision generates one and logs it, which keeps it out of argv.
 * Returns the Administrator password.
 */
async function provision(dir: string, host: string): Promise<string> {
  const bootstrap = join(dir, 'bootstrap.conf');
  await writeFile(bootstrap, '');
  const result = await run(
    SAMBA_TOOL_BIN,
    [
      'domain', 'provision', '-s', bootstrap, '--targetdir', dir,
      '--use-rfc2307', `--realm=${SAMBA_AD_REALM}`, `--domain=${SAMBA_AD_DOMAIN}`, '--server-role=dc', '--dns-backend=NONE',
      `--host-name=${HOST_NAME}`, `--host-ip=${host}`,
      `--option=pid directory=${join(dir, 'run')}`, `--option=log file=${join(dir, 'log', 'provision.log')}`,
    ],
    { timeoutMs: 120_000 },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 0) {
    const tail = output.replace(/Admin password:.*$/gm, 'Admin password: ***').trim().slice(-2000);
    throw new Error(`samba-tool domain provision exited with ${String(result.code)}: ${tail}`);
  }
  const password = /Admin password:[ \t]+(\S+)[ \t]*$/m.exec(output)?.[1];
  if (password === undefined) throw new Error('samba-tool domain provision did not report the generated Administrator password');
  return password;
}

function runtimeConfig(dir: string, host: string, tls: { caFile: string; certFile: string; keyFile: string }, strongAuth: boolean): string {
  return [
    '[global]',
    `netbios name = ${HOST_NAME.toUpperCase()}`,
    `workgroup = ${SAMBA_AD_DOMAIN}`,
    `realm = ${SAMBA_AD_REALM}`,
    'server role = active directory domain controller',
    // Only the LDAP server (389/636 and the global catalog 3268/3269): no KDC, SMB, DNS or RPC.
    'server services = ldap',
    `interfaces = ${host}/8`,
    'bind interfaces only = yes',
    `ldap server require strong auth = ${strongAuth ? 'yes' : 'no'}`,
    `private dir = ${join(dir, 'private')}`,
    `lock directory = ${dir}`,
    `state directory = ${join(dir, 'state')}`,
    `cache directory = ${join(dir, 'cache')}`,
    `binddns dir = ${join(dir, 'bind-dns')}`,
    `pid directory = ${join(dir, 'run')}`,
    `log file = ${join(dir, 'log', 'samba.log')}`,
    'idmap_ldb:use rfc2307 = yes',
    'tls enabled = yes',
    `tls cafile = ${tls.caFile}`,
    `tls certfile = ${tls.certFile}`,
    `tls keyfile = ${tls.keyFile}`,
    '',
  ].join('\n');
}

// --- seeding --------------------------------------------------------------------------------

/** AD's unicodePwd: the password in double quotes, UTF-16LE. */
function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/** Windows FILETIME (100 ns ticks since 1601-01-01) as AD stores it in accountExpires, lockoutTime, ... */
function fileTime(date: Date): string {
  return String((BigInt(date.getTime()) + 11_644_473_600_000n) * 10_000n);
}

/** Random and always within AD's default complexity rules (upper, lower, digit, symbol; never contains the account name). */
function adPassword(): string {
  return `${randomPassword()}-Aa1`;
}

function attributes(record: Readonly<Record<string, string | readonly string[] | Buffer>>): Attribute[] {
  return Object.entries(record).map(([type, value]) =>
    Buffer.isBuffer(value) ? new Attribute({ type, values: [value] }) : new Attribute({ type, values: typeof value === 'string' ? [value] : [...value] }),
  );
}

function replace(type: string, value: string): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });
}

/** Binds on a fresh connection; resolves undefined on success, the AD error on invalidCredentials. */
async function tryBind(url: string, dn: string, password: string): Promise<AdBindError | undefined> {
  const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
  try {
    await client.bind(dn, password);
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidCredentialsError)) throw error;
    return { code: error.code, data: /\bdata ([0-9a-f]+)\b/.exec(error.message)?.[1] ?? '', message: error.message };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Adds non-enumerable secrets so printing, diffing or spreading the object never shows them (as in slapd.ts). */

interface UserSpec {
  readonly name: string;
  readonly parentDn: string;
  readonly cn: string;
  readonly state: SambaAdAccountState;
  readonly extra: Readonly<Record<string, string>>;
}

const EXPECTED_DATA: Readonly<Record<Exclude<SambaAdAccountState, 'active'>, AdBindDataCode>> = {
  disabled: '533',
  expired: '701',
  mustChange: '773',
  locked: '775',
};

const SPECIAL_USERS: readonly UserSpec[] = [
  {
    name: 'alice',
    parentDn: PEOPLE_DN,
    // As `samba-tool user create --given-name --surname` would: the CN is not the login name.
    cn: 'Alice Example',
    state: 'active',
    extra: { givenName: 'Alice', sn: 'Example', displayName: 'Alice Example', mail: 'alice@example.com' },
  },
  { name: 'disabled', parentDn: PEOPLE_DN, cn: 'disabled', state: 'disabled', extra: { sn: 'Disabled' } },
  { name: 'expired', parentDn: PEOPLE_DN, cn: 'expired', state: 'expired', extra: { sn: 'Expired' } },
  { name: 'mustchange', parentDn: PEOPLE_DN, cn: 'mustchange', state: 'mustChange', extra: { sn: 'Mustchange' } },
  { name: 'locked', parentDn: PEOPLE_DN, cn: 'locked', state: 'locked', extra: { sn: 'Locked' } },
];

function bulkSpecs(): UserSpec[] {
  return Array.from({ length: BULK_COUNT }, (_unused, index) => {
    const number = String(index + 1).padStart(2, '0');
    const name = `user${number}`;
    return {
      name,
      parentDn: BULK_DN,
      cn: name,
      state: 'active',
      extra: { givenName: 'User', sn: number, displayName: `User ${number}`, mail: `${name}@example.com` },
    };
  });
}

interface SeedResult {
  readonly users: SambaAdInstance['users'];
  readonly bulkUsers: readonly SambaAdUser[];
  readonly bindErrors: SambaAdBindErrors;
}

/** UF_NORMAL_ACCOUNT, plus UF_ACCOUNTDISABLE for `disabled`. */
function userAccountControl(state: SambaAdAccountState): string {
  return state === 'disabled' ? String(0x200 | 0x2) : String(0x200);
}

/**
 * Creates the OUs, users and group over LDAPS as the Administrator (real AD only takes
 * unicodePwd over an encrypted connection), puts each special account in its state the way AD
 * does it, and checks what a bind with the right password gives.
 */
async function seed(url: string, ldapsUrl: string, caCertPem: string, adminPassword: string, lockoutThreshold: number): Promise<SeedResult> {
  const client = new Client({ url: ldapsUrl, timeout: 10_000, connectTimeout: 5000, tlsOptions: { ca: [caCertPem] } });
  const created = new Map<string, SambaAdUser>();
  const get = (name: string): SambaAdUser => {
    const user = created.get(name);
    if (user === undefined) throw new Error(`${name} was not created`);
    return user;
  };
  const observed = new Map<SambaAdAccountState, AdBindError>();
  let wrongPassword: AdBindError | undefined;
  try {
    await client.bind(ADMIN_DN, adminPassword);
    for (const ou of [PEOPLE_DN, BULK_DN, GROUPS_DN]) {
      await client.add(ou, attributes({ objectClass: ['top', 'organizationalUnit'] }));
    }
    for (const spec of [...SPECIAL_USERS, ...bulkSpecs()]) {
      const password = adPassword();
      const dn = `CN=${spec.cn},${spec.parentDn}`;
      await client.add(
        dn,
        attributes({
          objectClass: ['top', 'person', 'organizationalPerson', 'user'],
          sAMAccountName: spec.name,
          userPrincipalName: `${spec.name}@${DNS_DOMAIN}`,
          ...spec.extra,
          unicodePwd: unicodePwd(password),
          userAccountControl: userAccountControl(spec.state),
          ...(spec.state === 'expired' ? { accountExpires: fileTime(new Date('2020-01-01T00:00:00Z')) } : {}),
        }),
      );
      // Only 0 ("must change at next logon") or -1 may be written to pwdLastSet.
      if (spec.state === 'mustChange') await client.modify(dn, replace('pwdLastSet', '0'));
      const user: Omit<SambaAdUser, 'password'> = {
        sAMAccountName: spec.name,
        dn,
        userPrincipalName: `${spec.name}@${DNS_DOMAIN}`,
        downLevelLogonName: `${SAMBA_AD_DOMAIN}\\${spec.name}`,
        state: spec.state,
        bindError: undefined,
      };
      created.set(spec.name, hideSecret(user, 'password', password));
    }
    await client.add(`CN=Staff,${GROUPS_DN}`, attributes({ objectClass: ['top', 'group'], sAMAccountName: 'staff', member: [get('alice').dn] }));

    // Lock `locked` the way AD does: bad passwords up to the domain threshold. lockoutDuration 0
    // keeps it locked until an admin writes lockoutTime 0, however long the run takes.
    await client.modify(BASE_DN, [replace('lockoutThreshold', '3'), replace('lockoutDuration', '0')]);
    const locked = get('locked');
    for (let attempt = 0; attempt < 3; attempt += 1) await tryBind(url, locked.userPrincipalName, `${locked.password}x`);

    // Record (and check) every failure now, so a Samba that behaves differently fails here with a
    // clear message. alice's bad password comes before her good one, which resets badPwdCount.
    const alice = get('alice');
    wrongPassword = await tryBind(url, alice.userPrincipalName, `${alice.password}x`);
    if (wrongPassword?.data !== '52e') throw new Error(`a wrong password for alice gave ${wrongPassword?.message ?? 'success'}, not data 52e`);
    for (const spec of SPECIAL_USERS) {
      const user = get(spec.name);
      const error = await tryBind(url, user.userPrincipalName, user.password);
      if (spec.state === 'active') {
        if (error !== undefined) throw new Error(`${spec.name} cannot bind with its password: ${error.message}`);
        continue;
      }
      const expected = EXPECTED_DATA[spec.state];
      if (error?.data !== expected) {
        throw new Error(`${spec.name}: expected its bind to fail with data ${expected}, got ${error === undefined ? 'success' : error.message}`);
      }
      observed.set(spec.state, error);
      created.set(spec.name, hideSecret({ ...user, bindError: error }, 'password', user.password));
    }
    await client.modify(BASE_DN, replace('lockoutThreshold', String(lockoutThreshold)));
  } finally {
    await client.unbind().catch(() => undefined);
  }

  const state = (name: Exclude<SambaAdAccountState, 'active'>): AdBindError => {
    const error = observed.get(name);
    if (error === undefined) throw new Error(`no bind error recorded for ${name}`);
    return error;
  };
  return {
    users: { alice: get('alice'), disabled: get('disabled'), expired: get('expired'), mustchange: get('mustchange'), locked: get('locked') },
    bulkUsers: bulkSpecs().map((spec) => get(spec.name)),
    bindErrors: { wrongPassword, disabled: state('disabled'), expired: state('expired'), mustChange: state('mustChange'), locked: state('locked') },
  };
}

// --- start ----------------------------------------------------------------------------------

export async function startSambaAd(options: SambaAdOptions = {}): Promise<SambaAdInstance> {
  const missing = missingSambaParts();
  if (missing.length > 0) throw new Error(`Samba AD DC is not installed: missing ${missing.join(', ')} (apt-get install ${SAMBA_AD_PACKAGES.join(' ')})`);
  const claim = await claimAddress(options.host);
  const { host } = claim;
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'legacy-idp-samba-ad-'));
    const tlsDir = join(dir, 'tls');
    await Promise.all([mkdir(join(dir, 'run')), mkdir(join(dir, 'log')), mkdir(join(dir, 'cache')), mkdir(tlsDir, { mode: 0o700 })]);
    const provisionStarted = performance.now();
    const [adminPassword, tls] = await Promise.all([provision(dir, host), makeTestCertificates(tlsDir, { caName: 'legacy-idp Samba test CA', commonName: `${HOST_NAME}.${DNS_DOMAIN}`, ip: host, dnsName: `${HOST_NAME}.${DNS_DOMAIN}` })]);
    const provisionMs = performance.now() - provisionStarted;
    const confFile = join(dir, 'etc', 'samba.conf');
    await writeFile(confFile, runtimeConfig(dir, host, tls, options.requireStrongAuth ?? false));

    const url = `ldap://${host}:389`;
    const ldapsUrl = `ldaps://${host}:636`;
    const { caCertPem } = tls;
    const startStarted = performance.now();
    // -i: foreground, logs on stdout. With stdin a pipe, Samba also exits on EOF there, so it
    // dies with the test process even if nothing else gets to kill it.
    const child = spawn(SAMBA_BIN, ['-i', '-M', 'single', '-s', confFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    const output = captureTail(child.stdout);
    const errors = captureTail(child.stderr);
    const untie = tieToThisProcess(child, dir);
    const tempDir = dir;
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        untie();
        await stopProcess(child);
        await rm(tempDir, { recursive: true, force: true });
        await claim.release();
      })();
      return stopped;
    };
    try {
      const adminBinds = async (): Promise<boolean> => {
        const result = await tryBind(url, ADMIN_DN, adminPassword).catch(() => 'not listening yet');
        if (typeof result === 'string') return false;
        if (result !== undefined) throw new Error(`the Administrator bind was refused: ${result.message}`);
        return true;
      };
      await waitUntil(adminBinds, {
        timeoutMs: options.startTimeoutMs ?? 30_000,
        what: `samba (AD DC on ${host})`,
        child,
        output: () => `${output()} ${errors()}`,
      });
      const startMs = performance.now() - startStarted;
      const seedStarted = performance.now();
      const lockoutThreshold = options.lockoutThreshold ?? 0;
      const seeded = await seed(url, ldapsUrl, caCertPem, adminPassword, lockoutThreshold);
      const seedMs = performance.now() - seedStarted;
      if (child.pid === undefined) throw new Error('samba has no pid');
      const instance = {
        url,
        ldapsUrl,
        host,
        caCertPem,
        caCertPath: tls.caFile,
        realm: SAMBA_AD_REALM,
        domain: SAMBA_AD_DOMAIN,
        dnsDomain: DNS_DOMAIN,
        baseDn: BASE_DN,
        adminDn: ADMIN_DN,
        peopleDn: PEOPLE_DN,
        bulkDn: BULK_DN,
        users: seeded.users,
        bulkUsers: seeded.bulkUsers,
        groups: { staff: `CN=Staff,${GROUPS_DN}` },
        bindErrors: seeded.bindErrors,
        lockoutThreshold,
        pid: child.pid,
        timings: { provisionMs, startMs, seedMs },
        stop,
      };
      return hideSecret(instance, 'adminPassword', adminPassword);
    } catch (error) {
      await stop();
      throw new Error(`Samba AD DC on ${host} failed: ${errorMessage(error)}`, { cause: error });
    }
  } catch (error) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    await claim.release();
    throw error;
  }
}
