/**
 * An in-process, wire-level MongoDB stand-in for tests: the real `mongodb` driver connects to it over TCP
 * (mongod cannot run on the test machines). Documents live in memory as BSON-decoded objects; filters,
 * projections, updates and pipelines are evaluated by mingo, except the comparison operators
 * ($eq $ne $gt $gte $lt $lte $in $nin), `$type` and sorting, which are ours so that values compare the way
 * MongoDB's BSON order does (ObjectId by bytes, numbers across int/long/double, strings by code point or by
 * collation) and stay inside one type bracket, and `$type` knows every BSON type by mongod's aliases and
 * numbers (a JS number answers to both 'int' and 'double' when it is integral: int32 vs double is not kept).
 *
 * Collation subset (find, count, aggregate, update/delete statements, findAndModify):
 * - `locale`: any locale Node's ICU knows (`en_US` is read as `en-US`); `simple` means binary comparison.
 * - `strength` 1 (base letters: case and accents ignored), 2 (case ignored, accents significant),
 *   3 (default; case significant); 4 and 5 are treated as 3. `caseLevel`, `caseFirst`, `numericOrdering`
 *   and `alternate: 'shifted'` map to the matching Intl.Collator options (as mingo's $sort does).
 * - It applies to string equality, range comparisons, $in/$nin and sort. `$regex` ignores it (as in MongoDB).
 * - Not supported: `backwards`, `maxVariable`, `normalization`; collection or index default collations.
 *
 * Not emulated: authentication (SCRAM), transactions, sessions (lsid is ignored), replication, change
 * streams, compression, `$text`/geo queries, `$out`/`$merge`, TTL, capped collections, validation,
 * explain, read/write concerns (accepted and ignored), index-backed query plans and collation-aware
 * unique indexes, commands outside the COMMANDS table (`distinct`, `collStats`, ... answer CommandNotFound).
 * int32 vs double is not kept (both decode to JS numbers; int64 stays a `Long`). Everything mingo evaluates
 * keeps mingo's semantics: `$all`, `$expr`, update operators on `Long`
 * fields, and aggregation stages after the leading `$match`/`$sort` (e.g. `$project` puts `_id` last).
 * Server-side JavaScript is refused: `$where`, `$function` and `$accumulator` fail with BadValue.
 */
import { createServer, type Socket } from 'node:net';
import { listenTcp } from './process.js';
import { inspect } from 'node:util';
import { Long, ObjectId, calculateObjectSize, deserialize, serialize } from 'bson';
import { update as applyUpdateOperators, updateOne as applyPipelineUpdate } from 'mingo';
import { Aggregator } from 'mingo/aggregator';
import { Context } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { AnyObject, CollationSpec, Options } from 'mingo/types';
import type { PipelineStage } from 'mingo/updater';
import { resolve as resolvePath } from 'mingo/util';
import {
  BSON_DECODE_OPTIONS,
  MessageFramer,
  OP_MSG,
  decodeRequest,
  encodeOpMsgReply,
  encodeOpReply,
  MAX_MESSAGE_BYTES,
  type WireRequest,
} from './mongo-wire.js';

export interface MongoServerOptions {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
}

export interface MongoCommandLog {
  database: string;
  command: string;
  body: Record<string, unknown>;
}

export interface MongoTestServer {
  readonly host: string;
  readonly port: number;
  /** `mongodb://127.0.0.1:<port>/?directConnection=true&serverSelectionTimeoutMS=2000` (add a db name yourself) */
  readonly uri: string;
  /** Every command received (hello/ping/endSessions included), with its decoded body, in order. */
  readonly commands: MongoCommandLog[];
  /**
   * The live array of a collection's documents (created if missing), for seeding and asserting without the
   * driver. Seeded documents are stored as given: give them an `_id`; unique indexes see them from the next
   * write on.
   */
  documents(database: string, collection: string): Record<string, unknown>[];
  /** While true, accepts connections and messages (still logged) but never executes or answers them. */
  setSilent(silent: boolean): void;
  /** Stops listening and destroys open sockets (crashed server); open cursors are lost. */
  close(): Promise<void>;
  /** Listens again on the same port, data kept (restart). */
  restart(): Promise<void>;
}

type Document = Record<string, unknown>;

const HOST = '127.0.0.1';
const MAX_BSON_OBJECT_BYTES = 16 * 1024 * 1024;
/** Room left in a reply for the cursor envelope around a batch. */
const BATCH_BYTES = MAX_BSON_OBJECT_BYTES - 64 * 1024;
/** mongod's first batch when the client names no batchSize. */
const DEFAULT_FIRST_BATCH = 101;
const MAX_WRITE_BATCH = 100_000;
const DUPLICATE_KEY = 11000;

/** A command failure answered as `{ok: 0, errmsg, code, codeName}` (or a writeErrors entry). */
class CommandFailure extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly details: Document = {},
  ) {
    super(message);
  }
}

const badValue = (message: string): CommandFailure => new CommandFailure(2, 'BadValue', message);
const failedToParse = (message: string): CommandFailure => new CommandFailure(9, 'FailedToParse', message);
const typeMismatch = (message: string): CommandFailure => new CommandFailure(14, 'TypeMismatch', message);

