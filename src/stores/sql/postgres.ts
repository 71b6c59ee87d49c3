import type { Pool, PoolConfig } from 'pg';
import { LegacyIdpError } from '../../core/errors.js';
import { importOptional } from '../../core/optional-import.js';
import type { Row } from '../record/mapping.js';
import { classifyByPatterns, sqlFoldCase, type SqlConnection } from './dialect.js';
import type { SqlConnectionSettings } from './settings.js';

/** A client the store can use: a `pg.Pool` (or `pg.Client`) the caller made. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

// undefined_table, undefined_column, undefined_function, syntax_error, datatype_mismatch, undefined_object
const configCodes = new Set(['42P01', '42703', '42883', '42601', '42804', '42704']);

/**
 * Capital and small letters outside ASCII (Latin, Greek; no final sigma, which folds by context): a column
 * whose LOWER()/UPPER() do not give what JavaScript gives folds ASCII only. LOWER() follows the collation of
 * its argument, so a `C`/`POSIX` ctype (the database's, or a column's COLLATE "C") leaves `É` as it is.
 */
const foldProbe = 'ÉéΣσ';

/**
 * Collations that fold every alphabet, most like JavaScript first: ICU's root locale and PostgreSQL 18's
 * builtin `pg_unicode_fast` use Unicode's full case mappings (UPPER('ß') = 'SS', as toUpperCase does);
 * PostgreSQL 17's builtin `pg_c_utf8` and the `C.UTF-8` libc locale use the simple ones (as a UTF-8 lc_ctype
 * database does anyway).
 */
const unicodeCollations = ['und-x-icu', 'pg_unicode_fast', 'pg_c_utf8', 'C.utf8', 'C.UTF-8'];

export async function postgresConnection(settings: SqlConnectionSettings): Promise<SqlConnection> {
  let client = settings.client as PostgresQueryable | undefined;
  let owned: Pool | undefined;
  if (!client) {
    // pg is CommonJS: under Node's ESM loader its classes sit on the default export only.
    const pg = (await importOptional('pg', 'sqlUserStore({ dialect: "postgres" })', () => import('pg'))) as Partial<typeof import('pg')> & { default?: typeof import('pg') };
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
  const rows = async (sql: string, parameters: unknown[] = []): Promise<Row[]> => (await queryable.query(sql, parameters)).rows;

  /** The first of `unicodeCollations` this database has and that folds the probe as JavaScript does. */
  async function unicodeCollation(): Promise<string | undefined> {
    const present = new Set(
      (
        await rows(
          "SELECT collname FROM pg_collation WHERE collname = ANY($1::text[]) AND collencoding IN (-1, pg_char_to_encoding('UTF8')) AND pg_collation_is_visible(oid)",
          [unicodeCollations],
        )
      ).map((row) => row['collname']),
    );
    for (const name of unicodeCollations.filter((candidate) => present.has(candidate))) {
      try {
        const [row] = await rows(`SELECT LOWER($1::text COLLATE ${quote(name)}) AS l, UPPER($1::text COLLATE ${quote(name)}) AS u`, [foldProbe]);
        if (row?.['l'] === foldProbe.toLowerCase() && row['u'] === foldProbe.toUpperCase()) return name;
      } catch {
        // A libc collation whose locale the server's system no longer has fails when used: try the next one.
      }
    }
    return undefined;
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
     * builtin database collations fold fully under any lc_ctype. A column that folds ASCII only is folded under
     * a Unicode collation; with none on the server, lookups are refused rather than missing non-ASCII names.
     */
    async nameColumnFolding(sql, columns) {
      const [setting] = await rows("SELECT current_setting('server_encoding') AS encoding");
      // Only a UTF-8 database holds every letter of the probe; other encodings fold as their ctype does.
      if (setting?.['encoding'] !== 'UTF8') return new Map();
      const aliases = columns.map((_, index) => `c${index}`);
      const folded = aliases.flatMap((alias) => [`LOWER(p.${alias}) AS ${alias}_l`, `UPPER(p.${alias}) AS ${alias}_u`]).join(', ');
      const probe = columns.map(() => `'${foldProbe}'`).join(', ');
      const [row] = await rows(`SELECT ${folded} FROM (${sql} UNION ALL SELECT ${probe}) AS p(${aliases.join(', ')})`);
      const asciiOnly = columns.filter((_, index) => row?.[`c${index}_l`] !== foldProbe.toLowerCase() || row[`c${index}_u`] !== foldProbe.toUpperCase());
      if (asciiOnly.length === 0) return new Map();
      const collation = await unicodeCollation();
      if (collation === undefined) {
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_INVALID',
          `postgres: LOWER()/UPPER() of column ${asciiOnly.map((column) => `"${column}"`).join(', ')} fold ASCII letters only (a "C" or "POSIX" ctype or collation), and the server has none of the collations ${unicodeCollations.map((name) => `"${name}"`).join(', ')} to fold under: non-ASCII names would never be found. Create one (CREATE COLLATION "C.utf8" (provider = libc, locale = 'C.UTF-8')), or use usernameMatch: 'exact' on a column of normalized names (docs/stores/sql.md)`,
          { path: 'usernameMatch' },
        );
      }
      return new Map(asciiOnly.map((column) => [column, { collation }] as const));
    },
    async query(sql, parameters) {
      return (await queryable.query(sql, [...parameters])).rows;
    },
    async execute(sql, parameters) {
      return (await queryable.query(sql, [...parameters])).rowCount ?? 0;
    },
    classify: (error) => classifyByPatterns(error, configCodes, /^$/u),
    async close() {
      await owned?.end();
    },
  };
}
