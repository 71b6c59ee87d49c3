/**
 * Throw-away OpenLDAP instances: private temp dir, cn=config built with slapadd, free loopback
 * ports for ldap:// (StartTLS) and ldaps://, certificates from a fresh test CA, and seeded users
 * whose password hashes are made at start-up. Never reads or writes /etc/ldap.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'ldapts';
import { makeTestCertificates, type TestCertificates } from './certificates.js';
import { canConnect, captureTail, freePort, hideSecret, randomName, randomPassword, runChecked, stopProcess, tieToThisProcess, waitUntil, withFreshPorts } from './process.js';

export const SLAPD_BIN = '/usr/sbin/slapd';
export const SLAPADD_BIN = '/usr/sbin/slapadd';
export const SLAPPASSWD_BIN = '/usr/sbin/slappasswd';
export const SLAPD_MODULE_DIR = '/usr/lib/ldap';
export const SLAPD_SCHEMA_DIR = '/etc/ldap/schema';

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const BASE_DN = 'dc=example,dc=org';
const ADMIN_DN = `cn=admin,${BASE_DN}`;

/** How a fixture user's password is stored; `module` is the slapd module the scheme needs. */
interface SchemeSpec {
  readonly scheme: string;
  readonly module?: string;
}

const SCHEMES = {
  ssha: { scheme: '{SSHA}' },
  cryptSha512: { scheme: '{CRYPT}$6$' },
  ssha512: { scheme: '{SSHA512}', module: 'pw-sha2' },
  pbkdf2Sha512: { scheme: '{PBKDF2-SHA512}', module: 'pw-pbkdf2' },
  argon2: { scheme: '{ARGON2}', module: 'argon2' },
} as const satisfies Record<string, SchemeSpec>;

interface FixtureUser {
  readonly uid: string;
  readonly spec: SchemeSpec;
  readonly locked: boolean;
}

/** Must match the entries in fixtures/directory.ldif. */
const FIXTURE_USERS: readonly FixtureUser[] = [
  { uid: 'alice', spec: SCHEMES.ssha, locked: false },
  { uid: 'bob', spec: SCHEMES.cryptSha512, locked: false },
  { uid: 'carol', spec: SCHEMES.ssha512, locked: false },
  { uid: 'dave', spec: SCHEMES.ssha, locked: true },
  { uid: 'erin', spec: SCHEMES.pbkdf2Sha512, locked: false },
  { uid: 'frank', spec: SCHEMES.argon2, locked: false },
  { uid: 'grace', spec: SCHEMES.ssha, locked: false },
];

/** Modules loaded when present; back_mdb, ppolicy, memberof and pw-sha2 are required. */
const REQUIRED_MODULES = ['back_mdb', 'ppolicy', 'memberof', 'pw-sha2'] as const;
const OPTIONAL_MODULES = ['argon2', 'pw-pbkdf2'] as const;

export interface SlapdUser {
  readonly dn: string;
  readonly uid: string;
  readonly password: string;
  /** Stored scheme, e.g. `{SSHA}`, `{CRYPT}$6$`, `{SSHA512}`, `{PBKDF2-SHA512}`, `{ARGON2}`. */
  readonly scheme: string;
  /** Locked by pwdAccountLockedTime: binds fail with invalidCredentials even with the right password. */
  readonly locked: boolean;
}

export interface SlapdOptions {
  /** Extra LDIF loaded with the fixtures (offline, so overlays such as memberof do not apply). */
  readonly extraLdif?: string;
  readonly startTimeoutMs?: number;
}

