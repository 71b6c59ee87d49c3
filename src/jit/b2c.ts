import { z } from 'zod';
import type { Authenticator } from '../core/authenticator.js';
import type { MigrationWriteBack, Profile, ProfileSource } from '../core/contracts.js';
import { callDeadline, deadlineExceeded } from '../core/deadline.js';
import { LegacyIdpError, isLegacyIdpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { outcomeWithinContract, type VerifyOutcome } from '../core/outcome.js';
import { hasFunction, parseOptions } from '../core/validate.js';
import { isGraphError, isObjectConflict, refusedProperty } from '../graph/errors.js';
import { checkStrongPassword, strongPasswordMaxLength } from '../graph/password.js';
import { buildLocalAccountUser, extensionAttributeName, type LocalAccountInput, type LocalAccountUser } from '../graph/users.js';
import { isEmailAddress, nameMaxLengths, textValue, truncate } from '../premigrate/mapping.js';
import type { CallerAuthenticator } from './caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, type JitAnswer, type JitCallContext, type JitErrorKind, type JitHandler, type JitResult } from './endpoint.js';
import { messagesFor, messagesSchema, type MessageKey, type Messages } from './messages.js';

/**
 * The Azure AD B2C RESTful technical profile contract (shared/reference/b2c-contracts.md §1-2): a flat JSON
 * body of input claims in, a flat JSON body of output claims out with 200, or 409
 * `{ version, status, userMessage }` for a message the page shows. Five modes, one per technical profile:
 *
 * - `claims` (the jit-migration-v2 shape): validate, answer the profile claims and `needToMigrate`; B2C writes
 *   the user itself. The password is never echoed unless `returnPassword` is set explicitly.
 * - `create` (the jit-migration-v1 shape): validate, create the user through Microsoft Graph (an existing
 *   identity counts as created), and only then record the migration through the optional write-back.
 * - `seamless`: for pre-migrated users flagged `requiresMigration`: validate and answer `tokenSuccess`.
 * - `signup-check`: 409 when the sign-up name exists in the legacy store.
 * - `reset-discovery`: 200 when the name exists in the legacy store (or the directory already found it).
 *
 * Unlike Microsoft's samples, nothing here deletes or changes legacy data before the new directory holds the
 * user, a request field cannot skip the password check (v2's `useInputPassword`), and exception text never
 * reaches the page.
 */

const claimName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/u, 'must be a claim name');
const modes = ['claims', 'create', 'seamless', 'signup-check', 'reset-discovery'] as const;
export type B2cMode = (typeof modes)[number];

/** What `create` needs of a Graph client (src/graph's `createGraphClient` has it, and is assignable to it). */
export interface GraphUserWriter {
  createUser(user: LocalAccountUser, options?: { signal?: AbortSignal }): Promise<{ id: string }>;
  findUserByIdentity(identity: { issuer: string; issuerAssignedId: string; signInType?: string }, options?: { signal?: AbortSignal }): Promise<{ id: string } | null>;
}

