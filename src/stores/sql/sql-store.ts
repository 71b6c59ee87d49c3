import { z } from 'zod';
import type { MigrationConfirmation } from '../../core/contracts.js';
import { driverRefusal } from '../../core/driver-refusal.js';
import { LegacyIdpError, isLegacyIdpError } from '../../core/errors.js';
import { createUsernameNormalizer, simpleCaseFold, usernameNormalizationSchema } from '../../core/normalize.js';
import { parseOptions } from '../../core/validate.js';
import type { HashRegistry } from '../../hashes/registry.js';
import { mappedFields, recordMappingSchema, type RecordMapping, type Row } from '../record/mapping.js';
import { createRecordUserStore, type FoundRow, type RecordBackend, type RecordUserStore } from '../record/record-store.js';
import { quoteIdentifier, sqlDialects, type ColumnFolding, type SqlConnection, type SqlDialectName } from './dialect.js';
import { resolveSqlPreset, sqlPresetSchema, type SqlPresetParts } from './presets.js';
import type { SqlConnectionSettings } from './settings.js';

/**
 * A user store over a SQL table, view or operator-written SELECT: SQL Server (mssql), PostgreSQL (pg),
 * MySQL/MariaDB (mysql2) and SQLite (better-sqlite3). Only parameterized statements; identifiers checked
 * against a strict pattern and quoted per dialect; `list()` pages by key (never OFFSET).
 */

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const sqlStoreSchema = z
  .object({
    dialect: z.enum(sqlDialects),
    /** A connection URL/string, the driver's options object, or (SQLite) the database file path. */
    connection: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    /** A pool/client/database made by the caller (pg Pool, mysql2 promise Pool, mssql ConnectionPool, better-sqlite3 Database); not closed by the store. */
    client: z.custom<object>((value) => typeof value === 'object' && value !== null, 'must be a driver client object').optional(),
    name: z.string().min(1).optional(),
    /** Ready wiring for a product's schema: `'aspnet-identity'` or `{ name: 'wordpress', tablePrefix: 'wp_' }` (docs/stores/sql.md). */
    preset: sqlPresetSchema.optional(),
    /** The table or view (`schema.table` allowed). */
    table: z.string().min(1).optional(),
    /**
     * A SELECT the operator writes (joins, computed columns); it is used as a sub-query, so it takes no
     * parameters and no trailing semicolon. Configuration, never user input.
     */
    query: z.string().min(1).optional(),
    /** Column equalities every lookup and page adds (`{ realm_id: 'master' }`), as parameters. */
    where: z.record(z.string(), scalar).default({}),
    /** Column mapping; merged over the preset's. Field names here are column names. */
    mapping: recordMappingSchema.partial().optional(),
    /**
     * How the username (and email) column is compared with the normalized login: `lower` (LOWER(col) = ?,
     * any stored case), `upper` (UPPER(col) = ?), `exact` (col = ?, index-friendly for columns that hold a
     * normalized copy, such as NormalizedUserName, or case-insensitive collations). `lower` and `upper` fold the
     * login one character at a time (`simpleCaseFold`), as the databases' LOWER()/UPPER() fold the column.
     */
    usernameMatch: z.enum(['lower', 'upper', 'exact']).optional(),
    /** Also find users by the email column. */
    matchEmail: z.boolean().optional(),
    normalization: usernameNormalizationSchema.optional(),
    /**
     * Optional write-back after a confirmed migration: one parameterized UPDATE of the user's row. Off unless
     * at least one column is named.
     */
    writeBack: z
      .object({
        /** The table to update; defaults to `table` (required when `query` is used). */
        table: z.string().min(1).optional(),
        /** The key column; defaults to the subject id column. */
        key: z.string().min(1).optional(),
        /** Set to the time of the write-back. */
        migratedAtColumn: z.string().min(1).optional(),
        /** Set to true. */
        migratedFlagColumn: z.string().min(1).optional(),
        /** Set to the new directory's object id. */
        objectIdColumn: z.string().min(1).optional(),
        /** Set to an upgraded hash, when the caller passes one. */
        hashColumn: z.string().min(1).optional(),
        /** Set to the upgraded hash's scheme id. */
        schemeColumn: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    registry: z.custom<HashRegistry>((value) => typeof (value as HashRegistry | undefined)?.verify === 'function', 'must be a HashRegistry').optional(),
    connectTimeoutMs: z.number().int().positive().default(5_000),
    queryTimeoutMs: z.number().int().positive().default(5_000),
    poolSize: z.number().int().min(1).max(1_000).default(10),
    /** Rows per `list()` round trip (default 1,000, at most 10,000). */
    batchSize: z.number().int().min(1).max(10_000).default(1_000),
  })
  .strict();

export type SqlStoreOptions = z.input<typeof sqlStoreSchema>;

/** Printable ASCII: every character set holds it (logins with control characters never reach a lookup). */
const asciiText = /^[ -~]*$/u;

/** The column flag a lookup adds to tell username matches from email matches. */
const byUsernameColumn = 'legacy_idp_by_username';
const sourceAlias = 'legacy_idp_source';

const driverPackages: Record<SqlDialectName, string> = { postgres: 'pg', mysql: 'mysql2', sqlite: 'better-sqlite3', mssql: 'mssql' };

async function openConnection(dialect: SqlDialectName, settings: SqlConnectionSettings): Promise<SqlConnection> {
  try {
    switch (dialect) {
      case 'postgres':
        return await (await import('./postgres.js')).postgresConnection(settings);
      case 'mysql':
        return await (await import('./mysql.js')).mysqlConnection(settings);
      case 'sqlite':
        return await (await import('./sqlite.js')).sqliteConnection(settings);
      case 'mssql':
        return await (await import('./mssql.js')).mssqlConnection(settings);
    }
  } catch (error) {
    // Nothing is sent to the server while a connection is built: a driver error here is the driver refusing the
    // options (mysql2 and pg parse the URL; a malformed one is a TypeError holding the whole URL, password
    // included, on `input`). A config error, reported without the URL and without the driver's error itself.
    if (isLegacyIdpError(error)) throw error;
    const path = settings.client === undefined ? 'connection' : 'client';
    throw driverRefusal('sql store options', driverPackages[dialect], error, { path, connection: settings.connection });
  }
}

/** The statements of one store, built once from checked identifiers. */
interface SqlStatements {
  /** The value the lookup compares the name columns with. */
  bound(login: string): string;
  /** `folding`: how the sign-in name columns must be folded (`SqlConnection.nameColumnFolding`). */
  find(login: string, limit: number, folding: ReadonlyMap<string, ColumnFolding>): { sql: string; parameters: unknown[] };
  /** A statement that reads no row, selecting the sign-in name columns (as `legacy_idp_c<n>`), and their names in order. */
  nameColumns(): { sql: string; columns: string[] };
  page(after: unknown, limit: number): { sql: string; parameters: unknown[] };
  /** The first rows in key order whose hash column is not NULL; undefined without a hash column. */
  credentialRows?(after: unknown, limit: number): { sql: string; parameters: unknown[] };
  count(): { sql: string; parameters: unknown[] };
  update?(subjectId: string, confirmation: MigrationConfirmation): { sql: string; parameters: unknown[] } | undefined;
}

function buildStatements(
  connection: SqlConnection,
  parts: {
    table?: string | undefined;
    query?: string | undefined;
    where: Record<string, unknown>;
    mapping: RecordMapping;
    usernameMatch: 'lower' | 'upper' | 'exact';
    matchEmail: boolean;
    /** Columns read for a preset's `transformRow` beyond the mapped ones. */
    extraColumns: readonly string[];
  },
  writeBack: z.output<typeof sqlStoreSchema>['writeBack'],
): SqlStatements {
  const column = (name: string, where: string): string => quoteIdentifier(connection, name, where);
  let source: string;
  if (parts.query !== undefined) {
    const query = parts.query.trim().replace(/;\s*$/u, '');
    if (query.includes(';') || !/^(?:select|with)\b/iu.test(query)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: `query` must be one SELECT (or WITH ... SELECT) without semicolons', { path: 'query' });
    }
    source = `(${query}) ${sourceAlias}`;
  } else if (parts.table !== undefined) {
    source = quoteIdentifier(connection, parts.table, 'table', { qualified: true });
  } else {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: give `table`, `query` or a `preset`', { path: 'table' });
  }
  const fields = [...new Set([...mappedFields(parts.mapping), ...parts.extraColumns])];
  const selectList = fields.map((field) => column(field, `mapping (${field})`)).join(', ');
  const key = column(parts.mapping.subjectId, 'mapping.subjectId');
  const whereEntries = Object.entries(parts.where).map(([name, value]) => ({ column: column(name, `where.${name}`), value }));

  /** Placeholders numbered from `start`; returns the condition text and its parameters. */
  const fixedConditions = (start: number): { text: string[]; parameters: unknown[] } => {
    const text: string[] = [];
    const parameters: unknown[] = [];
    for (const entry of whereEntries) {
      if (entry.value === null) text.push(`${entry.column} IS NULL`);
      else {
        parameters.push(entry.value);
        text.push(`${entry.column} = ${connection.placeholder(start + parameters.length - 1)}`);
      }
    }
    return { text, parameters };
  };
  const { usernameMatch } = parts;
  const compare = (quoted: string, placeholder: string, folding: ColumnFolding | undefined): string =>
    usernameMatch === 'exact' ? `${quoted} = ${placeholder}` : `${connection.foldCase(quoted, usernameMatch, folding)} = ${placeholder}`;
  const withLimit = (select: string, rest: string, limit: number): string => {
    const n = Math.floor(limit);
    return connection.limitStyle === 'top' ? `SELECT TOP (${n}) ${select} ${rest}` : `SELECT ${select} ${rest} LIMIT ${n}`;
  };
  const usernameColumn = column(parts.mapping.username, 'mapping.username');
  const emailColumn = parts.matchEmail && parts.mapping.email !== undefined ? column(parts.mapping.email, 'mapping.email') : undefined;
  if (parts.matchEmail && emailColumn === undefined) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: `matchEmail` needs `mapping.email`', { path: 'matchEmail' });
  }

  /** Up to `limit` rows after the key `after` (undefined: from the first), in key order, under `conditions` too. */
  function keyPage(after: unknown, limit: number, conditions: readonly string[]): { sql: string; parameters: unknown[] } {
    const parameters: unknown[] = [];
    const where = [...conditions];
    if (after !== undefined) {
      parameters.push(after);
      where.push(`${key} > ${connection.placeholder(1)}`);
    }
    const fixed = fixedConditions(parameters.length + 1);
    parameters.push(...fixed.parameters);
    where.push(...fixed.text);
    return { sql: withLimit(selectList, `FROM ${source}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY ${key}`, limit), parameters };
  }

  const statements: SqlStatements = {
    // LOWER()/UPPER() fold the column one character at a time ('Straße' -> 'STRAßE', 'İlker' -> 'ilker'); the
    // login is folded the same way, whatever full fold the normalizer (or an Authenticator before it) applied.
    bound: (login) => (usernameMatch === 'exact' ? login : simpleCaseFold(login, usernameMatch)),
    find(login, limit, folding) {
      const value = statements.bound(login);
      // The login appears once per comparison: `?` placeholders cannot be reused, so it is bound each time. A
      // column whose character set cannot hold the login is not compared at all (the server would refuse it).
      const parameters: unknown[] = [];
      const compareLogin = (name: string, quoted: string): string => {
        const columnFolding = folding.get(name);
        if (connection.canHold?.(value, columnFolding) === false) return '1 = 0';
        parameters.push(value);
        return compare(quoted, connection.placeholder(parameters.length), columnFolding);
      };
      let match: string;
      // Without email matching every hit is a username hit.
      let flag = '1';
      if (emailColumn === undefined) match = compareLogin(parts.mapping.username, usernameColumn);
      else {
        // The flag comes first in the statement's text, as `?` placeholders need.
        flag = `CASE WHEN ${compareLogin(parts.mapping.username, usernameColumn)} THEN 1 ELSE 0 END`;
        match = `(${compareLogin(parts.mapping.username, usernameColumn)} OR ${compareLogin(parts.mapping.email as string, emailColumn)})`;
      }
      const fixed = fixedConditions(parameters.length + 1);
      parameters.push(...fixed.parameters);
      const where = [match, ...fixed.text].join(' AND ');
      return { sql: withLimit(`${selectList}, ${flag} AS ${connection.quote(byUsernameColumn)}`, `FROM ${source} WHERE ${where}`, limit), parameters };
    },
    nameColumns() {
      const columns = [parts.mapping.username, ...(emailColumn === undefined ? [] : [parts.mapping.email as string])];
      // Aliased: the username and email may be one column, and a derived table cannot name a column twice.
      const selected = [usernameColumn, ...(emailColumn === undefined ? [] : [emailColumn])].map((quoted, index) => `${quoted} AS ${connection.quote(`legacy_idp_c${index}`)}`);
      return { sql: `SELECT ${selected.join(', ')} FROM ${source} WHERE 1 = 0`, columns };
    },
    count() {
      const fixed = fixedConditions(1);
      return { sql: `SELECT COUNT(*) AS ${connection.quote('n')} FROM ${source}${fixed.text.length === 0 ? '' : ` WHERE ${fixed.text.join(' AND ')}`}`, parameters: fixed.parameters };
    },
    page: (after, limit) => keyPage(after, limit, []),
    ...(parts.mapping.hash === false
      ? {}
      : {
          // NULL only: an empty value cannot be told from a non-empty one in a way every dialect and column type
          // (varbinary on SQL Server) takes, so empty ones come back and are skipped, a page at a time.
          credentialRows: (after: unknown, limit: number) => keyPage(after, limit, [`${column(parts.mapping.hash as string, 'mapping.hash')} IS NOT NULL`]),
        }),
  };

  if (writeBack?.schemeColumn !== undefined && writeBack.hashColumn === undefined) {
    // The scheme is written only beside an upgraded hash: alone it would make every write-back a no-op.
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: `writeBack.schemeColumn` needs `writeBack.hashColumn` (the scheme is written with an upgraded hash only)', {
      path: 'writeBack.schemeColumn',
    });
  }
  if (writeBack && Object.entries(writeBack).some(([name, value]) => name.endsWith('Column') && value !== undefined)) {
    const table = writeBack.table ?? parts.table;
    if (table === undefined) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: `writeBack.table` is required when the store reads from `query`', {
        path: 'writeBack.table',
      });
    }
    const target = quoteIdentifier(connection, table, 'writeBack.table', { qualified: true });
    const keyColumn = column(writeBack.key ?? parts.mapping.subjectId, 'writeBack.key');
    const optional = (name: string | undefined, where: string): string | undefined => (name === undefined ? undefined : column(name, where));
    const migratedAt = optional(writeBack.migratedAtColumn, 'writeBack.migratedAtColumn');
    const migratedFlag = optional(writeBack.migratedFlagColumn, 'writeBack.migratedFlagColumn');
    const objectId = optional(writeBack.objectIdColumn, 'writeBack.objectIdColumn');
    const hash = optional(writeBack.hashColumn, 'writeBack.hashColumn');
    const scheme = optional(writeBack.schemeColumn, 'writeBack.schemeColumn');
    statements.update = (subjectId, confirmation) => {
      const assignments: string[] = [];
      const parameters: unknown[] = [];
      const set = (quoted: string | undefined, value: unknown): void => {
        if (quoted === undefined) return;
        parameters.push(value);
        assignments.push(`${quoted} = ${connection.placeholder(parameters.length)}`);
      };
      set(migratedAt, new Date());
      set(migratedFlag, true);
      set(objectId, confirmation.objectId);
      if (confirmation.upgradedHash) {
        set(hash, confirmation.upgradedHash.hash);
        if (hash !== undefined) set(scheme, confirmation.upgradedHash.scheme);
      }
      if (assignments.length === 0) return undefined;
      // Only the row whose key is exactly this text: MySQL reads '1abc' as 1 against an integer key.
      const conditions: string[] = [];
      if (connection.keyText) {
        parameters.push(subjectId);
        conditions.push(`${connection.keyText(keyColumn)} = ${connection.placeholder(parameters.length)}`);
      }
      parameters.push(subjectId);
      conditions.push(`${keyColumn} = ${connection.placeholder(parameters.length)}`);
      return { sql: `UPDATE ${target} SET ${assignments.join(', ')} WHERE ${conditions.join(' AND ')}`, parameters };
    };
  }
  return statements;
}