/** Errors thrown by mingo while compiling or running a query become BadValue, like mongod's parse errors. */
function asCommandFailure(error: unknown): CommandFailure {
  if (error instanceof CommandFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Same wording as mongod, which tests may match on.
  return badValue(message.replace(/^unknown query operator (\S+)/, 'unknown operator: $1'));
}

// ---------------------------------------------------------------------------------------------------------
// BSON values: type order, comparison, equality keys

function isDocument(value: unknown): value is Document {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** bson classes carry `_bsontype`; duck typing also accepts values built by another copy of the package. */
function bsonType(value: object): string | undefined {
  const type = (value as { _bsontype?: unknown })._bsontype;
  return typeof type === 'string' ? type : undefined;
}

/**
 * The canonical type order MongoDB sorts and brackets by: MinKey, null (and missing), numbers,
 * strings, objects, arrays, BinData, ObjectId, booleans, dates, timestamps, regexes, code, MaxKey.
 */
function typeRank(value: unknown): number {
  if (value === undefined || value === null) return 1;
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    case 'boolean':
      return 8;
    case 'object':
      break;
    default:
      return 12;
  }
  if (Array.isArray(value)) return 5;
  if (value instanceof Date) return 9;
  if (value instanceof RegExp) return 11;
  if (value instanceof Uint8Array) return 6;
  switch (bsonType(value)) {
    case 'MinKey':
      return 0;
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return 2;
    case 'BSONSymbol':
      return 3;
    case 'Binary':
      return 6;
    case 'ObjectId':
      return 7;
    case 'Timestamp':
      return 10;
    case 'BSONRegExp':
      return 11;
    case 'Code':
      return 12;
    case 'MaxKey':
      return 13;
    default:
      return 4;
  }
}

const sign = (value: number): number => (value < 0 ? -1 : value > 0 ? 1 : 0);

function numericValue(value: unknown): number | Long {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Long.fromBigInt(value);
  if (Long.isLong(value)) return value;
  // Int32, Double and Decimal128 (the latter approximated as a double).
  return Number(String(value));
}

function compareNumbers(left: unknown, right: unknown): number {
  const a = numericValue(left);
  const b = numericValue(right);
  if (a instanceof Long && b instanceof Long) return a.compare(b);
  const x = a instanceof Long ? a.toNumber() : a;
  const y = b instanceof Long ? b.toNumber() : b;
  // mongod orders NaN below every other number and equal to itself.
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Without a collation mongod compares UTF-8 bytes, i.e. code points (JS `<` compares UTF-16 units). */
function compareStrings(a: string, b: string, collator: Intl.Collator | undefined): number {
  if (a === b) return 0;
  if (collator) return sign(collator.compare(a, b));
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const binary = value as { buffer: Uint8Array; position: number };
  return binary.buffer.subarray(0, binary.position);
}

/** Pattern and flags of a JS RegExp or a bson BSONRegExp. */
function regexParts(value: unknown): [pattern: string, flags: string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const regex = value as { pattern: string; options: string };
  return [regex.pattern, regex.options];
}

function compareDocuments(a: Document, b: Document, collator: Intl.Collator | undefined): number {
  const left = Object.entries(a);
  const right = Object.entries(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const [leftKey, leftValue] = left[i]!;
    const [rightKey, rightValue] = right[i]!;
    const order =
      sign(typeRank(leftValue) - typeRank(rightValue)) || compareStrings(leftKey, rightKey, undefined) || compareValues(leftValue, rightValue, collator);
    if (order !== 0) return order;
  }
  return sign(left.length - right.length);
}

/** Total order over BSON values as mongod defines it (type rank first, then value). */
function compareValues(a: unknown, b: unknown, collator: Intl.Collator | undefined): number {
  const rank = typeRank(a);
  const byType = sign(rank - typeRank(b));
  if (byType !== 0) return byType;
  switch (rank) {
    case 2:
      return compareNumbers(a, b);
    case 3:
      return compareStrings(String(a), String(b), collator);
    case 4:
      return compareDocuments(a as Document, b as Document, collator);
    case 5: {
      const left = a as unknown[];
      const right = b as unknown[];
      for (let i = 0; i < Math.min(left.length, right.length); i++) {
        const order = compareValues(left[i], right[i], collator);
        if (order !== 0) return order;
      }
      return sign(left.length - right.length);
    }
    case 6: {
      const left = bytesOf(a);
      const right = bytesOf(b);
      const subtype = (value: unknown): number => (value instanceof Uint8Array ? 0 : (value as { sub_type: number }).sub_type);
      return sign(left.length - right.length) || sign(subtype(a) - subtype(b)) || Buffer.compare(left, right);
    }
    case 7:
      return Buffer.compare((a as ObjectId).id, (b as ObjectId).id);
    case 8:
      return sign(Number(a) - Number(b));
    case 9:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 10:
      return (a as Long).compare(b as Long);
    case 11: {
      const [leftPattern, leftFlags] = regexParts(a);
      const [rightPattern, rightFlags] = regexParts(b);
      return compareStrings(leftPattern, rightPattern, undefined) || compareStrings(leftFlags, rightFlags, undefined);
    }
    default:
      return 0;
  }
}

/** Equality inside one type bracket: 1, Long(1) and 1.0 are equal; null equals a missing field. */
function valuesEqual(a: unknown, b: unknown, collator: Intl.Collator | undefined): boolean {
  return typeRank(a) === typeRank(b) && compareValues(a, b, collator) === 0;
}

/** A string that is equal for two values exactly when mongod's binary comparison says they are equal. */
function equalityKey(value: unknown): string {
  const rank = typeRank(value);
  switch (rank) {
    case 1:
      return 'null';
    case 2: {
      const number = numericValue(value);
      const text = number instanceof Long ? number.toString() : Object.is(number, -0) ? '0' : String(number);
      return `n:${text}`;
    }
    case 3:
      return `s:${JSON.stringify(String(value))}`;
    case 4:
      return `{${Object.entries(value as Document)
        .map(([key, field]) => `${JSON.stringify(key)}:${equalityKey(field)}`)
        .join(',')}}`;
    case 5:
      return `[${(value as unknown[]).map(equalityKey).join(',')}]`;
    case 6:
      return `x:${value instanceof Uint8Array ? 0 : (value as { sub_type: number }).sub_type}:${Buffer.from(bytesOf(value)).toString('hex')}`;
    case 7:
      return `o:${(value as ObjectId).toHexString()}`;
    case 8:
      return `b:${String(value)}`;
    case 9:
      return `d:${(value as Date).getTime()}`;
    default:
      return `${rank}:${String(value)}`;
  }
}

/** The shell-like rendering mongod uses in duplicate key messages: `{ username: "alice" }`. */
function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[ ${value.map(formatValue).join(', ')} ]`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (typeof value === 'object') {
    if (bsonType(value) === 'ObjectId') return `ObjectId('${(value as ObjectId).toHexString()}')`;
    if (isDocument(value)) return `{ ${Object.entries(value).map(([key, field]) => `${key}: ${formatValue(field)}`).join(', ')} }`;
  }
  return inspect(value);
}

/** A deep copy that keeps every BSON type (structuredClone would turn ObjectId into a plain object). */
function cloneDocument(document: Document): Document {
  return deserialize(serialize(document, { ignoreUndefined: true }), BSON_DECODE_OPTIONS);
}

function sameBytes(a: Document, b: Document): boolean {
  return Buffer.from(serialize(a, { ignoreUndefined: true })).equals(serialize(b, { ignoreUndefined: true }));
}

function toInteger(value: unknown, field: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'bigint') return Number(value);
  if (Long.isLong(value)) return value.toNumber();
  throw typeMismatch(`Field '${field}' should be a number, got ${formatValue(value)}`);
}

function toBoolean(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  return compareNumbers(value, 0) !== 0;
}

// ---------------------------------------------------------------------------------------------------------
// Collation

const collators = new Map<string, Intl.Collator>();

/** The fields of a collation document mongod knows; any other is FailedToParse. */
const COLLATION_FIELDS = new Set(['locale', 'caseLevel', 'caseFirst', 'strength', 'numericOrdering', 'alternate', 'maxVariable', 'normalization', 'backwards', 'version']);

/**
 * mongod accepts a locale only when ICU names the collator's locale with exactly the same text
 * (collator_factory_icu.cpp, validateLocaleID): `en_US`, `zh_Hant`, `de@collation=phonebook`; never `en-US`,
 * `en_us`, `zh_HANT` or `root`. The pattern is that spelling; Intl then says whether the language exists.
 */
const ICU_LOCALE = /^[a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_(?:[A-Z]{2}|\d{3})(?:_[A-Z0-9]{4,8})?)?(?:@collation=[a-z0-9]+)?$/;

function parseCollation(raw: unknown): CollationSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isDocument(raw)) throw failedToParse('collation must be an object');
  const { locale, strength, caseLevel, caseFirst, numericOrdering, alternate } = raw;
  if (typeof locale !== 'string') throw failedToParse("collation: missing required field 'locale'");
  if (locale === 'simple') {
    if (Object.keys(raw).length > 1) throw failedToParse(`If locale=simple, no other fields should be present in: ${formatValue(raw)}`);
    return undefined;
  }
  const unknown = Object.keys(raw).find((field) => !COLLATION_FIELDS.has(field));
  if (unknown !== undefined) throw failedToParse(`Collation spec contains unknown field. Collation spec: ${formatValue(raw)}`);
  const bcp47 = locale.replace(/@.*$/, '').replace(/_/g, '-');
  let known: boolean;
  try {
    known = ICU_LOCALE.test(locale) && Intl.Collator.supportedLocalesOf(bcp47).length > 0;
  } catch {
    // Intl throws a RangeError for a tag BCP 47 cannot spell; mongod's ICU does not know it either.
    known = false;
  }
  if (!known) throw badValue(`Field 'locale' is invalid in: ${formatValue(raw)}`);
  const level = toInteger(strength, 'strength', 3);
  if (level < 1 || level > 5) throw failedToParse(`Field 'strength' must be an integer 1 through 5. Got: ${level}`);
  if (caseFirst !== undefined && caseFirst !== 'upper' && caseFirst !== 'lower' && caseFirst !== 'off') throw badValue('collation caseFirst must be upper, lower or off');
  return {
    locale: bcp47,
    strength: level === 1 ? 1 : level === 2 ? 2 : 3,
    ...(caseLevel === true ? { caseLevel: true } : {}),
    ...(caseFirst === undefined ? {} : { caseFirst }),
    ...(numericOrdering === true ? { numericOrdering: true } : {}),
    ...(alternate === 'shifted' ? { alternate: 'shifted' } : {}),
  };
}

function collatorFor(spec: CollationSpec | undefined): Intl.Collator | undefined {
  if (spec === undefined) return undefined;
  const cacheKey = JSON.stringify(spec);
  const cached = collators.get(cacheKey);
  if (cached) return cached;
  const sensitivities = { 1: 'base', 2: 'accent', 3: 'variant' } as const;
  let sensitivity: 'base' | 'accent' | 'case' | 'variant' = sensitivities[spec.strength ?? 3];
  // ICU's caseLevel adds a case-only level under strengths 1 and 2.
  if (spec.caseLevel === true) sensitivity = sensitivity === 'base' ? 'case' : 'variant';
  const collator = new Intl.Collator(spec.locale, {
    sensitivity,
    numeric: spec.numericOrdering === true,
    ignorePunctuation: spec.alternate === 'shifted',
    ...(spec.caseFirst === undefined ? {} : { caseFirst: spec.caseFirst === 'off' ? 'false' : spec.caseFirst }),
  });
  collators.set(cacheKey, collator);
  return collator;
}

// ---------------------------------------------------------------------------------------------------------
// Queries: mingo with our comparison operators

type Predicate = (document: Document) => boolean;
type CandidateTest = (candidates: unknown[], operand: unknown, collator: Intl.Collator | undefined) => boolean;

/**
 * The values a field path offers for comparison: the value itself, then array elements, one level of
 * unwrapping per path segment (so `{a: 1}` matches `a: [1]` but not `a: [[1]]`, as in mongod).
 */
function candidateValues(value: unknown, depth: number): unknown[] {
  const values = [value];
  let frontier = [value];
  for (let level = 0; level < depth; level++) {
    const next = frontier.filter((entry): entry is unknown[] => Array.isArray(entry)).flat();
    if (next.length === 0) break;
    values.push(...next);
    frontier = next;
  }
  return values;
}

const equalsAny: CandidateTest = (candidates, operand, collator) => candidates.some((candidate) => valuesEqual(candidate, operand, collator));

function rangeTest(accept: (order: number) => boolean): CandidateTest {
  // Comparison operators only match inside the operand's type bracket: {$gt: 5} never matches a string.
  return (candidates, operand, collator) =>
    candidates.some((candidate) => typeRank(candidate) === typeRank(operand) && accept(compareValues(candidate, operand, collator)));
}

function assertInOperand(operand: unknown, operator: string): asserts operand is unknown[] {
  if (!Array.isArray(operand)) throw badValue(`${operator} needs an array`);
  for (const entry of operand) {
    if (isDocument(entry) && Object.keys(entry).some((key) => key.startsWith('$'))) throw badValue(`cannot nest $ under ${operator}`);
  }
}

const inTest: CandidateTest = (candidates, operand, collator) =>
  (operand as unknown[]).some((entry) => {
    if (entry instanceof RegExp) {
      return candidates.some((candidate) => {
        if (typeof candidate !== 'string') return false;
        entry.lastIndex = 0;
        return entry.test(candidate);
      });
    }
    return equalsAny(candidates, entry, collator);
  });

function fieldOperator(test: CandidateTest, negate: boolean, validate?: (operand: unknown) => void) {
  return (selector: string, operand: unknown, options: Options): ((document: AnyObject) => boolean) => {
    validate?.(operand);
    const depth = selector.split('.').length;
    const collator = collatorFor(options.collation);
    return (document) => {
      const value = resolvePath(document, selector, { unwrapArray: true });
      return test(candidateValues(value, depth), operand, collator) !== negate;
    };
  };
}

/** mongod's `$type` names and numbers ('number' stands for the four numeric types). */
const TYPE_ALIASES: Readonly<Record<string, number>> = {
  double: 1, string: 2, object: 3, array: 4, binData: 5, undefined: 6, objectId: 7, bool: 8, date: 9, null: 10, regex: 11,
  dbPointer: 12, javascript: 13, symbol: 14, javascriptWithScope: 15, int: 16, timestamp: 17, long: 18, decimal: 19, minKey: -1, maxKey: 127,
};
const NUMERIC_TYPES = [1, 16, 18, 19];

/** The BSON type numbers a decoded value may have come from (a JS number was an int32 or a double). */
function typeNumbersOf(value: unknown): number[] {
  if (value === undefined) return [];
  if (value === null) return [10];
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? [16, 1] : [1];
    case 'bigint':
      return [18];
    case 'string':
      return [2];
    case 'boolean':
      return [8];
    case 'object':
      break;
    default:
      return [];
  }
  if (Array.isArray(value)) return [4];
  if (value instanceof Date) return [9];
  if (value instanceof RegExp) return [11];
  if (value instanceof Uint8Array) return [5];
  const codeWithScope = (value as { scope?: unknown }).scope !== undefined && (value as { scope?: unknown }).scope !== null;
  const numbers: Record<string, number> = {
    MinKey: -1, MaxKey: 127, Long: 18, Int32: 16, Double: 1, Decimal128: 19, BSONSymbol: 14, Binary: 5, ObjectId: 7, Timestamp: 17, BSONRegExp: 11,
    Code: codeWithScope ? 15 : 13,
  };
  const number = numbers[bsonType(value) ?? ''];
  return [number ?? 3];
}

/** `$type` operands as type numbers; an unknown alias is refused as mongod refuses it. */
function typeOperand(operand: unknown): number[] {
  const entries = Array.isArray(operand) ? operand : [operand];
  if (entries.length === 0) throw badValue('$type must match at least one type');
  return entries.flatMap((entry) => {
    if (entry === 'number') return NUMERIC_TYPES;
    if (typeof entry === 'string' && Object.hasOwn(TYPE_ALIASES, entry)) return [TYPE_ALIASES[entry] as number];
    if (typeof entry === 'number' && Object.values(TYPE_ALIASES).includes(entry)) return [entry];
    throw badValue(`Unknown type name alias: ${String(entry)}`);
  });
}

const typeTest: CandidateTest = (candidates, operand) => {
  const wanted = typeOperand(operand);
  return candidates.some((candidate) => typeNumbersOf(candidate).some((number) => wanted.includes(number)));
};

const comparisonOperators = {
  $type: fieldOperator(typeTest, false, typeOperand),
  $eq: fieldOperator(equalsAny, false),
  $ne: fieldOperator(equalsAny, true),
  $gt: fieldOperator(
    rangeTest((order) => order > 0),
    false,
  ),
  $gte: fieldOperator(
    rangeTest((order) => order >= 0),
    false,
  ),
  $lt: fieldOperator(
    rangeTest((order) => order < 0),
    false,
  ),
  $lte: fieldOperator(
    rangeTest((order) => order <= 0),
    false,
  ),
  $in: fieldOperator(inTest, false, (operand) => {
    assertInOperand(operand, '$in');
  }),
  $nin: fieldOperator(inTest, true, (operand) => {
    assertInOperand(operand, '$nin');
  }),
};

/** mingo's own operator tables with our comparisons swapped in (Context.from would let mingo's win). */
const QUERY_CONTEXT = Context.init({
  accumulator: { ...accumulatorOperators },
  expression: { ...expressionOperators },
  pipeline: { ...pipelineOperators },
  projection: { ...projectionOperators },
  query: { ...queryOperators, ...comparisonOperators },
  window: { ...windowOperators },
});

function engineOptions(collation: CollationSpec | undefined, resolveCollection?: (name: string) => AnyObject[]): Partial<Options> {
  return {
    context: QUERY_CONTEXT,
    scriptEnabled: false,
    useStrictMode: true,
    ...(collation ? { collation } : {}),
    ...(resolveCollection ? { collectionResolver: resolveCollection } : {}),
  };
}

const SERVER_SIDE_JAVASCRIPT = new Set(['$where', '$function', '$accumulator']);

/** Nothing the client sends may run code here, whatever mingo could do with it. */
function refuseServerSideJavaScript(value: unknown): void {
  if (Array.isArray(value)) {
    for (const entry of value) refuseServerSideJavaScript(entry);
    return;
  }
  if (!isDocument(value)) return;
  for (const [key, entry] of Object.entries(value)) {
    if (SERVER_SIDE_JAVASCRIPT.has(key)) throw badValue(`${key} is not allowed: server-side JavaScript is disabled`);
    refuseServerSideJavaScript(entry);
  }
}

/** mongod's regex flags; any other letter in `$options` (JavaScript's `g`, `y`) is Location51108. */
const REGEX_FLAGS = new Set(['i', 'm', 's', 'x', 'u']);

function checkRegexOptions(value: unknown): void {
  if (Array.isArray(value)) {
    for (const entry of value) checkRegexOptions(entry);
    return;
  }
  if (!isDocument(value)) return;
  if (Object.hasOwn(value, '$options')) {
    const options = value.$options;
    if (typeof options !== 'string') throw badValue('$options has to be a string');
    for (const flag of options) {
      if (!REGEX_FLAGS.has(flag)) throw new CommandFailure(51108, 'Location51108', `invalid flag in regex options: ${flag}`);
    }
  }
  for (const entry of Object.values(value)) checkRegexOptions(entry);
}

function compileFilter(filter: unknown, collation: CollationSpec | undefined): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isDocument(filter)) throw typeMismatch('filter must be an object');
  refuseServerSideJavaScript(filter);
  checkRegexOptions(filter);
  if (Object.keys(filter).length === 0) return () => true;
  let query: Query;
  try {
    query = new Query(filter, engineOptions(collation));
  } catch (error) {
    throw asCommandFailure(error);
  }
  return (document) => {
    try {
      return query.test(document);
    } catch (error) {
      throw asCommandFailure(error);
    }
  };
}

function parseSort(raw: unknown): [path: string, direction: 1 | -1][] {
  if (raw === undefined || raw === null) return [];
  if (!isDocument(raw)) throw badValue('sort must be an object');
  return Object.entries(raw).map(([path, direction]) => {
    if (isDocument(direction)) throw badValue(`sort by ${JSON.stringify(direction)} is not supported by the test server`);
    const value = toInteger(direction, `sort.${path}`, 0);
    if (value !== 1 && value !== -1) throw badValue(`$sort key ordering must be 1 (for ascending) or -1 (for descending)`);
    return [path, value];
  });
}

/** Leaf values along a dotted path, array elements expanded (how sort keys and index keys see arrays). */
function leafValues(value: unknown, segments: readonly string[], start = 0, into: unknown[] = []): unknown[] {
  if (Array.isArray(value)) {
    const index = segments[start];
    if (index !== undefined && /^\d+$/.test(index)) leafValues(value[Number(index)], segments, start + 1, into);
    for (const entry of value) leafValues(entry, segments, start, into);
    return into;
  }
  if (start === segments.length) {
    into.push(value);
    return into;
  }
  if (isDocument(value)) {
    const segment = segments[start]!;
    if (Object.hasOwn(value, segment)) leafValues(value[segment], segments, start + 1, into);
  }
  return into;
}

/** mongod sorts an array field by its smallest element ascending and its largest descending. */
function sortKey(document: Document, segments: readonly string[], direction: 1 | -1, collator: Intl.Collator | undefined): unknown {
  const values = leafValues(document, segments);
  let best: unknown = null;
  values.forEach((value, index) => {
    if (index === 0 || compareValues(value, best, collator) * direction < 0) best = value;
  });
  return best;
}

function sortDocuments(documents: Document[], sort: [string, 1 | -1][], collator: Intl.Collator | undefined): Document[] {
  if (sort.length === 0) return documents;
  const fields = sort.map(([path, direction]) => ({ segments: path.split('.'), direction }));
  const decorated = documents.map((document) => ({ document, keys: fields.map((field) => sortKey(document, field.segments, field.direction, collator)) }));
  // Array.prototype.sort is stable, so ties keep insertion (natural) order.
  decorated.sort((a, b) => {
    for (const [i, field] of fields.entries()) {
      const order = compareValues(a.keys[i], b.keys[i], collator) * field.direction;
      if (order !== 0) return order;
    }
    return 0;
  });
  return decorated.map((entry) => entry.document);
}

function project(documents: Document[], projection: unknown): Document[] {
  if (projection === undefined || projection === null) return documents;
  if (!isDocument(projection)) throw typeMismatch('projection must be an object');
  if (Object.keys(projection).length === 0) return documents;
  // MongoDB 4.4+ refuses a path and a path inside it in one projection ({a: 1, 'a.b': 1}).
  const paths = Object.keys(projection);
  for (const path of paths) {
    const parent = paths.find((other) => path.startsWith(`${other}.`));
    if (parent !== undefined) throw new CommandFailure(31250, 'Location31250', `Path collision at ${path} remaining portion ${path.slice(parent.length + 1)}`);
  }
  try {
    return new Query({}, engineOptions(undefined)).find<Document>(documents, projection).all();
  } catch (error) {
    throw asCommandFailure(error);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Storage and unique indexes

interface IndexDefinition {
  readonly name: string;
  readonly fields: readonly string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly partialFilter: Predicate | undefined;
  /** As listIndexes reports it. */
  readonly spec: Document;
}

interface CollectionState {
  readonly documents: Document[];
  readonly indexes: IndexDefinition[];
}

const ID_INDEX: IndexDefinition = { name: '_id_', fields: ['_id'], unique: true, sparse: false, partialFilter: undefined, spec: { v: 2, key: { _id: 1 }, name: '_id_' } };

interface IndexKey {
  readonly key: string;
  readonly values: readonly unknown[];
}

/** Every key a document contributes to an index (several for array fields: multikey). */
function indexKeys(index: IndexDefinition, document: Document): IndexKey[] {
  if (index.partialFilter && !index.partialFilter(document)) return [];
  const perField = index.fields.map((field) => leafValues(document, field.split('.')));
  if (index.sparse && perField.every((values) => values.length === 0)) return [];
  let tuples: unknown[][] = [[]];
  for (const values of perField) {
    const options = values.length === 0 ? [null] : values;
    tuples = tuples.flatMap((tuple) => options.map((value) => [...tuple, value]));
  }
  return tuples.map((values) => ({ key: values.map(equalityKey).join('|'), values }));
}

function duplicateKeyFailure(namespace: string, index: IndexDefinition, values: readonly unknown[]): CommandFailure {
  const keyValue: Document = {};
  const keyPattern: Document = {};
  index.fields.forEach((field, i) => {
    keyValue[field] = values[i] ?? null;
    keyPattern[field] = 1;
  });
  return new CommandFailure(
    DUPLICATE_KEY,
    'DuplicateKey',
    `E11000 duplicate key error collection: ${namespace} index: ${index.name} dup key: ${formatValue(keyValue)}`,
    { keyPattern, keyValue },
  );
}

/** Unique keys of one collection, rebuilt per write command so documents seeded directly are seen. */
function uniqueKeyTable(state: CollectionState, namespace: string) {
  const tables = state.indexes.filter((index) => index.unique).map((index) => ({ index, owners: new Map<string, Document>() }));
  const add = (document: Document): void => {
    for (const { index, owners } of tables) for (const { key } of indexKeys(index, document)) owners.set(key, document);
  };
  const remove = (document: Document): void => {
    for (const { index, owners } of tables) for (const { key } of indexKeys(index, document)) if (owners.get(key) === document) owners.delete(key);
  };
  /** Throws E11000 if `document` would collide with any stored document other than `replacing`. */
  const assertFree = (document: Document, replacing?: Document): void => {
    for (const { index, owners } of tables) {
      for (const { key, values } of indexKeys(index, document)) {
        const owner = owners.get(key);
        if (owner !== undefined && owner !== replacing) throw duplicateKeyFailure(namespace, index, values);
      }
    }
  };
  for (const document of state.documents) add(document);
  return { add, remove, assertFree };
}

function withId(document: Document): Document {
  if (!Object.hasOwn(document, '_id')) return { _id: new ObjectId(), ...document };
  const id = document._id;
  if (Array.isArray(id) || id instanceof RegExp || id === undefined) {
    throw new CommandFailure(53, 'InvalidIdField', `The '_id' value cannot be of type ${Array.isArray(id) ? 'array' : id instanceof RegExp ? 'regex' : 'undefined'}`);
  }
  // mongod stores _id as the first field.
  const { _id, ...rest } = document;
  return { _id, ...rest };
}

// ---------------------------------------------------------------------------------------------------------
// Updates

function assertUpdateDocument(update: unknown): asserts update is Document | Document[] {
  if (!isDocument(update) && !(Array.isArray(update) && update.every(isDocument))) throw failedToParse('update must be an object or an aggregation pipeline');
}

/** A document without update operators replaces the target wholesale (keeping its _id). */
function isReplacement(update: Document | Document[]): boolean {
  return !Array.isArray(update) && !Object.keys(update).some((key) => key.startsWith('$'));
}

/** Returns the updated copy; `inserting` applies $setOnInsert (mingo has no such operator). */
/** mongod refuses an update that names a path and the same path or a path inside it twice ({$set: {a: 1, 'a.b': 2}}). */
function assertNoConflictingPaths(update: Document): void {
  const seen: string[] = [];
  for (const [operator, fields] of Object.entries(update)) {
    if (!operator.startsWith('$') || !isDocument(fields)) continue;
    for (const path of Object.keys(fields)) {
      const clash = seen.find((other) => other === path || path.startsWith(`${other}.`) || other.startsWith(`${path}.`));
      if (clash !== undefined) {
        const [shorter, longer] = clash.length <= path.length ? [clash, path] : [path, clash];
        throw new CommandFailure(40, 'ConflictingUpdateOperators', `Updating the path '${longer}' would create a conflict at '${shorter}'`);
      }
      seen.push(path);
    }
  }
}

function applyUpdate(target: Document, update: Document | Document[], arrayFilters: unknown, condition: unknown, inserting: boolean): Document {
  if (!Array.isArray(update)) assertNoConflictingPaths(update);
  try {
    if (Array.isArray(update)) {
      const documents = [cloneDocument(target)];
      applyPipelineUpdate(documents, {}, update as unknown as PipelineStage[]);
      return documents[0]!;
    }
    if (isReplacement(update)) {
      const { _id: replacementId, ...fields } = update;
      return { _id: replacementId === undefined ? target._id : replacementId, ...fields };
    }
    const keys = Object.keys(update);
    const plainKey = keys.find((key) => !key.startsWith('$'));
    if (plainKey !== undefined) throw failedToParse(`Unknown modifier: ${plainKey}. Expected a valid update modifier or pipeline-style update`);
    const { $setOnInsert: setOnInsert, ...modifier } = update;
    if (inserting && isDocument(setOnInsert)) modifier.$set = { ...(isDocument(modifier.$set) ? modifier.$set : {}), ...setOnInsert };
    const copy = cloneDocument(target);
    if (Object.keys(modifier).length > 0) {
      const filters = Array.isArray(arrayFilters) ? arrayFilters.filter(isDocument) : undefined;
      applyUpdateOperators(copy, modifier, filters, isDocument(condition) ? condition : undefined, { cloneMode: 'deep' });
    }
    return copy;
  } catch (error) {
    throw asCommandFailure(error);
  }
}

function assertSameId(before: Document, after: Document): void {
  if (!valuesEqual(before._id, after._id, undefined) || !Object.hasOwn(after, '_id')) {
    throw new CommandFailure(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
}

function setPath(target: Document, path: string, value: unknown): void {
  const segments = path.split('.');
  let node = target;
  segments.slice(0, -1).forEach((segment) => {
    const next = node[segment];
    if (isDocument(next)) node = next;
    else node = node[segment] = {};
  });
  node[segments[segments.length - 1]!] = value;
}

/** The equality fields of an upsert's filter seed the inserted document, as in mongod. */
function equalityFields(filter: unknown, into: Document = {}): Document {
  if (!isDocument(filter)) return into;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const clause of value) equalityFields(clause, into);
    } else if (key.startsWith('$')) {
      continue;
    } else if (isDocument(value) && Object.keys(value).some((operator) => operator.startsWith('$'))) {
      if (Object.hasOwn(value, '$eq')) setPath(into, key, value.$eq);
    } else if (!(value instanceof RegExp)) {
      setPath(into, key, value);
    }
  }
  return into;
}

function upsertDocument(filter: unknown, update: Document | Document[], arrayFilters: unknown): Document {
  const seed = equalityFields(filter);
  if (!Array.isArray(update) && isReplacement(update)) {
    const { _id: replacementId, ...fields } = update;
    const id = replacementId ?? seed._id;
    return withId(id === undefined ? fields : { _id: id, ...fields });
  }
  return withId(applyUpdate(seed, update, arrayFilters, undefined, true));
}

// ---------------------------------------------------------------------------------------------------------
// Commands

interface OpenCursor {
  readonly namespace: string;
  pending: Document[];
}

interface ServerState {
  readonly databases: Map<string, Map<string, CollectionState>>;
  readonly cursors: Map<bigint, OpenCursor>;
  nextCursorId: bigint;
}

interface CommandContext {
  readonly state: ServerState;
  readonly database: string;
  readonly body: Document;
  readonly connectionId: number;
}

type CommandHandler = (context: CommandContext) => Document;

function collectionName(context: CommandContext, field: string): string {
  const name = context.body[field];
  if (typeof name !== 'string' || name === '') throw new CommandFailure(73, 'InvalidNamespace', `collection name must be a non-empty string, got ${formatValue(name)}`);
  return name;
}

function getCollection(state: ServerState, database: string, name: string): CollectionState | undefined {
  return state.databases.get(database)?.get(name);
}

function ensureCollection(state: ServerState, database: string, name: string): CollectionState {
  let collections = state.databases.get(database);
  if (!collections) state.databases.set(database, (collections = new Map<string, CollectionState>()));
  let collection = collections.get(name);
  if (!collection) collections.set(name, (collection = { documents: [], indexes: [ID_INDEX] }));
  return collection;
}

function removeDocuments(collection: CollectionState, victims: ReadonlySet<Document>): void {
  for (let i = collection.documents.length - 1; i >= 0; i--) if (victims.has(collection.documents[i]!)) collection.documents.splice(i, 1);
}

/** Splits off what fits one batch: at most `count` documents and ~16 MiB (at least one document). */
function takeBatch(documents: Document[], count: number): { batch: Document[]; rest: Document[] } {
  let bytes = 0;
  let taken = 0;
  while (taken < documents.length && taken < count) {
    bytes += calculateObjectSize(documents[taken]!, { ignoreUndefined: true });
    if (taken > 0 && bytes > BATCH_BYTES) break;
    taken++;
  }
  return { batch: documents.slice(0, taken), rest: documents.slice(taken) };
}

function cursorReply(context: CommandContext, namespace: string, results: Document[], batchSize: number, singleBatch: boolean): Document {
  const { batch, rest } = takeBatch(results, batchSize);
  let id = 0n;
  if (rest.length > 0 && !singleBatch) {
    id = context.state.nextCursorId++;
    context.state.cursors.set(id, { namespace, pending: rest });
  }
  return { cursor: { firstBatch: batch, id: Long.fromBigInt(id), ns: namespace }, ok: 1 };
}

function firstBatchSize(raw: unknown): number {
  const size = toInteger(raw, 'batchSize', DEFAULT_FIRST_BATCH);
  if (size < 0) throw badValue(`BatchSize value must be non-negative, but received: ${size}`);
  return size;
}

function cursorIdOf(raw: unknown): bigint {
  if (Long.isLong(raw)) return raw.toBigInt();
  if (typeof raw === 'bigint') return raw;
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  throw typeMismatch(`cursor id must be a long, got ${formatValue(raw)}`);
}

function helloReply(context: CommandContext, legacy: boolean): Document {
  return {
    ...(context.body.helloOk === true ? { helloOk: true } : {}),
    ...(legacy ? { ismaster: true } : {}),
    isWritablePrimary: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: context.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    // No `compression` (so the driver never sends OP_COMPRESSED) and no `topologyVersion` (so the driver
    // polls with hello instead of opening a streaming/awaitable monitor we would have to hold open).
    ok: 1,
  };
}

function find(context: CommandContext): Document {
  const { body, state, database } = context;
  const name = collectionName(context, 'find');
  const collation = parseCollation(body.collation);
  const matches = compileFilter(body.filter, collation);
  const documents = getCollection(state, database, name)?.documents ?? [];
  const skip = toInteger(body.skip, 'skip', 0);
  let limit = toInteger(body.limit, 'limit', 0);
  let singleBatch = toBoolean(body.singleBatch, false);
  if (skip < 0) throw badValue(`Skip value must be non-negative, but received: ${skip}`);
  if (limit < 0) {
    // A negative limit is the legacy spelling of "one batch of at most |limit| documents".
    limit = -limit;
    singleBatch = true;
  }
  let results = sortDocuments(documents.filter(matches), parseSort(body.sort), collatorFor(collation)).slice(skip);
  if (limit > 0) results = results.slice(0, limit);
  results = project(results, body.projection);
  return cursorReply(context, `${database}.${name}`, results, firstBatchSize(body.batchSize), singleBatch);
}

function getMore(context: CommandContext): Document {
  const { body, state, database } = context;
  const id = cursorIdOf(body.getMore);
  const cursor = state.cursors.get(id);
  if (!cursor) throw new CommandFailure(43, 'CursorNotFound', `cursor id ${id} not found`);
  const namespace = `${database}.${collectionName(context, 'collection')}`;
  if (cursor.namespace !== namespace) {
    throw new CommandFailure(13, 'Unauthorized', `Requested getMore on namespace '${namespace}', but cursor belongs to a different namespace ${cursor.namespace}`);
  }
  const size = toInteger(body.batchSize, 'batchSize', 0);
  const { batch, rest } = takeBatch(cursor.pending, size > 0 ? size : Number.POSITIVE_INFINITY);
  cursor.pending = rest;
  if (rest.length === 0) state.cursors.delete(id);
  return { cursor: { nextBatch: batch, id: Long.fromBigInt(rest.length === 0 ? 0n : id), ns: cursor.namespace }, ok: 1 };
}

function killCursors(context: CommandContext): Document {
  const ids = context.body.cursors;
  if (!Array.isArray(ids)) throw typeMismatch('killCursors needs a cursors array');
  const killed: Long[] = [];
  const notFound: Long[] = [];
  for (const raw of ids) {
    const id = cursorIdOf(raw);
    (context.state.cursors.delete(id) ? killed : notFound).push(Long.fromBigInt(id));
  }
  return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
}

interface WriteOutcome {
  writeErrors: Document[];
}

function recordWriteError(outcome: WriteOutcome, index: number, error: unknown): void {
  const failure = asCommandFailure(error);
  outcome.writeErrors.push({ index, code: failure.code, codeName: failure.codeName, errmsg: failure.message, ...failure.details });
}

function writeReply(outcome: WriteOutcome, fields: Document): Document {
  return { ...fields, ...(outcome.writeErrors.length > 0 ? { writeErrors: outcome.writeErrors } : {}), ok: 1 };
}

function documentsField(context: CommandContext, field: string): Document[] {
  const value = context.body[field];
  if (!Array.isArray(value) || !value.every(isDocument)) throw typeMismatch(`'${field}' must be an array of objects`);
  return value;
}

function insert(context: CommandContext): Document {
  const name = collectionName(context, 'insert');
  const namespace = `${context.database}.${name}`;
  const documents = documentsField(context, 'documents');
  const ordered = toBoolean(context.body.ordered, true);
  const collection = ensureCollection(context.state, context.database, name);
  const unique = uniqueKeyTable(collection, namespace);
  const outcome: WriteOutcome = { writeErrors: [] };
  let inserted = 0;
  for (const [index, raw] of documents.entries()) {
    try {
      const document = withId(raw);
      unique.assertFree(document);
      collection.documents.push(document);
      unique.add(document);
      inserted++;
    } catch (error) {
      recordWriteError(outcome, index, error);
      if (ordered) break;
    }
  }
  return writeReply(outcome, { n: inserted });
}

function update(context: CommandContext): Document {
  const name = collectionName(context, 'update');
  const namespace = `${context.database}.${name}`;
  const statements = documentsField(context, 'updates');
  const ordered = toBoolean(context.body.ordered, true);
  const collection = ensureCollection(context.state, context.database, name);
  const unique = uniqueKeyTable(collection, namespace);
  const outcome: WriteOutcome = { writeErrors: [] };
  const upserted: Document[] = [];
  let matched = 0;
  let modified = 0;
  for (const [index, statement] of statements.entries()) {
    try {
      const { q: filter, u: change, arrayFilters } = statement;
      assertUpdateDocument(change);
      const multi = toBoolean(statement.multi, false);
      if (multi && isReplacement(change)) throw failedToParse('multi update is not supported for replacement-style update');
      const matches = compileFilter(filter, parseCollation(statement.collation));
      const all = collection.documents.filter(matches);
      const targets = multi ? all : all.slice(0, 1);
      for (const target of targets) {
        const next = applyUpdate(target, change, arrayFilters, filter, false);
        assertSameId(target, next);
        matched++;
        if (sameBytes(target, next)) continue;
        unique.assertFree(next, target);
        unique.remove(target);
        // Replace rather than mutate, so open cursors keep the version they read.
        collection.documents[collection.documents.indexOf(target)] = next;
        unique.add(next);
        modified++;
      }
      if (targets.length === 0 && toBoolean(statement.upsert, false)) {
        const document = upsertDocument(filter, change, arrayFilters);
        unique.assertFree(document);
        collection.documents.push(document);
        unique.add(document);
        upserted.push({ index, _id: document._id });
      }
    } catch (error) {
      recordWriteError(outcome, index, error);
      if (ordered) break;
    }
  }
  return writeReply(outcome, { n: matched + upserted.length, nModified: modified, ...(upserted.length > 0 ? { upserted } : {}) });
}

function deleteCommand(context: CommandContext): Document {
  const name = collectionName(context, 'delete');
  const statements = documentsField(context, 'deletes');
  const ordered = toBoolean(context.body.ordered, true);
  const collection = getCollection(context.state, context.database, name);
  const outcome: WriteOutcome = { writeErrors: [] };
  let deleted = 0;
  for (const [index, statement] of statements.entries()) {
    try {
      const matches = compileFilter(statement.q, parseCollation(statement.collation));
      const limit = toInteger(statement.limit, 'limit', 0);
      if (limit !== 0 && limit !== 1) throw failedToParse(`The limit field in delete objects must be 0 or 1. Got ${limit}`);
      if (!collection) continue;
      const all = collection.documents.filter(matches);
      const victims = limit === 1 ? all.slice(0, 1) : all;
      removeDocuments(collection, new Set(victims));
      deleted += victims.length;
    } catch (error) {
      recordWriteError(outcome, index, error);
      if (ordered) break;
    }
  }
  return writeReply(outcome, { n: deleted });
}

function findAndModify(context: CommandContext): Document {
  const { body } = context;
  const name = collectionName(context, 'findAndModify');
  const namespace = `${context.database}.${name}`;
  const collation = parseCollation(body.collation);
  const remove = toBoolean(body.remove, false);
  const returnNew = toBoolean(body.new, false);
  const change = body.update;
  if (remove === (change !== undefined)) throw failedToParse('Either an update or remove=true must be specified, but not both');
  const collection = ensureCollection(context.state, context.database, name);
  const target = sortDocuments(collection.documents.filter(compileFilter(body.query, collation)), parseSort(body.sort), collatorFor(collation))[0];
  const reply = (value: Document | undefined, lastErrorObject: Document): Document => ({
    lastErrorObject,
    value: value === undefined ? null : (project([value], body.fields)[0] ?? null),
    ok: 1,
  });
  if (remove) {
    if (target) removeDocuments(collection, new Set([target]));
    return reply(target, { n: target ? 1 : 0 });
  }
  assertUpdateDocument(change);
  const unique = uniqueKeyTable(collection, namespace);
  if (target) {
    const next = applyUpdate(target, change, body.arrayFilters, body.query, false);
    assertSameId(target, next);
    if (!sameBytes(target, next)) {
      unique.assertFree(next, target);
      collection.documents[collection.documents.indexOf(target)] = next;
    }
    return reply(returnNew ? next : target, { n: 1, updatedExisting: true });
  }
  if (!toBoolean(body.upsert, false)) return reply(undefined, { n: 0, updatedExisting: false });
  const document = upsertDocument(body.query, change, body.arrayFilters);
  unique.assertFree(document);
  collection.documents.push(document);
  return reply(returnNew ? document : undefined, { n: 1, updatedExisting: false, upserted: document._id });
}

function count(context: CommandContext): Document {
  const { body } = context;
  const name = collectionName(context, 'count');
  const matches = compileFilter(body.query, parseCollation(body.collation));
  const total = (getCollection(context.state, context.database, name)?.documents ?? []).filter(matches).length;
  const skip = Math.max(0, toInteger(body.skip, 'skip', 0));
  const limit = Math.abs(toInteger(body.limit, 'limit', 0));
  const counted = Math.max(0, total - skip);
  return { n: limit > 0 ? Math.min(limit, counted) : counted, ok: 1 };
}

function aggregate(context: CommandContext): Document {
  const { body, state, database } = context;
  const pipeline = documentsField(context, 'pipeline');
  if (!isDocument(body.cursor)) throw failedToParse("The 'cursor' option is required, except for aggregate with the explain argument");
  refuseServerSideJavaScript(pipeline);
  const unsupported = pipeline.find((stage) => '$out' in stage || '$merge' in stage);
  if (unsupported) throw badValue(`${Object.keys(unsupported)[0] ?? ''} is not supported by the test server`);
  const collation = parseCollation(body.collation);
  const onDatabase = body.aggregate === 1;
  const name = onDatabase ? '$cmd.aggregate' : collectionName(context, 'aggregate');
  let documents = onDatabase ? [] : (getCollection(state, database, name)?.documents ?? []);
  // Leading $match/$sort stages run on our own engine so they share find's comparison semantics.
  let stage = 0;
  for (; stage < pipeline.length; stage++) {
    const current = pipeline[stage]!;
    if (Object.keys(current).length !== 1) break;
    if ('$match' in current) documents = documents.filter(compileFilter(current.$match, collation));
    else if ('$sort' in current) documents = sortDocuments(documents, parseSort(current.$sort), collatorFor(collation));
    else break;
  }
  const resolveCollection = (other: string): AnyObject[] => getCollection(state, database, other)?.documents ?? [];
  let results: Document[];
  try {
    const rest = pipeline.slice(stage);
    results = rest.length === 0 ? documents : new Aggregator(rest, engineOptions(collation, resolveCollection)).run<Document>(documents);
  } catch (error) {
    throw asCommandFailure(error);
  }
  return cursorReply(context, `${database}.${name}`, results, firstBatchSize(body.cursor.batchSize), false);
}

function createIndexes(context: CommandContext): Document {
  const name = collectionName(context, 'createIndexes');
  const namespace = `${context.database}.${name}`;
  const specs = documentsField(context, 'indexes');
  const existed = getCollection(context.state, context.database, name) !== undefined;
  const collection = ensureCollection(context.state, context.database, name);
  const before = collection.indexes.length;
  for (const spec of specs) {
    const { key, name: indexName, unique, sparse, partialFilterExpression } = spec;
    if (!isDocument(key) || Object.keys(key).length === 0) throw failedToParse("Index spec needs a non-empty 'key' object");
    if (typeof indexName !== 'string' || indexName === '') throw failedToParse("Index spec needs a 'name'");
    const sameName = collection.indexes.find((index) => index.name === indexName);
    if (sameName) {
      if (equalityKey(sameName.spec.key) !== equalityKey(key)) throw new CommandFailure(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index: ${indexName}`);
      continue;
    }
    const sameKey = collection.indexes.find((index) => equalityKey(index.spec.key) === equalityKey(key));
    if (sameKey) throw new CommandFailure(85, 'IndexOptionsConflict', `Index already exists with a different name: ${sameKey.name}`);
    const index: IndexDefinition = {
      name: indexName,
      fields: Object.keys(key),
      unique: toBoolean(unique, false),
      sparse: toBoolean(sparse, false),
      partialFilter: isDocument(partialFilterExpression) ? compileFilter(partialFilterExpression, undefined) : undefined,
      spec: { v: 2, key, name: indexName, ...spec },
    };
    if (index.unique) {
      // Building a unique index over existing duplicates fails, as in mongod.
      const seen = new Set<string>();
      for (const document of collection.documents) {
        for (const { key: indexKey, values } of indexKeys(index, document)) {
          if (seen.has(indexKey)) throw duplicateKeyFailure(namespace, index, values);
          seen.add(indexKey);
        }
      }
    }
    collection.indexes.push(index);
  }
  return { createdCollectionAutomatically: !existed, numIndexesBefore: before, numIndexesAfter: collection.indexes.length, ok: 1 };
}

