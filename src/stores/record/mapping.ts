import { z } from 'zod';
import type { Profile, StoredCredential } from '../../core/contracts.js';

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
 * (1/0, 't'/'f', 'Y'/'N', 'yes'/'no'); `future`/`past` compare a date (or epoch seconds) with the time of the
 * check; `equals` lists literal values.
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
    /** The stored hash. A row whose hash is empty or null has no password: it never verifies. */
    hash: fieldPath,
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

export type AccountState = { status: 'active' } | { status: (typeof stateStatuses)[number]; detail: string };

/** A mapped row: what verification and listing need. */
export interface LegacyRecord {
  profile: Profile;
  /** Undefined when the row holds no password. */
  credential: StoredCredential | undefined;
  state: AccountState;
}

/** A field's value: the key itself first (SQL column names may contain dots), then a dotted path. */
export function valueAt(row: Row, path: string): unknown {
  if (Object.hasOwn(row, path)) return row[path];
  if (!path.includes('.')) return undefined;
  let value: unknown = row;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const hasHexString = (value: object): value is { toHexString(): string } =>
  typeof (value as { toHexString?: unknown }).toHexString === 'function';

/**
 * A value as text: strings as they are, numbers and bigints in decimal, dates in ISO 8601, binary as base64,
 * MongoDB ObjectIds as hex. Undefined for null, undefined and empty strings.
 */
export function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value.length === 0 ? undefined : value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (value instanceof Uint8Array) return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  if (typeof value === 'object' && hasHexString(value)) return value.toHexString();
  return JSON.stringify(value);
}

/** A value as a JSON-friendly claim: dates, binary, bigints and ObjectIds as text; objects kept. */
function claimOf(value: unknown): unknown {
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
  }
  return undefined;
}

/** Milliseconds since the epoch for a date, an ISO string or epoch seconds; undefined when unreadable. */
function timeOf(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) * 1000;
  if (typeof value === 'string' && value.trim().length > 0) {
    const text = value.trim();
    if (/^\d+$/u.test(text)) return Number(text) * 1000;
    // SQL timestamps without a zone ('2030-01-01 10:00:00') are read as UTC, as the stores write them.
    const iso = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/u.test(text) ? `${text.replace(' ', 'T')}Z` : text;
    const time = Date.parse(iso);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

function ruleHolds(rule: StateRule, value: unknown, now: number): boolean {
  const when = rule.when;
  if (typeof when === 'object') return when.equals.some((expected) => expected === value || ((typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') && String(value) === String(expected)));
  switch (when) {
    case 'true':
      return booleanOf(value) === true;
    case 'false':
      return booleanOf(value) === false;
    case 'null':
      return value === null || value === undefined;
    case 'not-null':
      return value !== null && value !== undefined;
    case 'future': {
      const time = timeOf(value);
      return time !== undefined && time > now;
    }
    case 'past': {
      const time = timeOf(value);
      return time !== undefined && time <= now;
    }
  }
}

/** The account state a row records, evaluated at `now` (a lock that ended is no lock). */
export function accountStateOf(row: Row, rules: readonly StateRule[], now = Date.now()): AccountState {
  for (const rule of rules) {
    if (ruleHolds(rule, valueAt(row, rule.field), now)) {
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
  const subjectId = textOf(valueAt(row, mapping.subjectId));
  const rawUsername = textOf(valueAt(row, mapping.username));
  if (subjectId === undefined || rawUsername === undefined) return undefined;
  const email = mapping.email === undefined ? undefined : textOf(valueAt(row, mapping.email));
  const text = (path: string | undefined): string | undefined => (path === undefined ? undefined : textOf(valueAt(row, path)));
  const displayName = text(mapping.displayName);
  const givenName = text(mapping.givenName);
  const surname = text(mapping.surname);
  const attributes: Record<string, unknown> = {};
  for (const [claim, path] of Object.entries(mapping.attributes)) {
    const value = claimOf(valueAt(row, path));
    if (value !== undefined) attributes[claim] = value;
  }

  const hash = textOf(valueAt(row, mapping.hash));
  let credential: StoredCredential | undefined;
  if (hash !== undefined) {
    const scheme = (mapping.schemeField === undefined ? undefined : textOf(valueAt(row, mapping.schemeField))) ?? mapping.scheme;
    const context: Record<string, unknown> = { ...mapping.staticContext };
    for (const [key, path] of Object.entries(mapping.context)) {
      const value = valueAt(row, path);
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
    enabled: state.status !== 'disabled',
    attributes: Object.freeze(attributes),
    ...(credential === undefined ? {} : { credential: Object.freeze(credential) }),
    ...(cursor === undefined ? {} : { cursor }),
  };
  return { profile: Object.freeze(profile), credential, state };
}

/** The fields a backend must read for a mapping: the projection of a query. */
export function mappedFields(mapping: RecordMapping): string[] {
  const fields = new Set<string>([mapping.subjectId, mapping.username, mapping.hash]);
  for (const path of [mapping.email, mapping.schemeField, mapping.displayName, mapping.givenName, mapping.surname]) if (path !== undefined) fields.add(path);
  for (const path of Object.values(mapping.context)) fields.add(path);
  for (const path of Object.values(mapping.attributes)) fields.add(path);
  for (const rule of mapping.states) fields.add(rule.field);
  return [...fields];
}
