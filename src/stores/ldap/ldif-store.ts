import { open, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import type { ListOptions, Profile, StoredCredential, UserStore, VerifyInput } from '../../core/contracts.js';
import { LegacyIdpError, isLegacyIdpError, toError } from '../../core/errors.js';
import { createUsernameNormalizer, usernameNormalizationSchema } from '../../core/normalize.js';
import type { VerifyOutcome } from '../../core/outcome.js';
import { parseOptions } from '../../core/validate.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { accountEnabled, accountStateOf, accountStateOutcome, type AccountStanding } from './account-state.js';
import { decodeObjectGuid } from './active-directory.js';
import { parseLdif, type LdifEntry } from './ldif.js';
import { userPasswordSchemes, type UserPasswordValue } from './user-password.js';

/**
 * A user store over an LDIF export (slapcat, ldapsearch -L, db2ldif): offline verification of the exported
 * `userPassword` hashes and a profile source for bulk migration, with no directory server running. The file
 * is read once, streamed, when the store is built; only the users' mapped fields and password values stay in
 * memory.
 */

const attributeName = z.string().regex(/^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/u, 'must be an LDAP attribute description');

export const ldifStoreSchema = z
  .object({
    /** The LDIF file. */
    path: z.string().min(1),
    name: z.string().min(1).default('ldif'),
    /** The attribute holding the sign-in name: `uid` (OpenLDAP, 389-DS), `sAMAccountName` or `userPrincipalName` (AD). */
    usernameAttribute: attributeName.default('uid'),
    passwordAttribute: attributeName.default('userPassword'),
    /** Profile fields from attributes. Defaults: mail, displayName, givenName, sn; `attributes` maps extra claims. */
    mapping: z
      .object({
        email: attributeName.optional(),
        displayName: attributeName.optional(),
        givenName: attributeName.optional(),
        surname: attributeName.optional(),
        attributes: z.record(z.string().min(1), attributeName).optional(),
      })
      .strict()
      .optional(),
    /** The hash registry; by default one with every built-in scheme, closed with the store. */
    registry: z
      .custom<HashRegistry>((value) => typeof value === 'object' && value !== null && 'verify' in value && 'identify' in value, 'must be a HashRegistry')
      .optional(),
    normalization: usernameNormalizationSchema.optional(),
    /**
     * Also find users by their email. An email two entries share finds neither (it is counted in `stats`);
     * the usernames still work.
     */
    matchEmail: z.boolean().default(false),
    /**
     * Answer account states the export records, after a correct password only: AD userAccountControl,
     * accountExpires and pwdLastSet 0; ppolicy pwdAccountLockedTime and pwdReset; 389-DS nsAccountLock;
     * shadowExpire.
     */
    accountState: z.boolean().default(true),
    /** Largest LDIF record in bytes (default 1 MiB). */
    maxRecordBytes: z.number().int().positive().optional(),
  })
  .strict();

export type LdifStoreOptions = z.input<typeof ldifStoreSchema>;

export interface LdifStoreStats {
  /** Entries read (change records with `changetype: add` included). */
  entries: number;
  /** Entries with a username: the users this store knows. */
  users: number;
  /** Entries without the username attribute (organizational units, groups, the base entry). */
  entriesWithoutUsername: number;
  /** Change records other than `add`, skipped. */
  skippedChangeRecords: number;
  /** Emails two or more entries share (only with `matchEmail`): they find nobody. */
  ambiguousEmails: number;
}

export interface LdifUserStore extends UserStore {
  readonly stats: Readonly<LdifStoreStats>;
  /** Closes the hash registry the store built for itself (not one passed in). */
  close(): Promise<void>;
}

interface StoredUser {
  profile: Profile;
  /** The userPassword values as user-password.ts reads them, once, at load. */
  passwords: UserPasswordValue[];
  /** What the export says about the account (account-state.ts); expiry is compared at verify time. */
  account: AccountStanding;
  line: number;
}

const first = (entry: LdifEntry, attribute: string): string | Buffer | undefined => entry.attributes.get(attribute.toLowerCase())?.[0];
const firstText = (entry: LdifEntry, attribute: string): string | undefined => {
  const value = first(entry, attribute);
  return typeof value === 'string' ? value : undefined;
};

/**
 * The stable id: entryUUID (OpenLDAP, 389-DS), else objectGUID (AD, in the form AD tools print), else the
 * DN. A live LDAP store must use the same rule, so a user pre-migrated from an export and one signing in
 * later through the directory get the same subject.
 */
function subjectIdOf(entry: LdifEntry): string {
  const entryUuid = firstText(entry, 'entryUUID');
  if (entryUuid !== undefined && entryUuid.trim() !== '') return entryUuid.trim().toLowerCase();
  const guid = first(entry, 'objectGUID');
  if (guid instanceof Buffer && guid.length === 16) return decodeObjectGuid(guid);
  return entry.dn;
}

export async function ldifUserStore(options: LdifStoreOptions): Promise<LdifUserStore> {
  const config = parseOptions(ldifStoreSchema, options, 'ldif store options');
  const normalize = createUsernameNormalizer(config.normalization ?? {});
  // Loaded only when needed, so importing legacy-idp/ldap does not load every hash scheme.
  const registry = config.registry ?? (await import('../../hashes/registry.js')).createHashRegistry();
  const ownsRegistry = config.registry === undefined;
  const passwordSchemes = userPasswordSchemes(registry);
  const mapping = {
    email: config.mapping?.email ?? 'mail',
    displayName: config.mapping?.displayName ?? 'displayName',
    givenName: config.mapping?.givenName ?? 'givenName',
    surname: config.mapping?.surname ?? 'sn',
    attributes: config.mapping?.attributes ?? {},
  };

  const byName = new Map<string, StoredUser>();
  const ordered: StoredUser[] = [];
  const dnIndex = new Map<string, number>();
  const emails = new Map<string, StoredUser | null>();
  const schemeCounts = new Map<string, { count: number; value: string }>();
  const stats: LdifStoreStats = { entries: 0, users: 0, entriesWithoutUsername: 0, skippedChangeRecords: 0, ambiguousEmails: 0 };

  const addUser = (entry: LdifEntry): void => {
    const names = (entry.attributes.get(config.usernameAttribute.toLowerCase()) ?? []).filter((v): v is string => typeof v === 'string').map(normalize);
    const username = names.find((name) => name !== '');
    if (username === undefined) {
      stats.entriesWithoutUsername += 1;
      return;
    }
    const passwords = passwordSchemes.read(
      entry.attributes.get(config.passwordAttribute.toLowerCase()) ?? [],
      `${config.name}: a ${config.passwordAttribute} value of the entry at LDIF line ${entry.line}`,
    );
    for (const stored of passwords) {
      if (!('scheme' in stored)) continue;
      const seen = schemeCounts.get(stored.scheme);
      if (seen) seen.count += 1;
      else schemeCounts.set(stored.scheme, { count: 1, value: stored.value });
    }
    let account: AccountStanding;
    try {
      account = config.accountState ? accountStateOf((attribute) => firstText(entry, attribute)) : { state: { status: 'active' }, expiresAt: null };
    } catch (error) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_LDIF_INVALID', `LDIF line ${entry.line}: ${toError(error).message}`, { cause: error });
    }
    const credentialSource = passwords.find((stored) => 'scheme' in stored);
    const credential: StoredCredential | undefined =
      credentialSource === undefined || !('scheme' in credentialSource)
        ? undefined
        : {
            scheme: credentialSource.scheme,
            hash: credentialSource.value,
            ...(credentialSource.scheme === passwordSchemes.plaintext ? { recoverable: true } : {}),
          };
    const email = firstText(entry, mapping.email);
    const displayName = firstText(entry, mapping.displayName);
    const givenName = firstText(entry, mapping.givenName);
    const surname = firstText(entry, mapping.surname);
    const attributes: Record<string, unknown> = { dn: entry.dn };
    for (const [claim, attribute] of Object.entries(mapping.attributes)) {
      const values = entry.attributes.get(attribute.toLowerCase());
      if (values !== undefined) attributes[claim] = values.length === 1 ? values[0] : values;
    }
    const profile: Profile = {
      subjectId: subjectIdOf(entry),
      username,
      ...(email === undefined ? {} : { email }),
      ...(displayName === undefined ? {} : { displayName }),
      ...(givenName === undefined ? {} : { givenName }),
      ...(surname === undefined ? {} : { surname }),
      // A userPassword lock marker disables the account as `verify` answers it, whatever `accountState` says: it is
      // the password's own answer, not a state.
      enabled: accountEnabled(account) && passwordSchemes.lockOf(passwords) === undefined,
      attributes: Object.freeze(attributes),
      ...(credential === undefined ? {} : { credential: Object.freeze(credential) }),
      cursor: entry.dn,
    };
    // Callers get the stored object itself; freezing keeps one caller's edits from reaching the next.
    Object.freeze(profile);
    const user: StoredUser = { profile, passwords, account, line: entry.line };
    // An export where two entries answer to one name cannot say which one signs in: refuse it whole.
    for (const name of new Set(names.filter((n) => n !== ''))) {
      const other = byName.get(name);
      if (other) throw new LegacyIdpError('ERR_LEGACY_IDP_LDIF_INVALID', `LDIF line ${entry.line}: username already used by the entry at line ${other.line}`);
      byName.set(name, user);
    }
    if (dnIndex.has(entry.dn)) throw new LegacyIdpError('ERR_LEGACY_IDP_LDIF_INVALID', `LDIF line ${entry.line}: DN repeats an earlier entry`);
    dnIndex.set(entry.dn, ordered.length);
    ordered.push(user);
    stats.users += 1;
    if (config.matchEmail && email !== undefined && email.trim() !== '') {
      const key = normalize(email);
      emails.set(key, emails.has(key) ? null : user);
    }
  };

  try {
    let handle: FileHandle;
    try {
      handle = await open(config.path, 'r');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `cannot read LDIF file (${typeof code === 'string' ? code : 'error'})`, { cause: error });
    }
    const stream = handle.createReadStream();
    try {
      const entries = parseLdif(stream, {
        ...(config.maxRecordBytes === undefined ? {} : { maxRecordBytes: config.maxRecordBytes }),
        onSkippedRecord: () => {
          stats.skippedChangeRecords += 1;
        },
      });
      for await (const entry of entries) {
        stats.entries += 1;
        addUser(entry);
      }
    } catch (error) {
      if (isLegacyIdpError(error)) throw error;
      const code = (error as { code?: unknown }).code;
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `cannot read LDIF file (${typeof code === 'string' ? code : 'error'})`, { cause: error });
    } finally {
      stream.destroy();
      await handle.close().catch(() => undefined);
    }
  } catch (error) {
    if (ownsRegistry) await registry.close();
    throw error;
  }

  for (const [email, user] of emails) {
    if (user === null) stats.ambiguousEmails += 1;
    else if (!byName.has(email)) byName.set(email, user);
  }

  // The dummy check runs the scheme most of the file uses, on one of its stored values: the same work a
  // real wrong password costs for most users. Its answer is thrown away.
  const dummy = [...schemeCounts.entries()].sort((a, b) => b[1].count - a[1].count)[0];

  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', `store "${config.name}" is closed`);
  };
  const find = (username: string): StoredUser | undefined => byName.get(normalize(username));

  async function verify({ username, password }: VerifyInput): Promise<VerifyOutcome> {
    assertOpen();
    if (password.length === 0) return { status: 'invalid', reason: 'empty_password' };
    const user = find(username);
    if (!user) return { status: 'unknown_user' };
    if (user.passwords.length === 0) {
      // slapd refuses a bind to an entry without userPassword the same way; spend the usual time first.
      await dummyVerify(password);
      return { status: 'invalid', reason: 'wrong_password', detail: `no ${config.passwordAttribute}`, subjectId: user.profile.subjectId };
    }
    // The rule both LDAP stores share (user-password.ts): any value may match, one we cannot check never does.
    const answer = await passwordSchemes.check(password, user.passwords, config.passwordAttribute);
    if (answer.status === 'invalid') return { ...answer, subjectId: user.profile.subjectId };
    if (answer.status !== 'valid') return answer;

    // States are told only to someone who knows the password, as AD and ppolicy do.
    const refused = accountStateOutcome(user.account);
    if (refused) return refused;
    return { status: 'valid', subjectId: user.profile.subjectId, scheme: answer.scheme, needsUpgrade: answer.needsUpgrade };
  }

  async function dummyVerify(password: string): Promise<void> {
    if (!dummy) return;
    await registry.verify(password, dummy[1].value, { scheme: dummy[0] }).catch(() => undefined);
  }

  async function* list(listOptions: ListOptions = {}): AsyncGenerator<Profile> {
    assertOpen();
    let start = 0;
    if (listOptions.after !== undefined) {
      const index = dnIndex.get(listOptions.after);
      if (index === undefined) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'list(): "after" is not a cursor this store produced');
      start = index + 1;
    }
    for (let i = start; i < ordered.length; i++) {
      listOptions.signal?.throwIfAborted();
      const user = ordered[i];
      if (user) yield user.profile;
      // Yield to the event loop between items, as a paged directory source would.
      await Promise.resolve();
    }
  }

  return {
    name: config.name,
    stats: Object.freeze({ ...stats }),
    verify,
    async dummyVerify(password) {
      assertOpen();
      await dummyVerify(password);
    },
    async get(username) {
      assertOpen();
      await Promise.resolve();
      return find(username)?.profile ?? null;
    },
    list,
    async close() {
      if (closed) return;
      closed = true;
      if (ownsRegistry) await registry.close();
    },
  } satisfies LdifUserStore;
}
