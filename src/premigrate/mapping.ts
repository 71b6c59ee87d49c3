/**
 * Bulk pre-migration mapping (shared/reference/b2c-contracts.md §1.3, §1.4, §3.1, §3.2): one legacy Profile
 * becomes one Graph create payload (a MigrationItem), or a MappingFailure that says what is missing. The
 * password is the legacy one when it can be recovered (stored clear, or reversibly encrypted with a key the
 * operator gives) and meets the tenant's rules; otherwise a random compliant one, with the `requiresMigration`
 * extension attribute set so the JIT endpoint validates the legacy password at first sign-in (seamless
 * migration). Pure and synchronous: the engine calls it once per user, and it keeps nothing per user.
 */
import { createDecipheriv } from 'node:crypto';
import { z } from 'zod';
import type { Profile, StoredCredential } from '../core/contracts.js';
import { LegacyIdpError, isLegacyIdpError } from '../core/errors.js';
import { parseOptions } from '../core/validate.js';
import { checkStrongPassword, generateCompliantPassword, strongPasswordMaxLength } from '../graph/password.js';
import { buildLocalAccountUser, localAccountIssuer, type ExtensionValue, type LocalAccountInput, type ObjectIdentity } from '../graph/users.js';
import { fromBase64 } from '../hashes/codec.js';
import type { MappingFailure, MigrationItem } from './types.js';

// ---------------------------------------------------------------------------------------------------------
// Recovering a legacy password

/** Turns a stored credential into the clear password, or undefined when this decryptor does not handle it. */
export type CredentialDecryptor = (credential: StoredCredential) => string | undefined;

const decryptFailed = (why: string): LegacyIdpError => new LegacyIdpError('ERR_LEGACY_IDP_DECRYPT_FAILED', `aspnet_membership: cannot decrypt a PasswordFormat 2 value (${why})`);

/** aspnet_Membership.PasswordFormat: 0 clear, 1 hashed (the provider's default), 2 encrypted. */
function membershipFormat(context: StoredCredential['context']): 0 | 1 | 2 | undefined {
  const value = context?.['passwordFormat'];
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim().toLowerCase();
  if (text === '0' || text === 'clear') return 0;
  if (text === '1' || text === 'hashed') return 1;
  if (text === '2' || text === 'encrypted') return 2;
  return undefined;
}

const isMembership = (scheme: string): boolean => scheme === 'aspnet_membership_sha1' || scheme === 'aspnet_membership_sha256';

/** SqlMembershipProvider.SALT_SIZE: the encrypted value starts with the 16 PasswordSalt bytes. */
const membershipSaltSize = 16;

const machineKeySchema = z
  .object({
    /** `<machineKey decryptionKey="...">` in hex, exactly as web.config has it (no AutoGenerate, no IsolateApps). */
    decryptionKey: z.string().regex(/^(?:[0-9A-Fa-f]{2})+$/u, 'expected the machineKey decryptionKey as hex digits (an AutoGenerate or IsolateApps key cannot be used)'),
    /** `<machineKey decryption="...">`: AES (also what `Auto` means for keys longer than 8 bytes) or 3DES. */
    algorithm: z.enum(['AES', '3DES']).default('AES'),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (!/^(?:[0-9A-Fa-f]{2})+$/u.test(input.decryptionKey)) return;
    const bytes = input.decryptionKey.length / 2;
    const sizes = input.algorithm === 'AES' ? [16, 24, 32] : [16, 24];
    if (!sizes.includes(bytes)) {
      const hint = bytes === 8 ? ' (an 8-byte key means DES, which is not supported)' : '';
      const allowed = `${sizes.slice(0, -1).join(', ')} or ${String(sizes.at(-1))}`;
      ctx.addIssue({ code: 'custom', path: ['decryptionKey'], message: `${input.algorithm === 'AES' ? 'an' : 'a'} ${input.algorithm} key has ${allowed} bytes, this one has ${bytes}${hint}` });
    }
  });

export type AspnetMembershipDecryptOptions = z.input<typeof machineKeySchema>;

