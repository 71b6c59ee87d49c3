import type { Pool, PoolConfig } from 'pg';
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

export async function postgresConnection(settings: SqlConnectionSettings): Promise<SqlConnection> {
  let client = settings.client as PostgresQueryable | undefined;
  let owned: Pool | undefined;
  if (!client) {
    // pg is CommonJS: under Node's ESM loader its classes sit on the default export only.
    const pg = (await importOptional('pg', 'sqlUserStore({ dialect: "postgres" })', () => import('pg'))) as Partial<typeof import('pg')> & { default?: typeof import('pg') };
    const Pool = pg.Pool ?? (pg.default as typeof import('pg')).Pool;
    const base: PoolConfig = typeof settings.connection === 'string' ? { connectionString: settings.connection } : { ...(settings.connection as PoolConfig | undefined) };
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
  return {
    dialect: 'postgres',
    quote: (part) => `"${part}"`,
    placeholder: (index) => `$${index}`,
    limitStyle: 'limit',
    foldCase: sqlFoldCase,
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
