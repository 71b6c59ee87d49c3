import type { Collection, Decimal128, Document, Filter, Long, MongoClient, ObjectId } from 'mongodb';
import { z } from 'zod';
import type { MigrationConfirmation } from '../../core/contracts.js';
import { driverRefusal } from '../../core/driver-refusal.js';
import { LegacyIdpError } from '../../core/errors.js';
import { createUsernameNormalizer, usernameNormalizationSchema } from '../../core/normalize.js';
import { importOptional } from '../../core/optional-import.js';
import { hasFunction, parseOptions } from '../../core/validate.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { mappedFields, recordMappingSchema, subjectIdOf, textsAt, valueAt, type RecordMapping, type Row } from '../record/mapping.js';
import { createRecordUserStore, type FoundRow, type RecordBackend, type RecordUserStore } from '../record/record-store.js';

/**
 * A user store over a MongoDB collection, through the optional peer `mongodb`. Lookups are equality filters on
 * the login as a string (and, when it is a number's canonical text, that number); the store builds the `$in` itself,
 * so an operator object from input never reaches the server. Projected to the mapped
 * fields; `list()` pages by the key field with `{ key: { $gt: last } }` sorted ascending, then `$type` into the
 * type brackets that sort after the last key's.
 */

const isMongoPath = (path: string): boolean =>
  path.length > 0 && path.length <= 256 && path.split('.').every((part) => part.length > 0 && !part.startsWith('$') && !part.includes('\u0000'));
const mongoPathMessage = 'must be a field path without $ operators';

/** A document field path: dotted segments, none empty and none starting with `$` (operators). */
const mongoPath = z.string().min(1).max(256).refine(isMongoPath, mongoPathMessage);

/** `a` is `b` or holds it (`address` holds `address.city`). */
const holds = (a: string, b: string): boolean => a === b || b.startsWith(`${a}.`);

/**
 * Checks on a mapping that the record mapping's schema cannot make: every path is a MongoDB field path (a mapped
 * `email: '$where'` would put the typed login where MongoDB reads an operator), and no profile field holds the hash
 * field (an attribute `auth` over a hash at `auth.hash` would copy the hash into every profile and payload).
 */
function checkMapping(mapping: RecordMapping, context: z.core.$RefinementCtx): void {
  const hash = mapping.hash === false ? undefined : mapping.hash;
  const paths: [path: (string | number)[], field: string | undefined, claim: boolean][] = [
    [['email'], mapping.email, true],
    [['schemeField'], mapping.schemeField, false],
    [['displayName'], mapping.displayName, true],
    [['givenName'], mapping.givenName, true],
    [['surname'], mapping.surname, true],
    [['username'], mapping.username, true],
    [['subjectId'], mapping.subjectId, true],
    ...Object.entries(mapping.context).map(([key, field]): [string[], string, boolean] => [['context', key], field, false]),
    ...Object.entries(mapping.attributes).map(([claim, field]): [string[], string, boolean] => [['attributes', claim], field, true]),
    ...mapping.states.map((rule, index): [(string | number)[], string, boolean] => [['states', index, 'field'], rule.field, false]),
  ];
  for (const [path, field, claim] of paths) {
    if (field === undefined) continue;
    if (!isMongoPath(field)) context.addIssue({ code: 'custom', message: mongoPathMessage, path });
    else if (claim && hash !== undefined && hash !== field && holds(field, hash)) {
      context.addIssue({ code: 'custom', message: `"${field}" holds the hash field "${hash}": it would copy the hash into every profile; map the fields beside the hash instead`, path });
    }
  }
}

/**
 * A collation locale as mongod accepts it: an ICU locale id exactly as ICU spells it (mongod refuses any other
 * spelling: `en-US`, `en_us`, `zh_HANT`, and `root`), a language with optional script, country and variant, and
 * an optional `@collation=` variant (docs: Collation Locales and Default Parameters).
 */
const localePattern = /^[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_(?:[A-Z]{2}|\d{3})(?:_[A-Z0-9]{4,8})?)?(?:@collation=[a-z0-9]+)?$/u;
const mongoLocale = z
  .string()
  .refine((locale) => locale !== 'simple', '`simple` compares bytes and ignores `strength`: name a language (`en`)')
  .refine((locale) => localePattern.test(locale), 'must be an ICU locale id as MongoDB spells it (`en`, `en_US`, `de_AT`, `zh_Hant`, `de@collation=phonebook`)');

const writeBackFields = ['migratedAtField', 'migratedFlagField', 'objectIdField', 'hashField', 'schemeField'] as const;