/**
 * Decrypts ASP.NET SqlMembershipProvider passwords stored with PasswordFormat 2 (encrypted), given the site's
 * `<machineKey>`. The layout comes from the .NET Framework reference source (docs/premigrate.md,
 * "Encrypted Membership passwords"): EncodePassword encrypts PasswordSalt bytes + the UTF-16LE password;
 * Membership calls MachineKeySection.EncryptOrDecryptData with IVType.None and no signature, so the cipher is
 * CBC with an all-zero IV, PKCS#7 padding, the decryptionKey bytes as key, and no prefix or MAC; the value is
 * stored base64. UnEncodePassword drops the first 16 bytes (the salt) and decodes the rest as UTF-16LE.
 *
 * Returns undefined for anything that is not a Membership credential with PasswordFormat 2. Throws
 * ERR_LEGACY_IDP_DECRYPT_FAILED when the value does not decrypt (wrong key or algorithm, corrupt value) or,
 * when the credential's context has the PasswordSalt, when the decrypted salt is not that salt.
 */
export function aspnetMembershipDecrypt(options: AspnetMembershipDecryptOptions): CredentialDecryptor {
  const config = parseOptions(machineKeySchema, options, 'aspnetMembershipDecrypt options');
  const key = Buffer.from(config.decryptionKey, 'hex');
  const blockSize = config.algorithm === 'AES' ? 16 : 8;
  const cipher = config.algorithm === 'AES' ? `aes-${key.length * 8}-cbc` : key.length === 16 ? 'des-ede-cbc' : 'des-ede3-cbc';
  const iv = Buffer.alloc(blockSize);
  return (credential) => {
    if (!isMembership(credential.scheme) || membershipFormat(credential.context) !== 2) return undefined;
    const encrypted = fromBase64(credential.hash.trim());
    if (!encrypted || encrypted.length === 0 || encrypted.length % blockSize !== 0) throw decryptFailed(`the stored value is not base64 of whole ${blockSize}-byte blocks`);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv(cipher, key, iv);
      plain = Buffer.concat([decipher.update(encrypted), decipher.final()]);
    } catch {
      // OpenSSL's text is dropped on purpose: the message stays the same whatever the bytes were.
      throw decryptFailed('bad padding: wrong decryptionKey or algorithm, or a corrupt value');
    }
    try {
      if (plain.length < membershipSaltSize || (plain.length - membershipSaltSize) % 2 !== 0) {
        throw decryptFailed('the decrypted value is not 16 salt bytes + UTF-16 text: wrong decryptionKey or algorithm');
      }
      const saltText = credential.context?.['salt'];
      const salt = typeof saltText === 'string' ? fromBase64(saltText.trim()) : undefined;
      // Padding alone lets about one wrong key in 256 through; the salt prefix catches those.
      if (salt?.length === membershipSaltSize && !salt.equals(plain.subarray(0, membershipSaltSize))) {
        throw decryptFailed('the decrypted salt is not the PasswordSalt: wrong decryptionKey or algorithm');
      }
      return plain.subarray(membershipSaltSize).toString('utf16le');
    } finally {
      plain.fill(0);
    }
  };
}

/** Clear-text schemes (src/hashes): the stored value is the password, after the scheme's `{PREFIX}` if it has one. */
const clearTextSchemes: Readonly<Record<string, (hash: string) => string | undefined>> = {
  plaintext: (hash) => hash,
  ldap_plaintext: (hash) => hash,
  // passlib's roundup_plaintext matches its prefix exactly; Dovecot compares scheme names case-insensitively.
  roundup_plaintext: (hash) => (hash.startsWith('{plaintext}') ? hash.slice('{plaintext}'.length) : undefined),
  dovecot_plain: (hash) => (hash.slice(0, 7).toUpperCase() === '{PLAIN}' ? hash.slice(7) : undefined),
  dovecot_cleartext: (hash) => (hash.slice(0, 11).toUpperCase() === '{CLEARTEXT}' ? hash.slice(11) : undefined),
};

type Recovery = { status: 'recovered'; password: string } | { status: 'none' } | { status: 'decrypt_failed' };

// ---------------------------------------------------------------------------------------------------------
// Options

