import type { KeyObject } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type CryptoKey, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import { parseOptions } from '../../core/validate.js';
import type { CallerCheck } from '../caller-auth.js';
import { isHmac, isJwsAlgorithm, jwsAlgorithms, keyFits, verificationKeySchema, type JwsAlgorithm, type VerificationKey } from './bearer-keys.js';
import { authorizationCredentials, type CallerMethod } from './shared.js';

/**
 * `Authorization: Bearer <JWT>`: B2C `AuthenticationType` `Bearer` (a token B2C obtained by client
 * credentials, or a static `BearerAuthenticationToken`), and the token Microsoft Entra sends to a custom
 * authentication extension (reference/b2c-contracts.md §4.5). The token is checked with jose: signature by a
 * configured key or the issuer's JWKS, `iss`, `aud`, `exp`/`nbf` with a clock tolerance, and the calling
 * application (`azp`, or `appid` in v1 tokens). Keys only ever come from the options or the configured
 * JWKS URL, never from the token (`jwk`, `jku`, `x5u` header parameters are ignored).
 */

/** The application id Microsoft Entra uses when it calls a custom authentication extension. */
export const entraCustomExtensionCallerId = '99045fe1-7639-4a75-9d4a-577b6ca3810f';

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;
const dnsLabel = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/iu;

export const entraPresetSchema = z
  .object({
    // Entra writes the tenant id in lower case into `iss`, and issuers are compared as exact strings.
    tenantId: z
      .string()
      .regex(guid, 'the directory (tenant) id, a GUID')
      .transform((id) => id.toLowerCase()),
    /** The extension's app registration: its application id or its `api://...` identifier URI. */
    audience: stringOrList,
    /** External (customer) tenants: the subdomain of `<domainName>.ciamlogin.com`, e.g. `contoso`. */
    domainName: z
      .string()
      .regex(dnsLabel, "the tenant's subdomain only, e.g. 'contoso' for contoso.ciamlogin.com")
      .transform((name) => name.toLowerCase())
      .optional(),
  })
  .strict();

export type EntraBearerPreset = z.input<typeof entraPresetSchema>;

/** What `entraBearer` fills in; spread it into `bearer` to override or add options. */
export interface EntraBearerOptions {
  issuer: string[];
  audience: string | string[];
  jwksUrl: string;
  allowedCallers: string[];
}

function entraDefaults(preset: z.output<typeof entraPresetSchema>): EntraBearerOptions {
  const { tenantId, domainName } = preset;
  return {
    issuer: [
      `https://login.microsoftonline.com/${tenantId}/v2.0`,
      ...(domainName === undefined ? [] : [`https://${domainName}.ciamlogin.com/${tenantId}/v2.0`]),
    ],
    audience: preset.audience,
    jwksUrl: `https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`,
    allowedCallers: [entraCustomExtensionCallerId],
  };
}

/**
 * Bearer options for tokens Microsoft Entra sends to a custom authentication extension: the workforce
 * issuer (and the ciamlogin.com one with `domainName`), the tenant's JWKS, and the Entra caller id as the
 * only allowed `azp`/`appid`.
 */
export function entraBearer(preset: EntraBearerPreset): EntraBearerOptions {
  return entraDefaults(parseOptions(entraPresetSchema, preset, 'entraBearer'));
}

function isTrustedJwksUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  // Keys fetched in clear text could be swapped on the way; loopback is for tests and local proxies.
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]');
}

const durationMs = (fallback: number, max: number) => z.number().int().min(0).max(max).default(fallback);

