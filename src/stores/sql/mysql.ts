import type { FieldPacket, Pool, PoolOptions } from 'mysql2/promise';
import { LegacyIdpError } from '../../core/errors.js';
import { importOptional } from '../../core/optional-import.js';
import type { Row } from '../record/mapping.js';
import { classifyByPatterns, sqlFoldCase, type ColumnFolding, type SqlConnection } from './dialect.js';
import type { SqlConnectionSettings } from './settings.js';

/** What each statement of the store asks of mysql2, whatever the client's own options say. */
interface MysqlStatementOptions {
  sql: string;
  values?: unknown[];
  timeout?: number;
  dateStrings?: boolean;
  supportBigNumbers?: boolean;
  bigNumberStrings?: boolean;
  rowsAsArray?: boolean;
  nestTables?: boolean;
}

/** A client the store can use: a mysql2 promise `Pool` or `Connection` the caller made. */
export interface MysqlQueryable {
  query(options: { sql: string; values?: unknown[]; timeout?: number; rowsAsArray?: boolean; nestTables?: boolean }): Promise<[unknown, unknown]>;
  execute(options: MysqlStatementOptions): Promise<[unknown, unknown]>;
}

// ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR, ER_PARSE_ERROR, ER_BAD_DB_ERROR, ER_SP_DOES_NOT_EXIST
const configCodes = new Set(['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR', 'ER_PARSE_ERROR', 'ER_BAD_DB_ERROR', 'ER_SP_DOES_NOT_EXIST', 1146, 1054, 1064, 1049, 1305]);

// ER_CANT_AGGREGATE_2COLLATIONS, _3COLLATIONS, _NCOLLATIONS: a value the column's character set cannot hold.
const unholdableCodes = new Set(['ER_CANT_AGGREGATE_2COLLATIONS', 'ER_CANT_AGGREGATE_3COLLATIONS', 'ER_CANT_AGGREGATE_NCOLLATIONS', 1267, 1270, 1271]);

/** The `binary` character set's id in column metadata (numbers and dates carry it too). */
const binaryCharset = 63;
// VARCHAR, TINY/MEDIUM/LONG BLOB, BLOB, VAR_STRING, STRING: the column types of VARBINARY, BINARY and BLOB.
const stringTypes = new Set([0x0f, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe]);

/** Character sets that hold every character a login can have. */
const unicodeCharsets = new Set(['utf8mb4', 'utf16', 'utf16le', 'utf32', 'binary']);

/** MySQL's latin1 is Windows-1252 (its five unassigned bytes are the C1 controls, as WHATWG's decoder has them). */
const latin1Characters = new Set(new TextDecoder('windows-1252').decode(Uint8Array.from({ length: 256 }, (_, byte) => byte)));

/**
 * Which code points a column of each common legacy character set holds. Another set (greek, cp1251, sjis, ...) is
 * left to the server: a login it cannot hold fails with "illegal mix of collations", read as no match
 * (`isUnholdableValue`).
 */
const charsetHolds: Readonly<Record<string, (character: string) => boolean>> = {
  ascii: (character) => (character.codePointAt(0) as number) < 0x80,
  latin1: (character) => latin1Characters.has(character),
  // utf8mb3 (MySQL's old `utf8`) and ucs2 stop at the Basic Multilingual Plane: no emoji, no supplementary CJK.
  utf8mb3: (character) => (character.codePointAt(0) as number) <= 0xffff,
  utf8: (character) => (character.codePointAt(0) as number) <= 0xffff,
  ucs2: (character) => (character.codePointAt(0) as number) <= 0xffff,
};

/**
 * A date as UTC text without a zone ('2024-05-01 10:00:00.123'): what the store reads zone-less DATETIME values as.
 * mysql2 would write a Date in the client's `timezone` (the process's local zone by default).
 */
function mysqlValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString().replace('T', ' ').replace('Z', '') : value;
}

