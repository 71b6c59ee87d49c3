import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { LegacyIdpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import { callerMethodsOf } from './caller-auth/shared.js';
import { jitCallerAuth, type JitHandler } from './endpoint.js';
import { bodyPending, toNodeCallRunner, type NodeHostOptions } from './hosts/node.js';

/**
 * The HTTP server of `legacy-idp serve`: JIT handlers on their paths, `/healthz` (the process answers) and
 * `/readyz` (the legacy store answers), TLS with optional client certificates, and a graceful stop that lets
 * calls in flight finish, and says how many it gave up on.
 */

export interface JitServerTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** CAs whose client certificates are accepted (mutual TLS). */
  ca?: string | Buffer;
  /** Ask callers for a certificate; a route's caller authentication decides what it accepts. */
  requestClientCertificate?: boolean;
}

export interface JitServerOptions extends NodeHostOptions {
  host?: string;
  port?: number;
  tls?: JitServerTls;
  /** Path -> handler; exact match. */
  routes: Readonly<Record<string, JitHandler>>;
  /** `/readyz`: resolves true when the legacy store is reachable. */
  ready?: () => Promise<boolean>;
  logger?: Logger;
  /** How long a stop waits for calls in flight before closing their connections. */
  shutdownTimeoutMs?: number;
  /**
   * Called once, right after the server's last line (`jit server stopped`), in the same turn: `abandoned` calls
   * were still running when the stop gave up on them, and go on until their work ends (a hash being computed is
   * not interrupted). `legacy-idp serve` stops its log here, so that none of their lines follows the last one.
   */
  onStopped?: (stop: JitServerStop) => void;
}

export interface JitServerStop {
  /** Calls still running after `shutdownTimeoutMs`: their connections were closed, their answers are lost. */
  abandoned: number;
}

export interface JitServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

const reserved = new Set(['/healthz', '/readyz']);

function sendJson(response: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'x-request-id': requestId, 'cache-control': 'no-store' };
  // A body still arriving (a 404 for a large upload) would be read and dropped until requestTimeout on a kept connection.
  if (bodyPending(response)) headers['connection'] = 'close';
  response.writeHead(status, headers);
  response.end(text);
}

/**
 * A route path a request can reach: the URL parser leaves it as it is. `/api/./verify`, `/a/../verify`,
 * `//api/verify` (a host to the parser) or `/a b` would be listed and never match, since requests are matched on
 * the parsed path.
 */
function isRoutablePath(path: string): boolean {
  return path.startsWith('/') && URL.canParse(path, 'http://localhost') && new URL(path, 'http://localhost').pathname === path;
}

/** Characters the URL parser leaves as they are in a path; `//` at the start would be read as a host. */
const plainPath = /^\/(?!\/)[\w\-.~/]*$/u;
const dotSegment = /\/\.\.?(?:\/|$)/u;

/**
 * The path of a request target. The usual origin form (`/api/verify?x`) is cut at `?` or `#`, which is what
 * the URL parser would return for it, without a URL object per call; anything else (absolute form from a proxy,
 * dot segments, percent-encoding) goes through the parser.
 */
