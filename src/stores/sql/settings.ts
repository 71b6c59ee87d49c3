/** What a dialect needs to connect: a connection string or driver options, or a client the caller made. */
export interface SqlConnectionSettings {
  /** A URL/connection string, or the driver's own options object (pg PoolConfig, mysql2 PoolOptions, mssql config, better-sqlite3 file path). */
  connection: string | Readonly<Record<string, unknown>> | undefined;
  /** A pool/client/database the caller made; the store uses it and does not close it. */
  client: unknown;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  poolSize: number;
  /** Open read-only where the driver can (no write-back configured). */
  readOnly: boolean;
}