/** A GUID with or without its hyphens: the b2c-extensions-app's client id (registration takes both forms too). */
export const extensionAppIdPattern = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/u;
const extensionShortName = /^[A-Za-z0-9_]{1,120}$/u;
const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/** The address rule of `mail` and of emailAddress sign-in names (reference §3.1). */
export const isEmailAddress = (text: string): boolean => emailShape.test(text);

/** Graph's lengths for the user's names (reference §3.1): longer ones fail the user or are cut (`fields.overlong`). */
export const nameMaxLengths = { displayName: 256, givenName: 64, surname: 64 } as const;

/** The dataTypes of directory extension properties (reference §3.1). */
export const extensionDataTypes = ['String', 'Integer', 'Boolean', 'DateTime'] as const;
export type ExtensionDataType = (typeof extensionDataTypes)[number];

/**
 * The user properties an attribute can be written to besides extension attributes: plain strings of Graph's
 * user resource (otherMails, as in the reference's bulk-create sample, is a list). Anything else is refused
 * at construction, so a misspelt property fails once instead of once per user at Graph.
 */
export const graphUserAttributeTargets = [
  'city',
  'companyName',
  'country',
  'department',
  'employeeId',
  'employeeType',
  'jobTitle',
  'mobilePhone',
  'officeLocation',
  'otherMails',
  'postalCode',
  'preferredLanguage',
  'state',
  'streetAddress',
  'usageLocation',
] as const;
type GraphAttributeTarget = (typeof graphUserAttributeTargets)[number];

const fieldSource = z.union([
  z.enum(['displayName', 'givenName', 'surname', 'email', 'username']),
  z.string().regex(/^attribute:.+$/u, 'expected a profile field (displayName, givenName, surname, email, username), "attribute:<name>" or false'),
  z.literal(false),
]);

const extensionTarget = new RegExp(`^extension:([A-Za-z0-9_]{1,120})(?::(${extensionDataTypes.join('|')}))?$`, 'u');

const attributeTarget = z.union([
  z.enum(graphUserAttributeTargets),
  z
    .string()
    .regex(
      extensionTarget,
      `expected one of ${graphUserAttributeTargets.join(', ')} or "extension:<name>" (letters, digits, underscores), optionally typed "extension:<name>:<${extensionDataTypes.join('|')}>"`,
    ),
]);

/**
 * `extension:<name>` or `extension:<name>:<dataType>`: the property's short name and the dataType it is
 * registered with, String when none is given. Every value the mapping writes to it has that type, so one
 * registration fits every user (a property takes one type; Graph refuses the others).
 */
function parseExtensionTarget(target: string): { name: string; dataType: ExtensionDataType } | undefined {
  const match = extensionTarget.exec(target);
  if (!match?.[1]) return undefined;
  return { name: match[1], dataType: (match[2] as ExtensionDataType | undefined) ?? 'String' };
}

const decryptHook = z.custom<CredentialDecryptor>((value) => typeof value === 'function', 'must be a function (credential) => string | undefined');

