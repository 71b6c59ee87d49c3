import type { CustomTypesConfig, Pool, PoolConfig, QueryConfig } from 'pg';
import { LegacyIdpError } from '../../core/errors.js';
import { simpleCaseFold } from '../../core/normalize.js';
import { importOptional } from '../../core/optional-import.js';
import type { Row } from '../record/mapping.js';
import { classifyByPatterns, sqlFoldCase, type SqlConnection } from './dialect.js';
import type { SqlConnectionSettings } from './settings.js';

/** A client the store can use: a `pg.Pool` (or `pg.Client`) the caller made. */
export interface PostgresQueryable {
  query(config: QueryConfig): Promise<{ rows: Row[]; rowCount: number | null }>;
}

// undefined_table, undefined_column, undefined_function, syntax_error, datatype_mismatch, undefined_object
const configCodes = new Set(['42P01', '42703', '42883', '42601', '42804', '42704']);

/**
 * Capital and small letters outside ASCII (Latin, Greek; no final sigma, which folds by context), then the two
 * letters whose full and simple mappings differ: LOWER('İ') is 'i' and UPPER('ß') is 'ß' one character at a time
 * (libc, `pg_c_utf8`), 'i' + U+0307 and 'SS' under Unicode's full mappings (ICU, `pg_unicode_fast`). LOWER()
 * follows the collation of its argument, so a `C`/`POSIX` ctype (the database's, or a column's COLLATE "C")
 * leaves `É` as it is.
 */
const foldLetters = 'ÉéΣσ';
const foldProbe = `${foldLetters}İß`;

/**
 * How a collation folds the probe: `simple` as `simpleCaseFold` (the login's fold), `letters` every alphabet but
 * with other mappings for İ and ß (ICU), `ascii` ASCII letters only.
 */
type FoldLevel = 'simple' | 'letters' | 'ascii';

function foldLevel(lower: unknown, upper: unknown): FoldLevel {
  if (lower === simpleCaseFold(foldProbe, 'lower') && upper === simpleCaseFold(foldProbe, 'upper')) return 'simple';
  if (typeof lower === 'string' && typeof upper === 'string' && lower.startsWith(simpleCaseFold(foldLetters, 'lower')) && upper.startsWith(simpleCaseFold(foldLetters, 'upper'))) {
    return 'letters';
  }
  return 'ascii';
}

/**
 * Collations to fold a column under, best first: PostgreSQL 17's builtin `pg_c_utf8` and the `C.UTF-8` libc
 * locale fold one character at a time, as the login is folded. ICU's root locale and PostgreSQL 18's
 * `pg_unicode_fast` use Unicode's full mappings (UPPER('ß') = 'SS'): every alphabet, but 'İlker' is then not
 * found by 'ilker'; they serve only a column that would otherwise fold ASCII alone.
 */
const foldCollations = ['pg_c_utf8', 'C.utf8', 'C.UTF-8', 'und-x-icu', 'pg_unicode_fast'];

// untranslatable_character: the login holds a character the database's encoding has no code for (Greek in LATIN1).
const unholdableCodes = new Set(['22P05']);

/**
 * Which code points a database in each encoding holds, where the store knows it without asking: every encoding is
 * an ASCII superset, UTF8 holds everything, SQL_ASCII stores the bytes as sent. Another encoding (WIN1251, EUC_JP,
 * ...) is left to the server: a login it cannot hold fails with 22P05, read as no match (`isUnholdableValue`).
 */
const encodingHolds: Readonly<Record<string, (codePoint: number) => boolean>> = {
  LATIN1: (codePoint) => codePoint <= 0xff,
};

// timestamp, date
const zonelessTypes = new Set([1114, 1082]);

/** pg's type parser registry, as the store uses it (its own typings name the oids by an enum). */
interface PgTypeParsers {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (text: string) => unknown;
}

/**
 * pg reads `timestamp without time zone` and `date` in the process's local zone: under TZ=Asia/Tokyo a lock
 * written at 10:00 UTC would read as 01:00 UTC, nine hours older. The store reads them as UTC (as Rails, Django
 * and EF Core write them, and as the mapping reads zone-less text), with pg's own `timestamptz` parser, which
 * also gives ±Infinity for 'infinity' and '-infinity'. Per query, so the caller's other queries keep pg's
 * global parsers.
 */