/**
 * Key values as cursors, JSON that gives the same key back after a restart: numbers and text as themselves,
 * bigints in decimal (bound as text, which the databases read back into the integer column), and tagged forms
 * for the types JSON lacks: `{"$hex": ...}` for binary and `{"$date": ...}` for dates. Binary or a date bound
 * as text would compare with the column as text, and the next page would start at the wrong row.
 */
function cursorOf(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date && !Number.isNaN(value.getTime())) return JSON.stringify({ $date: value.toISOString() });
  if (value instanceof Uint8Array) return JSON.stringify({ $hex: Buffer.from(value).toString('hex') });
  throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store: the subject id column must hold numbers, text, dates or binary (it orders list())');
}

/** A cursor back to the key value; plain strings and numbers are also what earlier versions wrote. */
function parseCursor(cursor: string): unknown {
  const value: unknown = JSON.parse(cursor);
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 1) {
    const { $hex, $date } = value as { $hex?: unknown; $date?: unknown };
    if (typeof $hex === 'string' && /^(?:[0-9a-f]{2})*$/u.test($hex)) return Buffer.from($hex, 'hex');
    if (typeof $date === 'string' && !Number.isNaN(Date.parse($date))) return new Date($date);
  }
  throw new TypeError('cursor is not a key value');
}

