import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { LegacyIdpError, isLegacyIdpError } from '../../core/errors.js';
import { createUsernameNormalizer, usernameNormalizationSchema } from '../../core/normalize.js';
import { parseOptions } from '../../core/validate.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { mappedFieldOptions, mappedFields, recordMappingSchema, textOf, valueAt, type RecordMapping, type Row } from '../record/mapping.js';
import { createRecordUserStore, type FoundRow, type RecordBackend, type RecordStoreStats, type RecordUserStore } from '../record/record-store.js';
import { readCsv } from './parsers/csv.js';
import { maxRecordBytesCeiling, type FileRecord, type RecordReaderMetrics } from './parsers/input.js';
import { readJsonArray } from './parsers/json-array.js';
import { readJsonLines } from './parsers/jsonl.js';
import { fileFormats, type FileFormat, type FilePresetParts } from './preset-definition.js';
import { filePresetSchema, resolveFilePreset } from './presets.js';

/**
 * A user store over an export file: JSON Lines, a JSON array (bare or under a top-level key) or CSV, plain
 * or gzipped. The file is read once, streamed, when the store is built; only the mapped fields of each
 * record stay in memory, in an index by normalized username (and email). Verification, account states,
 * dummy checks for unknown users and listing are the record core's, as for the SQL store.
 */

const csvDelimiter = z
  .string()
  .length(1)
  .refine((value) => value.charCodeAt(0) < 0x80 && !'"\r\n'.includes(value), 'must be one ASCII character other than a quote or a line end');

export const fileStoreSchema = z
  .object({
    /** The export file. A name ending in `.gz` is gunzipped while it is read. */
    path: z.string().min(1),
    /** `auto` (default): the preset's format, else from the extension (.jsonl/.ndjson, .json, .csv/.tsv). */
    format: z.enum(['auto', ...fileFormats]).default('auto'),
    /** JSON: the top-level key whose value is the users array (`users` for `{"users": [...]}`). */
    jsonKey: z.string().min(1).optional(),
    /** JSON: accept `//` and `/* *\/` comments (files written for Newtonsoft.Json). */
    jsonComments: z.boolean().optional(),
    csv: z
      .object({
        /** Default `,` (tab for a .tsv file). */
        delimiter: csvDelimiter.optional(),
        /** `true` (default): the first row names the columns; or the column names of a file without a header row. */
        header: z
          .union([
            z.literal(true),
            z
              .array(z.string())
              .min(1)
              .refine((names) => {
                const named = names.filter((name) => name !== '');
                return new Set(named).size === named.length;
              }, 'names a column twice'),
          ])
          .optional(),
      })
      .strict()
      .optional(),
    /** Field mapping, merged over the preset's. Field names may be dotted paths into nested JSON objects. */
    mapping: recordMappingSchema.partial().optional(),
    /** `'auth0'`, `'ms-sample'`, or `{ name: 'firebase', signerKey, ... }` (docs/stores/file.md). */
    preset: filePresetSchema.optional(),
    /** Also find users by the email field (an email two records share finds neither). */
    matchEmail: z.boolean().optional(),
    normalization: usernameNormalizationSchema.optional(),
    /** The hash registry; by default one with every built-in scheme, closed with the store. */
    registry: z.custom<HashRegistry>((value) => typeof (value as HashRegistry | undefined)?.verify === 'function', 'must be a HashRegistry').optional(),
    name: z.string().min(1).optional(),
    /** Largest record in bytes (a JSONL line, a JSON array element, a CSV row). Default 1 MiB. */
    maxRecordBytes: z.number().int().min(1).max(maxRecordBytesCeiling).optional(),
    /** Users per `list()` batch (default 1,000, at most 10,000). */
    batchSize: z.number().int().min(1).max(10_000).default(1_000),
  })
  .strict();

export type FileStoreOptions = z.input<typeof fileStoreSchema>;