function storeTypes(types: PgTypeParsers): CustomTypesConfig {
  const withZone = types.getTypeParser(1184, 'text');
  const asUtc =
    (oid: number) =>
    (text: string): unknown => {
      if (text === 'infinity' || text === '-infinity') return withZone(text);
      const era = text.endsWith(' BC') ? ' BC' : '';
      const value = era === '' ? text : text.slice(0, -era.length);
      return withZone(`${value}${oid === 1082 ? ' 00:00:00' : ''}+00${era}`);
    };
  return {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => (zonelessTypes.has(oid) && format !== 'binary' ? asUtc(oid) : types.getTypeParser(oid, format)),
  };
}

/** A Date as ISO 8601 UTC: pg would write it in the local zone, which a `timestamp` column takes as UTC wall time. */
function postgresValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : value;
}

export async function postgresConnection(settings: SqlConnectionSettings): Promise<SqlConnection> {
  let client = settings.client as PostgresQueryable | undefined;
  let owned: Pool | undefined;
  // pg is CommonJS: under Node's ESM loader its classes sit on the default export only. Loaded for a caller's
  // client too: its type parsers are the fallback of the store's own (`storeTypes`).
  const pg = (await importOptional('pg', 'sqlUserStore({ dialect: "postgres" })', () => import('pg'))) as Partial<typeof import('pg')> & { default?: typeof import('pg') };
  const types = storeTypes(pg.types ?? (pg.default as typeof import('pg')).types);
  if (!client) {
    const Pool = pg.Pool ?? (pg.default as typeof import('pg')).Pool;
    const Client = pg.Client ?? (pg.default as typeof import('pg')).Client;
    const base: PoolConfig = typeof settings.connection === 'string' ? { connectionString: settings.connection } : { ...(settings.connection as PoolConfig | undefined) };
    // The pool parses the connection string only when it opens its first connection, so a malformed URL would
    // pass for a server that is down (every sign-in unavailable) instead of a config error now. A Client
    // parses the options in its constructor, with pg's own parser, and opens nothing until connect(): the one
    // built here is dropped. sql-store.ts reports its refusal without the URL.
    new Client(base);
    owned = new Pool({
      max: settings.poolSize,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      // Client-side bound (the server's statement_timeout may be off); a slow query is an unavailable store.
      query_timeout: settings.queryTimeoutMs,
      ...base,
    });
    // An idle client losing its server emits 'error' on the pool; without a listener that would crash the
    // process. The next query reports the outage.
    owned.on('error', () => undefined);
    client = owned;
  }
  const queryable = client;
  const quote = (part: string): string => `"${part}"`;
  const run = (sql: string, parameters: readonly unknown[] = []): Promise<{ rows: Row[]; rowCount: number | null }> =>
    queryable.query({ text: sql, values: parameters.map(postgresValue), types });
  const rows = async (sql: string, parameters: readonly unknown[] = []): Promise<Row[]> => (await run(sql, parameters)).rows;
  /** The database's encoding (`server_encoding`), read with the name columns' folding before the first lookup. */
  let serverEncoding: string | undefined;

  /** The best of `foldCollations` this database has: the first that folds the probe simply, else the first that folds its letters. */
  async function foldCollation(): Promise<{ name: string; level: FoldLevel } | undefined> {
    const present = new Set(
      (
        await rows(
          "SELECT collname FROM pg_collation WHERE collname = ANY($1::text[]) AND collencoding IN (-1, pg_char_to_encoding('UTF8')) AND pg_collation_is_visible(oid)",
          [foldCollations],
        )
      ).map((row) => row['collname']),
    );
    let fallback: { name: string; level: FoldLevel } | undefined;
    for (const name of foldCollations.filter((candidate) => present.has(candidate))) {
      try {
        const [row] = await rows(`SELECT LOWER($1::text COLLATE ${quote(name)}) AS l, UPPER($1::text COLLATE ${quote(name)}) AS u`, [foldProbe]);
        const level = foldLevel(row?.['l'], row?.['u']);
        if (level === 'simple') return { name, level };
        if (level === 'letters') fallback ??= { name, level };
      } catch {
        // A libc collation whose locale the server's system no longer has fails when used: try the next one.
      }
    }
    return fallback;
  }

  return {
    dialect: 'postgres',
    quote,
    placeholder: (index) => `$${index}`,
    limitStyle: 'limit',
    foldCase: (expression, fold, folding) => sqlFoldCase(folding?.collation === undefined ? expression : `${expression} COLLATE ${quote(folding.collation)}`, fold),
    /**
     * Folds the probe through each name column (a UNION with the no-row `sql` gives the literal the column's
     * type and collation) rather than reading `lc_ctype`: the column's own collation decides, and ICU or
     * builtin database collations fold under any lc_ctype. A column that does not fold as the login is folded is
     * folded under a collation that does; failing that, a column that folds ASCII only is folded under one that
     * folds every alphabet; with none on the server, lookups are refused rather than missing non-ASCII names.
     */
    async nameColumnFolding(sql, columns, match) {
      // Read for `exact` matching too: `canHold` needs it for every lookup.
      const [setting] = await rows("SELECT current_setting('server_encoding') AS encoding");
      serverEncoding = typeof setting?.['encoding'] === 'string' ? setting['encoding'] : undefined;
      // An exact comparison folds nothing.
      if (match === 'exact') return new Map();
      // Only a UTF-8 database holds every letter of the probe; other encodings fold as their ctype does.
      if (serverEncoding !== 'UTF8') return new Map();
      const aliases = columns.map((_, index) => `c${index}`);
      const folded = aliases.flatMap((alias) => [`LOWER(p.${alias}) AS ${alias}_l`, `UPPER(p.${alias}) AS ${alias}_u`]).join(', ');
      const probe = columns.map(() => `'${foldProbe}'`).join(', ');
      const [row] = await rows(`SELECT ${folded} FROM (${sql} UNION ALL SELECT ${probe}) AS p(${aliases.join(', ')})`);
      const levels = columns.map((_, index) => foldLevel(row?.[`c${index}_l`], row?.[`c${index}_u`]));
      if (levels.every((level) => level === 'simple')) return new Map();
      const collation = await foldCollation();
      const refolded = new Map<string, { collation: string }>();
      const asciiOnly: string[] = [];
      columns.forEach((column, index) => {
        const level = levels[index];
        if (level === 'simple') return;
        if (collation?.level === 'simple' || (level === 'ascii' && collation !== undefined)) refolded.set(column, { collation: collation.name });
        else if (level === 'ascii') asciiOnly.push(column);
      });
      if (asciiOnly.length > 0) {
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_INVALID',
          `postgres: LOWER()/UPPER() of column ${asciiOnly.map((column) => `"${column}"`).join(', ')} fold ASCII letters only (a "C" or "POSIX" ctype or collation), and the server has none of the collations ${foldCollations.map((name) => `"${name}"`).join(', ')} to fold under: non-ASCII names would never be found. Create one (CREATE COLLATION "C.utf8" (provider = libc, locale = 'C.UTF-8')), or use usernameMatch: 'exact' on a column of normalized names (docs/stores/sql.md)`,
          { path: 'usernameMatch' },
        );
      }
      return refolded;
    },
    /**
     * The encoding is the whole database's (every text column shares it): a login it cannot hold is left out of
     * the lookup rather than sent, since the server refuses the whole statement (22P05) when it converts the value.
     */
    canHold(value) {
      const holds = serverEncoding === undefined ? undefined : encodingHolds[serverEncoding];
      if (holds === undefined) return true;
      for (const character of value) if (!holds(character.codePointAt(0) as number)) return false;
      return true;
    },
    isUnholdableValue: (error) => {
      const record = error as { code?: unknown } | null;
      return typeof record === 'object' && record !== null && unholdableCodes.has(record.code as string);
    },
    query: (sql, parameters) => rows(sql, parameters),
    async execute(sql, parameters) {
      return (await run(sql, parameters)).rowCount ?? 0;
    },
    classify: (error) => classifyByPatterns(error, configCodes, /^$/u),
    async close() {
      await owned?.end();
    },
  };
}