function requestPath(target = '/'): string {
  const end = target.search(/[?#]/u);
  const path = end === -1 ? target : target.slice(0, end);
  if (plainPath.test(path) && !dotSegment.test(path)) return path;
  return URL.canParse(target, 'http://localhost') ? new URL(target, 'http://localhost').pathname : '/';
}

export async function startJitServer(options: JitServerOptions): Promise<JitServer> {
  const logger = options.logger ?? silentLogger;
  for (const [path, handler] of Object.entries(options.routes)) {
    if (!path.startsWith('/') || reserved.has(path)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `route path ${path} must start with / and not be /healthz or /readyz`, { path: 'routes' });
    }
    if (!isRoutablePath(path)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `route path ${JSON.stringify(path)} can never match a request: write it without dot segments (/./, /../), a leading // or characters that need percent-encoding`, { path: 'routes' });
    }
    // The handler's caller check is known when createJitEndpoint made both.
    const callerAuth = jitCallerAuth(handler);
    if (callerAuth !== undefined && callerMethodsOf(callerAuth)?.includes('client-certificate') === true && options.tls?.requestClientCertificate !== true) {
      throw new LegacyIdpError(
        'ERR_LEGACY_IDP_CONFIG_INVALID',
        `route ${path}: its caller authentication takes a client certificate, which no caller can present without tls and tls.requestClientCertificate: true`,
        { path: 'tls.requestClientCertificate' },
      );
    }
  }
  const runners = new Map(Object.entries(options.routes).map(([path, handler]) => [path, toNodeCallRunner(handler, options)]));
  let stopping = false;
  // Calls whose work is not over (their answer is not written, or their connection went and the handler still
  // runs): a stop waits for them, and counts those it gives up on.
  let running = 0;
  let allDone: (() => void) | undefined;
  const callDone = (): void => {
    running -= 1;
    if (running === 0) allDone?.();
  };

  // Each answer being written and its connection: a stop closes every other connection at once (an idle keep-alive,
  // one still sending a request's headers), and these as soon as their answer is written.
  const inFlight = new Map<ServerResponse, Socket>();
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    inFlight.set(response, request.socket);
    response.once('close', () => {
      inFlight.delete(response);
    });
    // Answered during a stop: the connection closes after this answer, not kept for another request.
    if (stopping) response.setHeader('connection', 'close');
    const path = requestPath(request.url);
    const run = runners.get(path);
    if (run) {
      running += 1;
      void run(request, response).finally(callDone);
      return;
    }
    const requestId = randomUUID();
    if (path === '/healthz') {
      sendJson(response, stopping ? 503 : 200, { status: stopping ? 'stopping' : 'ok' }, requestId);
    } else if (path === '/readyz') {
      const check = stopping ? Promise.resolve(false) : (options.ready?.() ?? Promise.resolve(true));
      check
        .catch(() => false)
        .then((ready) => {
          sendJson(response, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable' }, requestId);
        })
        .catch(() => undefined);
    } else {
      request.resume();
      sendJson(response, 404, { error: 'not_found' }, requestId);
    }
  };

  // Node checks the header and request timeouts below only every connectionsCheckingInterval (30 s by default),
  // which let a slow client hold a connection up to 30 s past them; every second keeps them what they say.
  const checking = { connectionsCheckingInterval: 1_000 };
  let server: Server;
  try {
    server = options.tls
      ? createHttpsServer(
          {
            ...checking,
            cert: options.tls.cert,
            key: options.tls.key,
            ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca }),
            requestCert: options.tls.requestClientCertificate ?? false,
            // The handler's caller authentication decides; the TLS layer only reports whether the chain verified.
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
          },
          listener,
        )
      : createHttpServer(checking, listener);
  } catch (error) {
    // OpenSSL's reason ("no start line", "key values mismatch") names the problem and quotes nothing of the key.
    const reason = error instanceof Error ? error.message.replace(/^error:[0-9A-F]+:/u, '') : String(error);
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `tls: the certificate, key or CA cannot be used (${reason})`, { cause: error, path: 'tls' });
  }
  // The connections a stop may have to close: every TCP connection (a TLS one still in its handshake too), and
  // those that carry requests (the TLS socket of an https connection, the TCP one of a plain one).
  const tcpConnections = new Set<Socket>();
  const requestConnections = new Set<Socket>();
  const track = (set: Set<Socket>) => (socket: Socket): void => {
    set.add(socket);
    socket.once('close', () => {
      set.delete(socket);
    });
  };
  server.on('connection', track(tcpConnections));
  server.on(options.tls ? 'secureConnection' : 'connection', track(requestConnections));
  // Slow-loris bounds: a sign-in is one small request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      // A taken port or an address this host does not have is the operator's to fix, not a crash.
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
          ? new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 8080} (${error.code})`, { cause: error })
          : error,
      );
    });
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info('jit server listening', { url, routes: Object.keys(options.routes) });

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    server,
    close() {
      closing ??= stop();
      return closing;
    },
  };

  /**
   * Closes every connection with no answer being written: idle keep-alives, and ones still sending a request's
   * headers (Node's closeIdleConnections leaves those, and a client trickling its headers would hold the stop for
   * the whole shutdownTimeoutMs). One whose last answer is still in its buffer is left for the next round.
   */
  function closeIdle(): void {
    const busy = new Set(inFlight.values());
    for (const socket of requestConnections) {
      if (!busy.has(socket) && socket.writableLength === 0) socket.destroy();
    }
    server.closeIdleConnections();
  }

  async function stop(): Promise<void> {
    stopping = true;
    // Answers still to be written close their connection after them (an answer being written keeps its own).
    for (const response of inFlight.keys()) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
    // Connections are closed as they fall idle, so a stop takes as long as the slowest call in flight, not a
    // keep-alive timeout.
    const idle = setInterval(closeIdle, 50);
    idle.unref();
    const listenerClosed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    closeIdle();
    // A call whose client left is over only when its handler is: its line comes before the server's last one.
    const callsDone = new Promise<void>((resolve) => {
      if (running === 0) resolve();
      else allDone = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<true>((resolve) => {
      // Not unref'd: while a stop runs, this timer keeps the process alive. Without it, a call that never settles
      // would let the event loop empty mid-stop, and `legacy-idp serve` ended (status 13) with no last line and
      // its stores not closed.
      timer = setTimeout(() => {
        resolve(true);
      }, options.shutdownTimeoutMs ?? 10_000);
    });
    const gaveUp = await Promise.race([Promise.all([listenerClosed, callsDone]).then(() => false), timedOut]);
    clearTimeout(timer);
    const abandoned = gaveUp ? running : 0;
    if (gaveUp) {
      // Calls in flight had their time; now their connections go too, and TLS handshakes still going on
      // (closeAllConnections knows only connections that got to HTTP).
      server.closeAllConnections();
      for (const socket of tcpConnections) socket.destroy();
      await listenerClosed;
    }
    clearInterval(idle);
    logger.info('jit server stopped', { url, abandoned });
    options.onStopped?.({ abandoned });
  }
}
