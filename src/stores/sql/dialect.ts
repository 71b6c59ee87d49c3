import { LegacyIdpError } from '../../core/errors.js';
import type { UnavailableReason } from '../../core/outcome.js';
import type { Row } from '../record/mapping.js';

/**
 * What the SQL store needs from a database: identifier quoting, parameter placeholders, a row-limit form,
 * and parameterized execution. One file per dialect implements it over its driver (loaded lazily).
 */

export const sqlDialects = ['postgres', 'mysql', 'sqlite', 'mssql'] as const;
export type SqlDialectName = (typeof sqlDialects)[number];

export interface SqlConnection {
  readonly dialect: SqlDialectName;
  /** Quotes one identifier part already checked by `checkIdentifier`. */
  quote(part: string): string;
  /** The placeholder of the `index`-th parameter (1-based): `$1`, `?`, `@P1`. */
  placeholder(index: number): string;
  /** `limit`: `... LIMIT n`; `top`: `SELECT TOP (n) ...` (SQL Server). */
  readonly limitStyle: 'limit' | 'top';
  /**
   * An SQL expression folding the case of `expression` (a quoted column) as `simpleCaseFold` (core/normalize.ts)
   * folds the login: one character at a time with Unicode's simple mappings, for every alphabet, not only for
   * ASCII. `folding` is what `nameColumnFolding` found for that column.
   */
  foldCase(expression: string, fold: 'lower' | 'upper', folding?: ColumnFolding): string;
  /**
   * What the lookup must know about the sign-in name columns: where the dialect's plain LOWER()/UPPER() would not
   * fold them as `simpleCaseFold` does, and (MySQL/MariaDB) a character set that cannot hold every login. `sql`
   * selects `columns` (in order, as `legacy_idp_c0`, `legacy_idp_c1`, ...) and reads no row; `match` is the
   * store's `usernameMatch`. Asked once, before the first lookup; a column it leaves out needs nothing special.
   */
  nameColumnFolding?(sql: string, columns: readonly string[], match: 'lower' | 'upper' | 'exact'): Promise<ReadonlyMap<string, ColumnFolding>>;
  /**
   * False when the column cannot hold `value` at all (a login with Greek letters and a latin1 column): the lookup
   * leaves that comparison out rather than sending a value the server refuses to compare.
   */
  canHold?(value: string, folding: ColumnFolding | undefined): boolean;
  /**
   * The column's value as text, for a write-back that must name one row by exactly its key: MySQL casts '1abc' to
   * the number 1 when it compares it with an integer key, so `key = '1abc'` would update row 1.
   */
  keyText?(expression: string): string;
  /**
   * True for the error a lookup gets when the login holds characters a name column's character set lacks (MySQL's
   * "illegal mix of collations"): no user can have such a name, so it is no match rather than a backend failure.
   */
  isUnholdableValue?(error: unknown): boolean;
  /** Runs a parameterized SELECT. */
  query(sql: string, parameters: readonly unknown[]): Promise<Row[]>;
  /** Runs a parameterized UPDATE; resolves the number of rows changed. */
  execute(sql: string, parameters: readonly unknown[]): Promise<number>;
  /** 'misconfigured' when the operator must act (a missing table or column, a syntax error in the query). */
  classify(error: unknown): UnavailableReason;
  close(): Promise<void>;
}

/** What a dialect found about one sign-in name column that changes how `foldCase` folds it or what it can hold. */
export interface ColumnFolding {
  /** MySQL/MariaDB: the column holds a binary string (VARBINARY, BLOB), which LOWER() leaves unchanged. */
  readonly binary?: boolean;
  /** MySQL/MariaDB: the column's character set, when it is not one that holds every character (latin1, utf8mb3). */
  readonly charset?: string;
  /** PostgreSQL: the column's collation does not fold as `simpleCaseFold` does; fold under this collation instead. */
  readonly collation?: string;
}

/**
 * LOWER()/UPPER(): one character at a time, with Unicode's simple mappings, in SQL Server, MySQL/MariaDB, and
 * PostgreSQL under a libc UTF-8 ctype (postgres.ts checks the columns).
 */
export function sqlFoldCase(expression: string, fold: 'lower' | 'upper'): string {
  return `${fold === 'lower' ? 'LOWER' : 'UPPER'}(${expression})`;
}

/**
 * A plain identifier, optionally qualified (`schema.table`, `db.schema.table`). Letters, digits, `_` and
 * `$`, not starting with a digit: every name the presets need, and nothing that could end a quoted name.
 */
const identifierPart = /^[A-Za-z_][A-Za-z0-9_$]{0,127}$/u;

export function checkIdentifier(name: string, where: string, options: { qualified?: boolean } = {}): string[] {
  const parts = name.split('.');
  const ok = parts.length >= 1 && parts.length <= (options.qualified ? 3 : 1) && parts.every((part) => identifierPart.test(part));
  if (!ok) {
    throw new LegacyIdpError(
      'ERR_LEGACY_IDP_CONFIG_INVALID',
      `${where}: "${name.slice(0, 80)}" is not a plain ${options.qualified ? 'table name (letters, digits, _ and $; schema.table allowed)' : 'column name (letters, digits, _ and $)'}`,
      { path: where },
    );
  }
  return parts;
}

export function quoteIdentifier(connection: SqlConnection, name: string, where: string, options: { qualified?: boolean } = {}): string {
  return checkIdentifier(name, where, options)
    .map((part) => connection.quote(part))
    .join('.');
}

/** Error codes and messages that mean the configuration is wrong rather than the server down. */
export function classifyByPatterns(error: unknown, codes: ReadonlySet<string | number>, messages: RegExp): UnavailableReason {
  const record = error as { code?: unknown; number?: unknown; errno?: unknown; message?: unknown } | null;
  if (record && typeof record === 'object') {
    for (const value of [record.code, record.number, record.errno]) {
      if ((typeof value === 'string' || typeof value === 'number') && codes.has(value)) return 'misconfigured';
    }
    if (typeof record.message === 'string' && messages.test(record.message)) return 'misconfigured';
  }
  return 'backend_error';
}