export const b2cHandlerSchema = z
  .object({
    mode: z.enum(modes),
    /** The sign-in path (lockout included); required by `claims`, `create` and `seamless`. */
    authenticator: z.custom<Authenticator>(hasFunction('authenticate'), 'must be an Authenticator').optional(),
    /** Looks legacy users up; required by `signup-check` and `reset-discovery`. */
    profiles: z.custom<ProfileSource>(hasFunction('get'), 'must be a ProfileSource').optional(),
    callerAuth: z.custom<CallerAuthenticator>((value) => typeof value === 'function', 'must be a CallerAuthenticator'),
    /** Input claim names as the technical profile sends them (its PartnerClaimType). */
    inputClaims: z
      .object({
        username: claimName.default('signInName'),
        password: claimName.default('password'),
        /** A claim carrying the page's locale (`{Culture:RFC5646}`), for localized messages. */
        locale: claimName.default('locale'),
        objectId: claimName.default('objectId'),
        /**
         * The user's address, sent by the policy with the `{Context:IPAddress}` claims resolver: the lockout's
         * IP scope counts per end user, not per B2C front end.
         */
        clientIp: claimName.default('clientIp'),
      })
      .strict()
      .default({ username: 'signInName', password: 'password', locale: 'locale', objectId: 'objectId', clientIp: 'clientIp' }),
    /**
     * Where the lockout's client address comes from: the `clientIp` input claim only (default: B2C calls come
     * from Microsoft's addresses, and counting those would let failures of all users lock everyone out), or
     * that claim and else the connection's address (a caller that is the user's own front end).
     */
    clientIpFrom: z.enum(['claim', 'claim-or-connection']).default('claim'),
    /** Output claim names; profile attributes map to further claims by `attributes` (attribute -> claim). */
    outputClaims: z
      .object({
        needToMigrate: claimName.default('needToMigrate'),
        email: claimName.default('email'),
        displayName: claimName.default('displayName'),
        givenName: claimName.default('givenName'),
        surname: claimName.default('surname'),
        objectId: claimName.default('objectId'),
        tokenSuccess: claimName.default('tokenSuccess'),
        migrationRequired: claimName.default('migrationRequired'),
        attributes: z.record(z.string().min(1), claimName).default({}),
      })
      .strict()
      .default({
        needToMigrate: 'needToMigrate',
        email: 'email',
        displayName: 'displayName',
        givenName: 'givenName',
        surname: 'surname',
        objectId: 'objectId',
        tokenSuccess: 'tokenSuccess',
        migrationRequired: 'migrationRequired',
        attributes: {},
      }),
    /**
     * `claims` mode: also answer the typed password in this claim (the v2 sample's `newPassword`), for
     * policies whose AAD technical profile writes it. The password then crosses the wire back to B2C: off by
     * default, and a warning is logged when the handler is built.
     */
    returnPassword: z.union([z.literal(false), z.object({ claim: claimName }).strict()]).default(false),
    /** `claims` mode: a profile attribute that, when truthy, says the user was already migrated: answer as for a non-legacy user. */
    migratedAttribute: z.string().min(1).optional(),
    /** A correct but expired password (`password_expired`, `must_change`): migrate it, or refuse with `mustChange`. */
    expiredPasswords: z.enum(['migrate', 'reject']).default('migrate'),
    messages: messagesSchema,
    /** The `version` of every answer body. */
    version: z.string().min(1).max(32).default('1.0.0'),
    /** Adds `code`, `requestId` and `developerMessage` to 409 answers (B2C shows them only with DebugMode on). */
    debug: z.boolean().default(false),
    /** Time budget of one verification; B2C waits 30 s and tries 3 times. */
    deadlineMs: z.number().int().positive().max(29_000).default(20_000),
    /** `create` mode. */
    create: z
      .object({
        graph: z.custom<GraphUserWriter>(hasFunction('createUser'), 'must be a Graph client'),
        /** The tenant's default domain, the issuer of local identities (`contoso.onmicrosoft.com`). */
        tenant: z.string().min(1),
        signInType: z.enum(['emailAddress', 'userName']).default('emailAddress'),
        /** Add DisableStrongPassword: legacy passwords may not meet B2C's strong policy. */
        disableStrongPassword: z.boolean().default(false),
        /** b2c-extensions-app client id, for `extensions`. */
        extensionAppId: z.string().optional(),
        /** Extension attributes set on the new user: short name -> constant value. */
        extensions: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])).optional(),
        /** Records the migration in the legacy store after the create (never before). */
        writeBack: z.custom<MigrationWriteBack>(hasFunction('markMigrated'), 'must have markMigrated()').optional(),
        /** How long a created user's id is remembered, so B2C's retries of one submit do not create twice. */
        rememberMs: z.number().int().nonnegative().default(300_000),
      })
      .strict()
      .superRefine((create, context) => {
        // The settings every create shares go through the local-account builder once, here: a tenant, an
        // extension app id or an extension value it refuses would otherwise fail every sign-in.
        const problem = localAccountSettingsProblem(create);
        if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    maxBodyBytes: z.number().int().positive().max(1_048_576).default(16_384),
    logger: z.custom<Logger>(hasFunction('warn'), 'must be a Logger').optional(),
  })
  .strict()
  .superRefine((config, context) => {
    const needsAuthenticator = config.mode === 'claims' || config.mode === 'create' || config.mode === 'seamless';
    if (needsAuthenticator && !config.authenticator) context.addIssue({ code: 'custom', path: ['authenticator'], message: `mode ${config.mode} needs an authenticator` });
    if (!needsAuthenticator && !config.profiles) context.addIssue({ code: 'custom', path: ['profiles'], message: `mode ${config.mode} needs a profile source` });
    if (config.mode === 'create' && !config.create) context.addIssue({ code: 'custom', path: ['create'], message: 'mode create needs `create` (the Graph client and tenant)' });
  });

