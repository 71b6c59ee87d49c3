import { z } from 'zod';
import type { Authenticator } from '../core/authenticator.js';
import { publicProfile } from '../core/contracts.js';
import type { Logger } from '../core/logger.js';
import { outcomeWithinContract } from '../core/outcome.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import type { CallerAuthenticator } from './caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, type JitCallContext, type JitErrorKind, type JitHandler, type JitResult } from './endpoint.js';

/**
 * A plain JSON contract for custom hosts and other IdPs (Auth0 custom databases, Okta inline hooks behind a
 * shim, Keycloak user-storage SPIs): `{ username, password }` in, `{ status, profile? }` out with 200 for every
 * decided outcome, so the caller branches on `status` (the VerifyOutcome status, without its internals).
 */

export const genericHandlerSchema = z
  .object({
    authenticator: z.custom<Authenticator>(hasFunction('authenticate'), 'must be an Authenticator'),
    callerAuth: z.custom<CallerAuthenticator>((value) => typeof value === 'function', 'must be a CallerAuthenticator'),
    /** Verification budget in ms. */
    deadlineMs: z.number().int().positive().max(300_000).default(10_000),
    /** Include the profile (without its stored credential) in valid answers. */
    includeProfile: z.boolean().default(true),
    maxBodyBytes: z.number().int().positive().max(1_048_576).default(16_384),
    logger: z.custom<Logger>(hasFunction('warn'), 'must be a Logger').optional(),
  })
  .strict();

export type GenericHandlerOptions = z.input<typeof genericHandlerSchema>;

const inputSchema = z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(1024) }).strict();

export function genericHandler(options: GenericHandlerOptions): JitHandler {
  const config = parseOptions(genericHandlerSchema, options, 'generic handler options');

  async function handle(input: z.output<typeof inputSchema>, context: JitCallContext): Promise<JitResult> {
    const result = await config.authenticator.authenticate({
      username: input.username,
      password: input.password,
      ...(context.clientIp === undefined ? {} : { clientIp: context.clientIp }),
      requestId: context.requestId,
      deadline: config.deadlineMs,
    });
    // The caller branches on `status`: a status outside the contract (an Authenticator of the caller's own may
    // pass one on) must not reach it, where `VALID` or `ok` could read as success. It answers as the Authenticator
    // answers a verifier's such mistake.
    const outcome = outcomeWithinContract(result.outcome, 'the authenticator');
    const body: Record<string, unknown> = { status: outcome.status };
    if (outcome.status === 'valid') {
      body['subjectId'] = outcome.subjectId;
      if (outcome.needsUpgrade !== undefined) body['needsUpgrade'] = outcome.needsUpgrade;
      if (config.includeProfile && result.profile) body['profile'] = publicProfile(result.profile);
    }
    if (outcome.status === 'locked' && outcome.retryAfter !== undefined) body['retryAfter'] = outcome.retryAfter;
    if (outcome.status === 'unavailable') body['reason'] = outcome.reason;
    const answer = jsonAnswer(200, body, outcome.status === 'locked' && outcome.retryAfter !== undefined ? { 'retry-after': String(Math.ceil(outcome.retryAfter)) } : {});
    return { answer, outcome: outcome.status === 'unavailable' ? `unavailable_${outcome.reason}` : outcome.status, username: result.username, verified: outcome };
  }

  return createJitEndpoint(
    {
      name: 'generic',
      input: inputSchema,
      errorAnswer(kind: JitErrorKind, { requestId, detail }) {
        return jsonAnswer(jitErrorStatus[kind], { error: kind, requestId, ...(kind === 'bad_request' ? { detail } : {}) });
      },
      handle,
    },
    { callerAuth: config.callerAuth, maxBodyBytes: config.maxBodyBytes, ...(config.logger ? { logger: config.logger } : {}) },
  );
}