function listIndexes(context: CommandContext): Document {
  const name = collectionName(context, 'listIndexes');
  const namespace = `${context.database}.${name}`;
  const collection = getCollection(context.state, context.database, name);
  if (!collection) throw new CommandFailure(26, 'NamespaceNotFound', `ns does not exist: ${namespace}`);
  const batchSize = isDocument(context.body.cursor) ? firstBatchSize(context.body.cursor.batchSize) : DEFAULT_FIRST_BATCH;
  return cursorReply(
    context,
    namespace,
    collection.indexes.map((index) => index.spec),
    batchSize,
    false,
  );
}

function dropIndexes(context: CommandContext): Document {
  const name = collectionName(context, 'dropIndexes');
  const namespace = `${context.database}.${name}`;
  const collection = getCollection(context.state, context.database, name);
  if (!collection) throw new CommandFailure(26, 'NamespaceNotFound', `ns not found ${namespace}`);
  const before = collection.indexes.length;
  const target = context.body.index;
  const doomed = collection.indexes.filter((index) => {
    if (index === ID_INDEX) return false;
    if (target === '*') return true;
    if (typeof target === 'string') return index.name === target;
    if (Array.isArray(target)) return target.includes(index.name);
    return isDocument(target) && equalityKey(index.spec.key) === equalityKey(target);
  });
  if (target !== '*' && doomed.length === 0) throw new CommandFailure(27, 'IndexNotFound', `index not found with name [${formatValue(target)}]`);
  for (const index of doomed) collection.indexes.splice(collection.indexes.indexOf(index), 1);
  return { nIndexesWas: before, ok: 1 };
}

