import type { IncomingMessage } from 'node:http';
import type { JitConnectionInfo, JitHandler } from '../endpoint.js';
import { connectionInfo } from './node.js';
import { handlerFailure } from './shared.js';

/**
 * Hono (4): a JIT handler as a route handler, `app.post('/api/b2c/signin', honoJitRoute(b2c))`. Hono already
 * speaks web Requests, so the request goes through untouched (`c.req.raw`, its body unread). What a Request
 * cannot carry comes from the runtime's bindings: on Node (@hono/node-server, or any bridge that passes
 * `{ incoming }` as the env), the socket's address and client certificate. Other runtimes expose the peer in
 * their own way; pass `clientIp` for them. Typed structurally, so importing it never loads Hono.
 */

/** What the adapter reads of Hono's Context. */
export interface HonoContextLike {
  req: { raw: Request };
  env?: unknown;
}

export interface HonoJitRouteOptions {
  /** The client address the handler sees, for runtimes other than Node (Bun, Deno, Workers' `cf-connecting-ip`). */
  clientIp?: (context: HonoContextLike) => string | undefined;
}

/** `env.incoming` as @hono/node-server sets it: the node:http request, whose socket knows the peer. */
function nodeIncoming(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const incoming = (env as { incoming?: unknown }).incoming;
  if (typeof incoming !== 'object' || incoming === null) return undefined;
  const { socket } = incoming as { socket?: unknown };
  return typeof socket === 'object' && socket !== null ? (incoming as IncomingMessage) : undefined;
}

export function honoJitRoute(handler: JitHandler, options: HonoJitRouteOptions = {}): (context: HonoContextLike) => Promise<Response> {
  return async (context) => {
    try {
      const incoming = nodeIncoming(context.env);
      const seen: JitConnectionInfo = incoming ? connectionInfo(incoming) : {};
      const { remoteAddress: socketAddress, ...connection } = seen;
      const clientIp = options.clientIp ? options.clientIp(context) : socketAddress;
      const info: JitConnectionInfo = clientIp === undefined ? connection : { ...connection, remoteAddress: clientIp };
      return await handler(context.req.raw, info);
    } catch (error) {
      // Hono's onError answers it (a fixed 500 by default).
      throw handlerFailure(error);
    }
  };
}