export async function sqlUserStore(options: SqlStoreOptions): Promise<RecordUserStore> {
  const config = parseOptions(sqlStoreSchema, options, 'sql store options');
  const preset: SqlPresetParts | undefined = config.preset === undefined ? undefined : resolveSqlPreset(config.preset);
  const mapping = parseOptions(recordMappingSchema, { ...preset?.mapping, ...config.mapping }, 'sql store options (mapping)');
  const normalization = config.normalization ?? preset?.normalization ?? {};
  const normalize = createUsernameNormalizer(normalization);
  // A preset may name the table and key of its write-back; the operator's columns switch it on.
  const writeBack = config.writeBack === undefined ? preset?.writeBack : { ...preset?.writeBack, ...config.writeBack };
  const writes = writeBack !== undefined && Object.entries(writeBack).some(([name, value]) => name.endsWith('Column') && value !== undefined);
  const name = config.name ?? (preset ? `sql:${preset.name}` : `sql:${config.dialect}`);

  const connection = await openConnection(config.dialect, {
    connection: config.connection,
    client: config.client,
    connectTimeoutMs: config.connectTimeoutMs,
    queryTimeoutMs: config.queryTimeoutMs,
    poolSize: config.poolSize,
    readOnly: !writes,
  });
  const usernameMatch = config.usernameMatch ?? preset?.usernameMatch ?? 'lower';
  let statements: SqlStatements;
  try {
    statements = buildStatements(
      connection,
      {
        table: config.table ?? (config.query === undefined ? preset?.table : undefined),
        query: config.query ?? (config.table === undefined ? preset?.query : undefined),
        where: { ...preset?.where, ...config.where },
        mapping,
        usernameMatch,
        matchEmail: config.matchEmail ?? preset?.matchEmail ?? false,
        extraColumns: preset?.extraColumns ?? [],
      },
      writeBack,
    );
  } catch (error) {
    await connection.close();
    throw error;
  }

  const transform = preset?.transformRow;
  const rows = (result: Row[]): Row[] => (transform ? result.map(transform) : result);
  const update = statements.update?.bind(statements);
  // Read once, on the first lookup (the server may be down while the store is built); a failure is retried.
  const probeFolding = connection.nameColumnFolding?.bind(connection);
  let folding: ReadonlyMap<string, ColumnFolding> | undefined = probeFolding === undefined ? new Map() : undefined;
  let probing: Promise<ReadonlyMap<string, ColumnFolding>> | undefined;
  const nameColumnFolding = async (): Promise<ReadonlyMap<string, ColumnFolding>> => {
    const { sql, columns } = statements.nameColumns();
    probing ??= (probeFolding as NonNullable<typeof probeFolding>)(sql, columns, usernameMatch).finally(() => {
      probing = undefined;
    });
    folding = await probing;
    return folding;
  };
  const backend: RecordBackend = {
    async find(login, limit) {
      const { sql, parameters } = statements.find(login, limit, folding ?? (await nameColumnFolding()));
      let found: Row[];
      try {
        found = await connection.query(sql, parameters);
      } catch (error) {
        // A login with characters a name column's character set lacks (a Greek name, a latin1 table) names nobody;
        // as a backend failure anyone could make the store look down, and such attempts would go uncounted. Not
        // for an ASCII login, which every character set holds: that error is the configuration's.
        if (connection.isUnholdableValue?.(error) === true && !asciiText.test(statements.bound(login))) return [];
        throw error;
      }
      return rows(found).map((row): FoundRow => ({ row, byUsername: Number(row[byUsernameColumn]) === 1 }));
    },
    async page(after, limit) {
      const { sql, parameters } = statements.page(after, limit);
      return rows(await connection.query(sql, parameters));
    },
    ...(statements.credentialRows === undefined
      ? {}
      : {
          async credentialRows(after: unknown, limit: number) {
            const { sql, parameters } = (statements.credentialRows as NonNullable<SqlStatements['credentialRows']>)(after, limit);
            return rows(await connection.query(sql, parameters));
          },
        }),
    async count() {
      const { sql, parameters } = statements.count();
      const [row] = await connection.query(sql, parameters);
      return Number(row?.['n'] ?? 0);
    },
    cursorOf: (row) => cursorOf(row[mapping.subjectId]),
    parseCursor,
    // The store's own refusals (a column it cannot fold, postgres.ts) are configuration, like a missing column.
    classify: (error) => (isLegacyIdpError(error) && error.code === 'ERR_LEGACY_IDP_CONFIG_INVALID' ? 'misconfigured' : connection.classify(error)),
    ...(update
      ? {
          async markMigrated(subjectId: string, confirmation: MigrationConfirmation) {
            const statement = update(subjectId, confirmation);
            if (!statement) return false;
            return (await connection.execute(statement.sql, statement.parameters)) > 0;
          },
        }
      : {}),
    close: () => connection.close(),
  };

  let registry = config.registry;
  const ownsRegistry = registry === undefined;
  registry ??= (await import('../../hashes/registry.js')).createHashRegistry();
  return createRecordUserStore({ name, backend, mapping, registry, ownsRegistry, normalize, batchSize: config.batchSize, maxBatchSize: 10_000 });
}