function create(context: CommandContext): Document {
  const name = collectionName(context, 'create');
  if (getCollection(context.state, context.database, name)) throw new CommandFailure(48, 'NamespaceExists', `Collection ${context.database}.${name} already exists.`);
  ensureCollection(context.state, context.database, name);
  return { ok: 1 };
}

function drop(context: CommandContext): Document {
  const name = collectionName(context, 'drop');
  const collections = context.state.databases.get(context.database);
  const collection = collections?.get(name);
  collections?.delete(name);
  // Since MongoDB 7.0 dropping a missing collection succeeds.
  return { ns: `${context.database}.${name}`, ...(collection ? { nIndexesWas: collection.indexes.length } : {}), ok: 1 };
}

function dropDatabase(context: CommandContext): Document {
  context.state.databases.delete(context.database);
  return { dropped: context.database, ok: 1 };
}

function listCollections(context: CommandContext): Document {
  const { body, state, database } = context;
  const matches = compileFilter(body.filter, undefined);
  const nameOnly = toBoolean(body.nameOnly, false);
  const infos = [...(state.databases.get(database)?.keys() ?? [])]
    .map((name): Document => (nameOnly ? { name, type: 'collection' } : { name, type: 'collection', options: {}, info: { readOnly: false }, idIndex: ID_INDEX.spec }))
    .filter(matches);
  const batchSize = isDocument(body.cursor) ? firstBatchSize(body.cursor.batchSize) : DEFAULT_FIRST_BATCH;
  return cursorReply(context, `${database}.$cmd.listCollections`, infos, batchSize, false);
}