export const premigrateMappingSchema = z
  .object({
    /** The tenant's default domain (`contoso.onmicrosoft.com`, or just `contoso`): the issuer of local identities. */
    tenant: z.string().regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/u, 'expected the default domain, such as contoso.onmicrosoft.com'),
    /** How users sign in: with an e-mail address or a user name. */
    signInType: z.enum(['emailAddress', 'userName']).default('emailAddress'),
    /** The profile field that holds the sign-in name. Default: `email` for emailAddress, `username` for userName. */
    signInName: z.enum(['email', 'username']).optional(),
    /**
     * userName rules: `graph` (the current Graph page: starts with a letter or digit, then letters, digits, `-`
     * or `_`, at most 64) or `lenient` (the older B2C page: a valid local part of an e-mail address, at most 64).
     */
    userNameRule: z.enum(['graph', 'lenient']).default('graph'),
    /** A second, federated identity for users who also signed in with a social or partner IdP. */
    federated: z
      .object({
        /** The federated IdP's issuer as the tenant knows it (`facebook.com`, `https://sts.example.com/`). */
        issuer: z.string().min(1).max(512),
        /** The profile attribute holding the user's id at that IdP; users without it get the local identity only. */
        issuerUserIdAttribute: z.string().min(1),
      })
      .strict()
      .optional(),
    /** Client id of the tenant's b2c-extensions-app; needed for `extension:` targets and requiresMigration. */
    extensionAppId: z.string().regex(extensionAppIdPattern, 'expected the application (client) id of the b2c-extensions-app (a GUID, with or without hyphens)').optional(),
    fields: z
      .object({
        displayName: fieldSource.default('displayName'),
        givenName: fieldSource.default('givenName'),
        surname: fieldSource.default('surname'),
        mail: fieldSource.default('email'),
        /** Profile attribute name -> a Graph user property, `extension:<name>` (String) or `extension:<name>:<dataType>`. */
        attributes: z.record(z.string().min(1), attributeTarget).default({}),
        /** Over-long names (displayName 256, givenName and surname 64): fail the user (default) or cut them. */
        overlong: z.enum(['fail', 'truncate']).default('fail'),
      })
      .strict()
      .prefault({}),
    passwords: z
      .object({
        /** Carry recoverable legacy passwords over. False: every user gets a generated password. */
        setRecoverable: z.boolean().default(true),
        /**
         * The Boolean extension attribute (short name) that marks users whose password was generated: true for
         * them, so the JIT endpoint checks the legacy password at first sign-in. False: write no flag.
         */
        requiresMigrationAttribute: z.union([z.string().regex(extensionShortName, 'expected letters, digits or underscores (1-120)'), z.literal(false)]).default('requiresMigration'),
        /** For users whose password was recovered: write the flag as false (default), or leave it out. */
        recoveredFlag: z.enum(['false', 'omit']).default('false'),
        /**
         * Keep recovered passwords that fail Entra's strong policy, with passwordPolicies DisableStrongPassword.
         * Default false: such a password is replaced by a generated one (and the user migrates at first sign-in).
         */
        disableStrongPassword: z.boolean().default(false),
        /** The operator's decryption for reversibly encrypted passwords: the clear password, or undefined. */
        decrypt: decryptHook.optional(),
        /** ASP.NET Membership PasswordFormat 2: the site's machineKey (see aspnetMembershipDecrypt). */
        aspnetMachineKey: machineKeySchema.optional(),
        /** A credential that fails to decrypt: fail the user (default: a wrong key must not go unnoticed) or generate. */
        onDecryptFailure: z.enum(['fail', 'generate']).default('fail'),
        /** Length of generated passwords. */
        generatedLength: z.number().int().min(8).max(256).default(16),
      })
      .strict()
      .prefault({}),
    /** Disabled legacy accounts: create them with accountEnabled false (default), or leave them out. */
    disabledUsers: z.enum(['create-disabled', 'skip']).default('create-disabled'),
  })
  .strict()
  .superRefine((input, ctx) => {
    const extensionNames = new Set<string>();
    const targets = new Set<string>();
    for (const [attribute, target] of Object.entries(input.fields.attributes)) {
      const extension = parseExtensionTarget(target);
      // One property whatever its declared type or case: extension:a and extension:A:Integer are the same one.
      const key = extension ? `extension:${extension.name.toLowerCase()}` : target;
      if (targets.has(key)) ctx.addIssue({ code: 'custom', path: ['fields', 'attributes', attribute], message: `a second attribute maps to ${key}` });
      targets.add(key);
      if (extension) extensionNames.add(extension.name.toLowerCase());
    }
    const flag = input.passwords.requiresMigrationAttribute;
    if (flag !== false && extensionNames.has(flag.toLowerCase())) {
      ctx.addIssue({ code: 'custom', path: ['fields', 'attributes'], message: `extension:${flag} is passwords.requiresMigrationAttribute; the mapping sets it` });
    }
    if ((extensionNames.size > 0 || flag !== false) && input.extensionAppId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['extensionAppId'],
        message:
          flag !== false && extensionNames.size === 0
            ? 'required for the requiresMigration flag (the b2c-extensions-app client id); set passwords.requiresMigrationAttribute to false to create users without it'
            : 'required with extension: targets (the b2c-extensions-app client id)',
      });
    }
    if (extensionNames.size + (flag === false ? 0 : 1) > 100) ctx.addIssue({ code: 'custom', path: ['fields', 'attributes'], message: 'at most 100 extension attributes per user' });
  });

