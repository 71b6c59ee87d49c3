import { z } from 'zod';
import type { Profile, StoredCredential } from '../../core/contracts.js';
import { hasControlCharacters } from '../../core/normalize.js';

/**
 * How a row (SQL), a document (MongoDB) or an exported record (JSONL, CSV) becomes a legacy user: which
 * field holds the username, the hash, the per-user hash context, the profile claims and the account state.
 * One mapping for every hash store, so a preset written once reads the same product from any of them.
 */

/** A field name, or a dotted path into nested documents (`profile.email`); backends narrow it further. */
export const fieldPath = z.string().min(1).max(256);

const stateStatuses = ['disabled', 'locked', 'password_expired', 'must_change'] as const;

/**
 * A rule that turns a field's value into an account state. `true`/`false` read booleans as stores write them
 * (1/0, 't'/'f', 'Y'/'N', 'yes'/'no', any number); `future`/`past` compare a date (epoch seconds, milliseconds
 * or microseconds, told apart by size) with the time of the check; `equals` lists literal values. A value such a
 * rule cannot read (`WAHR`, `X`, a date in another format) makes the state `unreadable`: never `active`.
 */
export const stateRuleSchema = z
  .object({
    field: fieldPath,
    when: z.union([
      z.enum(['true', 'false', 'null', 'not-null', 'future', 'past']),
      z.object({ equals: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }).strict(),
    ]),
    status: z.enum(stateStatuses),
    /** For the operator's log; defaults to `<field> <when>`. */
    detail: z.string().optional(),
  })
  .strict();

export type StateRule = z.output<typeof stateRuleSchema>;

export const recordMappingSchema = z
  .object({
    /** Stable unique id (primary key): the profile's subjectId, the `list()` order and the write-back key. */
    subjectId: fieldPath,
    username: fieldPath,
    email: fieldPath.optional(),
    /**
     * The stored hash. A row whose hash is empty or null has no password: it never verifies. `false`: the source
     * holds no passwords at all (a profile-only export): pre-migration gives every user a generated password,
     * and a sign-in answers `unavailable` (misconfigured) rather than a wrong password.
     */
    hash: z.union([fieldPath, z.literal(false)]),
    /** Registry scheme id for every row, or `auto` to identify each hash from its shape. */
    scheme: z.string().min(1).default('auto'),
    /** A field holding each row's scheme id; when set and not empty it wins over `scheme`. */
    schemeField: fieldPath.optional(),
    /** Scheme context from fields: context key -> field (salt, iteration count, password format...). */
    context: z.record(z.string().min(1), fieldPath).default({}),
    /** Scheme context for every row (a pepper, a Firebase project's hash config). A secret: never logged. */
    staticContext: z.record(z.string().min(1), z.unknown()).default({}),
    displayName: fieldPath.optional(),
    givenName: fieldPath.optional(),
    surname: fieldPath.optional(),
    /** Further claims: claim name -> field. */
    attributes: z.record(z.string().min(1), fieldPath).default({}),
    /** Account states, checked in order after a correct password; the first that holds wins. */
    states: z.array(stateRuleSchema).default([]),
  })
  .strict();

export type RecordMappingOptions = z.input<typeof recordMappingSchema>;
export type RecordMapping = z.output<typeof recordMappingSchema>;

export type Row = Readonly<Record<string, unknown>>;

/**
 * `unreadable`: a state rule met a value it cannot read. The account is then neither active nor in a known state:
 * a sign-in answers `unavailable` (misconfigured) and bulk migration creates the account disabled, because a
 * localized boolean (`WAHR`) or a date in an unexpected unit read as "no" would let a disabled user in.
 */
export type AccountState = { status: 'active' } | { status: (typeof stateStatuses)[number] | 'unreadable'; detail: string };

/** A mapped row: what verification and listing need. */
export interface LegacyRecord {
  profile: Profile;
  /** Undefined when the row holds no password. */
  credential: StoredCredential | undefined;
  state: AccountState;
}

/**
 * A field's value: the key itself first (SQL column names may contain dots), then a dotted path. A path goes on
 * through arrays as MongoDB reads it: a number picks an element (`emails.0.address`), any other segment is read in
 * every element that is a document, and the values found come back as an array, in order (`emails.address` of
 * Meteor's `emails: [{ address }]` is `['ann@x.org']`). Undefined when nothing is there.
 */
export function valueAt(row: Row, path: string): unknown {
  if (Object.hasOwn(row, path)) return row[path];
  if (!path.includes('.')) return undefined;
  return valueAlong(row, path.split('.'), 0);
}

