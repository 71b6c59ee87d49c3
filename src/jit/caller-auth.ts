import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import { hasFunction, isPromise, parseOptions } from '../core/validate.js';
import { apiKeyMethod, apiKeySchema } from './caller-auth/api-key.js';
import { basicMethod, basicSchema } from './caller-auth/basic.js';
import { bearerMethod, bearerSchema } from './caller-auth/bearer.js';
import { clientCertificateMethod, clientCertificateSchema } from './caller-auth/client-certificate.js';
import { recordCallerMethods, type CallerMethod } from './caller-auth/shared.js';
import type { JitConnectionInfo, JitRequestHead } from './endpoint.js';

/**
 * Who is calling the JIT endpoint. The new IdP must prove itself before the endpoint checks any password:
 * an open endpoint is a password oracle and a lockout-bypass for anyone who finds it.
 */
export interface CallerIdentity {
  method: 'basic' | 'api-key' | 'client-certificate' | 'bearer' | 'insecure-dev';
  /** The Basic user, the API key's label, the certificate subject CN, or the token's `azp`/`appid`. */
  subject?: string;
}

export type CallerCheck = { ok: true; identity: CallerIdentity } | { ok: false; reason: string };

/** A web Request is a JitRequestHead, so a CallerAuthenticator can be called with one directly. */
export type CallerAuthenticator = (request: JitRequestHead, connection: JitConnectionInfo) => Promise<CallerCheck>;

export { entraBearer, entraCustomExtensionCallerId } from './caller-auth/bearer.js';
export type { BearerOptions, EntraBearerOptions, EntraBearerPreset } from './caller-auth/bearer.js';
export type { ApiKeyOptions } from './caller-auth/api-key.js';
export type { BasicOptions } from './caller-auth/basic.js';
export type { ClientCertificateOptions } from './caller-auth/client-certificate.js';
export type { JwsAlgorithm } from './caller-auth/bearer-keys.js';

const methodNames = ['clientCertificate', 'apiKey', 'basic', 'bearer'] as const;

/** Options of `createCallerAuth` (docs/jit-security.md). A call passes when any configured method accepts it. */
export const callerAuthSchema = z
  .object({
    /** HTTP Basic: B2C `AuthenticationType` `Basic`. */
    basic: basicSchema.optional(),
    /** A key in a header: B2C `AuthenticationType` `ApiKeyHeader`. */
    apiKey: apiKeySchema.optional(),
    /** Mutual TLS, pinned by fingerprint and/or CN: B2C `AuthenticationType` `ClientCertificate`. */
    clientCertificate: clientCertificateSchema.optional(),
    /** A JWT: B2C `AuthenticationType` `Bearer`, and Microsoft Entra custom authentication extensions. */
    bearer: bearerSchema.optional(),
    /** Accept every caller, for local development only (B2C's `AuthenticationType` `None`). Logged as a warning. */
    insecureDev: z.boolean().default(false),
    /** Receives the insecureDev warning. */
    logger: z.custom<Logger>(hasFunction('warn'), 'expected a Logger').optional(),
  })
  .strict()
  .superRefine((options, context) => {
    const configured = methodNames.filter((name) => options[name] !== undefined);
    if (configured.length === 0 && !options.insecureDev) {
      context.addIssue({ code: 'custom', message: `configure at least one of ${methodNames.join(', ')} (insecureDev: true only for local development)` });
    }
    if (configured.length > 0 && options.insecureDev) {
      // Either the endpoint is protected or it is not; a stray insecureDev would silently open it.
      context.addIssue({ code: 'custom', path: ['insecureDev'], message: `cannot be combined with ${configured.join(', ')}: it would accept every caller` });
    }
  });

export type CallerAuthOptions = z.input<typeof callerAuthSchema>;

/** The `prepare` of each CallerAuthenticator createCallerAuth made; a function of the caller's own has none. */
const preparations = new WeakMap<CallerAuthenticator, () => Promise<string[]>>();

const insecureWarning = 'JIT caller authentication is OFF (insecureDev): every caller is accepted and the endpoint is an open password oracle. Local development only.';

/**
 * Builds the caller check the JIT endpoint runs before anything else. Methods are tried cheapest first
 * (certificate, API key, Basic, then a token that may need a JWKS fetch); the first that accepts wins. A
 * refusal's reason names every method tried and why it failed, for the operator's log: the endpoint answers
 * the caller with a bare 401. Reasons never quote a credential.
 */
