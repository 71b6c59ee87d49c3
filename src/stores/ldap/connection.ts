/**
 * LDAP connections for the store: clients made for a list of servers (failover in order), TLS that is never
 * silently weakened, and small pools. Two pools with different jobs, so that no request ever runs under
 * another request's identity: the service pool is bound as the service account and only searches and
 * compares; the bind pool is used for nothing but user binds, each of which replaces the previous identity.
 */
import type { ConnectionOptions } from 'node:tls';
import type { Client, ClientOptions } from 'ldapts';
import { LegacyIdpError, toError } from '../../core/errors.js';
import { importOptional } from '../../core/optional-import.js';

type LdaptsModule = typeof import('ldapts');

let ldapts: Promise<LdaptsModule> | undefined;
/** ldapts is an optional peer: loaded on first use by this subpath only. */
export function loadLdapts(): Promise<LdaptsModule> {
  ldapts ??= importOptional('ldapts', 'legacy-idp/ldap', () => import('ldapts'));
  return ldapts;
}

export interface ConnectionSettings {
  urls: readonly string[];
  tls: ConnectionOptions | undefined;
  startTls: boolean;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
}

/** The TLS options for one URL: the host name is set so certificates are checked against the right name. */
function tlsFor(url: string, tls: ConnectionOptions | undefined): ConnectionOptions {
  const host = new URL(url).hostname.replace(/^\[|\]$/gu, '');
  const isIp = /^[\d.]+$/u.test(host) || host.includes(':');
  // Node checks `servername` (SNI, DNS names only) or else `host`; StartTLS in ldapts passes neither.
  return { ...tls, host, ...(isIp ? {} : { servername: host }) };
}

/**
 * A connected client, trying each URL in order. Connection failures move on to the next server; TLS and
 * certificate failures too, but the last error is what the caller sees.
 */
export async function connect(settings: ConnectionSettings): Promise<Client> {
  const { Client: LdapClient } = await loadLdapts();
  let lastError: Error | undefined;
  for (const url of settings.urls) {
    const secure = url.toLowerCase().startsWith('ldaps:');
    const options: ClientOptions = { url, timeout: settings.operationTimeoutMs, connectTimeout: settings.connectTimeoutMs };
    if (secure) options.tlsOptions = tlsFor(url, settings.tls);
    const client = new LdapClient(options);
    try {
      if (settings.startTls && !secure) await client.startTLS(tlsFor(url, settings.tls));
      else await client.search('', { scope: 'base', attributes: ['1.1'], sizeLimit: 1 }).catch((error: unknown) => {
        // An anonymous read of the root DSE may be refused: the connection is up, which is all we check.
        if (isConnectionError(error)) throw error;
      });
      return client;
    } catch (error) {
      lastError = toError(error);
      closeQuietly(client);
    }
  }
  throw new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `no LDAP server answered (${settings.urls.length} tried)`, { cause: lastError });
}

/**
 * Ends a client without waiting on the server: an unbind to a frozen server would wait as long as the
 * server stays frozen, and nothing depends on its answer.
 */
export function closeQuietly(client: Client): void {
  client.unbind().catch(() => undefined);
}

/** A socket-level failure (refused, reset, timeout, TLS) as opposed to an LDAP result code. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') return false;
  return (
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|socket|timeout|timed out|closed|certificate|self[- ]signed|TLS|SSL/iu.test(
      `${error.name} ${error.message} ${typeof code === 'string' ? code : ''}`,
    )
  );
}

export interface Pool {
  /** Runs `use` on a pooled client; a client that failed at the socket level is dropped, not returned. */
  run<T>(use: (client: Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * At most `size` clients, made on demand by `open` (which also binds them, for the service pool); callers
 * beyond that wait in FIFO order. Idle clients are reused; broken ones are discarded.
 */
export function createPool(size: number, open: () => Promise<Client>): Pool {
  const idle: Client[] = [];
  const waiting: ((client: Client | undefined) => void)[] = [];
  let open_ = 0;
  let closed = false;

  async function acquire(): Promise<Client | undefined> {
    const ready = idle.pop();
    if (ready?.isConnected) return ready;
    if (ready) open_--;
    if (open_ < size) return openCounted();
    return new Promise((resolve) => waiting.push(resolve));
  }

  /**
   * Opens a client in a free slot. When that fails the slot is free again and a waiter is woken to try for
   * itself: otherwise, with the server down, callers queued behind a full pool would wait forever.
   */
  async function openCounted(): Promise<Client> {
    open_++;
    try {
      return await open();
    } catch (error) {
      open_--;
      waiting.shift()?.(undefined);
      throw error;
    }
  }

  function release(client: Client, broken: boolean): void {
    if (broken || closed || !client.isConnected) {
      open_--;
      closeQuietly(client);
      // A waiter gets a fresh slot: it opens its own client.
      waiting.shift()?.(undefined);
      return;
    }
    const next = waiting.shift();
    if (next) next(client);
    else idle.push(client);
  }

  return {
    async run(use) {
      const client = (await acquire()) ?? (await openCounted());
      try {
        const result = await use(client);
        release(client, false);
        return result;
      } catch (error) {
        release(client, isConnectionError(error));
        throw error;
      }
    },
    async close() {
      closed = true;
      const clients = idle.splice(0);
      open_ -= clients.length;
      for (const wake of waiting.splice(0)) wake(undefined);
      for (const client of clients) closeQuietly(client);
      await Promise.resolve();
    },
  };
}