export interface FileStoreStats extends RecordStoreStats {
  /** Records read from the file. */
  records: number;
  /** Records without a subject id or a username (social-only or phone-only accounts, blank rows): not kept. */
  skippedRows: number;
  /** Records kept: the users the store knows. */
  users: number;
  /** Usernames (normalized) that two or more records share: a login naming one of them finds nobody. */
  usernameCollisions: number;
  /** Emails that two or more records share (with `matchEmail`): such an email finds nobody. */
  ambiguousEmails: number;
  /** Subject ids that two or more records share: the export is suspect, and bulk migration would see them twice. */
  duplicateSubjectIds: number;
  /** Records merged into an earlier record of the same subject id (the `auth0` preset: a job export and a hash export in one file). */
  mergedRecords: number;
}

export interface FileUserStore extends RecordUserStore {
  readonly stats: Readonly<FileStoreStats>;
  /**
   * The SHA-256 (hex) of the file's bytes as read (before gunzip): which export this store holds. `list()` cursors
   * are positions in it, so a run that resumes from a cursor checks that the file is still this one.
   */
  readonly sha256: string;
}

const extensionFormats: Record<string, FileFormat> = { jsonl: 'jsonl', ndjson: 'jsonl', jsonlines: 'jsonl', json: 'json', csv: 'csv', tsv: 'csv' };

function fileNameParts(path: string): { gzip: boolean; extension: string } {
  const name = basename(path).toLowerCase();
  const gzip = name.endsWith('.gz');
  const inner = gzip ? name.slice(0, -3) : name;
  const dot = inner.lastIndexOf('.');
  return { gzip, extension: dot < 0 ? '' : inner.slice(dot + 1) };
}

function formatOf(configured: 'auto' | FileFormat, preset: FilePresetParts | undefined, path: string): FileFormat {
  if (configured !== 'auto') return configured;
  if (preset?.format !== undefined) return preset.format;
  const format = extensionFormats[fileNameParts(path).extension];
  if (format === undefined) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `file store options: cannot tell the format of "${basename(path)}" from its extension; set \`format\``, {
      path: 'format',
    });
  }
  return format;
}

const unreadable = (path: string, error: unknown): LegacyIdpError => {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? (code.startsWith('Z_') ? 'not a valid gzip file' : code) : 'read error';
  return new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_FILE', `file store: cannot read ${path} (${reason})`, { cause: error });
};

const formatLabels: Record<FileFormat, string> = { jsonl: 'JSONL', json: 'JSON', csv: 'CSV' };

/** The fields without which no record can sign in: every record may lack them, but not all of them. */
function requiredFields(mapping: RecordMapping): Map<string, string[]> {
  const required = new Set<string | false>([mapping.subjectId, mapping.username, mapping.hash]);
  return new Map([...mappedFieldOptions(mapping)].filter(([field]) => required.has(field)));
}

/** A name that differs from a mapped field only in case or surrounding spaces: worth suggesting. */
const isCloseTo = (name: string, field: string): boolean => name !== field && name.trim().toLowerCase() === field.trim().toLowerCase();