export const bearerSchema = z
  .object({
    /** Microsoft Entra preset: fills issuer, audience, jwksUrl and allowedCallers unless given here. */
    entra: entraPresetSchema.optional(),
    /** Accepted `iss` values, compared exactly. */
    issuer: stringOrList.optional(),
    /** Accepted `aud` values; the token must name at least one. */
    audience: stringOrList.optional(),
    /** When set, the token's `azp` (v2) or `appid` (v1) must be one of these application ids. */
    allowedCallers: z.array(z.string().min(1)).min(1).optional(),
    /** The issuer's JSON Web Key Set (https; http only on loopback). */
    jwksUrl: z.string().refine(isTrustedJwksUrl, 'an https:// URL (http:// only for localhost)').optional(),
    /** Keys configured directly: PEM public keys or certificates, public JWKs, or `kty: "oct"` JWKs for HS*. */
    keys: z.array(verificationKeySchema).min(1).optional(),
    /** Accepted `alg` values. `none` is not one of them, ever. */
    algorithms: z.array(z.enum(jwsAlgorithms)).min(1).default(['RS256']),
    /** Leeway for `exp` and `nbf` against clock skew. */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(60),
    /** Claims that must be present, in addition to `iss`, `aud` and `exp` (always required). */
    requiredClaims: z.array(z.string().min(1)).default([]),
    /** How long fetched keys are used before the JWKS is fetched again. */
    jwksCacheMaxAgeMs: durationMs(10 * 60_000, 24 * 60 * 60_000),
    /** After a fetch, an unknown `kid` does not trigger another one for this long (jose `cooldownDuration`). */
    jwksCooldownMs: durationMs(30_000, 60 * 60_000),
    /** A JWKS request is abandoned after this long; Entra gives the whole call about 2 s. */
    jwksTimeoutMs: z.number().int().min(1).max(30_000).default(1_500),
    /**
     * After a failed fetch, calls that would fetch again fail at once for this long instead of each waiting on a
     * dead server; a token whose key the fresh cached set holds is still checked against it.
     */
    jwksFailureBackoffMs: durationMs(5_000, 60 * 60_000),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.issuer === undefined && options.entra === undefined) context.addIssue({ code: 'custom', path: ['issuer'], message: 'required (or use the entra preset)' });
    if (options.audience === undefined && options.entra === undefined) context.addIssue({ code: 'custom', path: ['audience'], message: 'required (or use the entra preset)' });
    const keys = options.keys ?? [];
    const hasJwks = options.jwksUrl !== undefined || options.entra !== undefined;
    if (!hasJwks && keys.length === 0) context.addIssue({ code: 'custom', path: ['keys'], message: 'give keys, a jwksUrl, or the entra preset' });
    const hmac = options.algorithms.filter(isHmac);
    const hasSecret = keys.some((key) => key.key.type === 'secret');
    if (hmac.length > 0 && !hasSecret) {
      context.addIssue({
        code: 'custom',
        path: ['algorithms'],
        message: `${hmac.join(', ')} needs a symmetric key (a JWK with kty "oct") in keys; a public key is never used as an HMAC secret`,
      });
    }
    if (hasSecret && hmac.length === 0) context.addIssue({ code: 'custom', path: ['keys'], message: 'a symmetric (oct) key is only used with HS256/HS384/HS512: add the algorithm or remove the key' });
    if (hasJwks && hmac.length === options.algorithms.length) context.addIssue({ code: 'custom', path: ['jwksUrl'], message: 'a JWKS serves public keys, but only HS* algorithms are allowed' });
  })
  .transform((options) => {
    const preset = options.entra === undefined ? undefined : entraDefaults(options.entra);
    return {
      issuer: options.issuer ?? preset?.issuer ?? [],
      audience: options.audience ?? preset?.audience ?? [],
      // The Entra caller id is a default only with the preset: other issuers have other callers.
      allowedCallers: options.allowedCallers ?? preset?.allowedCallers,
      jwksUrl: options.jwksUrl ?? preset?.jwksUrl,
      keys: options.keys ?? [],
      algorithms: options.algorithms,
      clockToleranceSeconds: options.clockToleranceSeconds,
      requiredClaims: options.requiredClaims,
      jwks: {
        cacheMaxAgeMs: options.jwksCacheMaxAgeMs,
        cooldownMs: options.jwksCooldownMs,
        timeoutMs: options.jwksTimeoutMs,
        failureBackoffMs: options.jwksFailureBackoffMs,
      },
    };
  });

export type BearerOptions = z.input<typeof bearerSchema>;
type BearerSettings = z.output<typeof bearerSchema>;

