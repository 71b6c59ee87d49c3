import type { ConnectionPool, config as MssqlConfig } from 'mssql';
import { LegacyIdpError } from '../../core/errors.js';
import { importOptional } from '../../core/optional-import.js';
import { classifyByPatterns, sqlFoldCase, type SqlConnection } from './dialect.js';
import type { SqlConnectionSettings } from './settings.js';

/** A client the store can use: a connected mssql `ConnectionPool` the caller made. */
export type MssqlPool = Pick<ConnectionPool, 'request'>;

// 207 invalid column, 208 invalid object, 102 syntax error, 4060 cannot open database, 2812 no such procedure
const configCodes = new Set([207, 208, 102, 4060, 2812]);

export async function mssqlConnection(settings: SqlConnectionSettings): Promise<SqlConnection> {
  let pool = settings.client as MssqlPool | undefined;
  let owned: ConnectionPool | undefined;
  if (!pool) {
    const module = await importOptional('mssql', 'sqlUserStore({ dialect: "mssql" })', () => import('mssql'));
    const mssql = (module as unknown as { default?: typeof import('mssql') }).default ?? (module);
    const timeouts = { connectionTimeout: settings.connectTimeoutMs, requestTimeout: settings.queryTimeoutMs, pool: { max: settings.poolSize, min: 0 } };
    // A connection string is parsed by mssql itself; an object is the driver's own config. Either way the
    // store's timeouts apply unless the operator's config sets its own.
    const base = typeof settings.connection === 'string' ? mssql.ConnectionPool.parseConnectionString(settings.connection) : (settings.connection as unknown as MssqlConfig | undefined);
    // mssql's parser skips what it does not understand (a URL gives {}), and the driver asks for a server only
    // when it first connects: that would pass for a server that is down instead of a config error now.
    if (typeof base?.server !== 'string' || base.server.trim().length === 0) {
      throw new LegacyIdpError(
        'ERR_LEGACY_IDP_CONFIG_INVALID',
        'sql store options: the mssql `connection` names no server (an ADO.NET-style string such as "Server=host,1433;Database=...;User Id=...;Password=...", or an mssql config object with `server`)',
        { path: 'connection' },
      );
    }
    // tedious waits cancelTimeout (5 s) more for a cancelled request's acknowledgement: a silent server would
    // hold a check for queryTimeoutMs + 5 s. Bound that wait by the query timeout too.
    owned = new mssql.ConnectionPool({ ...timeouts, ...base, options: { cancelTimeout: settings.queryTimeoutMs, ...base.options } });
    // Errors of idle connections surface on the pool; the next query reports the outage instead of a crash.
    owned.on('error', () => undefined);
    pool = owned;
  }
  const target = pool;
  let connecting: Promise<unknown> | undefined;
  // The pool connects on first use and again after a failed connect, so a store built while the server
  // is down recovers when it comes back.
  const ready = async (): Promise<void> => {
    if (!owned || owned.connected) return;
    connecting ??= owned.connect().finally(() => {
      connecting = undefined;
    });
    await connecting;
  };
  const request = async (sql: string, parameters: readonly unknown[]) => {
    await ready();
    const call = target.request();
    parameters.forEach((value, index) => call.input(`P${index + 1}`, value));
    return call.query(sql);
  };
  return {
    dialect: 'mssql',
    quote: (part) => `[${part}]`,
    placeholder: (index) => `@P${index}`,
    limitStyle: 'top',
    foldCase: sqlFoldCase,
    async query(sql, parameters) {
      return (await request(sql, parameters)).recordset;
    },
    async execute(sql, parameters) {
      return (await request(sql, parameters)).rowsAffected.reduce((sum, count) => sum + count, 0);
    },
    classify: (error) => {
      const cause = (error as { originalError?: { info?: { number?: number } }; number?: number } | null) ?? {};
      const number = cause.number ?? cause.originalError?.info?.number;
      return classifyByPatterns({ number }, configCodes, /^$/u);
    },
    async close() {
      await owned?.close();
    },
  };
}