function valueAlong(value: unknown, parts: readonly string[], index: number): unknown {
  if (index === parts.length) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const part = parts[index] as string;
  if (Array.isArray(value) && !/^\d+$/u.test(part)) {
    const found: unknown[] = [];
    for (const element of value) {
      // MongoDB does not reach into arrays nested directly in arrays, nor into scalars.
      if (typeof element !== 'object' || element === null || Array.isArray(element)) continue;
      const inner = valueAlong(element, parts, index);
      if (inner !== undefined) found.push(inner);
    }
    return found.length === 0 ? undefined : found;
  }
  if (!Object.hasOwn(value, part)) return undefined;
  return valueAlong((value as Record<string, unknown>)[part], parts, index + 1);
}

const hasHexString = (value: object): value is { toHexString(): string } =>
  typeof (value as { toHexString?: unknown }).toHexString === 'function';

/**
 * BSON values the mongodb driver hands over in its own classes, as the plain values every rule here reads: a
 * `Binary` (BinData, which the driver does not turn into a Uint8Array) as its bytes, a `Long` (an int64 beyond
 * 2^53, which the driver keeps) as a bigint, `Int32`/`Double` as numbers, a `Decimal128` as its decimal text. Told
 * apart by `_bsontype`, so this module, shared with the SQL and file stores, never loads bson. A UUID (a Binary
 * with `toHexString`) stays as it is and reads as its hex form, as ObjectIds do.
 */
function plainValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array || value instanceof Date || Array.isArray(value)) return value;
  switch ((value as { _bsontype?: unknown })._bsontype) {
    case 'Binary': {
      if (hasHexString(value)) return value;
      const { buffer, position } = value as { buffer?: unknown; position?: unknown };
      if (buffer instanceof Uint8Array && typeof position === 'number') return buffer.subarray(0, position);
      return value;
    }
    // Long.toString() and Decimal128.toString() write the decimal digits (both are BSON value classes).
    case 'Long':
      return BigInt((value as { toString(): string }).toString());
    case 'Int32':
    case 'Double':
      return Number(value.valueOf());
    case 'Decimal128':
      return (value as { toString(): string }).toString();
    default:
      return value;
  }
}

/** A document (not an array, a date, bytes or a BSON value object): what an array element must not be to read as one value. */
const isDocument = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * A value as text: strings as they are, numbers and bigints (and int64s) in decimal, Decimal128 as written, dates in
 * ISO 8601, binary as base64, MongoDB ObjectIds and UUIDs as hex. Undefined for null, undefined and empty strings.
 */
export function textOf(raw: unknown): string | undefined {
  const value = plainValue(raw);
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value.length === 0 ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (value instanceof Uint8Array) return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  if (typeof value === 'object' && hasHexString(value)) return value.toHexString();
  return JSON.stringify(value);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const printableAscii = /^[\x20-\x7e]+$/u;

/**
 * Binary that holds text, as that text: MediaWiki keeps user_name in varbinary and user_password in tinyblob,
 * and a bcrypt hash in a bytea column is the same 60 characters. Trailing NUL bytes (the padding of a BINARY(n)
 * column) are dropped. `hash`: only printable ASCII counts as text, since every textual hash format is ASCII
 * and a raw digest that happens to decode as UTF-8 must stay base64; `name`: any UTF-8 without control
 * characters. Undefined when the bytes are not text.
 */
function binaryAsText(bytes: Uint8Array, kind: 'name' | 'hash'): string | undefined {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return undefined;
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
  if (kind === 'hash') return printableAscii.test(text) ? text : undefined;
  return hasControlCharacters(text) ? undefined : text;
}

/**
 * A text field's value (username, email, names, the hash, the scheme id): as `textOf`, except that binary
 * holding text is read as that text rather than base64 (`binaryAsText`), and an array (a MongoDB field holding
 * several values, or a path through an array of documents) gives its first element that is not a document and
 * reads as text.
 */
function textFieldOf(raw: unknown, kind: 'name' | 'hash' = 'name'): string | undefined {
  if (Array.isArray(raw)) {
    for (const element of raw) {
      if (isDocument(element)) continue;
      const text = textFieldOf(element, kind);
      if (text !== undefined) return text;
    }
    return undefined;
  }
  const value = plainValue(raw);
  if (value instanceof Uint8Array && value.length > 0) return binaryAsText(value, kind) ?? textOf(value);
  return textOf(value);
}

/**
 * Every text a field offers for matching a login: each element of an array (and of arrays within it), read as
 * `textFieldOf` reads a name. MongoDB matches `{ field: login }` when any element equals the login, and the store
 * must tell afterwards which field a document matched on.
 */
export function textsAt(row: Row, path: string): string[] {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const element of value) collect(element);
      return;
    }
    if (isDocument(value)) return;
    const text = textFieldOf(value);
    if (text !== undefined) texts.push(text);
  };
  collect(valueAt(row, path));
  return texts;
}