// Three base64url parts; the signature may be empty so that an unsigned token gets its own reason.
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/u;

/** A value taken from a token for a log reason: bounded, and JSON-quoted so it cannot forge log lines. */
function quote(value: unknown): string {
  // JSON.stringify gives undefined for undefined, whatever its declared type says.
  const text = (JSON.stringify(value) as string | undefined) ?? String(value);
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}

function describeTime(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : quote(seconds);
}

/** Names an unexpected failure by its code or class and message; jose and fetch messages quote no token. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown failure';
  const code = (error as { code?: unknown }).code;
  // fetch says only "fetch failed"; the network error (ECONNREFUSED, ENOTFOUND, bad port) is on its cause.
  const cause: unknown = error.cause;
  const causeCode = (cause as { code?: unknown } | undefined)?.code;
  const detail = typeof causeCode === 'string' ? ` (${causeCode})` : cause instanceof Error ? ` (${cause.message.slice(0, 120)})` : '';
  return `${typeof code === 'string' ? code : error.name}: ${error.message}${detail}`;
}

/** One verification attempt: either it decided (verified, or verified and then refused), or try the next key. */
type Attempt = { decided: true; check: CallerCheck } | { decided: false; miss: string };

function claimFailure(error: unknown, toleranceSeconds: number): string | undefined {
  if (error instanceof errors.JWTExpired) return `token expired (exp ${describeTime(error.payload.exp)}, tolerance ${toleranceSeconds} s)`;
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, payload } = error;
    if (reason === 'missing') return `token has no "${claim}" claim`;
    if (claim === 'nbf') return `token not yet valid (nbf ${describeTime(payload.nbf)}, tolerance ${toleranceSeconds} s)`;
    if (claim === 'iss') return `unexpected issuer ${quote(payload.iss)}`;
    if (claim === 'aud') return `unexpected audience ${quote(payload.aud)}`;
    return `claim "${claim}": ${error.message}`;
  }
  if (error instanceof errors.JWTInvalid) return `invalid claims: ${error.message}`;
  return undefined;
}

interface RemoteKeySet {
  verify(token: string, options: JWTVerifyOptions, describeKid: string): Promise<Attempt>;
  /** Fetches the JWKS now; the reason when it could not be had. */
  prefetch(): Promise<string | undefined>;
}

/**
 * The check, and the work its first call would otherwise do: `prepare` fetches the JWKS (a round trip to the
 * issuer, and the start of Node's HTTP client), so that a server can do it before it takes calls. It resolves
 * with the reason the JWKS could not be had, if so, and never rejects: the first call then fetches, as it
 * would have without it.
 */