const COMMANDS = new Map<string, CommandHandler>([
  ['hello', (context) => helloReply(context, false)],
  ['isMaster', (context) => helloReply(context, true)],
  ['ismaster', (context) => helloReply(context, true)],
  ['ping', () => ({ ok: 1 })],
  ['buildInfo', () => ({ version: '7.0.0', versionArray: [7, 0, 0, 0], bits: 64, maxBsonObjectSize: MAX_BSON_OBJECT_BYTES, ok: 1 })],
  ['buildinfo', () => ({ version: '7.0.0', versionArray: [7, 0, 0, 0], bits: 64, maxBsonObjectSize: MAX_BSON_OBJECT_BYTES, ok: 1 })],
  ['endSessions', () => ({ ok: 1 })],
  ['killCursors', killCursors],
  ['getMore', getMore],
  ['find', find],
  ['insert', insert],
  ['update', update],
  ['delete', deleteCommand],
  ['findAndModify', findAndModify],
  ['count', count],
  ['aggregate', aggregate],
  ['createIndexes', createIndexes],
  ['listIndexes', listIndexes],
  ['dropIndexes', dropIndexes],
  ['create', create],
  ['drop', drop],
  ['dropDatabase', dropDatabase],
  ['listCollections', listCollections],
]);

function failureReply(failure: CommandFailure): Document {
  return { ok: 0, errmsg: failure.message, code: failure.code, codeName: failure.codeName, ...failure.details };
}