/** Names for a message: quoted, each shortened, at most 40 of them. */
function nameList(names: readonly string[]): string {
  const shown = names.slice(0, 40).map((name) => JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}...` : name));
  return names.length > shown.length ? `${shown.join(', ')} and ${names.length - shown.length} more` : shown.join(', ');
}

const missingField = (field: string, options: readonly string[], close: readonly string[]): string =>
  `"${field}" (${options.join(', ')}${close.length === 0 ? '' : `; did you mean ${nameList(close)}?`})`;

const otherDelimiters = [',', ';', '\t', '|'];

/**
 * Refuses a CSV header without a column of the mapping: a missing hash column would make every right
 * password a wrong one (counted by the lockout), a missing username column every user unknown. Header
 * names are listed only when the row is recognizably a header (a mapped field or a near miss is in it):
 * the first row of a file without a header row is a user, and its values are not for an error message.
 */
function checkColumns(names: readonly string[], mapping: RecordMapping, delimiter: string): void {
  const columns = new Set(names);
  const options = mappedFieldOptions(mapping);
  const missing = [...options].filter(([field]) => !columns.has(field));
  const first = missing[0];
  if (first === undefined) return;
  const fields = [...options.keys()];
  const recognized = names.some((name) => fields.some((field) => name === field || isCloseTo(name, field)));
  const problem = (described: string): LegacyIdpError =>
    new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `the CSV header has no column ${described}`, { path: first[1][0] ?? 'mapping' });
  if (recognized) {
    const described = missing.map(([field, options]) => missingField(field, options, names.filter((name) => isCloseTo(name, field)))).join(', ');
    throw problem(`${described}; its columns are ${nameList(names)}`);
  }
  const described = missing.map(([field, options]) => missingField(field, options, [])).join(', ');
  const only = names.length === 1 ? (names[0] as string) : undefined;
  if (only?.startsWith('sep=') === true) throw problem(`${described}: the first line is Excel's "sep=" line; remove it`);
  const splitBy = only === undefined ? undefined : otherDelimiters.find((other) => other !== delimiter && only.split(other).some((part) => fields.includes(part.trim())));
  if (splitBy !== undefined) {
    throw problem(`${described}: its one column looks separated by ${JSON.stringify(splitBy)}, not ${JSON.stringify(delimiter)}; set csv.delimiter`);
  }
  throw problem(
    `${described}, and none of its ${names.length} column${names.length === 1 ? '' : 's'} is a mapped field: if the file has no header row, set csv.header to the column names; else check csv.delimiter`,
  );
}

/**
 * The users of the file, in file order: each one the mapped fields' values (in `fields` order), nothing else.
 * An array per user, not a row object: its values are what the user costs in memory.
 */
interface LoadedUsers {
  fields: readonly string[];
  users: unknown[][];
  byUsername: Map<string, number>;
  byEmail: Map<string, number>;
  /** Keys that two or more users share, with every user holding them: a lookup finds them all. */
  sharedUsernames: Map<string, number[]>;
  sharedEmails: Map<string, number[]>;
  stats: FileStoreStats;
}

function addKey(index: Map<string, number>, shared: Map<string, number[]>, key: string, user: number): boolean {
  const first = index.get(key);
  if (first === undefined) {
    index.set(key, user);
    return false;
  }
  const all = shared.get(key);
  if (all) all.push(user);
  else shared.set(key, [first, user]);
  return all === undefined;
}

/** A record's place in the file: its number and the line it starts on (when the reader tells). */
interface Place {
  record: number;
  line: number | undefined;
}

/** Equal as values of one field: the same scalar, or objects and arrays with the same JSON. */
const sameValue = (a: unknown, b: unknown): boolean => a === b || (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b));