export function bearerMethod(settings: BearerSettings): { check: CallerMethod; prepare: () => Promise<string | undefined> } {
  const tolerance = settings.clockToleranceSeconds;
  const allowedCallers = settings.allowedCallers === undefined ? undefined : new Set(settings.allowedCallers.map((id) => id.toLowerCase()));
  const keys = settings.keys.map((key, index) => ({ ...key, label: key.kid === undefined ? `keys[${index}]` : `key ${quote(key.kid)}` }));
  const allowedAlgorithms = new Set<string>(settings.algorithms);
  const baseOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: tolerance,
    // A token without exp would be valid forever; every IdP token carries one.
    requiredClaims: ['exp', ...settings.requiredClaims],
  };

  const accept = (payload: JWTPayload): CallerCheck => {
    const callers = [payload['azp'], payload['appid']].filter((value): value is string => typeof value === 'string');
    if (allowedCallers !== undefined) {
      if (callers.length === 0) return { ok: false, reason: 'token names no calling application (neither azp nor appid)' };
      const stranger = callers.find((caller) => !allowedCallers.has(caller.toLowerCase()));
      if (stranger !== undefined) return { ok: false, reason: `calling application ${quote(stranger)} (azp/appid) is not in allowedCallers` };
    }
    const subject = callers[0] ?? (typeof payload.sub === 'string' ? payload.sub : undefined);
    return { ok: true, identity: subject === undefined ? { method: 'bearer' } : { method: 'bearer', subject } };
  };

  const attempt = async (token: string, key: KeyObject | CryptoKey, options: JWTVerifyOptions, label: string): Promise<Attempt> => {
    try {
      const { payload } = await jwtVerify(token, key, options);
      return { decided: true, check: accept(payload) };
    } catch (error) {
      // Claims are checked only after the signature verified: a claim failure is final for this token.
      const claims = claimFailure(error, tolerance);
      if (claims !== undefined) return { decided: true, check: { ok: false, reason: claims } };
      if (error instanceof errors.JWSSignatureVerificationFailed) return { decided: false, miss: `signature does not verify with ${label}` };
      return { decided: false, miss: `${label}: ${describeError(error)}` };
    }
  };

  const remote = settings.jwksUrl === undefined ? undefined : remoteKeySet(new URL(settings.jwksUrl), settings.jwks, accept, attempt, tolerance);

  const prepare = async (): Promise<string | undefined> => remote?.prefetch();
  const check: CallerMethod = async (request) => {
    const header = authorizationCredentials(request, 'Bearer');
    if (!header.ok) return header;
    const token = header.credentials;
    if (!compactJws.test(token)) return { ok: false, reason: 'token is not a compact JWS (header.payload.signature)' };
    let alg: unknown;
    let kid: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch {
      return { ok: false, reason: 'token header is not base64url JSON' };
    }
    if (typeof alg !== 'string') return { ok: false, reason: 'token header has no alg' };
    // jose would refuse it too; the explicit check documents the intent and gives the log a clear reason.
    if (alg.toLowerCase() === 'none') return { ok: false, reason: 'unsigned token (alg "none") refused' };
    if (!isJwsAlgorithm(alg) || !allowedAlgorithms.has(alg)) return { ok: false, reason: `algorithm ${quote(alg)} not allowed (allowed: ${settings.algorithms.join(', ')})` };
    const tokenKid = typeof kid === 'string' ? kid : undefined;
    const options: JWTVerifyOptions = { ...baseOptions, algorithms: [alg] };

    const misses: string[] = [];
    for (const key of candidateKeys(keys, alg, tokenKid)) {
      const result = await attempt(token, key.key, options, key.label);
      if (result.decided) return result.check;
      misses.push(result.miss);
    }
    if (remote !== undefined && !isHmac(alg)) {
      const result = await remote.verify(token, options, tokenKid === undefined ? 'a kid-less token' : `kid ${quote(tokenKid)}`);
      if (result.decided) return result.check;
      misses.push(result.miss);
    }
    if (misses.length === 0) return { ok: false, reason: `no configured key fits ${alg}${tokenKid === undefined ? '' : ` with kid ${quote(tokenKid)}`}` };
    return { ok: false, reason: misses.join(', ') };
  };
  return { check, prepare };
}

/**
 * The configured keys that may verify this token: of a type that fits `alg` (so never a public key for an
 * HS* token), and, when the token names a `kid`, the key with that kid, else the keys that have no kid.
 */
function candidateKeys<K extends VerificationKey>(keys: readonly K[], alg: JwsAlgorithm, kid: string | undefined): K[] {
  const fitting = keys.filter((key) => (key.alg === undefined || key.alg === alg) && keyFits(alg, key.key));
  if (kid === undefined) return fitting;
  const named = fitting.filter((key) => key.kid === kid);
  return named.length > 0 ? named : fitting.filter((key) => key.kid === undefined);
}