export interface SlapdInstance {
  readonly url: string;
  readonly ldapsUrl: string;
  readonly baseDn: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  readonly caCertPem: string;
  readonly users: readonly SlapdUser[];
  /** Modules loaded from /usr/lib/ldap, e.g. to skip a PBKDF2 test where pw-pbkdf2 is missing. */
  readonly modules: readonly string[];
  readonly pid: number;
  /** SIGTERM (SIGKILL after a grace period) and remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process but keeps its data (fault tests); `restart()` starts it again on the same ports. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export function moduleAvailable(name: string): boolean {
  return existsSync(join(SLAPD_MODULE_DIR, `${name}.so`)) || existsSync(join(SLAPD_MODULE_DIR, `${name}.la`));
}

/** The binaries and files startSlapd needs; the missing ones, or an empty list. */
export function missingSlapdParts(): string[] {
  const paths = [SLAPD_BIN, SLAPADD_BIN, SLAPPASSWD_BIN, join(SLAPD_SCHEMA_DIR, 'inetorgperson.ldif')];
  const missing = paths.filter((path) => !existsSync(path));
  const modules = REQUIRED_MODULES.filter((name) => !moduleAvailable(name)).map((name) => join(SLAPD_MODULE_DIR, name));
  return [...missing, ...modules];
}

/** Hashes with the real tools; the secret goes through a 0600 file or stdin, never argv. */
async function hashPassword(spec: SchemeSpec, password: string, dir: string): Promise<string> {
  if (spec.scheme === SCHEMES.cryptSha512.scheme) {
    const crypt = await runChecked('openssl', ['passwd', '-6', '-stdin'], { input: `${password}\n` });
    return `{CRYPT}${crypt.trim()}`;
  }
  const secretFile = join(dir, randomName('secret-'));
  await writeFile(secretFile, password, { mode: 0o600 });
  try {
    const moduleArgs = spec.module === undefined ? [] : ['-o', `module-path=${SLAPD_MODULE_DIR}`, '-o', `module-load=${spec.module}`];
    const hash = await runChecked(SLAPPASSWD_BIN, [...moduleArgs, '-h', spec.scheme, '-T', secretFile]);
    return hash.trim();
  } finally {
    await rm(secretFile, { force: true });
  }
}

function configLdif(dir: string, tls: TestCertificates, modules: readonly string[], rootPwHash: string): string {
  const schemas = ['core', 'cosine', 'nis', 'inetorgperson'].map((name) => `include: file://${SLAPD_SCHEMA_DIR}/${name}.ldif`);
  return [
    'dn: cn=config', 'objectClass: olcGlobal', 'cn: config',
    `olcPidFile: ${join(dir, 'slapd.pid')}`, `olcArgsFile: ${join(dir, 'slapd.args')}`,
    `olcTLSCACertificateFile: ${tls.caFile}`, `olcTLSCertificateFile: ${tls.certFile}`, `olcTLSCertificateKeyFile: ${tls.keyFile}`,
    '',
    'dn: cn=module{0},cn=config', 'objectClass: olcModuleList', 'cn: module{0}', `olcModulePath: ${SLAPD_MODULE_DIR}`,
    ...modules.map((name) => `olcModuleLoad: ${name}`),
    '',
    'dn: cn=schema,cn=config', 'objectClass: olcSchemaConfig', 'cn: schema',
    '',
    ...schemas.flatMap((line) => [line, '']),
    'dn: olcDatabase={-1}frontend,cn=config', 'objectClass: olcDatabaseConfig', 'objectClass: olcFrontendConfig',
    'olcDatabase: {-1}frontend', 'olcPasswordHash: {SSHA}',
    '',
    // Nobody may read or change cn=config over the network; the harness never needs to.
    'dn: olcDatabase={0}config,cn=config', 'objectClass: olcDatabaseConfig', 'olcDatabase: {0}config', 'olcAccess: {0}to * by * none',
    '',
    'dn: olcDatabase={1}mdb,cn=config', 'objectClass: olcDatabaseConfig', 'objectClass: olcMdbConfig', 'olcDatabase: {1}mdb',
    `olcSuffix: ${BASE_DN}`, `olcDbDirectory: ${join(dir, 'db')}`, 'olcDbMaxSize: 104857600',
    `olcRootDN: ${ADMIN_DN}`, `olcRootPW: ${rootPwHash}`,
    'olcDbIndex: objectClass eq', 'olcDbIndex: uid eq', 'olcDbIndex: member eq',
    'olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none',
    'olcAccess: {1}to * by users read by * none',
    '',
    'dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config', 'objectClass: olcOverlayConfig', 'objectClass: olcMemberOf',
    'olcOverlay: {0}memberof', 'olcMemberOfRefInt: TRUE', 'olcMemberOfGroupOC: groupOfNames',
    'olcMemberOfMemberAD: member', 'olcMemberOfMemberOfAD: memberOf',
    '',
    'dn: olcOverlay={1}ppolicy,olcDatabase={1}mdb,cn=config', 'objectClass: olcOverlayConfig', 'objectClass: olcPPolicyConfig',
    'olcOverlay: {1}ppolicy', `olcPPolicyDefault: cn=default,ou=policies,${BASE_DN}`,
    'olcPPolicyUseLockout: TRUE', 'olcPPolicyHashCleartext: FALSE',
    '',
  ].join('\n');
}

/**
 * Adds a non-enumerable property, so printing or diffing the object (vitest's pretty-format,
 * JSON.stringify, object spread) never shows the secret. Read it by name: `user.password`.
 */

/** Splits LDIF into entries (blank-line separated), dropping comment lines. */
function ldifEntries(text: string): string[][] {
  return text
    .split(/\n\s*\n/)
    .map((block) => block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')))
    .filter((lines) => lines.length > 0);
}

/** Parses a simple LDIF entry (no base64, no folded lines) into a DN and attributes. */
function parseEntry(lines: readonly string[]): { dn: string; attributes: Record<string, string[]> } {
  const attributes: Record<string, string[]> = {};
  let dn = '';
  for (const line of lines) {
    const colon = line.indexOf(':');
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'dn') dn = value;
    else (attributes[key] ??= []).push(value);
  }
  return { dn, attributes };
}

async function seedGroups(url: string, adminPassword: string): Promise<void> {
  const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
  try {
    await client.bind(ADMIN_DN, adminPassword);
    for (const lines of ldifEntries(await readFile(join(FIXTURE_DIR, 'groups.ldif'), 'utf8'))) {
      const { dn, attributes } = parseEntry(lines);
      await client.add(dn, attributes);
    }
  } finally {
    await client.unbind();
  }
}

interface Seed {
  readonly ldif: string;
  readonly users: SlapdUser[];
}

async function seedData(dir: string, modules: readonly string[], extraLdif: string): Promise<Seed> {
  const usable = FIXTURE_USERS.filter((user) => user.spec.module === undefined || modules.includes(user.spec.module));
  const users = await Promise.all(
    usable.map(async (user): Promise<SlapdUser & { hash: string }> => {
      const password = randomPassword();
      return {
        dn: `uid=${user.uid},ou=people,${BASE_DN}`,
        uid: user.uid,
        password,
        scheme: user.spec.scheme,
        locked: user.locked,
        hash: await hashPassword(user.spec, password, dir),
      };
    }),
  );
  const hashes = new Map(users.map((user) => [user.uid, user.hash]));
  const template = await readFile(join(FIXTURE_DIR, 'directory.ldif'), 'utf8');
  const entries = ldifEntries(`${template}\n\n${extraLdif}`).filter((lines) =>
    lines.every((line) => {
      const match = /\{\{password:([a-z0-9_-]+)\}\}/.exec(line);
      return match?.[1] === undefined || hashes.has(match[1]);
    }),
  );
  const ldif = entries
    .map((lines) => lines.map((line) => line.replace(/\{\{password:([a-z0-9_-]+)\}\}/, (_all, uid: string) => hashes.get(uid) ?? '')).join('\n'))
    .join('\n\n');
  return {
    ldif: `${ldif}\n`,
    users: users.map(({ hash: _hash, password, ...user }) => hideSecret(user, 'password', password)),
  };
}

async function launch(
  dir: string,
  timeoutMs: number,
  ports?: { port: number; ldapsPort: number },
): Promise<{ port: number; ldapsPort: number; pid: number; stop: () => Promise<void> }> {
  const port = ports?.port ?? (await freePort());
  const ldapsPort = ports?.ldapsPort ?? (await freePort());
  // -d 0 keeps slapd in the foreground so the child is slapd itself; stderr is kept for errors.
  const child = spawn(SLAPD_BIN, ['-F', join(dir, 'config'), '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`, '-d', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const output = captureTail(child.stderr);
  const untie = tieToThisProcess(child, dir);
  const stop = async (): Promise<void> => {
    untie();
    await stopProcess(child);
  };
  try {
    await waitUntil(async () => (await canConnect(port)) && canConnect(ldapsPort), { timeoutMs, what: 'slapd', child, output });
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error('slapd has no pid');
  return { port, ldapsPort, pid: child.pid, stop };
}

export async function startSlapd(options: SlapdOptions = {}): Promise<SlapdInstance> {
  const missing = missingSlapdParts();
  if (missing.length > 0) throw new Error(`slapd is not installed: missing ${missing.join(', ')}`);
  const dir = await mkdtemp(join(tmpdir(), 'legacy-idp-slapd-'));
  try {
    await Promise.all([mkdir(join(dir, 'config')), mkdir(join(dir, 'db'))]);
    const modules = [...REQUIRED_MODULES, ...OPTIONAL_MODULES.filter((name) => moduleAvailable(name))];
    const adminPassword = randomPassword();
    const [tls, rootPwHash, seed] = await Promise.all([
      makeTestCertificates(dir, { caName: 'legacy-idp test CA', commonName: 'localhost', ip: '127.0.0.1', dnsName: 'localhost' }),
      hashPassword(SCHEMES.ssha, adminPassword, dir),
      seedData(dir, modules, options.extraLdif ?? ''),
    ]);
    await writeFile(join(dir, 'config.ldif'), configLdif(dir, tls, modules, rootPwHash), { mode: 0o600 });
    await writeFile(join(dir, 'data.ldif'), seed.ldif, { mode: 0o600 });
    await runChecked(SLAPADD_BIN, ['-q', '-n0', '-F', join(dir, 'config'), '-l', join(dir, 'config.ldif')]);
    await runChecked(SLAPADD_BIN, ['-q', '-n1', '-F', join(dir, 'config'), '-l', join(dir, 'data.ldif')]);
    let server = await withFreshPorts(() => launch(dir, options.startTimeoutMs ?? 10_000));
    const url = `ldap://127.0.0.1:${server.port}`;
    let stopped: Promise<void> | undefined;
    let running = true;
    const stop = (): Promise<void> => {
      stopped ??= (running ? server.stop() : Promise.resolve()).then(() => rm(dir, { recursive: true, force: true }));
      return stopped;
    };
    // For fault tests: stop the process but keep its data, then start it again on the same ports.
    const kill = async (): Promise<void> => {
      if (!running) return;
      running = false;
      await server.stop();
    };
    const restart = async (): Promise<void> => {
      if (running) return;
      server = await launch(dir, options.startTimeoutMs ?? 10_000, { port: server.port, ldapsPort: server.ldapsPort });
      running = true;
    };
    try {
      await seedGroups(url, adminPassword);
    } catch (error) {
      await stop();
      throw error;
    }
    const instance = {
      url,
      ldapsUrl: `ldaps://127.0.0.1:${server.ldapsPort}`,
      baseDn: BASE_DN,
      adminDn: ADMIN_DN,
      caCertPem: tls.caCertPem,
      users: seed.users,
      modules,
      get pid() {
        return server.pid;
      },
      stop,
      kill,
      restart,
    };
    return hideSecret(instance, 'adminPassword', adminPassword);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
