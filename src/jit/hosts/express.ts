import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JitConnectionInfo, JitHandler } from '../endpoint.js';
import { answerNodeRequest, connectionInfo, writeNodeAnswer } from './node.js';
import { handlerFailure } from './shared.js';

/**
 * Express (5; written to fit 4, not tested there): a JIT handler as a route handler,
 * `app.post('/api/b2c/signin', expressJitRoute(b2c))`. Typed against node:http only, so importing it never
 * loads Express and needs no @types/express.
 */

/** What the adapter reads of Express's `req`: node's request plus what Express and its body parsers add. */
export interface ExpressRequestLike extends IncomingMessage {
  /** Set by a body parser (express.json(), express.raw(), express.text()); undefined when none ran (Express 5). */
  body?: unknown;
  /** The client address under the app's `trust proxy` setting. */
  ip?: string | undefined;
}

export interface ExpressJitRouteOptions {
  /** The client address the handler sees (lockout keys, logs). Default `req.ip`, i.e. Express's `trust proxy` rules. */
  clientIp?: (request: ExpressRequestLike) => string | undefined;
}

export type ExpressJitRoute = (request: ExpressRequestLike, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The body a parser left on `req.body`, as bytes again. The stream is gone by then, so this is the only copy:
 * express.raw() gives the bytes themselves, express.text() a string, express.json() a value that is
 * serialized again (same JSON value; whitespace and escapes of the original are not kept).
 */
function bodyFromParser(body: unknown): Uint8Array | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function expressJitRoute(handler: JitHandler, options: ExpressJitRouteOptions = {}): ExpressJitRoute {
  return (request, response, next) => {
    // A promise chain from the start, so a failure while the call is built also reaches `next`.
    Promise.resolve()
      .then(() => {
        const { remoteAddress: socketAddress, ...connection } = connectionInfo(request);
        const clientIp = options.clientIp ? options.clientIp(request) : (request.ip ?? socketAddress);
        const info: JitConnectionInfo = clientIp === undefined ? connection : { ...connection, remoteAddress: clientIp };
        return answerNodeRequest(handler, request, response, info, bodyFromParser(request.body));
      })
      .then((answer) => {
        writeNodeAnswer(answer, response);
      })
      .catch((error: unknown) => {
        next(handlerFailure(error));
      });
  };
}