async function loadUsers(
  records: AsyncIterable<FileRecord>,
  settings: {
    format: FileFormat;
    mapping: RecordMapping;
    normalize: (value: string) => string;
    matchEmail: boolean;
    emptyIsNull: boolean;
    transform: ((record: Row) => Row) | undefined;
    mergeBySubjectId: boolean;
    /** The reader's counters: the line the current record starts on. */
    metrics: RecordReaderMetrics;
  },
): Promise<LoadedUsers> {
  const { format, mapping, normalize, matchEmail, emptyIsNull, transform, mergeBySubjectId, metrics } = settings;
  /** Where a record is, for a message: its line and number, never its content. */
  const place = ({ record, line }: Place): string => `${formatLabels[format]} ${line === undefined ? '' : `line ${line} `}(record ${record})`;
  const fields = mappedFields(mapping);
  const subjectAt = fields.indexOf(mapping.subjectId);
  const usernameAt = fields.indexOf(mapping.username);
  const emailAt = mapping.email === undefined ? -1 : fields.indexOf(mapping.email);
  // The fields that name a user: a JSON number there is read by JSON.parse, which rounds past 2^53.
  const identifying: [number, string][] = [
    [subjectAt, 'mapping.subjectId'],
    [usernameAt, 'mapping.username'],
    [emailAt, 'mapping.email'],
  ];
  // Required fields no record has had yet, with the near misses seen in their place; and the first
  // record's field names, for the message when a field never shows up.
  const unseen = requiredFields(mapping);
  const nearMisses = new Map<string, Set<string>>();
  let firstFields: string[] | undefined;
  const loaded: LoadedUsers = {
    fields,
    users: [],
    byUsername: new Map(),
    byEmail: new Map(),
    sharedUsernames: new Map(),
    sharedEmails: new Map(),
    stats: { records: 0, users: 0, skippedRows: 0, usernameCollisions: 0, ambiguousEmails: 0, duplicateSubjectIds: 0, mergedRecords: 0 },
  };
  const { stats } = loaded;
  // Each subject id's user, for counting and merging: dropped once the file is read, as are the rest.
  const subjects = new Map<string, number>();
  /** Merging: where each user's first record is, and records without a sign-in name waiting for their user's other record. */
  const places: Place[] = [];
  const orphans = new Map<string, { values: unknown[]; place: Place }>();
  const emailKey = (of: readonly unknown[]): string => {
    const email = emailAt < 0 ? undefined : textOf(of[emailAt]);
    return email === undefined ? '' : normalize(email);
  };
  /** Fills `into` with the fields `from` has and it lacks; a field both have with other values refuses the file. */
  const mergeValues = (into: unknown[], from: readonly unknown[], later: Place, earlier: Place): void => {
    fields.forEach((field, at) => {
      const value = from[at];
      if (value === undefined) return;
      const held = into[at];
      if (held === undefined) {
        into[at] = value;
        return;
      }
      // The sign-in names compare as the index holds them; every other field as it is.
      if (at === usernameAt || at === emailAt ? normalize(textOf(held) ?? '') === normalize(textOf(value) ?? '') : sameValue(held, value)) return;
      const options = mappedFieldOptions(mapping).get(field) ?? [];
      const [first, second] = later.record > earlier.record ? [earlier, later] : [later, earlier];
      throw new LegacyIdpError(
        'ERR_LEGACY_IDP_CONFIG_FILE',
        `${place(second)} has the subject id of ${place(first)} and another value of "${field}" (${options.join(', ')}): records of one user are merged, and must agree on every field both have (are both exports of the same tenant, taken at the same time?)`,
        { path: options[0] ?? 'mapping' },
      );
    });
  };
  for await (const record of records) {
    stats.records += 1;
    const row = transform ? transform(record) : record;
    firstFields ??= Object.keys(row);
    if (unseen.size > 0) noteUnseen(row, unseen, nearMisses);
    const values = fields.map((field) => {
      const value = valueAt(row, field);
      // CSV has no null: an empty field is one, so `null` / `not-null` state rules read CSV as they read JSON.
      return emptyIsNull && value === '' ? undefined : value;
    });
    for (const [at, option] of identifying) {
      const value = values[at];
      if (typeof value === 'number' && !Number.isSafeInteger(value)) {
        // Two ids that differ past 2^53 become one number: two users would merge, or one sign in as the other.
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_FILE',
          `${place({ record: stats.records, line: metrics.recordLine })}: "${fields[at] ?? ''}" (${option}) is a number that is not an integer within 2^53, which JSON readers round: write it as a string ("${fields[at] ?? ''}": "...") in the export`,
          { path: option },
        );
      }
      if (typeof value === 'object' && value !== null) {
        // Its JSON text would become the id or the name (`{"$oid":"..."}`): a login nobody types, and a subject id
        // that changes with the exporter's key order or spacing.
        const kind = Array.isArray(value) ? 'an array' : 'an object';
        const inner = Array.isArray(value) ? undefined : Object.keys(value).find((key) => key.startsWith('$'));
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_FILE',
          `${place({ record: stats.records, line: metrics.recordLine })}: "${fields[at] ?? ''}" (${option}) is ${kind}, not a string or a number: map the field inside it${
            inner === undefined ? '' : ` ("${fields[at] ?? ''}.${inner}" for MongoDB extended JSON)`
          }`,
          { path: option },
        );
      }
    }
    const subjectId = textOf(values[subjectAt]);
    const rawUsername = textOf(values[usernameAt]);
    const username = rawUsername === undefined ? '' : normalize(rawUsername);
    const here: Place = { record: stats.records, line: metrics.recordLine };
    if (subjectId !== undefined && mergeBySubjectId) {
      const first = subjects.get(subjectId);
      if (first !== undefined) {
        const merged = loaded.users[first] as unknown[];
        const hadEmail = emailKey(merged);
        mergeValues(merged, values, here, places[first] as Place);
        stats.mergedRecords += 1;
        // The merged record may bring the email the first one lacked.
        const email = emailKey(merged);
        if (matchEmail && hadEmail === '' && email !== '' && addKey(loaded.byEmail, loaded.sharedEmails, email, first)) stats.ambiguousEmails += 1;
        continue;
      }
      if (username === '') {
        // No sign-in name here, but the user's other record may have one, later in the file.
        const orphan = orphans.get(subjectId);
        if (orphan === undefined) orphans.set(subjectId, { values, place: here });
        else {
          mergeValues(orphan.values, values, here, orphan.place);
          stats.mergedRecords += 1;
        }
        continue;
      }
      const orphan = orphans.get(subjectId);
      if (orphan !== undefined) {
        orphans.delete(subjectId);
        mergeValues(values, orphan.values, here, orphan.place);
        stats.mergedRecords += 1;
      }
    }
    if (subjectId === undefined || username === '') {
      stats.skippedRows += 1;
      continue;
    }
    const user = loaded.users.length;
    loaded.users.push(values);
    if (subjects.has(subjectId)) stats.duplicateSubjectIds += 1;
    else subjects.set(subjectId, user);
    if (mergeBySubjectId) places[user] = here;
    if (addKey(loaded.byUsername, loaded.sharedUsernames, username, user)) stats.usernameCollisions += 1;
    if (matchEmail && emailAt >= 0) {
      const key = emailKey(values);
      if (key !== '' && addKey(loaded.byEmail, loaded.sharedEmails, key, user)) stats.ambiguousEmails += 1;
    }
  }
  // Records of a user no record with a sign-in name completed: skipped like any record without one.
  stats.skippedRows += orphans.size;
  stats.users = loaded.users.length;
  const [missing] = unseen;
  if (missing !== undefined && stats.records > 0) {
    // A misspelt field loads as "no such value" in every record: refused, or every sign-in would be a wrong
    // password (no hash) or an unknown user (no username), and the operator would never hear of the mapping.
    const described = [...unseen].map(([field, options]) => missingField(field, options, [...(nearMisses.get(field) ?? [])])).join(', ');
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_CONFIG_INVALID',
      `no record (of ${stats.records}) has the field ${described}; the first record's fields are ${nameList(firstFields ?? [])}${
        [...unseen].some(([, options]) => options.includes('mapping.hash')) ? '; an export without passwords (profiles only) takes mapping.hash: false' : ''
      }`,
      { path: missing[1][0] ?? 'mapping' },
    );
  }
  if (stats.records > 0 && stats.users === 0) {
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_CONFIG_INVALID',
      `no record (of ${stats.records}) has both a subject id ("${mapping.subjectId}", mapping.subjectId) and a username ("${mapping.username}", mapping.username): check the mapping`,
      { path: 'mapping.username' },
    );
  }
  return loaded;
}

