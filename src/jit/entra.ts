import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Authenticator } from '../core/authenticator.js';
import { callDeadline, deadlineExceeded } from '../core/deadline.js';
import { LegacyIdpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { outcomeWithinContract, type VerifyOutcome } from '../core/outcome.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import { checkStrongPassword } from '../graph/password.js';
import type { CallerAuthenticator } from './caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, type JitAnswer, type JitCallContext, type JitErrorKind, type JitHandler, type JitResult } from './endpoint.js';
import { messagesFor, messagesSchema, type Messages } from './messages.js';

/** How long after `deadlineMs` an Authenticator that ignores its deadline is cut off (ours answers at the budget). */
const authenticatorGraceMs = 25;

/**
 * Microsoft Entra External ID's OnPasswordSubmit custom authentication extension (shared/reference/
 * b2c-contracts.md §4): the request carries the typed password in `encryptedPasswordContext`, an RSA JWE made
 * with the public key of the operator's certificate, whose plaintext is an unsigned JWS with `user-password`,
 * `nonce` (and `username`). The answer is exactly one action, with the nonce echoed:
 * MigratePassword (right password), UpdatePassword (right but weak or expired), Retry (wrong), Block (locked,
 * disabled, or the legacy store down). Entra gives up after 200-2000 ms (1000 by default, 2000 in the how-to),
 * so the verification has its own, shorter budget and the answer for "could not tell in time" is configured.
 */

export const entraActions = ['MigratePassword', 'UpdatePassword', 'Retry', 'Block'] as const;
export type EntraAction = (typeof entraActions)[number];

/** RSA key management only: a symmetric `dir`/`A*KW` JWE would mean anyone with the key could forge one. */
const keyManagementAlgorithms = ['RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'];
const contentEncryptionAlgorithms = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'];

const keySchema = z
  .object({
    /** The `kid` the JWE header names (the certificate's key id); a key without one is tried for any JWE. */
    kid: z.string().min(1).optional(),
    /** PKCS#8 or PKCS#1 PEM, or a private JWK object. */
    privateKey: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
  })
  .strict();

export const entraHandlerSchema = z
  .object({
    authenticator: z.custom<Authenticator>(hasFunction('authenticate'), 'must be an Authenticator'),
    callerAuth: z.custom<CallerAuthenticator>((value) => typeof value === 'function', 'must be a CallerAuthenticator'),
    /** Decryption keys; several during a rotation (matched by `kid`). */
    keys: z.array(keySchema).min(1),
    /**
     * Where the sign-in name comes from, in order: the JWE's `username` claim, the user's `mail`, their
     * `userPrincipalName`. The legacy store is asked with the first that is present.
     */
    usernameFrom: z.array(z.enum(['jwe:username', 'user.mail', 'user.userPrincipalName'])).min(1).default(['jwe:username', 'user.mail', 'user.userPrincipalName']),
    /**
     * Verification budget in ms; keep it under the extension's timeoutInMilliseconds (Graph's default 1000, the
     * how-to's 2000). The default answers within Graph's default with room for the network.
     */
    deadlineMs: z.number().int().min(50).max(10_000).default(800),
    /** The action when the legacy store cannot answer (down, timeout, misconfigured): Block (default) or Retry. */
    onUnavailable: z.enum(['Block', 'Retry']).default('Block'),
    /** The action for a name the legacy store does not hold. Retry tells nothing a wrong password would not. */
    onUnknownUser: z.enum(['Retry', 'Block']).default('Retry'),
    /**
     * A correct password that is too weak for the new tenant gets UpdatePassword (the user sets a new one)
     * instead of MigratePassword: `entra-strong` applies Entra's strong-password rules; `none` migrates every
     * correct password; or a minimum length.
     */
    passwordPolicy: z.union([z.enum(['entra-strong', 'none']), z.object({ minLength: z.number().int().min(1).max(256) }).strict()]).default('entra-strong'),
    /**
     * The action type's casing: the how-to's JSON says `passwordSubmit`; its C# template and Microsoft's
     * migration tool send `passwordsubmit`. Whether the service minds is undocumented.
     */
    actionNamespace: z.enum(['microsoft.graph.passwordSubmit', 'microsoft.graph.passwordsubmit']).default('microsoft.graph.passwordSubmit'),
    /** Title of Block answers. */
    blockTitle: z.string().min(1).max(256).default('Sign-in blocked'),
    messages: messagesSchema,
    maxBodyBytes: z.number().int().positive().max(1_048_576).default(64 * 1024),
    logger: z.custom<Logger>(hasFunction('warn'), 'must be a Logger').optional(),
  })
  .strict();

export type EntraHandlerOptions = z.input<typeof entraHandlerSchema>;

/**
 * The service sends null for a field with no value (a user without mail); every informational field accepts
 * null and reads it as absent. The JWE, which carries the password, does not.
 */
const requestSchema = z.looseObject({
  type: z.literal('microsoft.graph.authenticationEvent.passwordSubmit'),
  data: z.looseObject({
    '@odata.type': z.literal('microsoft.graph.onPasswordSubmitCalloutData'),
    tenantId: z.string().max(64).nullish(),
    encryptedPasswordContext: z.string().min(1).max(32_768),
    authenticationContext: z
      .looseObject({
        correlationId: z.string().max(128).nullish(),
        client: z.looseObject({ ip: z.string().max(64).nullish(), locale: z.string().max(64).nullish() }).nullish(),
        user: z
          .looseObject({
            id: z.string().max(128).nullish(),
            mail: z.string().max(320).nullish(),
            userPrincipalName: z.string().max(320).nullish(),
          })
          .nullish(),
      })
      .nullish(),
  }),
});

type EntraRequest = z.output<typeof requestSchema>;

const passwordContextSchema = z.looseObject({
  'user-password': z.string().max(1024),
  nonce: z.string().min(1).max(256),
  username: z.string().max(320).optional(),
});

interface DecryptionKey {
  kid: string | undefined;
  key: KeyObject;
}

/** RSA-OAEP needs an RSA key (not RSA-PSS, EC or Ed25519); jose refuses one under 2048 bits at decryption. */
const minimumModulusBits = 2048;

/** What an RSA-OAEP JWE asks of the key (RFC 7517 4.3): unwrapping the content key, which some JWKs name `decrypt`. */
const decryptionKeyOps = ['unwrapKey', 'decrypt'];

/**
 * A JWK's `use` and `key_ops` (RFC 7517 4.2, 4.3) say what its owner meant it for. A signing key (`"use":
 * "sig"`, or `key_ops` such as `["sign"]`) is not to be used for decryption even though the RSA maths would
 * work: taking it would pair the sign-in secrets with a key that is published, rotated and guarded as a signing
 * key. Absent members say nothing and are fine; present ones must allow decryption.
 */
function intendedForDecryption(jwk: Record<string, unknown>): string | undefined {
  const use = jwk['use'];
  if (use !== undefined && use !== 'enc') return `JWK "use" is ${use === 'sig' ? '"sig", a signing key' : 'not "enc"'}; a decryption key needs "enc" or no "use"`;
  const ops = jwk['key_ops'];
  if (ops === undefined) return undefined;
  if (!Array.isArray(ops) || !ops.every((op) => typeof op === 'string')) return 'JWK "key_ops" is not an array of strings';
  if (!ops.some((op) => decryptionKeyOps.includes(op))) return `JWK "key_ops" allows neither ${decryptionKeyOps.join(' nor ')}`;
  return undefined;
}

/**
 * A node KeyObject for both forms. A WebCrypto key (jose's importJWK) is bound to one algorithm and hash, so
 * a JWK key would open only RSA-OAEP-256 (or its `alg`) and fail every sign-in if Entra used another; a
 * KeyObject opens all four, as a PEM key does. A key of a type or size RSA-OAEP cannot use is refused here,
 * at start-up, not by the first sign-in. The reason names the key's type or size, never its material.
 */
function readDecryptionKey(privateKey: string | Record<string, unknown>): { key: KeyObject } | { problem: string } {
  let key: KeyObject;
  if (typeof privateKey === 'string') key = createPrivateKey(privateKey);
  else {
    const alg = privateKey['alg'];
    if (alg !== undefined && !(typeof alg === 'string' && keyManagementAlgorithms.includes(alg))) {
      return { problem: `JWK "alg" is not one of ${keyManagementAlgorithms.join(', ')}` };
    }
    const intended = intendedForDecryption(privateKey);
    if (intended !== undefined) return { problem: intended };
    key = createPrivateKey({ key: privateKey as JsonWebKey, format: 'jwk' });
  }
  if (key.asymmetricKeyType !== 'rsa') return { problem: `key type ${String(key.asymmetricKeyType)}; RSA-OAEP needs an rsa key` };
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < minimumModulusBits) return { problem: `RSA key of ${bits} bits; RSA-OAEP needs at least ${minimumModulusBits}` };
  return { key };
}