export async function mysqlConnection(settings: SqlConnectionSettings): Promise<SqlConnection> {
  let client = settings.client as MysqlQueryable | undefined;
  let owned: Pool | undefined;
  if (!client) {
    // mysql2 is CommonJS: under Node's ESM loader its functions may sit on the default export only.
    type Mysql = typeof import('mysql2/promise');
    const mysql = (await importOptional('mysql2', 'sqlUserStore({ dialect: "mysql" })', () => import('mysql2/promise'))) as Partial<Mysql> & { default?: Mysql };
    const createPool = mysql.createPool ?? (mysql.default as Mysql).createPool;
    const base: PoolOptions = typeof settings.connection === 'string' ? { uri: settings.connection } : { ...(settings.connection as PoolOptions | undefined) };
    owned = createPool({
      connectionLimit: settings.poolSize,
      connectTimeout: settings.connectTimeoutMs,
      // Dates as strings: the store maps them itself, and the server's zone is not guessed.
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      ...base,
    });
    client = owned;
  } else if (typeof (client as Partial<MysqlQueryable>).execute !== 'function' || typeof (client as Partial<MysqlQueryable>).query !== 'function') {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: the mysql `client` must be a mysql2 promise Pool or Connection (with query() and execute())', {
      path: 'client',
    });
  }
  const queryable = client;
  /**
   * Every statement with values is a server-side prepared statement (mysql2's `execute`): the values never become
   * SQL text. `query` with values would escape them on the client as MySQL's default sql_mode reads them, and a
   * server or session with NO_BACKSLASH_ESCAPES reads `\'` as a backslash and the end of the literal: a login
   * could then rewrite the lookup (sign in as anyone with a password of its own). The per-statement options keep
   * dates as text, big integers exact and rows as objects keyed by column name on a client the caller made with
   * other settings (`rowsAsArray` or `nestTables` made every user unknown).
   */
  const run = (sql: string, parameters: readonly unknown[]): Promise<[unknown, unknown]> =>
    queryable.execute({ sql, values: parameters.map(mysqlValue), timeout: settings.queryTimeoutMs, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, rowsAsArray: false, nestTables: false });
  return {
    dialect: 'mysql',
    quote: (part) => `\`${part}\``,
    placeholder: () => '?',
    limitStyle: 'limit',
    // LOWER()/UPPER() of a binary string (VARBINARY, BINARY, BLOB: MediaWiki's user_name) return it unchanged,
    // so such a column is read as UTF-8 text first. Only binary columns: CONVERT would move a text column to
    // another collation, changing which names compare equal.
    foldCase: (expression, fold, folding) => sqlFoldCase(folding?.binary === true ? `CONVERT(${expression} USING utf8mb4)` : expression, fold),
    /**
     * One statement, no values: the columns' metadata tells binary strings, CHARSET() their character set. The
     * one-row LEFT JOIN gives CHARSET() a row to run on (the column's type stays, its value is NULL).
     */
    async nameColumnFolding(sql, columns) {
      const aliases = columns.map((_, index) => `legacy_idp_c${index}`);
      const select = aliases.map((alias) => `p.${alias} AS ${alias}, CHARSET(p.${alias}) AS ${alias}_charset`).join(', ');
      const [rows, fields] = await queryable.query({
        sql: `SELECT ${select} FROM (SELECT 1 AS legacy_idp_one) legacy_idp_row LEFT JOIN (${sql}) p ON 1 = 1`,
        timeout: settings.queryTimeoutMs,
        rowsAsArray: false,
        nestTables: false,
      });
      const row = (rows as Row[])[0] ?? {};
      const folding = new Map<string, ColumnFolding>();
      columns.forEach((column, index) => {
        const alias = aliases[index] as string;
        const field = ((fields ?? []) as FieldPacket[]).find((candidate) => candidate.name === alias);
        const binary = field?.characterSet === binaryCharset && field.columnType !== undefined && stringTypes.has(field.columnType);
        const charset = row[`${alias}_charset`];
        const limited = typeof charset === 'string' && !unicodeCharsets.has(charset.toLowerCase()) ? charset.toLowerCase() : undefined;
        if (binary || limited !== undefined) folding.set(column, { ...(binary ? { binary: true } : {}), ...(limited === undefined ? {} : { charset: limited }) });
      });
      return folding;
    },
    canHold(value, folding) {
      const holds = folding?.charset === undefined ? undefined : charsetHolds[folding.charset];
      if (holds === undefined) return true;
      for (const character of value) if (!holds(character)) return false;
      return true;
    },
    keyText: (expression) => `CAST(${expression} AS CHAR)`,
    isUnholdableValue: (error) => {
      const record = error as { code?: unknown; errno?: unknown } | null;
      return typeof record === 'object' && record !== null && (unholdableCodes.has(record.code as string) || unholdableCodes.has(record.errno as number));
    },
    async query(sql, parameters) {
      const [rows] = await run(sql, parameters);
      return rows as Row[];
    },
    async execute(sql, parameters) {
      const [result] = await run(sql, parameters);
      return (result as { affectedRows?: number }).affectedRows ?? 0;
    },
    classify: (error) => classifyByPatterns(error, configCodes, /^$/u),
    async close() {
      await owned?.end();
    },
  };
}