/** Crosses off the required fields this record has; for the others, notes fields named like them. */
function noteUnseen(row: Row, unseen: Map<string, string[]>, nearMisses: Map<string, Set<string>>): void {
  for (const field of unseen.keys()) {
    if (valueAt(row, field) !== undefined) {
      unseen.delete(field);
      nearMisses.delete(field);
      continue;
    }
    for (const name of Object.keys(row)) {
      if (!isCloseTo(name, field)) continue;
      const seen = nearMisses.get(field) ?? new Set<string>();
      if (seen.size < 5) seen.add(name);
      nearMisses.set(field, seen);
    }
  }
}

/** The cursor of a user is its position in the file: stable while the file is unchanged. */
const cursorPattern = /^(?:0|[1-9]\d{0,14})$/u;

function memoryBackend(loaded: LoadedUsers, matchEmail: boolean): RecordBackend {
  let { users } = loaded;
  const { fields, byUsername, byEmail, sharedUsernames, sharedEmails } = loaded;
  const positions = new WeakMap<Row, number>();

  const rowAt = (user: number): Row => {
    const values = users[user] ?? [];
    // A plain loop over the fixed field list: every row gets the same shape (one lookup per sign-in makes one).
    // A field named __proto__ is defined, not assigned, so it stays a field and never sets the prototype.
    const row: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      if (field === '__proto__') Object.defineProperty(row, field, { value: values[i], enumerable: true, writable: true, configurable: true });
      else row[field] = values[i];
    }
    return row;
  };
  const usersFor = (index: Map<string, number>, shared: Map<string, number[]>, key: string): readonly number[] => {
    const all = shared.get(key);
    if (all) return all;
    const one = index.get(key);
    return one === undefined ? [] : [one];
  };

  return {
    inMemory: true,
    async find(login, limit) {
      await Promise.resolve();
      const named = usersFor(byUsername, sharedUsernames, login);
      const found: FoundRow[] = named.slice(0, limit).map((user) => ({ row: rowAt(user), byUsername: true }));
      if (matchEmail) {
        for (const user of usersFor(byEmail, sharedEmails, login)) {
          if (found.length >= limit) break;
          // A user whose username is also its email is one match, not two.
          if (!named.includes(user)) found.push({ row: rowAt(user), byUsername: false });
        }
      }
      return found;
    },
    async page(after, limit) {
      await Promise.resolve();
      const start = after === undefined ? 0 : (after as number) + 1;
      const rows: Row[] = [];
      for (let user = start; user < users.length && rows.length < limit; user++) {
        const row = rowAt(user);
        // Only listed rows get a cursor: a sign-in's lookup writes nothing here (a WeakMap entry per sign-in
        // cost a write barrier and minor-GC work on every call).
        positions.set(row, user);
        rows.push(row);
      }
      return rows;
    },
    cursorOf(row) {
      const position = positions.get(row);
      if (position === undefined) throw new TypeError('not a row this store listed');
      return String(position);
    },
    parseCursor(cursor) {
      if (!cursorPattern.test(cursor)) throw new TypeError('cursor is not a record position');
      return Number(cursor);
    },
    // Nothing here can fail the way a server does; whatever throws is a bug, not an outage.
    classify: () => 'backend_error',
    async close() {
      await Promise.resolve();
      // Let the users go with the store, so a closed store holds no hashes.
      users = [];
      byUsername.clear();
      byEmail.clear();
      sharedUsernames.clear();
      sharedEmails.clear();
    },
  };
}

