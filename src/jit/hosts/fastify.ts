import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JitAnswer, JitConnectionInfo, JitHandler } from '../endpoint.js';
import { answerNodeRequest, connectionInfo } from './node.js';
import { handlerFailure } from './shared.js';

/**
 * Fastify (5; written to fit 4, not tested there): a JIT handler as a plugin holding one POST route,
 * `app.register(fastifyJitPlugin, { path: '/api/b2c/signin', handler: b2c })`.
 *
 * The plugin's scope drops the content-type parsers it inherited and keeps every body as the raw bytes, so the
 * handler reads exactly what the caller sent and the endpoint answers a wrong content type or an oversized
 * body in its protocol's own shape. Fastify encapsulates the scope: the app's other routes keep their parsers.
 * Typed structurally, so importing it never loads Fastify.
 */

export interface FastifyJitPluginOptions {
  /** The route's path inside the plugin's scope (`prefix` of `register` comes in front). */
  path: string;
  handler: JitHandler;
  /**
   * Fastify's own limit while it buffers the body, default the app's `bodyLimit` (1 MiB). Keep it above the
   * endpoint's `maxBodyBytes` (16 KiB by default): then the endpoint answers an oversized body itself, in its
   * protocol's shape, and Fastify's generic 413 is only for bodies above this.
   */
  bodyLimit?: number;
  /** The client address the handler sees. Default `request.ip`, i.e. Fastify's `trustProxy` rules. */
  clientIp?: (request: FastifyRequestLike) => string | undefined;
}

/** What the adapter reads of a Fastify request. */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  body?: unknown;
  ip?: string;
}

/** What the adapter uses of a Fastify reply. */
export interface FastifyReplyLike {
  raw: ServerResponse;
  code(statusCode: number): FastifyReplyLike;
  /** An array value (Set-Cookie) is written as one header line per item. */
  headers(values: Record<string, string | string[]>): FastifyReplyLike;
  send(payload: Buffer): FastifyReplyLike;
}

/** What the plugin uses of the Fastify instance it is registered on. */
export interface FastifyScopeLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: unknown, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => void,
  ): void;
  post(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike>): unknown;
}

// Returns a promise so that Fastify treats it as an async plugin, done when it returns.
export function fastifyJitPlugin(scope: FastifyScopeLike, options: FastifyJitPluginOptions): Promise<void> {
  const { handler } = options;
  scope.removeAllContentTypeParsers();
  // `*` takes every content type, so the endpoint, not Fastify, answers one it does not accept.
  scope.addContentTypeParser('*', { parseAs: 'buffer', ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }) }, (_request, body, done) => {
    done(null, body);
  });
  scope.post(options.path, async (request, reply) => {
    let answer: JitAnswer;
    try {
      const { remoteAddress: socketAddress, ...connection } = connectionInfo(request.raw);
      const clientIp = options.clientIp ? options.clientIp(request) : (request.ip ?? socketAddress);
      const info: JitConnectionInfo = clientIp === undefined ? connection : { ...connection, remoteAddress: clientIp };
      // No body at all (Fastify runs no parser then) is an empty one: the stream is not read twice.
      const body = request.body instanceof Uint8Array ? request.body : new Uint8Array();
      answer = await answerNodeRequest(handler, request.raw, reply.raw, info, body);
    } catch (error) {
      throw handlerFailure(error);
    }
    const headers: Record<string, string | string[]> = { ...answer.headers };
    if (answer.setCookies !== undefined) headers['set-cookie'] = [...answer.setCookies];
    return reply.code(answer.status).headers(headers).send(answer.bytes === undefined ? Buffer.from(answer.text, 'utf8') : Buffer.from(answer.bytes));
  });
  return Promise.resolve();
}
