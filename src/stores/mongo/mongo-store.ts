import type { Collection, Document, Filter, MongoClient, ObjectId } from 'mongodb';
import { z } from 'zod';
import type { MigrationConfirmation } from '../../core/contracts.js';
import { driverRefusal } from '../../core/driver-refusal.js';
import { LegacyIdpError } from '../../core/errors.js';
import { createUsernameNormalizer, usernameNormalizationSchema } from '../../core/normalize.js';
import { importOptional } from '../../core/optional-import.js';
import { hasFunction, parseOptions } from '../../core/validate.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { mappedFields, recordMappingSchema, textOf, valueAt, type Row } from '../record/mapping.js';
import { createRecordUserStore, type FoundRow, type RecordBackend, type RecordUserStore } from '../record/record-store.js';

/**
 * A user store over a MongoDB collection, through the optional peer `mongodb`. Lookups are equality filters
 * whose values are always strings (an operator object never reaches the server), projected to the mapped
 * fields; `list()` pages by the key field with `{ key: { $gt: last } }` sorted ascending, then `$type` into the
 * type brackets that sort after the last key's.
 */

/** A document field path: dotted segments, none empty and none starting with `$` (operators). */
const mongoPath = z
  .string()
  .min(1)
  .max(256)
  .refine((path) => path.split('.').every((part) => part.length > 0 && !part.startsWith('$') && !part.includes('\u0000')), 'must be a field path without $ operators');

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
    mapping: recordMappingSchema.extend({ subjectId: mongoPath.default('_id'), username: mongoPath, hash: mongoPath }),
    /** Equalities every lookup and page adds (`{ tenant: 'acme' }`). Values are literals, never operators. */
    where: z.record(mongoPath, z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
    matchEmail: z.boolean().default(false),
    /**
     * Case-insensitive lookups through a collation (`{ locale: 'en', strength: 2 }`): the stored names may be
     * in any case. Give the username index the same collation so the lookup uses it. Without it, the stored
     * names must already be in the normalized form (lower case by default).
     */
    collation: z.object({ locale: z.string().min(1), strength: z.union([z.literal(1), z.literal(2)]) }).strict().optional(),
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

// BadValue, FailedToParse, InvalidOptions, Location codes for bad projections/sorts: the operator must act.
const configCodes = new Set([2, 9, 72, 31249, 31250, 31254]);

type Key = string | number | ObjectId;

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

/** The `$type` aliases of every bracket that sorts after the key's (a key is a number, string or ObjectId). */
function laterTypes(key: unknown): string[] {
  const bracket = typeof key === 'number' ? 0 : typeof key === 'string' ? 1 : 5;
  return typeBrackets.slice(bracket + 1).flat();
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
      client = ownedClient;
    }
    try {
      collection = client.db(config.database).collection(config.collection);
    } catch (error) {
      // An invalid database name ("a.b", from `database` or the URI): the driver checks it without a round trip.
      await ownedClient?.close();
      throw driverRefusal('mongo store options', 'mongodb', error, { path: config.database === undefined ? 'uri' : 'database', connection: config.uri });
    }
  }

  const projection: Document = {};
  for (const field of mappedFields(mapping)) projection[field] = 1;
  if (!mappedFields(mapping).includes('_id')) projection['_id'] = 0;
  const findOptions = {
    projection,
    maxTimeMS: config.queryTimeoutMs,
    ...(config.collation ? { collation: config.collation } : {}),
  };
  const where: Document = { ...config.where };
  const keyField = mapping.subjectId;
  const equalsLogin = (row: Row, path: string | undefined, login: string): boolean => {
    if (path === undefined) return false;
    const text = textOf(valueAt(row, path));
    return text !== undefined && normalize(text) === login;
  };

  const backend: RecordBackend = {
    async find(login, limit) {
      // The login is a string (the record core refuses anything else), so the filter is a literal equality.
      const match: Document[] = [{ [mapping.username]: login }];
      if (config.matchEmail && mapping.email !== undefined) match.push({ [mapping.email]: login });
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
    cursorOf(row) {
      const key = valueAt(row, keyField);
      if (key instanceof driver.ObjectId) return JSON.stringify({ $oid: key.toHexString() });
      if (typeof key === 'string' || typeof key === 'number') return JSON.stringify(key);
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${config.name}: the key field must hold ObjectIds, strings or numbers (it orders list())`);
    },
    parseCursor(cursor): Key {
      const value: unknown = JSON.parse(cursor);
      if (typeof value === 'string' || typeof value === 'number') return value;
      const oid = (value as { $oid?: unknown } | null)?.$oid;
      if (typeof oid === 'string' && /^[0-9a-f]{24}$/u.test(oid)) return new driver.ObjectId(oid);
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
      // The subject id is the key as text: an ObjectId key matches its hex form, a string key itself.
      const keys: Key[] = [subjectId];
      if (/^[0-9a-f]{24}$/u.test(subjectId)) keys.push(new driver.ObjectId(subjectId));
      const numeric = Number(subjectId);
      if (/^-?\d{1,15}$/u.test(subjectId) && Number.isSafeInteger(numeric)) keys.push(numeric);
      const result = await collection.updateOne({ ...where, [keyField]: { $in: keys } }, { $set: set });
      return result.matchedCount > 0;
    };
  }

  let registry = config.registry;
  const ownsRegistry = registry === undefined;
  registry ??= (await import('../../hashes/registry.js')).createHashRegistry();
  return createRecordUserStore({ name: config.name, backend, mapping, registry, ownsRegistry, normalize, batchSize: config.batchSize, maxBatchSize: 10_000 });
}
