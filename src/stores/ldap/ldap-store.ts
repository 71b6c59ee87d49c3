/**
 * LDAP and Active Directory as a legacy store (docs/stores/ldap.md): verifies by binding as the user (DN
 * template, search-then-bind, AD UPN or DOMAIN\user) or by comparing the stored `userPassword` with the hash
 * registry, and reads profiles with a service account (paged for bulk listing).
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import type { BerReader, Client, Control, Entry } from 'ldapts';
import { z } from 'zod';
import type { ListOptions, Profile, UserStore, VerifyInput } from '../../core/contracts.js';
import { LegacyIdpError, isLegacyIdpError, toError } from '../../core/errors.js';
import { withProfileRead, type ValidOutcome, type VerifyOutcome } from '../../core/outcome.js';
import { hasControlCharacters } from '../../core/normalize.js';
import { parseOptions } from '../../core/validate.js';
import { defaultListFilter, defaultListScope } from './list-defaults.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { accountEnabled, accountStateAttributes, accountStateOf, accountStateOutcome, administrativeLock } from './account-state.js';
import { adBindDiagnostic, adSubCodeOutcome, decodeObjectGuid, decodeObjectSid } from './active-directory.js';
import { closeQuietly, connect, createPool, isConnectionError, loadLdapts, type ConnectionSettings, type Pool, type PoolCaller } from './connection.js';
import { createFailureHold } from './failure-hold.js';
import {
  decodePasswordPolicyResponse,
  lockoutInForce,
  passwordExpiresAt,
  passwordPolicyAttributes,
  passwordPolicyControlOid,
  ppolicyOutcome,
  type PasswordPolicySettings,
} from './ppolicy.js';
import { fillTemplate } from './escape.js';
import { userPasswordSchemes, type UserPasswordAnswer, type UserPasswordSchemes, type UserPasswordValue } from './user-password.js';

const pem = z.union([z.string().min(1), z.instanceof(Buffer)]);
const pems = z.union([pem, z.array(pem).min(1)]);

const bindSchema = z.discriminatedUnion('mode', [
  /** The DN is built from the username: `uid={username},ou=people,dc=example,dc=org` (RFC 4514 escaping). */
  z.object({ mode: z.literal('dn-template'), template: z.string().includes('{username}') }).strict(),
  /** The service account finds the entry with an RFC 4515-escaped filter, then the user binds as that DN. */
  z
    .object({
      mode: z.literal('search'),
      baseDn: z.string().min(1),
      filter: z.string().includes('{username}').default('(uid={username})'),
      scope: z.enum(['one', 'sub']).default('sub'),
    })
    .strict(),
  /** Active Directory: bind as `username@domain` (userPrincipalName). */
  z.object({ mode: z.literal('upn'), domain: z.string().min(1) }).strict(),
  /** Active Directory: bind as `DOMAIN\username` (down-level logon name). */
  z.object({ mode: z.literal('down-level'), domain: z.string().min(1) }).strict(),
  /**
   * Users cannot bind (an export, binds disabled): the service account reads `userPassword` and the hash
   * registry checks it.
   */
  z
    .object({
      mode: z.literal('compare'),
      baseDn: z.string().min(1),
      filter: z.string().includes('{username}').default('(uid={username})'),
      attribute: z.string().min(1).default('userPassword'),
      /**
       * The ppolicy policy entry for users without `pwdPolicySubentry` (slapd's `olcPPolicyDefault`). Its
       * `pwdMaxAge` tells an expired password, and its `pwdLockout`/`pwdLockoutDuration` which
       * `pwdAccountLockedTime` is still a lock, as a bind would be judged. Without it every such time is a lock.
       */
      defaultPolicyDn: z.string().min(1).optional(),
    })
    .strict(),
]);