export type PremigrateMappingOptions = z.input<typeof premigrateMappingSchema>;

// ---------------------------------------------------------------------------------------------------------
// Failures and counters

/** Every MappingFailure code, with what it means. Reasons name fields, never values. */
export const mappingFailureCodes = {
  skipped_disabled: 'The legacy account is disabled and disabledUsers is "skip": nothing to create (not an error).',
  no_sign_in_name: 'The profile field that holds the sign-in name is empty.',
  invalid_email: 'signInType emailAddress, and the sign-in name is not an e-mail address.',
  invalid_user_name: 'signInType userName, and the sign-in name breaks the userName rules.',
  invalid_mail: 'The value for mail is not an e-mail address.',
  field_too_long: 'displayName (256), givenName or surname (64) is too long, and fields.overlong is "fail".',
  invalid_attribute: 'A mapped attribute has a value its target cannot hold (not its declared dataType, or over 250 characters).',
  decrypt_failed: 'The legacy password is encrypted and did not decrypt (wrong key, corrupt value), and passwords.onDecryptFailure is "fail".',
  invalid_payload: 'The payload was refused by the local-account rules (buildLocalAccountUser); the reason names the field.',
} as const;
export type MappingFailureCode = keyof typeof mappingFailureCodes;

/** A failure that is a deliberate skip, not a problem: the engine may count it apart. */
export const isMappingSkip = (failure: MappingFailure): boolean => failure.code === 'skipped_disabled';

export interface MappingStats {
  /** Profiles mapped to a payload. */
  items: number;
  /** MappingFailures by code (skipped_disabled included). */
  failures: Partial<Record<MappingFailureCode, number>>;
  passwords: {
    /** The legacy password itself. */
    recovered: number;
    /** A generated one: nothing recoverable, or replaced (below). */
    generated: number;
    /** Recovered, but refused by Entra's rules (weak, or longer than 256): replaced by a generated one. */
    weakReplaced: number;
    /** Recovered and weak, kept with DisableStrongPassword (disableStrongPassword true). */
    weakKept: number;
    /** Did not decrypt, replaced by a generated one (onDecryptFailure "generate"). */
    undecryptable: number;
  };
}

export type PremigrateMapper = ((profile: Profile) => MigrationItem | MappingFailure) & {
  /** Counters since the mapper was made (a copy). */
  stats(): MappingStats;
};

// ---------------------------------------------------------------------------------------------------------
// Field values

/** A value as a target can take it: `value` undefined when there is none (absent, null, blank); not ok when it cannot. */
export type Checked<T> = { ok: true; value: T | undefined } | { ok: false };
const absent = { ok: true, value: undefined } as const;

/** A profile value as text: trimmed, blank is none; numbers, booleans and dates written out; anything else is not text. */
export function textValue(value: unknown): Checked<string> {
  if (value === undefined || value === null) return absent;
  if (typeof value === 'string') {
    const text = value.trim();
    return { ok: true, value: text === '' ? undefined : text };
  }
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
  if (typeof value === 'bigint' || typeof value === 'boolean') return { ok: true, value: String(value) };
  if (value instanceof Date && !Number.isNaN(value.getTime())) return { ok: true, value: value.toISOString() };
  return { ok: false };
}

/** Extension attribute strings: B2C's service limits page says 250 characters, the attribute page 256; the smaller wins. */
const extensionStringMax = 250;
const int32 = (value: number): boolean => Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647;

const isoDate = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/u;

/**
 * A profile value as the declared dataType of its extension property, or not ok. Stores hand the same column
 * back as numbers, strings or booleans depending on the driver (SQLite and MySQL booleans are 0/1, a Postgres
 * bigint is a string), so unambiguous spellings of the type are taken; anything else fails the user rather than
 * reaching Graph as another type.
 */