export type B2cHandlerOptions = z.input<typeof b2cHandlerSchema>;

/**
 * What buildLocalAccountUser says of the `create` settings with a stand-in user (its rules, not a copy of
 * them), or undefined when it takes them. Its messages name the field, never the value.
 */
function localAccountSettingsProblem(create: Pick<LocalAccountInput, 'tenant' | 'signInType' | 'extensionAppId' | 'extensions'>): string | undefined {
  try {
    buildLocalAccountUser({
      tenant: create.tenant,
      ...(create.signInType === undefined ? {} : { signInType: create.signInType }),
      issuerAssignedId: create.signInType === 'userName' ? 'probe' : 'probe@example.com',
      password: 'Probe-Password-1',
      ...(create.extensionAppId === undefined ? {} : { extensionAppId: create.extensionAppId }),
      ...(create.extensions === undefined ? {} : { extensions: create.extensions }),
    });
    // An app id with no extensions yet is still checked, by the rule that builds the attribute names.
    if (create.extensionAppId !== undefined) extensionAttributeName(create.extensionAppId, 'probe');
    return undefined;
  } catch (error) {
    return isLegacyIdpError(error) ? error.message : 'refused by the local-account rules';
  }
}

/** Machine codes of 409 answers (debug mode only). */
const errorCodes: Record<MessageKey, string> = {
  invalid: 'LEGACY_IDP_INVALID_CREDENTIALS',
  locked: 'LEGACY_IDP_LOCKED',
  disabled: 'LEGACY_IDP_DISABLED',
  mustChange: 'LEGACY_IDP_PASSWORD_EXPIRED',
  unavailable: 'LEGACY_IDP_UNAVAILABLE',
  badRequest: 'LEGACY_IDP_BAD_REQUEST',
  signupExists: 'LEGACY_IDP_USER_EXISTS',
  resetNotFound: 'LEGACY_IDP_USER_NOT_FOUND',
};

/**
 * The debug code of a legacy user the directory cannot take as is (a password over Graph's limit or below its
 * policy, a sign-in name it refuses): the same answer on every try, so the page says to reset the password
 * (the `mustChange` text), which lets the reset flow set one the directory takes.
 */
const cannotMigrateCode = 'LEGACY_IDP_CANNOT_MIGRATE';

/**
 * The debug code of a create the directory refuses whoever signs in (the app lacks a permission, a wrong create
 * setting, the tenant's quota): the user still sees the unavailable text, the operator a code of its own.
 */
const directoryMisconfiguredCode = 'LEGACY_IDP_DIRECTORY_MISCONFIGURED';

/** Create properties that hold this user's own values (the typed password, names, the sign-in name), lower case. */
const userValueProperties = new Set(['passwordprofile', 'password', 'identities', 'issuerassignedid', 'displayname', 'givenname', 'surname', 'mail']);

/**
 * The property of this user's own values Graph refused (a 400 naming it), or undefined. Every try sends the same
 * values, so it goes the way of the refusals found before Graph is called.
 */
function refusedUserValue(error: unknown): string | undefined {
  const property = refusedProperty(error);
  return property !== undefined && userValueProperties.has(property.toLowerCase()) ? property : undefined;
}

/**
 * Whether Graph refuses the app's create whoever signs in (401, 403, a 400 about a create setting such as an
 * extension attribute or the issuer, a quota, any other answer it will not take): trying again helps only once
 * the operator acted. Not: the directory or the way to it failing (5xx, 429, a timeout), an identity that exists
 * but is not visible yet (a conflict the lookup did not find), anything that is not a GraphError (a custom
 * writer's failure, an abort); the next try may pass.
 */
function refusesTheApp(error: unknown): boolean {
  return isGraphError(error) && error.code !== 'ERR_LEGACY_IDP_GRAPH_UNAVAILABLE' && !isObjectConflict(error);
}

type Input = Record<string, unknown>;

/** Flat claims: keys with no value are left out, as B2C asks ("don't include JSON keys with a null value"). */
function flatClaims(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (value === undefined || value === null || value === '') continue;
    body[key] = typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : value instanceof Date ? value.toISOString() : value;
  }
  return body;
}