function remoteKeySet(
  url: URL,
  timing: BearerSettings['jwks'],
  accept: (payload: JWTPayload) => CallerCheck,
  attempt: (token: string, key: KeyObject | CryptoKey, options: JWTVerifyOptions, label: string) => Promise<Attempt>,
  tolerance: number,
): RemoteKeySet {
  const keySet = createRemoteJWKSet(url, { cacheMaxAge: timing.cacheMaxAgeMs, cooldownDuration: timing.cooldownMs, timeoutDuration: timing.timeoutMs });
  // jose only starts its cooldown after a successful fetch: while the server is down, every call would wait
  // for its own failing request. Remember the failure and fail fast for a while instead, for the calls that would
  // fetch: a token whose key the cached set still holds is checked against that set (`cached`, made on the
  // first such call), or one token with an unknown kid (anyone can send one) would refuse every caller.
  let lastFailure: { at: number; reason: string; cached?: JWTVerifyGetKey } | undefined;

  return {
    async prefetch() {
      try {
        await keySet.reload();
        return undefined;
      } catch (error) {
        // Not remembered as a failure: a server that could not fetch at start-up lets its first call try again.
        return `JWKS fetch failed: ${error instanceof errors.JWKSTimeout ? `timed out after ${timing.timeoutMs} ms` : describeError(error)}`;
      }
    },
    async verify(token, options, describeKid) {
      const failure = lastFailure !== undefined && Date.now() - lastFailure.at < timing.failureBackoffMs ? lastFailure : undefined;
      if (failure !== undefined) {
        const unavailable: Attempt = { decided: false, miss: `JWKS unavailable (a fetch failed ${Date.now() - failure.at} ms ago: ${failure.reason})` };
        // A set past its cacheMaxAge would be fetched again: refused fast, as for an unknown kid below.
        if (!keySet.fresh) return unavailable;
        const cachedSet = keySet.jwks();
        if (cachedSet === undefined) return unavailable;
        failure.cached ??= createLocalJWKSet(cachedSet);
        return verifyWith(token, options, describeKid, failure.cached, unavailable);
      }
      const fetchProblem: { error?: unknown; failed: boolean } = { failed: false };
      const getKey: JWTVerifyGetKey = async (header, jws) => {
        try {
          return await keySet(header, jws);
        } catch (error) {
          // Key selection outcomes are answers about this token; anything else means the set could not be had.
          if (!(error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)) {
            fetchProblem.failed = true;
            fetchProblem.error = error;
          }
          throw error;
        }
      };
      try {
        const { payload } = await jwtVerify(token, getKey, options);
        lastFailure = undefined;
        return { decided: true, check: accept(payload) };
      } catch (error) {
        if (fetchProblem.failed) {
          const reason = error instanceof errors.JWKSTimeout ? `timed out after ${timing.timeoutMs} ms` : describeError(fetchProblem.error);
          lastFailure = { at: Date.now(), reason };
          return { decided: false, miss: `JWKS fetch failed: ${reason}` };
        }
        lastFailure = undefined;
        return keySetFailure(error, token, options, describeKid, { decided: false, miss: `no key in the JWKS for ${describeKid}` });
      }
    },
  };

  /** Checks the token against the cached set only; `noKey` when the set has no key for it (a fetch would be needed). */
  async function verifyWith(token: string, options: JWTVerifyOptions, describeKid: string, getKey: JWTVerifyGetKey, noKey: Attempt): Promise<Attempt> {
    try {
      const { payload } = await jwtVerify(token, getKey, options);
      return { decided: true, check: accept(payload) };
    } catch (error) {
      return keySetFailure(error, token, options, describeKid, noKey);
    }
  }

  /** What a failed check against a key set means, once a failed fetch is ruled out. */
  async function keySetFailure(error: unknown, token: string, options: JWTVerifyOptions, describeKid: string, noKey: Attempt): Promise<Attempt> {
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      // A token without kid and a set with several keys of its type: try each.
      for await (const key of error) {
        const result = await attempt(token, key, options, 'a JWKS key');
        if (result.decided) return result;
      }
      return { decided: false, miss: `no key of the JWKS verifies ${describeKid}` };
    }
    if (error instanceof errors.JWKSNoMatchingKey) return noKey;
    const claims = claimFailure(error, tolerance);
    if (claims !== undefined) return { decided: true, check: { ok: false, reason: claims } };
    if (error instanceof errors.JWSSignatureVerificationFailed) return { decided: false, miss: `signature does not verify with the JWKS key for ${describeKid}` };
    return { decided: false, miss: `JWKS: ${describeError(error)}` };
  }
}