export function createCallerAuth(options: CallerAuthOptions): CallerAuthenticator {
  const settings = parseOptions(callerAuthSchema, options, 'caller authentication');
  if (settings.insecureDev) {
    // Loud on purpose: a forgotten development flag must show up in the first lines of any log.
    if (settings.logger === undefined) process.emitWarning(insecureWarning, { code: 'LEGACY_IDP_INSECURE_CALLER_AUTH' });
    else settings.logger.warn(insecureWarning, { insecureDev: true });
    return () => Promise.resolve({ ok: true, identity: { method: 'insecure-dev' } });
  }

  const methods: CallerMethodEntry[] = [];
  if (settings.clientCertificate !== undefined) methods.push({ name: 'client-certificate', check: clientCertificateMethod(settings.clientCertificate) });
  if (settings.apiKey !== undefined) methods.push({ name: 'api-key', check: apiKeyMethod(settings.apiKey) });
  if (settings.basic !== undefined) methods.push({ name: 'basic', check: basicMethod(settings.basic) });
  if (settings.bearer !== undefined) methods.push({ name: 'bearer', ...bearerMethod(settings.bearer) });

  /** One method's answer; its exception is a refusal naming the error's class, never its message. */
  const run = (method: CallerMethodEntry, request: JitRequestHead, connection: JitConnectionInfo): CallerCheck | Promise<CallerCheck> => {
    try {
      const result = method.check(request, connection);
      return isPromise(result) ? result.then(undefined, failedUnexpectedly) : result;
    } catch (error) {
      // A bug in one method must not open the door, nor hide the other methods' answers.
      return failedUnexpectedly(error);
    }
  };
  /**
   * Methods in order from `index`; the first that accepts wins, else the refusal lists every method's reason.
   * Synchronous methods (API key, Basic, client certificate) are answered without an async frame or a wait per
   * method: this runs on every call. A bearer check that waits for its JWKS continues from where it was.
   */
  const checkFrom = (index: number, request: JitRequestHead, connection: JitConnectionInfo, failures: readonly string[]): Promise<CallerCheck> => {
    let reasons = failures;
    for (let i = index; i < methods.length; i++) {
      const method = methods[i] as CallerMethodEntry;
      const result = run(method, request, connection);
      if (isPromise(result)) {
        const before = reasons;
        return result.then((settled) => (settled.ok ? settled : checkFrom(i + 1, request, connection, [...before, `${method.name}: ${settled.reason}`])));
      }
      if (result.ok) return Promise.resolve(result);
      reasons = [...reasons, `${method.name}: ${result.reason}`];
    }
    return Promise.resolve({ ok: false, reason: reasons.join('; ') });
  };
  const none: readonly string[] = [];
  const callerAuth: CallerAuthenticator = (request, connection) => checkFrom(0, request, connection, none);
  recordCallerMethods(callerAuth, methods.map((method) => method.name));
  preparations.set(callerAuth, async () => {
    const problems = await Promise.all(
      methods.map(async (method) => {
        const problem = await method.prepare?.();
        return problem === undefined ? undefined : `${method.name}: ${problem}`;
      }),
    );
    return problems.filter((problem): problem is string => problem !== undefined);
  });
  return callerAuth;
}

interface CallerMethodEntry {
  name: Exclude<CallerIdentity['method'], 'insecure-dev'>;
  check: CallerMethod;
  /** Work the first call would otherwise do (bearer: the JWKS fetch); resolves with a problem, never rejects. */
  prepare?: () => Promise<string | undefined>;
}

/**
 * Does ahead what the first calls would otherwise pay for: the bearer method's JWKS fetch (a round trip to the
 * issuer, and the start of Node's HTTP client: 60-450 ms measured on a cold start, out of Entra's 800 ms
 * default budget). A server runs it before it takes calls. Resolves with the problems met, for the log, and
 * never rejects: what could not be fetched now is fetched by the first call, as without it. A
 * CallerAuthenticator not made by createCallerAuth has nothing to prepare.
 */
export async function prepareCallerAuth(callerAuth: CallerAuthenticator): Promise<string[]> {
  return (await preparations.get(callerAuth)?.()) ?? [];
}

function failedUnexpectedly(error: unknown): CallerCheck {
  return { ok: false, reason: `failed unexpectedly (${error instanceof Error ? error.name : 'unknown'})` };
}