const ldapStoreSchema = z
  .object({
    /** One or more servers, tried in order when one does not answer. */
    urls: z.array(z.string().regex(/^ldaps?:\/\/[^\s/]+\/?$/iu, 'expected ldap://host[:port] or ldaps://host[:port]')).min(1),
    /** Upgrade ldap:// connections with StartTLS (ldaps:// needs nothing). */
    startTls: z.boolean().default(false),
    /** Certificates for ldaps:// and StartTLS. Verification cannot be turned off here: give the CA instead. */
    tls: z
      .object({ ca: pems.optional(), cert: pems.optional(), key: pems.optional(), minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2') })
      .strict()
      .optional(),
    connectTimeoutMs: z.number().int().min(1).max(60_000).default(5_000),
    operationTimeoutMs: z.number().int().min(1).max(120_000).default(5_000),
    /** Used for search-then-bind, compare and every profile read; never for user binds. */
    serviceAccount: z.object({ dn: z.string().min(1), password: z.string().min(1) }).strict().optional(),
    bind: bindSchema,
    profiles: z
      .object({
        baseDn: z.string().min(1),
        /** Finds one user; `{username}` is escaped. */
        filter: z.string().includes('{username}').default('(uid={username})'),
        /** Every user, for list(). */
        listFilter: z.string().min(1).default(defaultListFilter),
        scope: z.enum(['one', 'sub']).default(defaultListScope),
        usernameAttribute: z.string().min(1).default('uid'),
        /** Stable id: entryUUID (OpenLDAP), objectGUID (AD, decoded), nsUniqueId (389-DS), or `dn`. */
        subjectIdAttribute: z.string().min(1).default('entryUUID'),
        email: z.string().default('mail'),
        givenName: z.string().default('givenName'),
        surname: z.string().default('sn'),
        displayName: z.string().default('displayName'),
        /** Further claims: claim name -> attribute. */
        attributes: z.record(z.string(), z.string()).default({}),
        pageSize: z.number().int().min(1).max(5_000).default(500),
      })
      .strict()
      .optional(),
    /** Clients kept per pool (service searches; user binds). */
    poolSize: z.number().int().min(1).max(64).default(4),
    /** For bind mode `compare`: the registry that knows `{SSHA}`, `{CRYPT}`, ... (default: all built-in schemes). */
    registry: z.custom<HashRegistry>((value) => typeof (value as HashRegistry | undefined)?.verify === 'function').optional(),
    name: z.string().min(1).default('ldap'),
  })
  .strict()
  .superRefine((config, context) => {
    const needsService = config.bind.mode === 'search' || config.bind.mode === 'compare' || config.profiles !== undefined;
    if (needsService && !config.serviceAccount) {
      context.addIssue({ code: 'custom', path: ['serviceAccount'], message: 'bind mode search/compare and profiles need a service account' });
    }
    const insecure = config.urls.some((url) => url.toLowerCase().startsWith('ldap:')) && !config.startTls;
    if (insecure && !config.urls.every((url) => /^ldap:\/\/(127\.|localhost|\[::1\])/iu.test(url))) {
      context.addIssue({ code: 'custom', path: ['startTls'], message: 'passwords would cross the network in clear text: use ldaps:// or startTls' });
    }
  });

export type LdapStoreOptions = z.input<typeof ldapStoreSchema>;

/** AD attributes that are binary; ldapts turns them into text unless told. */
const binaryAttributes = ['objectGUID', 'objectSid'];

/** Every value of an attribute, matched without regard to case (servers echo their own spelling). */
function allValues(entry: Entry, attribute: string): (string | Buffer)[] {
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  const raw: unknown = key === undefined ? undefined : entry[key];
  return (Array.isArray(raw) ? (raw as unknown[]) : [raw]).filter((value): value is string | Buffer => typeof value === 'string' || Buffer.isBuffer(value));
}

function firstValue(entry: Entry, attribute: string): string | Buffer | undefined {
  return allValues(entry, attribute)[0];
}

function textValue(entry: Entry, attribute: string): string | undefined {
  const value = firstValue(entry, attribute);
  if (value === undefined) return undefined;
  const lower = attribute.toLowerCase();
  if (Buffer.isBuffer(value)) {
    if (lower === 'objectguid') return decodeObjectGuid(value);
    if (lower === 'objectsid') return decodeObjectSid(value);
    return value.toString('utf8');
  }
  return value;
}

/** The bind failure as an outcome: AD's sub-code when the message has one, else a wrong password. */
function bindFailureOutcome(error: Error): VerifyOutcome {
  const diagnostic = adBindDiagnostic(error.message);
  if (diagnostic !== undefined) return adSubCodeOutcome(diagnostic.subCode);
  return { status: 'invalid', reason: 'wrong_password' };
}

/** A request control that keeps the ppolicy response value the server sent with the bind result, if any. */
type PolicyCapture = Control & { value: Buffer | undefined };

let policyCaptureClass: (new () => PolicyCapture) | undefined;

/**
 * A password-policy request control (draft-behera) for one bind. ldapts hands the value of a response control
 * to the request control with the same OID, for failed binds too, so this is how the ppolicy state of an
 * OpenLDAP bind (locked, expired, must change) is read. AD ignores the control (it is not critical).
 */
async function policyCapture(): Promise<PolicyCapture> {
  if (!policyCaptureClass) {
    const { Control: LdapControl } = await loadLdapts();
    policyCaptureClass = class extends LdapControl {
      value: Buffer | undefined;
      constructor() {
        super(passwordPolicyControlOid);
      }
      protected override parseControl(reader: BerReader): void {
        this.value = Buffer.from(reader.buffer);
      }
    };
  }
  return new policyCaptureClass();
}

/**
 * The ppolicy state in a bind response, when the server sent one we can read. `bindSucceeded`: a grace login
 * (the password expired, the server let this bind in anyway) is `password_expired` (ppolicyOutcome).
 */
function policyState(capture: PolicyCapture, bindSucceeded = false): ReturnType<typeof ppolicyOutcome> {
  if (capture.value === undefined || capture.value.length === 0) return undefined;
  try {
    return ppolicyOutcome(decodePasswordPolicyResponse(capture.value), { bindSucceeded });
  } catch {
    // A control we cannot decode says nothing; the result code still decides.
    return undefined;
  }
}

const isInvalidCredentials = (error: unknown): boolean =>
  error instanceof Error && ((error as { code?: unknown }).code === 49 || error.name === 'InvalidCredentialsError');

/**
 * A failed service search or listing as the typed error every thrown error must be (docs/errors.md): a base DN
 * the directory does not have (32 noSuchObject, 34 invalidDNSyntax) is the configuration's fault; anything
 * else (a dropped connection, a refused service bind, a server error) is the backend's. `base` names where the
 * search started (`profiles.baseDn`), never the DN itself: the cause keeps the driver's text.
 */
function directoryError(error: unknown, base: string): LegacyIdpError {
  if (isLegacyIdpError(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 32) return new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${base} does not exist in the directory (or the service account cannot see it)`, { cause: error });
  if (code === 34) return new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${base} is not a valid DN`, { cause: error });
  if (isInvalidCredentials(error)) return new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the LDAP service account could not bind', { cause: error });
  const what = isConnectionError(error) ? 'connection' : 'search';
  return new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `LDAP ${what} failed (search under ${base})`, { cause: toError(error) });
}

export function ldapUserStore(options: LdapStoreOptions): UserStore {
  const config = parseOptions(ldapStoreSchema, options, 'LDAP store options');
  const tls: ConnectionOptions | undefined = config.tls
    ? {
        minVersion: config.tls.minVersion,
        ...(config.tls.ca === undefined ? {} : { ca: config.tls.ca }),
        ...(config.tls.cert === undefined ? {} : { cert: config.tls.cert }),
        ...(config.tls.key === undefined ? {} : { key: config.tls.key }),
      }
    : undefined;
  const settings: ConnectionSettings = {
    urls: config.urls,
    tls,
    startTls: config.startTls,
    connectTimeoutMs: config.connectTimeoutMs,
    operationTimeoutMs: config.operationTimeoutMs,
  };
  const service = config.serviceAccount;
  /** A connection bound as the service account, for the service pool and for list()'s own paged search. */
  async function openServiceClient(): Promise<Client> {
    const client = await connect(settings);
    if (service) {
      try {
        await client.bind(service.dn, service.password);
      } catch (error) {
        closeQuietly(client);
        // A wrong service password is the operator's problem, never the user's: unavailable, not invalid.
        throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the LDAP service account could not bind', { cause: error });
      }
    }
    return client;
  }
  const servicePool: Pool = createPool(config.poolSize, openServiceClient, config.operationTimeoutMs);
  const bindPool: Pool = createPool(config.poolSize, () => connect(settings), config.operationTimeoutMs);
  let registry: HashRegistry | undefined = config.registry;
  /** The registry this store builds for itself (compare mode without `registry`): close() closes it (its hash workers). */
  let ownRegistryBuild: Promise<HashRegistry | undefined> | undefined;
  let passwordSchemes: UserPasswordSchemes | undefined;
  let closed = false;

  const unavailable = (error: unknown, what: string): VerifyOutcome => {
    if (!isLegacyIdpError(error)) {
      return { status: 'unavailable', reason: 'backend_error', error: new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `LDAP ${what} failed`, { cause: toError(error) }) };
    }
    // The caller's signal ended a wait for a connection (connection.ts): its deadline passed, the backend did not fail.
    if (error.code === 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED') return { status: 'unavailable', reason: 'deadline', error };
    // A base DN or filter the directory cannot use (directoryError): no password was checked, the operator must act.
    if (error.code === 'ERR_LEGACY_IDP_CONFIG_INVALID') return { status: 'unavailable', reason: 'misconfigured', error };
    return { status: 'unavailable', reason: 'backend_error', error };
  };

  /** Filters (templates filled with a harmless name) ldapts has parsed once: a malformed one is the operator's. */
  const parsedFilters = new Set<string>();
  async function assertFilter(filter: string, option: string): Promise<void> {
    if (parsedFilters.has(filter)) return;
    const { FilterParser } = await loadLdapts();
    try {
      FilterParser.parseString(filter);
    } catch (error) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${option} is not a valid LDAP filter (RFC 4515)`, { cause: error });
    }
    parsedFilters.add(filter);
  }

  /** One search for a user: where, how, and the option that configured it (named in errors). */
  interface UserSearch {
    baseDn: string;
    filter: string;
    scope: 'one' | 'sub';
    /** What errors call the base DN and the filter: `profiles.baseDn`, `profiles.filter`. */
    names: { baseDn: string; filter: string };
  }

  /** A search configured by `bind` or `profiles`. */
  const configured = (option: 'bind' | 'profiles', search: Omit<UserSearch, 'names'>): UserSearch => ({
    baseDn: search.baseDn,
    filter: search.filter,
    scope: search.scope,
    names: { baseDn: `${option}.baseDn`, filter: `${option}.filter` },
  });

  async function findEntry(search: UserSearch, username: string, attributes: string[], caller: PoolCaller | undefined): Promise<Entry[]> {
    await assertFilter(fillTemplate(search.filter, 'x', 'filter'), search.names.filter);
    const filter = fillTemplate(search.filter, username, 'filter');
    try {
      return await servicePool.run(async (client) => {
        const { searchEntries } = await client.search(search.baseDn, { scope: search.scope, filter, attributes, sizeLimit: 2, explicitBufferAttributes: binaryAttributes });
        return searchEntries;
      }, caller);
    } catch (error) {
      throw directoryError(error, search.names.baseDn);
    }
  }

  /**
   * Where a user binds: a DN, a UPN or a down-level name; undefined when a search finds nobody. A search also
   * names the account (`subjectId`); a name built from the typed one does not (the directory was not asked).
   */
  async function bindNameFor(username: string, caller: PoolCaller | undefined): Promise<{ name: string; subjectId?: string } | undefined> {
    const bind = config.bind;
    switch (bind.mode) {
      case 'dn-template':
        return { name: fillTemplate(bind.template, username, 'dn') };
      case 'upn':
        return { name: `${username}@${bind.domain}` };
      case 'down-level':
        return { name: `${bind.domain}\\${username}` };
      case 'search': {
        const entries = await findEntry(configured('bind', bind), username, withSubjectId(['1.1']), caller);
        if (entries.length > 1) throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the bind search filter matched more than one entry');
        const entry = entries[0];
        return entry === undefined ? undefined : { name: entry.dn, subjectId: subjectIdOf(entry) };
      }
      case 'compare':
        return undefined;
    }
  }

  /** Compare mode's userPassword rule, over the registry (built on first use, so other modes never load the schemes). */
  async function comparePasswordSchemes(): Promise<UserPasswordSchemes> {
    // One build for calls that come together: each would otherwise make (and leak) a registry of its own.
    ownRegistryBuild ??= registry === undefined ? import('../../hashes/registry.js').then(({ createHashRegistry }) => createHashRegistry()) : Promise.resolve(undefined);
    registry ??= await ownRegistryBuild;
    passwordSchemes ??= userPasswordSchemes(registry as HashRegistry);
    return passwordSchemes;
  }

  async function verifyByCompare(username: string, password: string, caller: PoolCaller | undefined): Promise<VerifyOutcome> {
    if (config.bind.mode !== 'compare') throw new Error('unreachable');
    const { baseDn, filter, attribute } = config.bind;
    // The account state is read with the password: a bind would be refused for it, so the comparison must be too.
    const wanted = [attribute, ...accountStateAttributes, 'pwdChangedTime', 'pwdPolicySubentry'];
    const entries = await findEntry(configured('bind', { baseDn, filter, scope: 'sub' }), username, withSubjectId(wanted), caller);
    if (entries.length > 1) return unavailable(new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the search filter matched more than one entry'), 'search');
    const entry = entries[0];
    if (!entry) return { status: 'unknown_user' };
    const passwordSchemes = await comparePasswordSchemes();
    const values = passwordSchemes.read(allValues(entry, attribute), `${config.name}: a ${attribute} value`);
    if (values.length === 0) {
      // No value (or none the service account may read): slapd refuses such a bind too. Spend the dummy check
      // first, as the LDIF store does, or the quick answer would tell these accounts from those with a hash.
      await spendDummy(password, caller);
      return { status: 'invalid', reason: 'wrong_password', detail: `no ${attribute}`, subjectId: subjectIdOf(entry) };
    }
    // The rule both LDAP stores share (user-password.ts): any value may match, one we cannot check never does.
    const answer = await passwordSchemes.check(password, values, attribute);
    rememberCompared(values, answer);
    if (answer.status === 'invalid') return { ...answer, subjectId: subjectIdOf(entry) };
    if (answer.status !== 'valid') return answer;
    // States are told only after the right password, by the rule the LDIF store uses (account-state.ts), with
    // what the entry's ppolicy policy adds when it can be read: a lock slapd no longer enforces is no lock (a
    // bind would clear it), and a password older than pwdMaxAge has expired.
    const policy = await passwordPolicyOf(entry, caller);
    const lockedTime = textValue(entry, 'pwdAccountLockedTime');
    const lockLapsed = policy !== undefined && lockedTime !== undefined && !lockoutInForce(lockedTime, policy);
    const account = accountStateOf((name) => (lockLapsed && name.toLowerCase() === 'pwdaccountlockedtime' ? undefined : textValue(entry, name)));
    const refused = accountStateOutcome(account) ?? passwordAgeOutcome(entry, policy);
    return refused ?? { ...answer, subjectId: subjectIdOf(entry) };
  }

  /**
   * Compare mode's dummy check verifies a stored value, as the LDIF and record stores' do: one of the scheme most
   * of the values compared so far use (the LDIF store's choice), so an unknown user or an entry without
   * userPassword costs what a wrong password costs. Only values that were really compared are kept (a value that
   * fails at once would cost nothing as a dummy). Until one has been compared there is none, and the dummy is the
   * bind of a name that cannot exist, as in search mode.
   */
  const comparedSchemes = new Map<string, { count: number; value: string }>();
  function rememberCompared(values: readonly UserPasswordValue[], answer: UserPasswordAnswer): void {
    // `invalid` without a detail: every value was compared. `valid`: the first value of the matching scheme.
    const compared =
      answer.status === 'valid'
        ? values.filter((stored) => 'scheme' in stored && stored.scheme === answer.scheme).slice(0, 1)
        : answer.status === 'invalid' && answer.detail === undefined
          ? values
          : [];
    for (const stored of compared) {
      if (!('scheme' in stored)) continue;
      const seen = comparedSchemes.get(stored.scheme);
      if (seen) seen.count += 1;
      else comparedSchemes.set(stored.scheme, { count: 1, value: stored.value });
    }
  }

  /** The dummy check of compare mode (a stored value, else a bind) and of the bind modes (a bind). */
  async function spendDummy(password: string, caller: PoolCaller | undefined): Promise<void> {
    if (password.length === 0) return;
    let dummy: [string, { count: number; value: string }] | undefined;
    for (const candidate of comparedSchemes) if (dummy === undefined || candidate[1].count > dummy[1].count) dummy = candidate;
    if (dummy !== undefined && registry !== undefined) {
      await registry.verify(password, dummy[1].value, { scheme: dummy[0] }).catch(() => undefined);
      return;
    }
    const bindName =
      config.bind.mode === 'search' || config.bind.mode === 'compare'
        ? `cn=${randomBytes(12).toString('hex')},${config.bind.baseDn}`
        : (await bindNameFor(`no-such-user-${randomBytes(12).toString('hex')}`, caller))?.name;
    if (bindName === undefined) return;
    // Held like a failed bind, but not observed: a name that cannot exist says nothing about a user's bind.
    let startedAt: number | undefined;
    await bindPool
      .run((client) => {
        startedAt = failureHold.now();
        return client.bind(bindName, password);
      }, caller)
      .catch(() => undefined);
    if (startedAt !== undefined) await failureHold.hold(startedAt, caller?.signal);
  }

  /**
   * The ppolicy policy a bind of this entry would be judged by: `pwdPolicySubentry`, else `bind.defaultPolicyDn`
   * (slapd's default policy lives in cn=config, which no one should be able to read). Undefined when neither
   * names one, or when the entry has nothing the policy would judge. Read per check, not cached: it costs one
   * base search, and only after a right password.
   */
  async function passwordPolicyOf(entry: Entry, caller: PoolCaller | undefined): Promise<PasswordPolicySettings | undefined> {
    if (textValue(entry, 'pwdChangedTime') === undefined && textValue(entry, 'pwdAccountLockedTime') === undefined) return undefined;
    const policyDn = textValue(entry, 'pwdPolicySubentry') ?? (config.bind.mode === 'compare' ? config.bind.defaultPolicyDn : undefined);
    if (policyDn === undefined) return undefined;
    let policy: Entry | undefined;
    try {
      policy = await servicePool.run(async (client) => (await client.search(policyDn, { scope: 'base', attributes: [...passwordPolicyAttributes] })).searchEntries[0], caller);
    } catch (error) {
      throw directoryError(error, 'the password policy entry (pwdPolicySubentry or bind.defaultPolicyDn)');
    }
    if (policy === undefined) return {};
    return { pwdMaxAge: textValue(policy, 'pwdMaxAge'), pwdLockout: textValue(policy, 'pwdLockout'), pwdLockoutDuration: textValue(policy, 'pwdLockoutDuration') };
  }

  /** ppolicy's password expiry, which a bind would answer (passwordExpired, or a grace login). */
  function passwordAgeOutcome(entry: Entry, policy: PasswordPolicySettings | undefined): VerifyOutcome | undefined {
    const expiresAt = passwordExpiresAt(textValue(entry, 'pwdChangedTime'), policy?.pwdMaxAge);
    if (expiresAt === null || expiresAt.getTime() > Date.now()) return undefined;
    return { status: 'password_expired', detail: 'ppolicy: pwdChangedTime + pwdMaxAge has passed' };
  }

  async function verify(input: VerifyInput): Promise<VerifyOutcome> {
    if (closed) throw new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', 'the LDAP store is closed');
    const { username, password } = input;
    // An empty password is an unauthenticated bind (RFC 4513 5.1.2), which many servers let "succeed".
    if (typeof password !== 'string' || password.length === 0) return { status: 'invalid', reason: 'empty_password' };
    // Control characters never belong in a username, and Samba cuts a name at NUL: `alice\0` bound as alice.
    if (typeof username !== 'string' || username.length === 0 || hasControlCharacters(username)) {
      return { status: 'invalid', reason: 'malformed_input' };
    }
    // Samba cuts a password at NUL as it cuts a name: `right\0anything` bound as `right`. No password has one.
    if (password.includes('\u0000')) return { status: 'invalid', reason: 'malformed_input' };
    try {
      // `input` goes along as the caller: its signal is a getter the Authenticator fills on first read.
      const outcome = config.bind.mode === 'compare' ? await verifyByCompare(username, password, input) : await verifyByBind(username, password, input);
      if (outcome.status !== 'valid' || !config.profiles) return outcome;
      // The subject id must be the one bulk migration uses (get/list): the profile's, not the bind name.
      const entry = await findProfileEntry(config.profiles, username, input);
      if (!entry) return outcome;
      const profile = toProfile(entry, username);
      const mismatch = await boundElsewhere(username, outcome, entry, input);
      // The password is not this profile's account's password: a wrong password for it, counted against it.
      if (mismatch !== undefined) return { status: 'invalid', reason: 'wrong_password', detail: mismatch, subjectId: profile.subjectId };
      // The profile goes along with the outcome: the Authenticator then skips a second search (outcome.ts).
      return withProfileRead({ ...outcome, subjectId: profile.subjectId }, profile);
    } catch (error) {
      // Configuration the directory cannot use (a base DN it lacks, a malformed filter) is `misconfigured` here.
      return unavailable(error, isConnectionError(error) ? 'connection' : 'bind');
    }
  }

  /**
   * Why the account that proved the password is not `entry`, the one the profile filter found; undefined when
   * it is. A bind name and a profile filter are two ways of finding a user, and when they find two accounts the
   * sign-in would hand one account's profile to the holder of another's password: in AD, `bobby@corp.example`
   * may be Ann's UPN while `(sAMAccountName=bobby)` finds Bob. DN templates are not checked: the bind DN is
   * built from the name, and its spelling (case, escapes) need not match the stored DN's.
   */
  async function boundElsewhere(username: string, outcome: ValidOutcome, entry: Entry, caller: PoolCaller | undefined): Promise<string | undefined> {
    const bind = config.bind;
    const same = (value: string | undefined, expected: string): boolean => value !== undefined && value.toLowerCase() === expected.toLowerCase();
    switch (bind.mode) {
      case 'search':
        // A valid bind names its DN; both DNs come from the same server's answers, so one entry has one spelling.
        return same(entry.dn, outcome.subjectId) ? undefined : 'the bind search and the profile filter found different entries';
      case 'compare':
        return outcome.subjectId === subjectIdOf(entry) ? undefined : 'the compare search and the profile filter found different entries';
      case 'down-level':
        // DOMAIN\name binds the account whose sAMAccountName is name.
        return same(textValue(entry, 'sAMAccountName'), username) ? undefined : "the down-level bind name is not the profile's sAMAccountName";
      case 'upn': {
        const upn = `${username}@${bind.domain}`;
        if (same(textValue(entry, 'userPrincipalName'), upn)) return undefined;
        // AD binds the account holding this UPN, and only when none does, the account whose sAMAccountName is
        // the name (its implicit UPN, name@dns-domain). The holder is looked up in the whole domain, not only
        // under profiles.baseDn: an account outside it can hold the UPN too.
        const holders = await findEntry(
          { baseDn: await namingContext(caller), filter: '(userPrincipalName={username})', scope: 'sub', names: { baseDn: 'the defaultNamingContext', filter: 'the UPN filter' } },
          upn,
          ['1.1'],
          caller,
        );
        // The directory's own matching may find the profile's entry where a plain case-insensitive comparison did not.
        const held = holders.length === 0 ? same(textValue(entry, 'sAMAccountName'), username) : holders.length === 1 && same(holders[0]?.dn, entry.dn);
        return held ? undefined : 'the UPN bound another account than the profile filter found';
      }
      case 'dn-template':
        return undefined;
    }
  }

  /** The directory's defaultNamingContext (AD: the domain), read once from the root DSE; else profiles.baseDn. */
  let namingContextDn: string | undefined;
  async function namingContext(caller: PoolCaller | undefined): Promise<string> {
    if (namingContextDn === undefined) {
      let root: Entry | undefined;
      try {
        root = await servicePool.run(async (client) => (await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] })).searchEntries[0], caller);
      } catch (error) {
        throw directoryError(error, 'the root DSE');
      }
      namingContextDn = (root === undefined ? undefined : textValue(root, 'defaultNamingContext')) ?? config.profiles?.baseDn ?? '';
    }
    return namingContextDn;
  }

  /**
   * Failed binds take as long as the slowest user bind lately (failure-hold.ts): directories answer an unknown
   * name sooner than a wrong password, which would tell an attacker which accounts exist. Capped at 1 s (or the
   * operation timeout) and always answered before the caller's deadline, so a held failure is still counted.
   */
  const failureHold = createFailureHold({ maxHoldMs: Math.min(1_000, config.operationTimeoutMs) });

  async function verifyByBind(username: string, password: string, caller: PoolCaller | undefined): Promise<VerifyOutcome> {
    const target = await bindNameFor(username, caller);
    if (target === undefined) return { status: 'unknown_user' };
    const bindName = target.name;
    const capture = await policyCapture();
    let startedAt = 0;
    const outcome = await bindPool.run(async (client): Promise<VerifyOutcome> => {
      // The clock starts with the bind: a wait for a pooled connection says nothing about the account.
      startedAt = failureHold.now();
      try {
        await client.bind(bindName, password, capture);
        return policyState(capture, true) ?? { status: 'valid', subjectId: bindName };
      } catch (error) {
        if (isInvalidCredentials(error)) return policyState(capture) ?? bindFailureOutcome(toError(error));
        throw error;
      }
    }, caller);
    failureHold.observe(startedAt);
    // A refused bind to a DN (ppolicy's accountLocked) may be the administrative lock, which compare mode answers
    // `disabled`: ask the entry. AD's 775 (upn, down-level) is its own lockout and stays `locked`.
    if (outcome.status === 'locked' && (config.bind.mode === 'dn-template' || config.bind.mode === 'search')) return (await administrativeLockOf(bindName, caller)) ?? outcome;
    if (outcome.status !== 'invalid') return outcome;
    await failureHold.hold(startedAt, caller?.signal);
    return outcome.reason === 'wrong_password' && target.subjectId !== undefined ? { ...outcome, subjectId: target.subjectId } : outcome;
  }

  /**
   * ppolicy's accountLocked does not say which lock refused the bind. The entry's pwdAccountLockedTime does:
   * read as the service account (anonymously without one), the administrative lock answers `disabled`, as
   * compare mode and the LDIF store answer it (account-state.ts). When the entry cannot be read (an ACL, a
   * dropped connection, the deadline) the answer stays `locked`: the bind was refused either way.
   */
  async function administrativeLockOf(dn: string, caller: PoolCaller | undefined): Promise<VerifyOutcome | undefined> {
    try {
      const entry = await servicePool.run(async (client) => (await client.search(dn, { scope: 'base', attributes: ['pwdAccountLockedTime'] })).searchEntries[0], caller);
      return entry === undefined ? undefined : administrativeLock(textValue(entry, 'pwdAccountLockedTime'));
    } catch {
      return undefined;
    }
  }

  /**
   * The id a valid sign-in reports for this entry: the profile's subject id with profiles, else the DN. A wrong
   * password names it too, so the Authenticator's lockout counts every name that finds this entry together.
   */
  function subjectIdOf(entry: Entry): string {
    const attribute = config.profiles?.subjectIdAttribute;
    return attribute === undefined || attribute.toLowerCase() === 'dn' ? entry.dn : (textValue(entry, attribute) ?? entry.dn);
  }

  /** What a search for the user must read besides `wanted` to name the account (subjectIdOf). */
  function withSubjectId(wanted: string[]): string[] {
    const attribute = config.profiles?.subjectIdAttribute;
    return attribute === undefined || attribute.toLowerCase() === 'dn' ? wanted : [...wanted.filter((name) => name !== '1.1'), attribute];
  }

  /**
   * Compare mode reads userPassword (profileAttributeList asks for it): a lock marker there (`{CRYPT}!...`) disables
   * the profile as verify answers it, so pre-migration does not create the account enabled. The bind modes never
   * read userPassword (docs/stores/ldap.md). Profile reads in compare mode build the rule first.
   */
  function passwordLockOf(entry: Entry): string | undefined {
    if (config.bind.mode !== 'compare') return undefined;
    if (passwordSchemes === undefined) throw new Error('unreachable: compare-mode profiles read after comparePasswordSchemes()');
    const { attribute } = config.bind;
    return passwordSchemes.lockOf(passwordSchemes.read(allValues(entry, attribute), `${config.name}: a ${attribute} value`));
  }

  function toProfile(entry: Entry, fallbackUsername?: string): Profile {
    const settingsForProfiles = config.profiles;
    if (!settingsForProfiles) throw new Error('unreachable');
    const { usernameAttribute, email, givenName, surname, displayName, attributes } = settingsForProfiles;
    const subjectId = subjectIdOf(entry);
    const username = (textValue(entry, usernameAttribute) ?? fallbackUsername ?? entry.dn).toLowerCase();
    const profile: Profile = { subjectId, username, attributes: {}, cursor: entry.dn };
    const set = (field: 'email' | 'givenName' | 'surname' | 'displayName', attribute: string): void => {
      const value = attribute === '' ? undefined : textValue(entry, attribute);
      if (value !== undefined) profile[field] = value;
    };
    set('email', email);
    set('givenName', givenName);
    set('surname', surname);
    set('displayName', displayName);
    // The LDIF store's rule (account-state.ts): ppolicy's administrative lock and nsAccountLock disable an
    // account as userAccountControl does, so bulk migration does not create it enabled.
    profile.enabled = accountEnabled(accountStateOf((name) => textValue(entry, name))) && passwordLockOf(entry) === undefined;
    const extra: Record<string, unknown> = {};
    for (const [claim, attribute] of Object.entries(attributes)) {
      const value = textValue(entry, attribute);
      if (value !== undefined) extra[claim] = value;
    }
    profile.attributes = extra;
    return profile;
  }

  type ProfileSettings = NonNullable<typeof config.profiles>;

  async function findProfileEntry(p: ProfileSettings, username: string, caller: PoolCaller | undefined): Promise<Entry | undefined> {
    const entries = await findEntry(configured('profiles', p), username, profileAttributeList, caller);
    if (entries.length > 1) throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the profile filter matched more than one entry');
    return entries[0];
  }

  async function getProfile(username: string, caller?: PoolCaller): Promise<Profile | null> {
    const p = config.profiles;
    if (!p) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'this LDAP store has no `profiles` settings');
    // See verify(): NUL and friends never name a user.
    if (typeof username !== 'string' || username.length === 0 || hasControlCharacters(username)) return null;
    if (config.bind.mode === 'compare') await comparePasswordSchemes();
    const entry = await findProfileEntry(p, username, caller);
    return entry ? toProfile(entry, username) : null;
  }

  // The attributes every profile read asks for, fixed by the options: worked out once, not per sign-in.
  const profileAttributeList: string[] = config.profiles
    ? [
        config.profiles.usernameAttribute,
        config.profiles.subjectIdAttribute,
        config.profiles.email,
        config.profiles.givenName,
        config.profiles.surname,
        config.profiles.displayName,
        ...accountStateAttributes,
        // Compare mode's service account reads userPassword anyway: a lock marker there disables the profile.
        ...(config.bind.mode === 'compare' ? [config.bind.attribute] : []),
        // What an AD bind name is checked against (boundElsewhere).
        ...(config.bind.mode === 'upn' || config.bind.mode === 'down-level' ? ['sAMAccountName', 'userPrincipalName'] : []),
        ...Object.values(config.profiles.attributes),
      ].filter((attribute, index, all) => attribute !== '' && attribute.toLowerCase() !== 'dn' && all.findIndex((other) => other.toLowerCase() === attribute.toLowerCase()) === index)
    : [];

  return {
    name: config.name,
    verify,
    /**
     * An unknown user in search mode costs a search but no bind: bind once as a name that cannot exist, so
     * the answer takes as long as a wrong password would. In compare mode, verify a stored value (spendDummy).
     */
    async dummyVerify(password, options) {
      await spendDummy(password, options);
    },
    get: getProfile,
    async *list(listOptions: ListOptions = {}) {
      const p = config.profiles;
      if (!p) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'this LDAP store has no `profiles` settings');
      const pageSize = Math.min(listOptions.batchSize ?? p.pageSize, p.pageSize);
      // LDAP has no stable order to seek in: resuming skips entries up to and including the cursor's DN.
      let skipping = listOptions.after !== undefined;
      await assertFilter(p.listFilter, 'profiles.listFilter');
      if (config.bind.mode === 'compare') await comparePasswordSchemes();
      // Its own connection, not a pooled one: a listing holds it for as long as the caller takes to consume it.
      const client: Client = await openServiceClient();
      try {
        const pages = client.searchPaginated(p.baseDn, {
          scope: p.scope,
          filter: p.listFilter,
          attributes: profileAttributeList,
          explicitBufferAttributes: binaryAttributes,
          paged: { pageSize },
        });
        for await (const page of pages) {
          listOptions.signal?.throwIfAborted();
          for (const entry of page.searchEntries) {
            if (skipping) {
              if (entry.dn === listOptions.after) skipping = false;
              continue;
            }
            yield toProfile(entry);
          }
        }
      } catch (error) {
        // The caller's own abort stays what it is; a directory failure becomes a typed error (directoryError).
        if (listOptions.signal?.aborted === true && error === listOptions.signal.reason) throw error;
        throw directoryError(error, 'profiles.baseDn');
      } finally {
        closeQuietly(client);
      }
    },
    async close() {
      closed = true;
      await Promise.all([servicePool.close(), bindPool.close(), ownRegistryBuild?.then((built) => built?.close())]);
    },
  };
}