/**
 * Opens a JWE of each accepted algorithm, made with the key's public half. A key that could not would fail
 * every sign-in; and jose prepares a key for each algorithm on its first use (a WebCrypto import), which the
 * first sign-in would otherwise wait for, out of its deadline.
 */
async function openProbes(jose: typeof import('jose'), key: KeyObject): Promise<{ problem: string; cause: unknown } | undefined> {
  const publicKey = createPublicKey(key);
  const plaintext = new TextEncoder().encode('{"probe":true}');
  for (const alg of keyManagementAlgorithms) {
    try {
      const probe = await new jose.CompactEncrypt(plaintext).setProtectedHeader({ alg, enc: 'A256GCM' }).encrypt(publicKey);
      await jose.compactDecrypt(probe, key, { keyManagementAlgorithms, contentEncryptionAlgorithms });
    } catch (error) {
      return { problem: `it does not open an ${alg} JWE`, cause: error };
    }
  }
  return undefined;
}

/** The plaintext is an unsigned JWS (alg none) inside the authenticated encryption, or bare JSON. */
function readPasswordContext(plaintext: Uint8Array): z.output<typeof passwordContextSchema> {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext).trim();
  let json: unknown;
  if (text.startsWith('{')) json = JSON.parse(text);
  else {
    const parts = text.split('.');
    if (parts.length !== 3) throw new Error('the decrypted context is neither JSON nor a compact JWS');
    json = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8'));
  }
  return passwordContextSchema.parse(json);
}

