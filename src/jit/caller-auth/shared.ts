import { hash } from 'node:crypto';
import type { CallerCheck, CallerIdentity } from '../caller-auth.js';
import type { JitConnectionInfo, JitRequestHead } from '../endpoint.js';

/** One caller-authentication method; `createCallerAuth` tries the configured ones and names each in the reason. */
export type CallerMethod = (request: JitRequestHead, connection: JitConnectionInfo) => CallerCheck | Promise<CallerCheck>;

/**
 * The methods each caller check made by `createCallerAuth` tries, so that a server can refuse a set-up in which
 * one can never pass (a client certificate without TLS asking for one). Kept here, not in caller-auth.ts, so the
 * server reads it without loading jose.
 */
const configuredMethods = new WeakMap<object, readonly CallerIdentity['method'][]>();

export function recordCallerMethods(callerAuth: object, methods: readonly CallerIdentity['method'][]): void {
  configuredMethods.set(callerAuth, methods);
}

/** The methods a caller check made by `createCallerAuth` tries; undefined for a function of the caller's own. */
export function callerMethodsOf(callerAuth: object): readonly CallerIdentity['method'][] | undefined {
  return configuredMethods.get(callerAuth);
}

/**
 * SHA-256 of a secret. Both sides of a comparison are digested first so that `timingSafeEqual` always sees
 * 32 bytes: comparing the raw strings would throw on a length mismatch, and that throw (or an early length
 * check) tells an attacker the configured secret's length.
 */
export function digestSecret(value: string): Buffer {
  // One-shot: no Hash object per call (this runs on every JIT call); a string is digested as UTF-8.
  return hash('sha256', value, 'buffer');
}

/** Longer than any credential an IdP sends (an Entra access token is 1-3 KiB); bounds the work per call. */
const maxAuthorizationLength = 16 * 1024;

/**
 * The credentials of `Authorization: <scheme> <credentials>`. The scheme is matched case-insensitively
 * (RFC 9110 §11.1). A reason never quotes the header: whatever the caller put there may be a secret.
 */
export function authorizationCredentials(request: JitRequestHead, scheme: 'Basic' | 'Bearer'): { ok: true; credentials: string } | { ok: false; reason: string } {
  const header = request.headers.get('authorization');
  if (header === null) return { ok: false, reason: 'no Authorization header' };
  if (header.length > maxAuthorizationLength) return { ok: false, reason: `Authorization header longer than ${maxAuthorizationLength} characters` };
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== scheme.toLowerCase()) return { ok: false, reason: `Authorization header is not ${scheme}` };
  const credentials = header.slice(space + 1).replace(/^ +/u, '');
  if (credentials === '') return { ok: false, reason: `Authorization: ${scheme} without credentials` };
  return { ok: true, credentials };
}