function executeCommand(context: CommandContext, command: string): Document {
  const handler = COMMANDS.get(command);
  if (!handler) return failureReply(new CommandFailure(59, 'CommandNotFound', `no such command: '${command}'`));
  try {
    return handler(context);
  } catch (error) {
    if (error instanceof CommandFailure) return failureReply(error);
    // A bug here must reach the test as a failed command, never as a crashed test process.
    return failureReply(new CommandFailure(1, 'InternalError', `test server error: ${error instanceof Error ? error.message : String(error)}`));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Network

export async function startMongoServer(options: MongoServerOptions = {}): Promise<MongoTestServer> {
  const state: ServerState = { databases: new Map(), cursors: new Map(), nextCursorId: 1n };
  const commands: MongoCommandLog[] = [];
  const sockets = new Set<Socket>();
  let silent = false;
  let connectionCount = 0;
  let replyCount = 0;

  const respond = (socket: Socket, request: WireRequest, connectionId: number): void => {
    const command = Object.keys(request.body)[0] ?? '';
    commands.push({ database: request.database, command, body: request.body });
    if (silent) return;
    const reply = executeCommand({ state, database: request.database, body: request.body, connectionId }, command);
    if (request.moreToCome) return;
    replyCount = (replyCount + 1) & 0x7fffffff;
    const encode = request.opCode === OP_MSG ? encodeOpMsgReply : encodeOpReply;
    socket.write(encode(replyCount, request.requestId, reply));
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    const connectionId = ++connectionCount;
    const framer = new MessageFramer();
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    // Clients vanish mid-write (ECONNRESET) in the fault tests; that must not become an uncaught error.
    socket.on('error', () => {
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of framer.push(chunk)) respond(socket, decodeRequest(message), connectionId);
      } catch {
        // Bytes we cannot frame or decode leave the stream unusable; mongod drops such connections too.
        socket.destroy();
      }
    });
  });

  const port = await listenTcp(server, options.port ?? 0, HOST);

  const close = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    for (const socket of sockets) socket.destroy();
    // A crashed mongod forgets its cursors.
    state.cursors.clear();
    await closed;
  };

  return {
    host: HOST,
    port,
    uri: `mongodb://${HOST}:${port}/?directConnection=true&serverSelectionTimeoutMS=2000`,
    commands,
    documents(database, collection) {
      return ensureCollection(state, database, collection).documents;
    },
    setSilent(value) {
      silent = value;
    },
    close,
    async restart() {
      if (server.listening) return;
      await listenTcp(server, port, HOST);
    },
  };
}