/**
 * A row's subject id: the key field as text (`textOf`), an int64 in decimal and a Decimal128 as written. Keys of
 * different BSON types can give the same text (42 and '42'); the MongoDB store refuses to write back to such a key.
 */
export function subjectIdOf(row: Row, path: string): string | undefined {
  return textOf(valueAt(row, path));
}

/** A value as a JSON-friendly claim: dates, binary, bigints and ObjectIds as text; objects kept; arrays element by element. */
function claimOf(raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map((element: unknown) => (element === null || element === undefined ? element : claimOf(element)));
  const value = plainValue(raw);
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date || value instanceof Uint8Array || typeof value === 'bigint') return textOf(value);
  if (typeof value === 'object' && hasHexString(value)) return value.toHexString();
  return value;
}

const truthy = new Set(['1', 'true', 't', 'y', 'yes', 'on']);
const falsy = new Set(['0', 'false', 'f', 'n', 'no', 'off']);

function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (value instanceof Uint8Array && value.length === 1) return value[0] !== 0;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (truthy.has(text)) return true;
    if (falsy.has(text)) return false;
    // Numbers written as text: '-1' (Access, VB), '1.0' (a float column through pandas).
    if (/^[-+]?\d+(?:\.\d+)?$/u.test(text)) return Number(text) !== 0;
  }
  return undefined;
}

/**
 * An epoch number in milliseconds. Seconds, milliseconds and microseconds are told apart by size: 10^11 seconds
 * is the year 5138, 10^14 ms the year 5138 too, so no date of an account falls between the ranges. Int64's largest
 * value (AD's and many exports' "never") is no date; anything else beyond microseconds is unreadable.
 */
function epochMs(value: number): number | undefined | 'never' {
  // PostgreSQL's 'infinity' and '-infinity' (pg reads them as ±Infinity; EF Core + Npgsql store
  // DateTimeOffset.MaxValue/MinValue so): never, and a time long past.
  if (value === Infinity) return 'never';
  if (value === -Infinity) return -Infinity;
  if (!Number.isFinite(value)) return undefined;
  const size = Math.abs(value);
  if (size >= 9e18) return 'never';
  if (size < 1e11) return value * 1000;
  if (size < 1e14) return value;
  if (size < 1e17) return value / 1000;
  return undefined;
}