export async function fileUserStore(options: FileStoreOptions): Promise<FileUserStore> {
  const config = parseOptions(fileStoreSchema, options, 'file store options');
  const preset = config.preset === undefined ? undefined : resolveFilePreset(config.preset);
  const mapping = parseOptions(recordMappingSchema, { ...preset?.mapping, ...config.mapping }, 'file store options (mapping)');
  const normalize = createUsernameNormalizer(config.normalization ?? preset?.normalization ?? {});
  const matchEmail = config.matchEmail ?? preset?.matchEmail ?? false;
  if (matchEmail && mapping.email === undefined) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'file store options: `matchEmail` needs `mapping.email`', { path: 'matchEmail' });
  }
  const format = formatOf(config.format, preset, config.path);
  const jsonKey = config.jsonKey ?? preset?.jsonKey;
  const { gzip, extension } = fileNameParts(config.path);
  const metrics: RecordReaderMetrics = { records: 0, peakBufferedBytes: 0 };
  const limits = { metrics, ...(config.maxRecordBytes === undefined ? {} : { maxRecordBytes: config.maxRecordBytes }) };
  const delimiter = config.csv?.delimiter ?? (extension === 'tsv' ? '\t' : ',');
  const name = config.name ?? (preset ? `file:${preset.name}` : `file:${format}`);

  let registry = config.registry;
  const ownsRegistry = registry === undefined;
  registry ??= (await import('../../hashes/registry.js')).createHashRegistry();
  try {
    // A scheme the registry lacks would fail every sign-in as `misconfigured`: say so before reading the file.
    if (mapping.scheme !== 'auto' && registry.get(mapping.scheme) === undefined) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_HASH_UNKNOWN_SCHEME', `file store options: the registry has no scheme "${mapping.scheme}"`, { path: 'mapping.scheme' });
    }
    const loaded = await readUsers(
      config.path,
      { format, gzip, mapping, normalize, matchEmail, transform: preset?.transformRecord, mergeBySubjectId: preset?.mergeBySubjectId ?? false, metrics },
      (source) =>
      format === 'jsonl'
        ? readJsonLines(source, limits)
        : format === 'json'
          ? readJsonArray(source, { ...limits, ...(jsonKey === undefined ? {} : { key: jsonKey }), comments: config.jsonComments ?? preset?.jsonComments ?? false })
          : readCsv(source, {
              ...limits,
              delimiter,
              header: config.csv?.header ?? true,
              // A preset's transform derives fields no header names; those are checked record by record.
              ...(preset?.transformRecord === undefined ? { onHeader: (names: readonly string[]) => { checkColumns(names, mapping, delimiter); } } : {}),
            }),
    );
    const stats: FileStoreStats = Object.freeze({ ...loaded.stats });
    const { sha256 } = loaded;
    const store = createRecordUserStore({
      name,
      backend: memoryBackend(loaded, matchEmail),
      mapping,
      registry,
      ownsRegistry,
      normalize,
      batchSize: config.batchSize,
      maxBatchSize: 10_000,
    });
    return { ...store, stats, sha256 };
  } catch (error) {
    if (ownsRegistry) await registry.close();
    throw error;
  }
}

