import type { Database } from 'better-sqlite3';
import { importOptional } from '../../core/optional-import.js';
import { LegacyIdpError } from '../../core/errors.js';
import { simpleCaseFold } from '../../core/normalize.js';
import type { Row } from '../record/mapping.js';
import { classifyByPatterns, type SqlConnection } from './dialect.js';
import type { SqlConnectionSettings } from './settings.js';

/** SQLite has no Date or boolean type: bind what the tables hold (ISO text, 0/1). */
function sqliteValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

const sqliteFoldFunctions = { lower: 'legacy_idp_lower', upper: 'legacy_idp_upper' } as const;

/**
 * Registers SQL functions under `names` that fold text as `simpleCaseFold` folds the login: one character at a
 * time, as SQL Server's LOWER() and UPPER() do (any other value passes unchanged). The TDS test server uses it to
 * give SQLite SQL Server's LOWER() and UPPER().
 */
export function registerCaseFolding(db: Database, names: { readonly lower: string; readonly upper: string }): void {
  db.function(names.lower, { deterministic: true }, (value: unknown) => (typeof value === 'string' ? simpleCaseFold(value, 'lower') : value));
  db.function(names.upper, { deterministic: true }, (value: unknown) => (typeof value === 'string' ? simpleCaseFold(value, 'upper') : value));
}

export async function sqliteConnection(settings: SqlConnectionSettings): Promise<SqlConnection> {
  let database = settings.client as Database | undefined;
  let owned = false;
  if (!database) {
    const path = typeof settings.connection === 'string' ? settings.connection.replace(/^sqlite:(?:\/\/)?/u, '') : undefined;
    if (path === undefined || path.length === 0) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'sql store options: dialect "sqlite" needs `connection` (the database file path) or `client`', {
        path: 'connection',
      });
    }
    const module = await importOptional('better-sqlite3', 'sqlUserStore({ dialect: "sqlite" })', () => import('better-sqlite3'));
    const Database = (module as unknown as { default?: typeof import('better-sqlite3') }).default ?? (module as unknown as typeof import('better-sqlite3'));
    try {
      // fileMustExist: a typo in the path must not silently create an empty database of no users.
      database = new Database(path, { readonly: settings.readOnly, fileMustExist: true, timeout: settings.queryTimeoutMs });
    } catch (error) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `sqlite: cannot open the database file`, { cause: error });
    }
    owned = true;
  }
  const db = database;
  // SQLite's own LOWER() and UPPER() fold ASCII letters only (unless built with ICU, which better-sqlite3 is
  // not): LOWER('Élodie') stays 'Élodie' and never equals the login 'élodie'. These fold as the login is folded.
  // Registered on this connection only, under names of our own, so a client the caller gave keeps its LOWER().
  registerCaseFolding(db, sqliteFoldFunctions);
  // Prepared statements are cached per SQL text: the store issues a handful of distinct statements.
  const statements = new Map<string, ReturnType<Database['prepare']>>();
  const prepare = (sql: string): ReturnType<Database['prepare']> => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    dialect: 'sqlite',
    quote: (part) => `"${part}"`,
    placeholder: () => '?',
    limitStyle: 'limit',
    foldCase: (expression, fold) => `${sqliteFoldFunctions[fold]}(${expression})`,
    query(sql, parameters) {
      // better-sqlite3 is synchronous; a rejected promise keeps the async contract of the other dialects.
      try {
        return Promise.resolve(prepare(sql).all(parameters.map(sqliteValue)) as Row[]);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    execute(sql, parameters) {
      try {
        return Promise.resolve(prepare(sql).run(parameters.map(sqliteValue)).changes);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    classify: (error) => classifyByPatterns(error, new Set(), /no such (?:table|column|function)|syntax error/iu),
    close() {
      statements.clear();
      if (owned && db.open) db.close();
      return Promise.resolve();
    },
  };
}
