import type { FieldPacket, Pool, PoolOptions } from 'mysql2/promise';
import { importOptional } from '../../core/optional-import.js';
import type { Row } from '../record/mapping.js';
import { classifyByPatterns, sqlFoldCase, type ColumnFolding, type SqlConnection } from './dialect.js';
import type { SqlConnectionSettings } from './settings.js';

/** A client the store can use: a mysql2 promise `Pool` or `Connection` the caller made. */
export interface MysqlQueryable {
  query(options: { sql: string; values?: unknown[]; timeout?: number }): Promise<[unknown, unknown]>;
}

// ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR, ER_PARSE_ERROR, ER_BAD_DB_ERROR, ER_SP_DOES_NOT_EXIST
const configCodes = new Set(['ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR', 'ER_PARSE_ERROR', 'ER_BAD_DB_ERROR', 'ER_SP_DOES_NOT_EXIST', 1146, 1054, 1064, 1049, 1305]);

/** The `binary` character set's id in column metadata (numbers and dates carry it too). */
const binaryCharset = 63;
// VARCHAR, TINY/MEDIUM/LONG BLOB, BLOB, VAR_STRING, STRING: the column types of VARBINARY, BINARY and BLOB.
const stringTypes = new Set([0x0f, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe]);

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
  }
  const queryable = client;
  return {
    dialect: 'mysql',
    quote: (part) => `\`${part}\``,
    placeholder: () => '?',
    limitStyle: 'limit',
    // LOWER()/UPPER() of a binary string (VARBINARY, BINARY, BLOB: MediaWiki's user_name) return it unchanged,
    // so such a column is read as UTF-8 text first. Only binary columns: CONVERT would move a text column to
    // another collation, changing which names compare equal.
    foldCase: (expression, fold, folding) => sqlFoldCase(folding?.binary === true ? `CONVERT(${expression} USING utf8mb4)` : expression, fold),
    async nameColumnFolding(sql) {
      const [, fields] = await queryable.query({ sql, timeout: settings.queryTimeoutMs });
      const binary = new Map<string, ColumnFolding>();
      for (const field of (fields ?? []) as FieldPacket[]) {
        if (field.characterSet === binaryCharset && field.columnType !== undefined && stringTypes.has(field.columnType)) binary.set(field.name, { binary: true });
      }
      return binary;
    },
    async query(sql, parameters) {
      // `query` with values: mysql2 escapes each value as a literal on the client (no server-side prepared
      // statement per lookup), which is safe for values and works on every MySQL/MariaDB version.
      const [rows] = await queryable.query({ sql, values: [...parameters], timeout: settings.queryTimeoutMs });
      return rows as Row[];
    },
    async execute(sql, parameters) {
      const [result] = await queryable.query({ sql, values: [...parameters], timeout: settings.queryTimeoutMs });
      return (result as { affectedRows?: number }).affectedRows ?? 0;
    },
    classify: (error) => classifyByPatterns(error, configCodes, /^$/u),
    async close() {
      await owned?.end();
    },
  };
}