/** Opens, reads and closes the file; the users it holds, or a typed error naming the file. */
async function readUsers(
  path: string,
  settings: { format: FileFormat; gzip: boolean } & Omit<Parameters<typeof loadUsers>[1], 'emptyIsNull'>,
  reader: (source: Readable) => AsyncIterable<FileRecord>,
): Promise<LoadedUsers & { sha256: string }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  // The stream closes the handle when it ends or is destroyed; the explicit close covers an early failure.
  const stream: Readable = handle.createReadStream({ highWaterMark: 64 * 1024 });
  // The digest of the bytes as they pass: the file is read once, and what is hashed is what was loaded.
  const digest = createHash('sha256');
  const digested: Readable = pipeline(
    stream,
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        digest.update(chunk);
        callback(null, chunk);
      },
    }),
    () => undefined,
  );
  const source: Readable = settings.gzip ? pipeline(digested, createGunzip(), () => undefined) : digested;
  try {
    const loaded = await loadUsers(reader(source), { ...settings, emptyIsNull: settings.format === 'csv' });
    return { ...loaded, sha256: digest.digest('hex') };
  } catch (error) {
    if (!isLegacyIdpError(error)) throw unreadable(path, error);
    // The reader's message says where in the file; the operator also needs to know which file.
    throw new LegacyIdpError(error.code, `${basename(path)}: ${error.message}`, { cause: error, ...(error.path === undefined ? {} : { path: error.path }) });
  } finally {
    source.destroy();
    digested.destroy();
    stream.destroy();
    await handle.close().catch(() => undefined);
  }
}