/** Milliseconds since the epoch for a date, an ISO string or an epoch number; undefined when unreadable. */
function timeOf(value: unknown): number | undefined | 'never' {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'number' || typeof value === 'bigint') return epochMs(Number(value));
  if (typeof value === 'string' && value.trim().length > 0) {
    const text = value.trim();
    if (/^-?\d+$/u.test(text)) return epochMs(Number(text));
    if (/^[-+]?infinity$/iu.test(text)) return epochMs(text.startsWith('-') ? -Infinity : Infinity);
    // SQL timestamps without a zone ('2030-01-01 10:00:00') are read as UTC, as the stores write them.
    const iso = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/u.test(text) ? `${text.replace(' ', 'T')}Z` : text;
    const time = Date.parse(iso);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

/** Empty: the field says nothing, so a `true`/`false`/`future`/`past` rule does not hold (and is not unreadable). */
const isEmpty = (value: unknown): boolean => value === null || value === undefined || (typeof value === 'string' && value.trim().length === 0);

/** Whether the rule holds, or `unreadable` when its field holds a value the rule cannot read. */
function ruleHolds(rule: StateRule, value: unknown, now: number): boolean | 'unreadable' {
  const when = rule.when;
  if (typeof when === 'object') return when.equals.some((expected) => expected === value || ((typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') && String(value) === String(expected)));
  switch (when) {
    case 'null':
      return value === null || value === undefined;
    case 'not-null':
      return value !== null && value !== undefined;
    case 'true':
    case 'false': {
      if (isEmpty(value)) return false;
      const flag = booleanOf(value);
      return flag === undefined ? 'unreadable' : flag === (when === 'true');
    }
    case 'future':
    case 'past': {
      if (isEmpty(value)) return false;
      const time = timeOf(value);
      if (time === undefined) return 'unreadable';
      if (time === 'never') return when === 'future';
      return when === 'future' ? time > now : time <= now;
    }
  }
}

/** The account state a row records, evaluated at `now` (a lock that ended is no lock). */
export function accountStateOf(row: Row, rules: readonly StateRule[], now = Date.now()): AccountState {
  for (const rule of rules) {
    const holds = ruleHolds(rule, plainValue(valueAt(row, rule.field)), now);
    // The field's value is not quoted: it could be anything, a password included.
    if (holds === 'unreadable') return { status: 'unreadable', detail: `${rule.field}: a value the "${typeof rule.when === 'object' ? 'equals' : rule.when}" rule cannot read` };
    if (holds) {
      const when = typeof rule.when === 'object' ? `in ${JSON.stringify(rule.when.equals)}` : rule.when;
      return { status: rule.status, detail: rule.detail ?? `${rule.field} ${when}` };
    }
  }
  return { status: 'active' };
}

/** Schemes whose stored value gives the password back, so bulk migration can carry it over. */
const recoverableSchemes = new Set(['plaintext', 'ldap_plaintext', 'roundup_plaintext', 'dovecot_plain', 'dovecot_cleartext']);

/** Clear-text schemes, and ASP.NET Membership rows with PasswordFormat 0 (clear). */
function isRecoverable(scheme: string, context: Readonly<Record<string, unknown>>): boolean {
  if (recoverableSchemes.has(scheme)) return true;
  return scheme.startsWith('aspnet_membership') && String(context['passwordFormat']) === '0';
}

/**
 * Maps one row. Returns undefined when the row has no subject id or no username: such a row cannot be
 * signed into or migrated, and the store counts it instead.
 */
export function mapRecord(row: Row, mapping: RecordMapping, normalize: (username: string) => string, cursor?: string): LegacyRecord | undefined {
  const subjectId = subjectIdOf(row, mapping.subjectId);
  const rawUsername = textFieldOf(valueAt(row, mapping.username));
  if (subjectId === undefined || rawUsername === undefined) return undefined;
  const text = (path: string | undefined): string | undefined => (path === undefined ? undefined : textFieldOf(valueAt(row, path)));
  const email = text(mapping.email);
  const displayName = text(mapping.displayName);
  const givenName = text(mapping.givenName);
  const surname = text(mapping.surname);
  const attributes: Record<string, unknown> = {};
  for (const [claim, path] of Object.entries(mapping.attributes)) {
    const value = claimOf(valueAt(row, path));
    if (value !== undefined) attributes[claim] = value;
  }

  const hash = mapping.hash === false ? undefined : textFieldOf(valueAt(row, mapping.hash), 'hash');
  let credential: StoredCredential | undefined;
  if (hash !== undefined) {
    const scheme = text(mapping.schemeField) ?? mapping.scheme;
    const context: Record<string, unknown> = { ...mapping.staticContext };
    for (const [key, path] of Object.entries(mapping.context)) {
      const value = plainValue(valueAt(row, path));
      if (value !== null && value !== undefined) context[key] = typeof value === 'bigint' ? Number(value) : value instanceof Uint8Array ? textOf(value) : value;
    }
    credential = {
      scheme,
      hash,
      ...(Object.keys(context).length === 0 ? {} : { context: Object.freeze(context) }),
      ...(isRecoverable(scheme, context) ? { recoverable: true } : {}),
    };
  }
  const state = accountStateOf(row, mapping.states);
  const profile: Profile = {
    subjectId,
    username: normalize(rawUsername),
    ...(email === undefined ? {} : { email }),
    ...(displayName === undefined ? {} : { displayName }),
    ...(givenName === undefined ? {} : { givenName }),
    ...(surname === undefined ? {} : { surname }),
    enabled: state.status !== 'disabled' && state.status !== 'unreadable',
    attributes: Object.freeze(attributes),
    ...(credential === undefined ? {} : { credential: Object.freeze(credential) }),
    ...(cursor === undefined ? {} : { cursor }),
  };
  return { profile: Object.freeze(profile), credential, state };
}

/** Each mapped field with the options that name it (`mapping.hash`), in mapping order. */
export function mappedFieldOptions(mapping: RecordMapping): Map<string, string[]> {
  const named: [string, string | undefined][] = [
    ['mapping.subjectId', mapping.subjectId],
    ['mapping.username', mapping.username],
    ['mapping.hash', mapping.hash === false ? undefined : mapping.hash],
    ['mapping.email', mapping.email],
    ['mapping.schemeField', mapping.schemeField],
    ['mapping.displayName', mapping.displayName],
    ['mapping.givenName', mapping.givenName],
    ['mapping.surname', mapping.surname],
    ...Object.entries(mapping.context).map(([key, field]): [string, string] => [`mapping.context.${key}`, field]),
    ...Object.entries(mapping.attributes).map(([claim, field]): [string, string] => [`mapping.attributes.${claim}`, field]),
    ...mapping.states.map((rule, index): [string, string] => [`mapping.states[${index}].field`, rule.field]),
  ];
  const options = new Map<string, string[]>();
  for (const [option, field] of named) {
    if (field === undefined) continue;
    const known = options.get(field);
    if (known) known.push(option);
    else options.set(field, [option]);
  }
  return options;
}

/** The fields a backend must read for a mapping: the projection of a query. */
export function mappedFields(mapping: RecordMapping): string[] {
  return [...mappedFieldOptions(mapping).keys()];
}
