import { X509Certificate } from 'node:crypto';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import type { JitConnectionInfo, JitHandler } from '../endpoint.js';
import { errorName, headerRecord, isTextType, serverErrorBody } from './shared.js';

/**
 * AWS Lambda behind an API Gateway HTTP API (payload format 2.0) or a Lambda function URL (same format):
 * `export const handler = lambdaJitHandler(b2c)`. The event becomes a web Request and the Response a 2.0
 * result, its Set-Cookie values in the result's `cookies` array. The types below are the parts of the event the
 * adapter reads, written out so that it needs no @types/aws-lambda. It was tested against events shaped like the
 * documented 2.0 payload, not run in AWS.
 */

/** What the adapter reads of a payload 2.0 event. */
export interface LambdaHttpEventLike {
  rawPath: string;
  rawQueryString?: string;
  /** Lower-cased names; repeated headers arrive joined with commas. */
  headers?: Readonly<Record<string, string | undefined>>;
  /** The Cookie header, which payload 2.0 moves out of `headers`. */
  cookies?: readonly string[];
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: {
    domainName?: string;
    http: { method: string; sourceIp?: string };
    /** Mutual TLS on an API Gateway custom domain: the certificate API Gateway checked against its truststore. */
    authentication?: { clientCert?: { clientCertPem?: string } } | null;
  };
}

/** A payload 2.0 result. */
export interface LambdaHttpResult {
  statusCode: number;
  /** One value per name: payload 2.0 joins repeated headers with commas, which would break cookies. */
  headers: Record<string, string>;
  /** The answer's Set-Cookie values, one per cookie (API Gateway and function URLs write one header each); absent when none. */
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

export interface LambdaJitOptions {
  /** The client address the handler sees. Default `requestContext.http.sourceIp`, the peer API Gateway or the URL saw. */
  clientIp?: (event: LambdaHttpEventLike) => string | undefined;
  /** Receives a line (the error's class name only) when a handler rejects. Silent by default. */
  logger?: Logger;
}

/** `CN=a\nO=b` (X509Certificate#subject) as the object TLS sockets give: `{ CN: 'a', O: 'b' }`, repeats as arrays. */
function subjectFields(subject: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const line of subject.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1);
    const seen = fields[key];
    fields[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return fields;
}

function clientCertificate(pem: string | undefined): JitConnectionInfo['clientCertificate'] {
  if (pem === undefined || pem === '') return undefined;
  try {
    const certificate = new X509Certificate(pem);
    // API Gateway completes the handshake only for a chain its truststore accepts, so the chain was checked.
    return { fingerprint256: certificate.fingerprint256, subject: subjectFields(certificate.subject), authorized: true };
  } catch {
    // Not a certificate after all: the call goes on without one, and a certificate-pinning caller check refuses it.
    return undefined;
  }
}

export function lambdaJitHandler(handler: JitHandler, options: LambdaJitOptions = {}): (event: LambdaHttpEventLike) => Promise<LambdaHttpResult> {
  const logger = options.logger ?? silentLogger;
  return async (event) => {
    try {
      const headers = new Headers();
      for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
      if (event.cookies !== undefined && event.cookies.length > 0) headers.set('cookie', event.cookies.join('; '));
      const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
      // A Host no URL can hold must not turn into a 500 before the caller is even checked: the handlers do not route
      // on host, so the API's domain or a stand-in does (as the node:http glue does).
      const host = [headers.get('host'), event.requestContext.domainName, 'localhost'].find((candidate) => candidate != null && URL.canParse(`https://${candidate}${event.rawPath}${query}`)) ?? 'localhost';
      const method = event.requestContext.http.method.toUpperCase();
      const body = method === 'GET' || method === 'HEAD' || event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      const request = new Request(`https://${host}${event.rawPath}${query}`, { method, headers, ...(body === undefined ? {} : { body }) });

      const clientIp = options.clientIp ? options.clientIp(event) : event.requestContext.http.sourceIp;
      const certificate = clientCertificate(event.requestContext.authentication?.clientCert?.clientCertPem);
      const connection: JitConnectionInfo = {
        ...(clientIp === undefined ? {} : { remoteAddress: clientIp }),
        ...(certificate === undefined ? {} : { clientCertificate: certificate }),
      };

      const answer = await handler(request, connection);
      const bytes = Buffer.from(await answer.arrayBuffer());
      const text = isTextType(answer.headers.get('content-type'));
      const cookies = answer.headers.getSetCookie();
      return {
        statusCode: answer.status,
        headers: headerRecord(answer.headers),
        ...(cookies.length === 0 ? {} : { cookies }),
        body: bytes.toString(text ? 'utf8' : 'base64'),
        isBase64Encoded: !text,
      };
    } catch (error) {
      logger.error('jit host: the handler failed', { host: 'lambda', error: errorName(error) });
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: serverErrorBody, isBase64Encoded: false };
    }
  };
}