export const mongoStoreSchema = z
  .object({
    /** A connection string (`mongodb://...`, `mongodb+srv://...`). */
    uri: z.string().min(1).optional(),
    /** A MongoClient you made (connected or not); the store does not close it. */
    client: z.custom<MongoClient>(hasFunction('db'), 'must be a MongoClient').optional(),
    /** A Collection you made; the store does not close its client. */
    collection: z.union([z.string().min(1), z.custom<Collection>(hasFunction('find'), 'must be a Collection')]).default('users'),
    /** The database (default: the one in the URI). */
    database: z.string().min(1).optional(),
    name: z.string().min(1).default('mongo'),
    /** Field mapping (dotted paths); `subjectId` defaults to `_id` and is the `list()` order and write-back key. */
    mapping: recordMappingSchema.extend({ subjectId: mongoPath.default('_id'), username: mongoPath, hash: mongoPath }).superRefine(checkMapping),
    /** Equalities every lookup and page adds (`{ tenant: 'acme' }`). Values are literals, never operators. */
    where: z.record(mongoPath, z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    matchEmail: z.boolean().default(false),
    /**
     * Case-insensitive lookups through a collation (`{ locale: 'en', strength: 2 }`): the stored names may be
     * in any case. Give the username index the same collation so the lookup uses it. Without it, the stored
     * names must already be in the normalized form (lower case by default).
     */
    collation: z.object({ locale: mongoLocale, strength: z.union([z.literal(1), z.literal(2)]) }).strict().optional(),
    normalization: usernameNormalizationSchema.optional(),
    writeBack: z
      .object({
        migratedAtField: mongoPath.optional(),
        migratedFlagField: mongoPath.optional(),
        objectIdField: mongoPath.optional(),
        hashField: mongoPath.optional(),
        schemeField: mongoPath.optional(),
      })
      .strict()
      // One `$set` writes them all, and MongoDB refuses a `$set` of a path and a path inside it (code 40).
      .superRefine((writeBack, context) => {
        for (const [index, name] of writeBackFields.entries()) {
          const field = writeBack[name];
          if (field === undefined) continue;
          for (const other of writeBackFields.slice(0, index)) {
            const earlier = writeBack[other];
            if (earlier !== undefined && (holds(earlier, field) || holds(field, earlier))) {
              context.addIssue({ code: 'custom', message: `"${field}" overlaps writeBack.${other} ("${earlier}"): MongoDB refuses to set a field and a field inside it at once`, path: [name] });
            }
          }
        }
      })
      .optional(),
    registry: z.custom<HashRegistry>((value) => typeof (value as HashRegistry | undefined)?.verify === 'function', 'must be a HashRegistry').optional(),
    connectTimeoutMs: z.number().int().positive().default(5_000),
    /** Server-side bound of each query (maxTimeMS) and the client's socket timeout. */
    queryTimeoutMs: z.number().int().positive().default(5_000),
    batchSize: z.number().int().min(1).max(10_000).default(1_000),
  })
  .strict()
  .refine((config) => !(config.uri !== undefined && config.client !== undefined), { error: 'give `uri` or `client`, not both', path: ['client'] });

export type MongoStoreOptions = z.input<typeof mongoStoreSchema>;

// BadValue, FailedToParse, ConflictingUpdateOperators, InvalidOptions, Location codes for bad projections/sorts:
// the operator must act.
const configCodes = new Set([2, 9, 40, 72, 31249, 31250, 31254]);

type Key = string | number | ObjectId | Long | Decimal128;

/**
 * BSON types by MongoDB's sort order (MinKey, null, numbers, strings, objects, arrays, binary, ObjectId,
 * booleans, dates, timestamps, regexes, then code and MaxKey), one bracket per entry, as `$type` aliases.
 */
const typeBrackets: readonly (readonly string[])[] = [
  ['double', 'int', 'long', 'decimal'],
  ['string', 'symbol'],
  ['object'],
  ['array'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
  ['dbPointer'],
  ['javascript'],
  ['javascriptWithScope'],
  ['maxKey'],
];

/** The `$type` aliases of every bracket that sorts after the key's (a key is a number, an int64, a Decimal128, a string or an ObjectId). */
function laterTypes(key: unknown): string[] {
  const bsonType = (key as { _bsontype?: unknown } | null)?._bsontype;
  const bracket = typeof key === 'number' || bsonType === 'Long' || bsonType === 'Decimal128' ? 0 : typeof key === 'string' ? 1 : 5;
  return typeBrackets.slice(bracket + 1).flat();
}

/** Whether a connection string names a database (`mongodb://host/app?...`); read only after the driver accepted it. */
function namesDatabase(uri: string): boolean {
  const rest = (uri.slice(uri.indexOf('://') + 3).split('?')[0] ?? '').split('#')[0] ?? '';
  // The driver refuses an unescaped `/` in the user info, so the first one ends the hosts.
  const slash = rest.indexOf('/');
  return slash !== -1 && slash < rest.length - 1;
}

/** Decimal digits of an int64, as the driver's Long.toString writes them. */
const int64Text = /^-?(?:0|[1-9]\d{0,18})$/u;

/**
 * Whether a MongoClient the caller made names a database of its own: its URI's path or `dbName` option. The driver
 * sets `options.dbName` to "test" when neither does, so "test" counts only when the URI spells it.
 */
function clientNamesDatabase(client: MongoClient): boolean {
  const dbName = (client as { options?: { dbName?: unknown } }).options?.dbName;
  if (typeof dbName !== 'string' || dbName.length === 0) return false;
  if (dbName !== 'test') return true;
  const url = (client as { s?: { url?: unknown } }).s?.url;
  return typeof url === 'string' && url.includes('://') && namesDatabase(url);
}

export async function mongoUserStore(options: MongoStoreOptions): Promise<RecordUserStore> {
  const config = parseOptions(mongoStoreSchema, options, 'mongo store options');
  if (config.matchEmail && config.mapping.email === undefined) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'mongo store options: `matchEmail` needs `mapping.email`', { path: 'matchEmail' });
  }
  const mapping = config.mapping;
  const normalize = createUsernameNormalizer(config.normalization ?? {});
  const mongodb = await importOptional('mongodb', 'mongoUserStore()', () => import('mongodb'));
  const driver = ((mongodb as unknown as { default?: typeof import('mongodb') }).default ?? mongodb);

  let ownedClient: MongoClient | undefined;
  let collection: Collection;
  if (typeof config.collection !== 'string') {
    collection = config.collection;
  } else {
    let client = config.client;
    if (!client) {
      if (config.uri === undefined) {
        throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'mongo store options: give `uri`, `client` or a Collection', { path: 'uri' });
      }
      // The client connects on the first operation and again after an outage: nothing is awaited here. The
      // constructor parses the URI: its MongoParseError (a malformed URI, an unknown option) is a config error,
      // reported as ours, like the other stores' (docs/errors.md), and without the URI.
      try {
        ownedClient = new driver.MongoClient(config.uri, {
          serverSelectionTimeoutMS: config.connectTimeoutMs,
          connectTimeoutMS: config.connectTimeoutMs,
          socketTimeoutMS: config.queryTimeoutMs * 2,
        });
      } catch (error) {
        throw driverRefusal('mongo store options', 'mongodb', error, { path: 'uri', connection: config.uri });
      }
      // Without a database in the URI or the options, the driver reads the database "test": never the one meant.
      if (config.database === undefined && !namesDatabase(config.uri)) {
        await ownedClient.close();
        throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'mongo store options: the URI names no database: give `database` (else the driver reads the database "test")', { path: 'database' });
      }
      client = ownedClient;
    } else if (config.database === undefined && !clientNamesDatabase(client)) {
      // The same default as a URI without one, through the caller's client.
      throw new LegacyIdpError(
        'ERR_LEGACY_IDP_CONFIG_INVALID',
        'mongo store options: the `client` names no database (its URI has none and no `dbName` option): give `database` (else the driver reads the database "test"; write `database: \'test\'` if that is the one)',
        { path: 'database' },
      );
    }
    try {
      collection = client.db(config.database).collection(config.collection);
    } catch (error) {
      // An invalid database name ("a.b", from `database` or the URI): the driver checks it without a round trip.
      await ownedClient?.close();
      throw driverRefusal('mongo store options', 'mongodb', error, { path: config.database === undefined ? 'uri' : 'database', connection: config.uri });
    }
  }

  // A field inside another projected field is read with it: MongoDB 4.4+ refuses both in one projection
  // (Path collision, code 31250).
  const fields = mappedFields(mapping);
  const projection: Document = {};
  for (const field of fields) if (!fields.some((other) => other !== field && holds(other, field))) projection[field] = 1;
  if (!fields.some((field) => holds('_id', field) || holds(field, '_id'))) projection['_id'] = 0;
  const findOptions = {
    projection,
    maxTimeMS: config.queryTimeoutMs,
    ...(config.collation ? { collation: config.collation } : {}),
  };
  const where: Document = { ...config.where };
  const keyField = mapping.subjectId;
  // MongoDB matches an array field when any element equals the login, so any element decides here too.
  const equalsLogin = (row: Row, path: string | undefined, login: string): boolean =>
    path !== undefined && textsAt(row, path).some((text) => normalize(text) === login);

  /**
   * What a name field may hold for `login`: the string, and, when the login is the canonical text of a finite number
   * (`123456`, `1.5`, not `0123` or `1e3`), that number, since exports and ORMs store numeric logins (employee and
   * member numbers) as numbers, which no string equals. MongoDB compares numbers by value, so any numeric type equal
   * to it matches (int, long, double, Decimal128); an int64 beyond 2^53 is asked for as a Long. The login is a
   * string (the record core refuses anything else): the values are literals, never operators.
   */
  const loginValues = (login: string): string | Document => {
    const values: unknown[] = [login];
    const numeric = Number(login);
    if (Number.isFinite(numeric) && String(numeric) === login) values.push(numeric);
    else if (int64Text.test(login) && driver.Long.fromString(login).toString() === login) values.push(driver.Long.fromString(login));
    // Other logins keep the plain equality.
    return values.length === 1 ? login : { $in: values };
  };

  const backend: RecordBackend = {
    async find(login, limit) {
      const match: Document[] = [{ [mapping.username]: loginValues(login) }];
      if (config.matchEmail && mapping.email !== undefined) match.push({ [mapping.email]: loginValues(login) });
      const filter: Filter<Document> = { ...where, ...(match.length === 1 ? match[0] : { $or: match }) };
      const rows = (await collection.find(filter, { ...findOptions, limit }).toArray()) as Row[];
      // A row is an email match only when its email, and not its username, equals the login: a collation may
      // match names the normalizer does not fold (accents at strength 1), and those stay username matches, as
      // the operator asked for by choosing the collation.
      return rows.map(
        (row): FoundRow => ({ row, byUsername: match.length === 1 || equalsLogin(row, mapping.username, login) || !equalsLogin(row, mapping.email, login) }),
      );
    },
    async page(after, limit) {
      const sorted = (filter: Filter<Document>, count: number): Promise<Row[]> =>
        collection.find(filter, { projection, maxTimeMS: config.queryTimeoutMs }).sort({ [keyField]: 1 }).limit(count).toArray();
      if (after === undefined) return sorted({ ...where }, limit);
      const rows = await sorted({ ...where, [keyField]: { $gt: after } }, limit);
      if (rows.length >= limit) return rows;
      // `$gt` matches only inside the operand's type bracket: after the last number come the strings, then the
      // ObjectIds, and a `$gt: 4` page never reaches them. The rest of the page comes from the later brackets.
      const later = laterTypes(after);
      return later.length === 0 ? rows : [...rows, ...(await sorted({ ...where, [keyField]: { $type: later } }, limit - rows.length))];
    },
    // One type bracket after `after` only (unlike page()): a sample, not a listing, so a mixed-type key that ends
    // it early just leaves the dummy choice to what it found.
    async credentialRows(after, limit) {
      return collection
        .find({ ...where, ...(after === undefined ? {} : { [keyField]: { $gt: after } }), [mapping.hash]: { $exists: true, $nin: [null, ''] } }, { projection, maxTimeMS: config.queryTimeoutMs })
        .sort({ [keyField]: 1 })
        .limit(limit)
        .toArray();
    },
    cursorOf(row) {
      const key = valueAt(row, keyField);
      if (key instanceof driver.ObjectId) return JSON.stringify({ $oid: key.toHexString() });
      if (typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) return JSON.stringify(key);
      // An int64 beyond 2^53 (the driver keeps it a Long) and a Decimal128 are written as their digits, tagged.
      if (key instanceof driver.Long) return JSON.stringify({ $numberLong: key.toString() });
      if (key instanceof driver.Decimal128 && /^[-+]?\d/u.test(key.toString())) return JSON.stringify({ $numberDecimal: key.toString() });
      // NaN and the infinities: MongoDB's `$gt` after NaN matches no number, so paging on would skip the rest.
      const what =
        key === undefined || key === null ? 'nothing in some document' : typeof key === 'number' || key instanceof driver.Decimal128 ? 'NaN or an infinity' : 'a value that is not an ObjectId, a string or a number';
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${config.name}: list(): the key field "${keyField}" holds ${what}, which cannot order list(); map a key field of ObjectIds, strings or finite numbers as mapping.subjectId`, { path: 'mapping.subjectId' });
    },
    parseCursor(cursor): Key {
      const value: unknown = JSON.parse(cursor);
      if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
      const tagged = (value ?? {}) as { $oid?: unknown; $numberLong?: unknown; $numberDecimal?: unknown };
      if (typeof tagged.$oid === 'string' && /^[0-9a-f]{24}$/u.test(tagged.$oid)) return new driver.ObjectId(tagged.$oid);
      if (typeof tagged.$numberLong === 'string' && int64Text.test(tagged.$numberLong)) {
        const long = driver.Long.fromString(tagged.$numberLong);
        // Long.fromString wraps around past 2^63 instead of refusing: a cursor that does not read back is not ours.
        if (long.toString() === tagged.$numberLong) return long;
      }
      if (typeof tagged.$numberDecimal === 'string' && /^[-+]?\d/u.test(tagged.$numberDecimal)) return driver.Decimal128.fromString(tagged.$numberDecimal);
      throw new TypeError('cursor is not a key value');
    },
    classify(error) {
      const code = (error as { code?: unknown } | null)?.code;
      return typeof code === 'number' && configCodes.has(code) ? 'misconfigured' : 'backend_error';
    },
    async close() {
      await ownedClient?.close();
    },
  };

  const writeBack = config.writeBack;
  if (writeBack && Object.values(writeBack).some((field) => field !== undefined)) {
    backend.markMigrated = async (subjectId: string, confirmation: MigrationConfirmation) => {
      const set: Document = {};
      if (writeBack.migratedAtField) set[writeBack.migratedAtField] = new Date();
      if (writeBack.migratedFlagField) set[writeBack.migratedFlagField] = true;
      if (writeBack.objectIdField) set[writeBack.objectIdField] = confirmation.objectId;
      if (confirmation.upgradedHash && writeBack.hashField) {
        set[writeBack.hashField] = confirmation.upgradedHash.hash;
        if (writeBack.schemeField) set[writeBack.schemeField] = confirmation.upgradedHash.scheme;
      }
      if (Object.keys(set).length === 0) return false;
      // The subject id is the key as text: an ObjectId key reads as its hex form, a number in its shortest
      // decimal form, a string as itself. Only keys that could read as this text are asked for, and then only the
      // documents whose key does read as it are kept: MongoDB compares numbers by value ({$in: [7]} finds 7.0 and
      // Decimal128 "7.00"), and keys of different types can read alike (42 and "42").
      const keys: Key[] = [subjectId];
      if (/^[0-9a-f]{24}$/u.test(subjectId)) keys.push(new driver.ObjectId(subjectId));
      const numeric = Number(subjectId);
      if (Number.isFinite(numeric) && String(numeric) === subjectId) keys.push(numeric);
      else if (int64Text.test(subjectId) && driver.Long.fromString(subjectId).toString() === subjectId) keys.push(driver.Long.fromString(subjectId));
      if (/^[-+]?\d/u.test(subjectId) && !keys.some((key) => typeof key === 'number')) {
        try {
          const decimal = driver.Decimal128.fromString(subjectId);
          if (decimal.toString() === subjectId) keys.push(decimal);
        } catch {
          // Not a decimal number: no Decimal128 key reads as it.
        }
      }
      const keyProjection: Document = holds('_id', keyField) ? { _id: 1 } : { _id: 1, [keyField]: 1 };
      const found = (await collection.find({ ...where, [keyField]: { $in: keys } }, { projection: keyProjection, limit: 16, maxTimeMS: config.queryTimeoutMs }).toArray()) as Row[];
      const matching = found.filter((row) => subjectIdOf(row, keyField) === subjectId);
      if (matching.length === 0) return false;
      if (matching.length > 1) {
        // Writing to one of them could mark the wrong user as migrated. The message names the field, never the id.
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_INVALID',
          `${config.name}: markMigrated(): ${matching.length === 16 ? 'many' : matching.length} documents have a "${keyField}" that reads as this subject id (keys of different BSON types that read alike, such as a number and a string of its digits, or a field that is not unique); nothing was written`,
          { path: 'mapping.subjectId' },
        );
      }
      const result = await collection.updateOne({ ...where, _id: (matching[0] as Row)['_id'] } as Filter<Document>, { $set: set });
      return result.matchedCount > 0;
    };
  }

  let registry = config.registry;
  const ownsRegistry = registry === undefined;
  registry ??= (await import('../../hashes/registry.js')).createHashRegistry();
  return createRecordUserStore({ name: config.name, backend, mapping, registry, ownsRegistry, normalize, batchSize: config.batchSize, maxBatchSize: 10_000 });
}
