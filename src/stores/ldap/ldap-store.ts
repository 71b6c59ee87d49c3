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
import { withProfileRead, type VerifyOutcome } from '../../core/outcome.js';
import { hasControlCharacters } from '../../core/normalize.js';
import { parseOptions } from '../../core/validate.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { adBindDiagnostic, adSubCodeOutcome, decodeObjectGuid, decodeObjectSid, userAccountControlFlags } from './active-directory.js';
import { closeQuietly, connect, createPool, isConnectionError, loadLdapts, type ConnectionSettings, type Pool, type PoolCaller } from './connection.js';
import { decodePasswordPolicyResponse, passwordPolicyControlOid, ppolicyOutcome } from './ppolicy.js';
import { fillTemplate } from './escape.js';
import { userPasswordSchemes, type UserPasswordSchemes } from './user-password.js';

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
        listFilter: z.string().min(1).default('(objectClass=person)'),
        scope: z.enum(['one', 'sub']).default('sub'),
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

/** The ppolicy state in a bind response, when the server sent one we can read. */
function policyState(capture: PolicyCapture): ReturnType<typeof ppolicyOutcome> {
  if (capture.value === undefined || capture.value.length === 0) return undefined;
  try {
    return ppolicyOutcome(decodePasswordPolicyResponse(capture.value));
  } catch {
    // A control we cannot decode says nothing; the result code still decides.
    return undefined;
  }
}