export async function entraHandler(options: EntraHandlerOptions): Promise<JitHandler> {
  const config = parseOptions(entraHandlerSchema, options, 'Entra handler options');
  const jose = await import('jose');
  const keys: DecryptionKey[] = [];
  for (const [index, entry] of config.keys.entries()) {
    const refuse = (detail?: string, cause?: unknown): LegacyIdpError =>
      new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `Entra handler options: keys[${index}] is not a readable RSA private key${detail === undefined ? '' : ` (${detail})`}`, {
        path: `keys[${index}]`,
        ...(cause === undefined ? {} : { cause }),
      });
    let read: ReturnType<typeof readDecryptionKey>;
    try {
      read = readDecryptionKey(entry.privateKey);
    } catch (error) {
      throw refuse(undefined, error);
    }
    if ('problem' in read) throw refuse(read.problem);
    const failed = await openProbes(jose, read.key);
    if (failed) throw refuse(failed.problem, failed.cause);
    const jwkKid = typeof entry.privateKey === 'object' && typeof entry.privateKey['kid'] === 'string' ? entry.privateKey['kid'] : undefined;
    keys.push({ kid: entry.kid ?? jwkKid, key: read.key });
  }

  const action = (name: EntraAction, extra: Record<string, string> = {}): Record<string, string> => ({ '@odata.type': `${config.actionNamespace}.${name}`, ...extra });
  const answer = (nonce: string, name: EntraAction, extra: Record<string, string> = {}): JitAnswer =>
    jsonAnswer(200, { data: { '@odata.type': 'microsoft.graph.onPasswordSubmitResponseData', actions: [action(name, extra)], nonce } });
  const block = (nonce: string, message: string): JitAnswer => answer(nonce, 'Block', { title: config.blockTitle, message });

  async function decrypt(jwe: string): Promise<z.output<typeof passwordContextSchema>> {
    const header = jose.decodeProtectedHeader(jwe);
    const candidates = keys.filter((key) => key.kid === undefined || header.kid === undefined || key.kid === header.kid);
    let lastError: unknown = new Error(`no key for kid ${String(header.kid)}`);
    for (const candidate of candidates) {
      try {
        const { plaintext } = await jose.compactDecrypt(jwe, candidate.key, { keyManagementAlgorithms, contentEncryptionAlgorithms });
        return readPasswordContext(plaintext);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  const isWeak = (password: string): boolean => {
    const policy = config.passwordPolicy;
    if (policy === 'none') return false;
    if (policy === 'entra-strong') return !checkStrongPassword(password).ok;
    // Characters as people count them: code points, so an emoji is one.
    return Array.from(password).length < policy.minLength;
  };

  function decide(outcome: VerifyOutcome, password: string, messages: Messages, nonce: string): { answer: JitAnswer; action: EntraAction } {
    const respond = (name: EntraAction, chosen: JitAnswer = answer(nonce, name)) => ({ answer: chosen, action: name });
    switch (outcome.status) {
      case 'valid':
        return respond(isWeak(password) ? 'UpdatePassword' : 'MigratePassword');
      case 'password_expired':
      case 'must_change':
        return respond('UpdatePassword');
      case 'invalid':
        return respond('Retry');
      case 'unknown_user':
        return config.onUnknownUser === 'Retry' ? respond('Retry') : respond('Block', block(nonce, messages.invalid));
      case 'locked':
        return respond('Block', block(nonce, messages.locked));
      case 'disabled':
        return respond('Block', block(nonce, messages.disabled));
      case 'unavailable':
        return config.onUnavailable === 'Retry' ? respond('Retry') : respond('Block', block(nonce, messages.unavailable));
      default:
        // A status no VerifyOutcome has (an Authenticator of the caller's own may pass one on) is not a password
        // checked: it answers as the legacy store being unavailable, never MigratePassword.
        return config.onUnavailable === 'Retry' ? respond('Retry') : respond('Block', block(nonce, messages.unavailable));
    }
  }

  async function handle(request: EntraRequest, context: JitCallContext): Promise<JitResult> {
    let passwordContext: z.output<typeof passwordContextSchema>;
    try {
      passwordContext = await decrypt(request.data.encryptedPasswordContext);
    } catch (error) {
      // A key mismatch (rotation), a tampered or foreign JWE: nothing to answer with, not even the nonce.
      context.logger.warn('entra: encryptedPasswordContext could not be decrypted', { requestId: context.requestId, error: error instanceof Error ? error.name : 'unknown' });
      return { answer: jsonAnswer(400, { error: 'invalid_request', error_description: 'encryptedPasswordContext could not be decrypted', requestId: context.requestId }), outcome: 'undecryptable' };
    }
    const user = request.data.authenticationContext?.user;
    const sources: Record<(typeof config.usernameFrom)[number], string | null | undefined> = {
      'jwe:username': passwordContext.username,
      'user.mail': user?.mail,
      'user.userPrincipalName': user?.userPrincipalName,
    };
    const username = config.usernameFrom.map((source) => sources[source]).find((value): value is string => typeof value === 'string' && value.length > 0);
    const nonce = passwordContext.nonce;
    const messages = messagesFor(config.messages, request.data.authenticationContext?.client?.locale ?? undefined);
    if (username === undefined) {
      return { answer: answer(nonce, 'Retry'), outcome: 'no_username', fields: { action: 'Retry' } };
    }
    const clientIp = request.data.authenticationContext?.client?.ip ?? context.clientIp;
    // The budget counts from the request's arrival: decryption and parsing already spent part of it.
    const remaining = Math.max(1, Math.floor(config.deadlineMs - (performance.now() - context.startedAt)));
    const authentication = config.authenticator.authenticate({
      username,
      password: passwordContext['user-password'],
      ...(clientIp === undefined ? {} : { clientIp }),
      requestId: context.requestId,
      deadline: remaining,
    });
    // The library's Authenticator answers `unavailable` when the budget runs out; one of the caller's own may not
    // honour `deadline`, and Entra would give up while it runs. So the answer is also bounded here, a little after
    // the budget (the Authenticator's own answer, with its log line, normally comes first).
    const bound = callDeadline(remaining + authenticatorGraceMs, undefined);
    let raced: Awaited<typeof authentication> | typeof deadlineExceeded;
    try {
      raced = await bound.race(authentication);
    } finally {
      bound.dispose();
    }
    const result =
      raced === deadlineExceeded
        ? {
            username,
            outcome: { status: 'unavailable' as const, reason: 'deadline' as const, error: new LegacyIdpError('ERR_LEGACY_IDP_DEADLINE_EXCEEDED', 'the authenticator did not answer within deadlineMs') },
          }
        : raced;
    // An Authenticator of the caller's own may answer outside the contract: that is `unavailable`, never a migration.
    const outcome = outcomeWithinContract(result.outcome, 'the authenticator');
    const decision = decide(outcome, passwordContext['user-password'], messages, nonce);
    return {
      answer: decision.answer,
      verified: outcome,
      outcome: outcome.status === 'unavailable' ? `unavailable_${outcome.reason}` : outcome.status,
      username: result.username,
      fields: { action: decision.action, ...(request.data.authenticationContext?.correlationId ? { correlationId: request.data.authenticationContext.correlationId } : {}) },
    };
  }

  return createJitEndpoint(
    {
      name: 'entra',
      input: requestSchema,
      errorAnswer(kind: JitErrorKind, { requestId }) {
        return jsonAnswer(jitErrorStatus[kind], { error: kind === 'unauthorized' ? 'unauthorized' : kind === 'internal' ? 'server_error' : 'invalid_request', requestId });
      },
      handle,
    },
    { callerAuth: config.callerAuth, maxBodyBytes: config.maxBodyBytes, ...(config.logger ? { logger: config.logger } : {}) },
  );
}
