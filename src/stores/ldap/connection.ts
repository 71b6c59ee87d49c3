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

/** Who waits for a pooled client: its `signal`, read only when the pool is full, ends the wait. */
export interface PoolCaller {
  readonly signal?: AbortSignal | undefined;
}

export interface Pool {
  /** Runs `use` on a pooled client; a client that failed at the socket level is dropped, not returned. */
  run<T>(use: (client: Client) => Promise<T>, caller?: PoolCaller): Promise<T>;
  close(): Promise<void>;
}

/** A caller queued for a client: handed one (or, as `undefined`, a free slot to open its own), or failed. */
interface Waiter {
  take(client: Client | undefined): void;
  fail(error: LegacyIdpError): void;
}

/**
 * At most `size` clients, made on demand by `open` (which also binds them, for the service pool); callers
 * beyond that wait in FIFO order, each for at most `maxWaitMs` and never past its own signal, so a frozen
 * server answers every caller within a few timeouts instead of one pool's worth of timeouts after another.
 * Idle clients are reused; broken ones are discarded.
 */
export function createPool(size: number, open: () => Promise<Client>, maxWaitMs: number): Pool {
  const idle: Client[] = [];
  // Insertion-ordered, and a waiter that gives up leaves from the middle in O(1).
  const waiting = new Set<Waiter>();
  let open_ = 0;
  let closed = false;

  function nextWaiter(): Waiter | undefined {
    const [next] = waiting;
    if (next) waiting.delete(next);
    return next;
  }

  /** A slot whose client is gone (never opened, or dropped) goes to the next waiter, which opens its own. */
  function passSlot(): void {
    const next = nextWaiter();
    if (next) next.take(undefined);
    else open_--;
  }

  function wait(caller: PoolCaller | undefined): Promise<Client | undefined> {
    // Read only here: the Authenticator makes its signal on first read (deadline.ts), and a free pool needs none.
    const signal = caller?.signal;
    if (signal?.aborted) return Promise.reject(abortedWait(signal.reason));
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        take(client) {
          settle();
          resolve(client);
        },
        fail(error) {
          waiting.delete(waiter);
          settle();
          reject(error);
        },
      };
      // Leaving the queue is what keeps a caller that gave up from binding later on a client it no longer wants.
      const onAbort = (): void => {
        waiter.fail(abortedWait(signal?.reason));
      };
      const timer = setTimeout(() => {
        waiter.fail(new LegacyIdpError('ERR_LEGACY_IDP_BACKEND_UNAVAILABLE', `no LDAP connection came free within ${maxWaitMs} ms (pool of ${size})`));
      }, maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.add(waiter);
    });
  }

  async function acquire(caller: PoolCaller | undefined): Promise<Client> {
    if (closed) throw closedError();
    let ready = idle.pop();
    while (ready && !ready.isConnected) {
      open_--;
      ready = idle.pop();
    }
    if (ready) return ready;
    if (open_ < size) {
      open_++;
      return openInSlot();
    }
    return (await wait(caller)) ?? openInSlot();
  }

  /**
   * Opens a client in a slot already counted. When that fails the slot passes to a waiter, which tries for
   * itself: otherwise, with the server down, callers queued behind a full pool would wait for nothing.
   */
  async function openInSlot(): Promise<Client> {
    try {
      return await open();
    } catch (error) {
      passSlot();
      throw error;
    }
  }

  function release(client: Client, broken: boolean): void {
    if (broken || closed || !client.isConnected) {
      closeQuietly(client);
      passSlot();
      return;
    }
    const next = nextWaiter();
    if (next) next.take(client);
    else idle.push(client);
  }

  return {
    async run(use, caller) {
      const client = await acquire(caller);
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
      for (let waiter = nextWaiter(); waiter; waiter = nextWaiter()) waiter.fail(closedError());
      for (const client of clients) closeQuietly(client);
      await Promise.resolve();
    },
  };
}

const closedError = (): LegacyIdpError => new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', 'the LDAP store is closed');

/** The caller stopped waiting (its deadline passed): no answer about the password, and no bind for it later. */
const abortedWait = (reason: unknown): LegacyIdpError =>
  new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', 'the caller gave up waiting for an LDAP connection', { cause: reason });