function extensionValue(value: unknown, dataType: ExtensionDataType): Checked<ExtensionValue> {
  if (value === undefined || value === null) return absent;
  if (typeof value === 'string' && value.trim() === '') return absent;
  const text = typeof value === 'string' ? value.trim() : undefined;
  switch (dataType) {
    case 'String': {
      const checked = textValue(value);
      return checked.ok && checked.value !== undefined && checked.value.length > extensionStringMax ? { ok: false } : checked;
    }
    case 'Integer': {
      const number = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : text !== undefined && /^[+-]?\d{1,10}$/u.test(text) ? Number(text) : Number.NaN;
      return int32(number) ? { ok: true, value: number } : { ok: false };
    }
    case 'Boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 1 || value === 0) return { ok: true, value: value === 1 };
      const word = text?.toLowerCase();
      if (word === 'true' || word === '1') return { ok: true, value: true };
      if (word === 'false' || word === '0') return { ok: true, value: false };
      return { ok: false };
    }
    case 'DateTime': {
      const date = value instanceof Date ? value : text !== undefined && isoDate.test(text) ? new Date(text) : undefined;
      return date === undefined || Number.isNaN(date.getTime()) ? { ok: false } : { ok: true, value: date.toISOString() };
    }
  }
}

const extensionTypeRule: Record<ExtensionDataType, string> = {
  String: `text of at most ${extensionStringMax} characters`,
  Integer: 'a 32-bit integer',
  Boolean: 'true or false (or 1 or 0)',
  DateTime: 'a date (a Date or an ISO 8601 string)',
};

function graphAttributeValue(target: GraphAttributeTarget, value: unknown): Checked<string | string[]> {
  if (target !== 'otherMails') return textValue(value);
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  const mails: string[] = [];
  for (const entry of list) {
    const text = textValue(entry);
    if (!text.ok || (text.value !== undefined && !emailShape.test(text.value))) return { ok: false };
    if (text.value !== undefined) mails.push(text.value);
  }
  return { ok: true, value: mails.length === 0 ? undefined : mails };
}

/** Cuts to at most `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max) break;
    out += char;
  }
  return out;
}

const userNameRules = {
  graph: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/u,
  // RFC 5322 dot-atom characters: what "a valid local part of an e-mail address" allows without quoting.
  lenient: /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/u,
} as const;

// ---------------------------------------------------------------------------------------------------------
// The mapper

/**
 * Builds the per-user mapping for `runPremigration`. Options are validated here (ERR_LEGACY_IDP_CONFIG_INVALID
 * naming the key); the returned function never throws for a user's data: problems are MappingFailures.
 */