export function b2cHandler(options: B2cHandlerOptions): JitHandler {
  const config = parseOptions(b2cHandlerSchema, options, 'B2C handler options');
  const { inputClaims, outputClaims } = config;
  if (config.returnPassword !== false) {
    config.logger?.warn('B2C handler answers the typed password in a claim (returnPassword): only for policies whose AAD technical profile writes it', {
      claim: config.returnPassword.claim,
    });
  }
  const needsPassword = config.mode === 'claims' || config.mode === 'create' || config.mode === 'seamless';
  const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `longer than ${max} characters`);
  const input = z
    .looseObject({
      [inputClaims.username]: text(256),
      ...(needsPassword ? { [inputClaims.password]: text(1024) } : {}),
      // Informational claims: a policy may send null for a claim with no value, and null counts as absent. Never
      // for the name or the password.
      [inputClaims.locale]: z.string().max(64).nullish(),
      [inputClaims.objectId]: z.string().max(64).nullish(),
      [inputClaims.clientIp]: z.string().max(64).nullish(),
    })
    .transform((value) => value as Input);

  const errorBody = (status: number, key: MessageKey, messages: Messages, requestId: string, developerMessage: string, code = errorCodes[key]): JitAnswer =>
    jsonAnswer(status, {
      version: config.version,
      status,
      userMessage: messages[key],
      // 409s only (the documented contract): a 401's reason would tell an unauthenticated caller which header,
      // user or key it got wrong.
      ...(config.debug && status === 409 ? { code, requestId, developerMessage } : {}),
    });

  const conflict = (key: MessageKey, messages: Messages, context: JitCallContext, outcome: string, developerMessage: string, username?: string, code?: string): JitResult => ({
    answer: errorBody(409, key, messages, context.requestId, developerMessage, code),
    outcome,
    ...(username === undefined ? {} : { username }),
  });

  // A user this process created recently, by normalized sign-in name: B2C retries a submit that timed out,
  // and the retry must find the first call's user instead of creating (or failing on) a second.
  const created = new Map<string, { id: string; at: number }>();

  /** What is left of the call's `deadlineMs`, at least 1 ms: the steps after the verification share its budget. */
  const remainingMs = (context: JitCallContext): number => Math.max(1, config.deadlineMs - Math.round(performance.now() - context.startedAt));

  /**
   * The profile of a correct password the Authenticator gave none for (an expired one). Bounded like the rest of
   * the call (what is left of the deadline, or the client leaving), raced rather than trusted to honour the
   * signal. A lookup that fails or runs out of time answers `unavailable`, as the Authenticator does for `valid`:
   * going on without it would create or migrate the user without its claims and skip its migrated flag.
   */
  async function profileAfterVerification(profiles: ProfileSource, username: string, messages: Messages, context: JitCallContext): Promise<{ profile: Profile | null } | { failure: JitResult }> {
    const deadline = callDeadline(AbortSignal.any([context.signal, AbortSignal.timeout(remainingMs(context))]), undefined);
    try {
      const profile = await deadline.race(profiles.get(username, { signal: deadline.signal as AbortSignal }));
      if (profile === deadlineExceeded) {
        return { failure: conflict('unavailable', messages, context, 'unavailable_deadline', 'legacy store unavailable (ERR_LEGACY_IDP_DEADLINE_EXCEEDED during the profile lookup)', username) };
      }
      // The verifier found this user and the profile source does not: the two disagree, which the operator must
      // fix (the Authenticator answers `valid` without a profile the same way).
      if (profile === null) {
        return { failure: conflict('unavailable', messages, context, 'unavailable_misconfigured', 'legacy store unavailable (the profile source has no profile for a user the verifier accepted)', username) };
      }
      return { profile };
    } catch (error) {
      const code = error instanceof LegacyIdpError ? error.code : 'unknown';
      return { failure: conflict('unavailable', messages, context, 'unavailable_backend_error', `legacy store unavailable (${code})`, username) };
    } finally {
      deadline.dispose();
    }
  }

  /**
   * The Graph payload of the user, by the bulk mapping's rules for profile values (premigrate/mapping.ts): text
   * trimmed, names cut to Graph's lengths at code-point boundaries, a `mail` that is not an address left out
   * (it is optional). `refused` when the directory cannot take the user whatever the retries; its reason names
   * the field, never the value.
   */
  function directoryUser(profile: Profile | null, signInName: string, password: string): { user: LocalAccountUser; issuerAssignedId: string } | { refused: string } {
    const create = config.create;
    if (!create) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'create mode without create options');
    // What the mapping does with such passwords is replace them; the typed one is the only one here.
    if (password.length > strongPasswordMaxLength) return { refused: `the password is longer than ${strongPasswordMaxLength} characters (Graph's limit)` };
    if (!create.disableStrongPassword) {
      const strong = checkStrongPassword(password);
      if (!strong.ok) return { refused: `the password does not meet the strong password policy (${strong.reason}) and create.disableStrongPassword is off` };
    }
    const text = (value: unknown): string | undefined => {
      const checked = textValue(value);
      return checked.ok ? checked.value : undefined;
    };
    const names: Partial<Record<keyof typeof nameMaxLengths, string>> = {};
    for (const [field, max] of Object.entries(nameMaxLengths) as Array<[keyof typeof nameMaxLengths, number]>) {
      const value = text(profile?.[field]);
      if (value !== undefined) names[field] = truncate(value, max);
    }
    const email = text(profile?.email);
    const mail = email !== undefined && isEmailAddress(email) ? email : undefined;
    // emailAddress: the profile's address, else the name the user signed in with (B2C's page asks for an address).
    const issuerAssignedId = create.signInType === 'emailAddress' ? (mail ?? signInName) : (text(profile?.username) ?? signInName);
    try {
      const user = buildLocalAccountUser({
        tenant: create.tenant,
        signInType: create.signInType,
        issuerAssignedId,
        password,
        ...names,
        ...(mail === undefined ? {} : { mail }),
        disableStrongPassword: create.disableStrongPassword,
        ...(create.extensionAppId === undefined ? {} : { extensionAppId: create.extensionAppId }),
        ...(create.extensions === undefined ? {} : { extensions: create.extensions }),
      });
      return { user, issuerAssignedId };
    } catch (error) {
      // buildLocalAccountUser's messages name the field, never the value (its zod issues are not kept).
      return { refused: isLegacyIdpError(error) ? error.message : 'refused by the local-account rules' };
    }
  }

  async function createInDirectory(profile: Profile | null, signInName: string, password: string, signal: AbortSignal): Promise<{ id: string } | { refused: string }> {
    const create = config.create;
    if (!create) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'create mode without create options');
    const remembered = created.get(signInName);
    if (remembered && Date.now() - remembered.at < create.rememberMs) return { id: remembered.id };
    const built = directoryUser(profile, signInName, password);
    if ('refused' in built) return built;
    const { user, issuerAssignedId } = built;
    let id: string;
    try {
      id = (await create.graph.createUser(user, { signal })).id;
    } catch (error) {
      const refused = refusedUserValue(error);
      // Graph's message is not kept: it may quote the value. The property it named says which field.
      if (refused !== undefined) return { refused: `the directory refused the user's ${refused} (Graph 400${isGraphError(error) && error.graphCode !== undefined ? ` ${error.graphCode}` : ''})` };
      // The identity exists: an earlier try of this submit (or a bulk run) created it. That is success.
      if (!isObjectConflict(error)) throw error;
      const issuer = user.identities[0].issuer;
      const existing = await create.graph.findUserByIdentity({ issuer, issuerAssignedId, signInType: create.signInType }, { signal });
      if (!existing) throw error;
      id = existing.id;
    }
    created.set(signInName, { id, at: Date.now() });
    // Old entries go as new ones come; the map never grows past the users of the last few minutes.
    for (const [name, entry] of created) {
      if (Date.now() - entry.at < create.rememberMs) break;
      created.delete(name);
    }
    return { id };
  }

  /**
   * The answer for every outcome but a correct password (shared by the three verifying modes); undefined only
   * for the statuses that go on to migrate. Anything else, a status no VerifyOutcome has (an Authenticator of the
   * caller's own may pass one on) included, answers: the unavailable text, never a migration.
   */
  function failureFor(outcome: VerifyOutcome, messages: Messages, context: JitCallContext, username: string): JitResult | undefined {
    switch (outcome.status) {
      case 'valid':
        return undefined;
      case 'invalid':
        return conflict('invalid', messages, context, 'invalid', `invalid: ${outcome.reason}`, username);
      case 'locked':
        return conflict('locked', messages, context, `locked_${outcome.by}`, `locked by ${outcome.by}`, username);
      case 'disabled':
        return conflict('disabled', messages, context, 'disabled', 'the legacy account is disabled', username);
      case 'unavailable':
        return conflict('unavailable', messages, context, `unavailable_${outcome.reason}`, `legacy store unavailable (${errorCodeOf(outcome)})`, username);
      case 'password_expired':
      case 'must_change':
        return config.expiredPasswords === 'reject' ? conflict('mustChange', messages, context, outcome.status, outcome.status, username) : undefined;
      default:
        return conflict('unavailable', messages, context, 'unavailable_unknown_status', 'legacy store unavailable (the authenticator answered a status outside the VerifyOutcome contract)', username);
    }
  }

  async function handle(body: Input, context: JitCallContext): Promise<JitResult> {
    const locale = body[inputClaims.locale];
    const messages = messagesFor(config.messages, typeof locale === 'string' ? locale : undefined);
    const signInName = body[inputClaims.username] as string;

    if (config.mode === 'signup-check' || config.mode === 'reset-discovery') {
      const objectId = body[inputClaims.objectId];
      if (config.mode === 'reset-discovery' && typeof objectId === 'string' && objectId.length > 0) {
        // The directory already found the user (a migrated account): nothing to look up.
        return { answer: jsonAnswer(200, {}), outcome: 'directory_user' };
      }
      let profile: Profile | null;
      try {
        profile = await (config.profiles as ProfileSource).get(signInName, { signal: context.signal });
      } catch (error) {
        const code = error instanceof LegacyIdpError ? error.code : 'unknown';
        return conflict('unavailable', messages, context, 'unavailable_backend_error', `legacy store unavailable (${code})`);
      }
      if (config.mode === 'signup-check') {
        return profile ? conflict('signupExists', messages, context, 'signup_conflict', 'the name exists in the legacy store') : { answer: jsonAnswer(200, {}), outcome: 'signup_free' };
      }
      return profile ? { answer: jsonAnswer(200, {}), outcome: 'legacy_user' } : conflict('resetNotFound', messages, context, 'reset_not_found', 'no legacy or directory user');
    }

    const password = body[inputClaims.password] as string;
    const authenticator = config.authenticator as Authenticator;
    const claimedIp = body[inputClaims.clientIp];
    const clientIp = typeof claimedIp === 'string' && claimedIp.length > 0 ? claimedIp : config.clientIpFrom === 'claim-or-connection' ? context.clientIp : undefined;
    const result = await authenticator.authenticate({
      username: signInName,
      password,
      ...(clientIp === undefined ? {} : { clientIp }),
      requestId: context.requestId,
      deadline: config.deadlineMs,
    });
    const { username } = result;
    // An Authenticator of the caller's own may answer outside the contract: that is `unavailable`, never a migration.
    const outcome = outcomeWithinContract(result.outcome, 'the authenticator');
    // Every answer from here on reports the Authenticator's outcome in the log line.
    const verified = (answered: JitResult): JitResult => ({ ...answered, verified: outcome });
    if (outcome.status === 'unknown_user') {
      // Not a legacy user: B2C goes on with its own directory (an account created there, or migrated).
      return verified({ answer: jsonAnswer(200, {}), outcome: 'unknown_user', username });
    }
    const failure = failureFor(outcome, messages, context, username);
    if (failure) return verified(failure);

    if (config.mode === 'seamless') {
      return verified({ answer: jsonAnswer(200, { [outputClaims.tokenSuccess]: true, [outputClaims.migrationRequired]: false }), outcome: outcome.status, username });
    }

    // The Authenticator reads the profile for `valid` only (and only with a profile source of its own); an expired
    // password that is migrated anyway needs it too.
    let profile = result.profile;
    if (profile === null && config.profiles) {
      const lookup = await profileAfterVerification(config.profiles, username, messages, context);
      if ('failure' in lookup) return verified(lookup.failure);
      profile = lookup.profile;
    }
    if (config.mode === 'create') {
      let createdUser: { id: string } | { refused: string };
      try {
        // The directory call shares the verification's budget: B2C gives up after 30 s whatever we do.
        createdUser = await createInDirectory(profile, signInName.trim(), password, AbortSignal.any([context.signal, AbortSignal.timeout(remainingMs(context))]));
      } catch (error) {
        // The legacy record stays as it was; B2C shows the unavailable text.
        const code = error instanceof LegacyIdpError ? error.code : 'unknown';
        const graph = isGraphError(error) ? { ...(error.status === undefined ? {} : { status: error.status }), ...(error.graphCode === undefined ? {} : { graphCode: error.graphCode }) } : {};
        if (refusesTheApp(error)) {
          // The user can do nothing about it, and the operator must: a line and an outcome of their own.
          context.logger.warn('b2c create failed: the directory refuses the app, not this user (operator action needed)', { requestId: context.requestId, code, ...graph });
          return verified(conflict('unavailable', messages, context, 'create_misconfigured', `the directory refuses this app's create (${code})`, username, directoryMisconfiguredCode));
        }
        // The user can try again.
        context.logger.warn('b2c create failed', { requestId: context.requestId, code, ...graph });
        return verified(conflict('unavailable', messages, context, 'create_failed', `creating the user in the directory failed (${code})`, username));
      }
      if ('refused' in createdUser) {
        // Trying again cannot help, so not the unavailable text: the reset flow sets a password the directory
        // takes. The operator reads which field it was in the log (the reason never holds the value).
        context.logger.warn('b2c create refused: the directory cannot take this user as is', { requestId: context.requestId, code: cannotMigrateCode, reason: createdUser.refused });
        return verified(conflict('mustChange', messages, context, 'create_refused', `the user cannot be created in the directory: ${createdUser.refused}`, username, cannotMigrateCode));
      }
      const objectId = createdUser.id;
      const writeBack = config.create?.writeBack;
      if (writeBack && profile) {
        // After the directory confirmed the user, never before; a failed write-back only means the next
        // sign-in finds the user again and the create answers "exists".
        await writeBack.markMigrated(profile.subjectId, { objectId }).catch((error: unknown) => {
          context.logger.warn('b2c write-back failed', { requestId: context.requestId, code: error instanceof LegacyIdpError ? error.code : 'unknown' });
        });
      }
      return verified({ answer: jsonAnswer(200, { [outputClaims.objectId]: objectId }), outcome: 'created', username });
    }

    // claims mode
    if (config.migratedAttribute !== undefined && profile && isTruthy(profile.attributes[config.migratedAttribute])) {
      return verified({ answer: jsonAnswer(200, {}), outcome: 'already_migrated', username });
    }
    const claims = flatClaims([
      [outputClaims.needToMigrate, 'local'],
      [outputClaims.email, profile?.email ?? (signInName.includes('@') ? signInName.trim() : undefined)],
      [outputClaims.displayName, profile?.displayName],
      [outputClaims.givenName, profile?.givenName],
      [outputClaims.surname, profile?.surname],
      ...Object.entries(outputClaims.attributes).map(([attribute, claim]) => [claim, profile?.attributes[attribute]] as const),
      ...(config.returnPassword === false ? [] : [[config.returnPassword.claim, password] as const]),
    ]);
    return verified({ answer: jsonAnswer(200, claims), outcome: outcome.status, username });
  }

  return createJitEndpoint(
    {
      name: 'b2c',
      input,
      errorAnswer(kind: JitErrorKind, { requestId, detail }) {
        // B2C shows a 409's userMessage; any other status is a generic failure page.
        const status = kind === 'bad_request' || kind === 'internal' ? 409 : jitErrorStatus[kind];
        const key: MessageKey = kind === 'internal' ? 'unavailable' : 'badRequest';
        return errorBody(status, key, messagesFor(config.messages, undefined), requestId, kind === 'internal' ? 'internal error' : detail);
      },
      handle,
    },
    { callerAuth: config.callerAuth, maxBodyBytes: config.maxBodyBytes, ...(config.logger ? { logger: config.logger } : {}) },
  );
}

/** The code of an `unavailable` outcome's error; an Authenticator of the caller's own may leave the error out. */
function errorCodeOf(outcome: Extract<VerifyOutcome, { status: 'unavailable' }>): string {
  const error = outcome.error as LegacyIdpError | undefined;
  return typeof error?.code === 'string' ? error.code : 'no error code';
}

function isTruthy(value: unknown): boolean {
  return value === true || value === 1 || (typeof value === 'string' && /^(?:1|true|yes|y|t)$/iu.test(value.trim())) || value instanceof Date;
}
