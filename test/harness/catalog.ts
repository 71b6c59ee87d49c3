/**
 * What the harness knows about each server: names, default URLs and which suites need it.
 * Kept free of vitest imports so both globalSetup (main process) and test files can use it.
 */

export const SERVICE_NAMES = ['postgres', 'mariadb', 'redis', 'slapd', 'redis-server', 'samba-ad'] as const;

export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface ServiceStatus {
  readonly available: boolean;
  /** Why the service is unavailable; empty when it is available. */
  readonly reason: string;
}

export type ServiceAvailability = Readonly<Record<ServiceName, ServiceStatus>>;

export interface ServiceUrls {
  readonly postgres: string;
  readonly mariadb: string;
  readonly redis: string;
}

/** Suites skipped when a service is missing; named in the one-line skip notice. */
export const SUITES_BY_SERVICE: Readonly<Record<ServiceName, readonly string[]>> = {
  postgres: ['test/services/postgres.test.ts', 'test/stores/sql/sql-store.test.ts (PostgreSQL)', 'test/stores/sql/presets.test.ts (PostgreSQL)', 'test/premigrate/premigrate-sources.test.ts (PostgreSQL)', 'test/stores/sql/sql-postgres-ctype.test.ts', 'test/hashes/postgres-server.test.ts'],
  mariadb: ['test/services/mariadb.test.ts', 'test/stores/sql/sql-store.test.ts (MariaDB)', 'test/stores/sql/presets.test.ts (MariaDB)'],
  redis: ['test/services/redis.test.ts', 'test/lockout/redis-store.test.ts', 'test/lockout/redis-two-processes.test.ts'],
  slapd: ['test/services/slapd.test.ts', 'test/stores/ldap/ldap-store.test.ts', 'test/stores/ldap/ldap-fault.test.ts', 'test/jit/serve-e2e.test.ts (LDAP + Redis)', 'test/premigrate/premigrate-sources.test.ts (LDAP)'],
  'redis-server': ['test/services/redis-server.test.ts', 'test/lockout/redis-fault.test.ts', 'test/lockout/redis-store.test.ts (Redis Cluster)'],
  'samba-ad': ['test/services/samba-ad.test.ts', 'test/stores/ldap/active-directory-store.test.ts'],
};

export const DEFAULT_URLS: ServiceUrls = {
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
  mariadb: 'mysql://root@127.0.0.1:3306',
  redis: 'redis://127.0.0.1:6379/0',
};

export const URL_ENV: Readonly<Record<keyof ServiceUrls, string>> = {
  postgres: 'LEGACY_IDP_TEST_PG_URL',
  mariadb: 'LEGACY_IDP_TEST_MYSQL_URL',
  redis: 'LEGACY_IDP_TEST_REDIS_URL',
};

export function resolveUrls(env: NodeJS.ProcessEnv = process.env): ServiceUrls {
  const pick = (key: keyof ServiceUrls): string => {
    const value = env[URL_ENV[key]];
    return value !== undefined && value !== '' ? value : DEFAULT_URLS[key];
  };
  return { postgres: pick('postgres'), mariadb: pick('mariadb'), redis: pick('redis') };
}

/** Strips the password from a URL so it can appear in messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}

export function skipNotice(name: ServiceName, reason: string): string {
  return `legacy-idp tests: skipping ${name} suites (${SUITES_BY_SERVICE[name].join(', ')}): ${reason}`;
}

declare module 'vitest' {
  export interface ProvidedContext {
    legacyIdpServices: ServiceAvailability;
    legacyIdpUrls: ServiceUrls;
  }
}