export function createMapper(options: PremigrateMappingOptions): PremigrateMapper {
  const config = parseOptions(premigrateMappingSchema, options, 'premigrate mapping options');
  const issuer = localAccountIssuer(config.tenant);
  const signInField = config.signInName ?? (config.signInType === 'emailAddress' ? 'email' : 'username');
  const flag = config.passwords.requiresMigrationAttribute;
  const decryptors: CredentialDecryptor[] = [];
  if (config.passwords.decrypt) decryptors.push(config.passwords.decrypt);
  if (config.passwords.aspnetMachineKey) decryptors.push(aspnetMembershipDecrypt(config.passwords.aspnetMachineKey));
  const attributeMap = Object.entries(config.fields.attributes).map(([attribute, target]) => ({ attribute, target, extension: parseExtensionTarget(target) }));

  const stats: MappingStats = { items: 0, failures: {}, passwords: { recovered: 0, generated: 0, weakReplaced: 0, weakKept: 0, undecryptable: 0 } };

  const fail = (profile: Profile, code: MappingFailureCode, reason: string): MappingFailure => {
    stats.failures[code] = (stats.failures[code] ?? 0) + 1;
    return { subjectId: profile.subjectId, ...(profile.cursor === undefined ? {} : { cursor: profile.cursor }), code, reason };
  };

  const fieldValue = (profile: Profile, source: z.output<typeof fieldSource>): Checked<string> => {
    if (source === false) return absent;
    if (source.startsWith('attribute:')) return textValue(profile.attributes[source.slice('attribute:'.length)]);
    return textValue(profile[source as 'displayName' | 'givenName' | 'surname' | 'email' | 'username']);
  };

  const recover = (credential: StoredCredential | undefined): Recovery => {
    if (!config.passwords.setRecoverable || !credential || credential.recoverable === false) return { status: 'none' };
    const clear = clearTextSchemes[credential.scheme];
    if (clear) {
      const password = clear(credential.hash);
      return password === undefined ? { status: 'none' } : { status: 'recovered', password };
    }
    if (isMembership(credential.scheme) && membershipFormat(credential.context) === 0) return { status: 'recovered', password: credential.hash };
    for (const decrypt of decryptors) {
      let password: string | undefined;
      try {
        password = decrypt(credential);
      } catch {
        // The operator's or our own decryption failed. Its text is not kept: it could quote the value.
        return { status: 'decrypt_failed' };
      }
      if (typeof password === 'string') return { status: 'recovered', password };
    }
    return { status: 'none' };
  };

  const map = (profile: Profile): MigrationItem | MappingFailure => {
    if (profile.enabled === false && config.disabledUsers === 'skip') return fail(profile, 'skipped_disabled', 'disabled in the legacy store (disabledUsers: skip)');

    // Sign-in name, by the rules Graph gives for its type (reference §3.1).
    const signIn = textValue(profile[signInField]);
    if (!signIn.ok || signIn.value === undefined) return fail(profile, 'no_sign_in_name', `no ${signInField} (the sign-in name for signInType ${config.signInType})`);
    const signInName = signIn.value;
    if (config.signInType === 'emailAddress' && !emailShape.test(signInName)) {
      return fail(profile, 'invalid_email', `the ${signInField} is not an e-mail address (signInType emailAddress)`);
    }
    if (config.signInType === 'userName' && !userNameRules[config.userNameRule].test(signInName)) {
      return fail(
        profile,
        'invalid_user_name',
        config.userNameRule === 'graph'
          ? `the ${signInField} is not a userName: 1-64 letters, digits, - or _, starting with a letter or digit (userNameRule graph)`
          : `the ${signInField} is not a userName: 1-64 characters of an e-mail local part (userNameRule lenient)`,
      );
    }

    // Names and mail.
    const names: { displayName?: string; givenName?: string; surname?: string } = {};
    for (const [field, max] of Object.entries(nameMaxLengths) as Array<[keyof typeof nameMaxLengths, number]>) {
      const value = fieldValue(profile, config.fields[field]);
      if (!value.ok) return fail(profile, 'invalid_attribute', `the source of ${field} is not text`);
      if (value.value === undefined) continue;
      if (value.value.length > max && config.fields.overlong === 'fail') return fail(profile, 'field_too_long', `${field} is longer than ${max} characters`);
      names[field] = truncate(value.value, max);
    }
    const mail = fieldValue(profile, config.fields.mail);
    if (!mail.ok || (mail.value !== undefined && !isEmailAddress(mail.value))) return fail(profile, 'invalid_mail', 'the value for mail is not an e-mail address');

    // Mapped attributes.
    const extensions: Record<string, ExtensionValue> = {};
    const graphFields: Partial<Record<GraphAttributeTarget, string | string[]>> = {};
    for (const { attribute, target, extension } of attributeMap) {
      const raw = profile.attributes[attribute];
      if (extension) {
        const value = extensionValue(raw, extension.dataType);
        if (!value.ok) return fail(profile, 'invalid_attribute', `attribute ${attribute} cannot be written to ${target} (${extension.dataType}: ${extensionTypeRule[extension.dataType]})`);
        if (value.value !== undefined) extensions[extension.name] = value.value;
      } else {
        const graphTarget = target as GraphAttributeTarget;
        const value = graphAttributeValue(graphTarget, raw);
        if (!value.ok) return fail(profile, 'invalid_attribute', `attribute ${attribute} cannot be written to ${target}`);
        if (value.value !== undefined) graphFields[graphTarget] = value.value;
      }
    }

    let federatedIdentity: ObjectIdentity | undefined;
    if (config.federated) {
      const id = textValue(profile.attributes[config.federated.issuerUserIdAttribute]);
      if (!id.ok) return fail(profile, 'invalid_attribute', `attribute ${config.federated.issuerUserIdAttribute} (the federated user id) is not text`);
      if (id.value !== undefined) federatedIdentity = { signInType: 'federated', issuer: config.federated.issuer, issuerAssignedId: id.value };
    }

    // The password: the legacy one when it can be carried over and Graph will take it, else a generated one.
    let password: string | undefined;
    let disableStrongPassword = false;
    const recovery = recover(profile.credential);
    if (recovery.status === 'decrypt_failed') {
      if (config.passwords.onDecryptFailure === 'fail') return fail(profile, 'decrypt_failed', `the ${profile.credential?.scheme ?? 'stored'} password did not decrypt (wrong key or algorithm, or a corrupt value)`);
      stats.passwords.undecryptable += 1;
    } else if (recovery.status === 'recovered' && recovery.password !== '') {
      const candidate = recovery.password;
      const fitsGraph = candidate.length <= strongPasswordMaxLength;
      if (fitsGraph && checkStrongPassword(candidate).ok) {
        password = candidate;
      } else if (fitsGraph && config.passwords.disableStrongPassword) {
        password = candidate;
        disableStrongPassword = true;
        stats.passwords.weakKept += 1;
      } else {
        stats.passwords.weakReplaced += 1;
      }
    }
    const kind: MigrationItem['password'] = password === undefined ? 'generated' : 'recovered';
    password ??= generateCompliantPassword(config.passwords.generatedLength);
    if (flag !== false) {
      if (kind === 'generated') extensions[flag] = true;
      else if (config.passwords.recoveredFlag === 'false') extensions[flag] = false;
    }

    const input: LocalAccountInput = {
      tenant: issuer,
      signInType: config.signInType,
      issuerAssignedId: signInName,
      password,
      displayName: names.displayName ?? signInName,
      accountEnabled: profile.enabled !== false,
      disableStrongPassword,
      ...(names.givenName === undefined ? {} : { givenName: names.givenName }),
      ...(names.surname === undefined ? {} : { surname: names.surname }),
      ...(mail.value === undefined ? {} : { mail: mail.value }),
      ...(Object.keys(extensions).length === 0 || config.extensionAppId === undefined ? {} : { extensionAppId: config.extensionAppId, extensions }),
    };
    let payload: MigrationItem['payload'];
    try {
      payload = buildLocalAccountUser(input);
    } catch (error) {
      // buildLocalAccountUser's messages name the field, never the value (its zod issues are not kept).
      return fail(profile, 'invalid_payload', isLegacyIdpError(error) ? error.message : 'the payload was refused');
    }
    Object.assign(payload, graphFields);
    if (federatedIdentity) {
      // LocalAccountUser types identities as the local one only; Graph takes up to 10, the local one stays first.
      (payload.identities as ObjectIdentity[]).push(federatedIdentity);
    }

    stats.items += 1;
    stats.passwords[kind] += 1;
    return {
      subjectId: profile.subjectId,
      ...(profile.cursor === undefined ? {} : { cursor: profile.cursor }),
      identity: { ...payload.identities[0] },
      payload,
      password: kind,
    };
  };

  return Object.assign(map, {
    stats: (): MappingStats => ({ items: stats.items, failures: { ...stats.failures }, passwords: { ...stats.passwords } }),
  });
}

/**
 * The extension properties a mapping writes, with the dataType of the values it sends: the requiresMigration
 * flag (Boolean) and each `extension:` target (its declared type, String when none). What
 * `registerExtensionProperties` must register for Graph to take the mapping's payloads.
 */
export function extensionPropertiesOf(options: PremigrateMappingOptions): Array<{ name: string; dataType: ExtensionDataType }> {
  const config = parseOptions(premigrateMappingSchema, options, 'premigrate mapping options');
  const flag = config.passwords.requiresMigrationAttribute;
  const targets = Object.values(config.fields.attributes).flatMap((target) => parseExtensionTarget(target) ?? []);
  return [...(flag === false ? [] : [{ name: flag, dataType: 'Boolean' as const }]), ...targets];
}