const isInvalidCredentials = (error: unknown): boolean =>
  error instanceof Error && ((error as { code?: unknown }).code === 49 || error.name === 'InvalidCredentialsError');

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
  const servicePool: Pool = createPool(config.poolSize, async () => {
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
  }, config.operationTimeoutMs);
  const bindPool: Pool = createPool(config.poolSize, () => connect(settings), config.operationTimeoutMs);
  let registry: HashRegistry | undefined = config.registry;
  let passwordSchemes: UserPasswordSchemes | undefined;
  let closed = false;

  const unavailable = (error: unknown, what: string): VerifyOutcome => ({
    status: 'unavailable',
    // The caller's signal ended a wait for a connection (connection.ts): its deadline passed, the backend did not fail.
    reason: isLegacyIdpError(error) && error.code === 'ERR_LEGACY_IDP_DEADLINE_EXCEEDED' ? 'deadline' : 'backend_error',
    error: isLegacyIdpError(error) ? error : new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `LDAP ${what} failed`, { cause: toError(error) }),
  });

  async function findEntry(baseDn: string, filterTemplate: string, scope: 'one' | 'sub', username: string, attributes: string[], caller: PoolCaller | undefined): Promise<Entry[]> {
    const filter = fillTemplate(filterTemplate, username, 'filter');
    return servicePool.run(async (client) => {
      const { searchEntries } = await client.search(baseDn, { scope, filter, attributes, sizeLimit: 2, explicitBufferAttributes: binaryAttributes });
      return searchEntries;
    }, caller);
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
        const entries = await findEntry(bind.baseDn, bind.filter, bind.scope, username, withSubjectId(['1.1']), caller);
        if (entries.length > 1) throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the bind search filter matched more than one entry');
        const entry = entries[0];
        return entry === undefined ? undefined : { name: entry.dn, subjectId: subjectIdOf(entry) };
      }
      case 'compare':
        return undefined;
    }
  }

  async function verifyByCompare(username: string, password: string, caller: PoolCaller | undefined): Promise<VerifyOutcome> {
    if (config.bind.mode !== 'compare') throw new Error('unreachable');
    const { baseDn, filter, attribute } = config.bind;
    const entries = await findEntry(baseDn, filter, 'sub', username, withSubjectId([attribute]), caller);
    if (entries.length > 1) return unavailable(new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the search filter matched more than one entry'), 'search');
    const entry = entries[0];
    if (!entry) return { status: 'unknown_user' };
    registry ??= (await import('../../hashes/registry.js')).createHashRegistry();
    passwordSchemes ??= userPasswordSchemes(registry);
    const values = passwordSchemes.read(allValues(entry, attribute), `${config.name}: a ${attribute} value`);
    if (values.length === 0) return { status: 'invalid', reason: 'wrong_password', detail: `no ${attribute}`, subjectId: subjectIdOf(entry) };
    // The rule both LDAP stores share (user-password.ts): any value may match, one we cannot check never does.
    const answer = await passwordSchemes.check(password, values, attribute);
    if (answer.status === 'valid') return { ...answer, subjectId: subjectIdOf(entry) };
    return answer.status === 'invalid' ? { ...answer, subjectId: subjectIdOf(entry) } : answer;
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
    try {
      // `input` goes along as the caller: its signal is a getter the Authenticator fills on first read.
      const outcome = config.bind.mode === 'compare' ? await verifyByCompare(username, password, input) : await verifyByBind(username, password, input);
      if (outcome.status !== 'valid' || !config.profiles) return outcome;
      // The subject id must be the one bulk migration uses (get/list): the profile's, not the bind name.
      const profile = await getProfile(username, input);
      // The profile goes along with the outcome: the Authenticator then skips a second search (outcome.ts).
      return profile ? withProfileRead({ ...outcome, subjectId: profile.subjectId }, profile) : outcome;
    } catch (error) {
      if (isLegacyIdpError(error) && error.code === 'ERR_LEGACY_IDP_CONFIG_INVALID') throw error;
      return unavailable(error, isConnectionError(error) ? 'connection' : 'bind');
    }
  }

  /**
   * Failed binds answer no faster than most failed binds lately. Directories answer an unknown name sooner
   * than a wrong password (measured on Samba AD: 0.7 ms against 3.7 ms, both `data 52e`), which would tell an
   * attacker which accounts exist; the store cannot tell the two apart, so every failure is held to the 90th
   * percentile of the last 64 failures (capped at the operation timeout).
   */
  const failureLatencies: number[] = [];
  async function holdFailure(startedAt: number): Promise<void> {
    const elapsed = performance.now() - startedAt;
    failureLatencies.push(elapsed);
    if (failureLatencies.length > 64) failureLatencies.shift();
    const sorted = [...failureLatencies].sort((a, b) => a - b);
    const target = Math.min(sorted[Math.floor((sorted.length - 1) * 0.9)] ?? 0, config.operationTimeoutMs);
    if (target > elapsed) await new Promise((resolve) => setTimeout(resolve, target - elapsed));
  }

  async function verifyByBind(username: string, password: string, caller: PoolCaller | undefined): Promise<VerifyOutcome> {
    const target = await bindNameFor(username, caller);
    if (target === undefined) return { status: 'unknown_user' };
    const bindName = target.name;
    const capture = await policyCapture();
    const startedAt = performance.now();
    const outcome = await bindPool.run(async (client): Promise<VerifyOutcome> => {
      try {
        await client.bind(bindName, password, capture);
        return policyState(capture) ?? { status: 'valid', subjectId: bindName };
      } catch (error) {
        if (isInvalidCredentials(error)) return policyState(capture) ?? bindFailureOutcome(toError(error));
        throw error;
      }
    }, caller);
    if (outcome.status !== 'invalid') return outcome;
    await holdFailure(startedAt);
    return outcome.reason === 'wrong_password' && target.subjectId !== undefined ? { ...outcome, subjectId: target.subjectId } : outcome;
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
    const uac = textValue(entry, 'userAccountControl');
    if (uac !== undefined) profile.enabled = !userAccountControlFlags(uac).disabled;
    const extra: Record<string, unknown> = {};
    for (const [claim, attribute] of Object.entries(attributes)) {
      const value = textValue(entry, attribute);
      if (value !== undefined) extra[claim] = value;
    }
    profile.attributes = extra;
    return profile;
  }

  async function getProfile(username: string, caller?: PoolCaller): Promise<Profile | null> {
    const p = config.profiles;
    if (!p) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'this LDAP store has no `profiles` settings');
    // See verify(): NUL and friends never name a user.
    if (typeof username !== 'string' || username.length === 0 || hasControlCharacters(username)) return null;
    const entries = await findEntry(p.baseDn, p.filter, p.scope, username, profileAttributeList, caller);
    if (entries.length > 1) throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', 'the profile filter matched more than one entry');
    const entry = entries[0];
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
        'userAccountControl',
        ...Object.values(config.profiles.attributes),
      ].filter((attribute) => attribute !== '' && attribute.toLowerCase() !== 'dn')
    : [];

  return {
    name: config.name,
    verify,
    /**
     * An unknown user in search mode costs a search but no bind: bind once as a name that cannot exist, so
     * the answer takes as long as a wrong password would.
     */
    async dummyVerify(password, options) {
      const bindName =
        config.bind.mode === 'search' || config.bind.mode === 'compare'
          ? `cn=${randomBytes(12).toString('hex')},${config.bind.baseDn}`
          : (await bindNameFor(`no-such-user-${randomBytes(12).toString('hex')}`, options))?.name;
      if (bindName === undefined || password.length === 0) return;
      const startedAt = performance.now();
      await bindPool.run((client) => client.bind(bindName, password), options).catch(() => undefined);
      await holdFailure(startedAt);
    },
    get: getProfile,
    async *list(listOptions: ListOptions = {}) {
      const p = config.profiles;
      if (!p) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'this LDAP store has no `profiles` settings');
      const pageSize = Math.min(listOptions.batchSize ?? p.pageSize, p.pageSize);
      // LDAP has no stable order to seek in: resuming skips entries up to and including the cursor's DN.
      let skipping = listOptions.after !== undefined;
      const client: Client = await connect(settings);
      try {
        if (service) await client.bind(service.dn, service.password);
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
      } finally {
        closeQuietly(client);
      }
    },
    async close() {
      closed = true;
      await Promise.all([servicePool.close(), bindPool.close()]);
    },
  };
}
