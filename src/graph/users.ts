/**
 * Graph user payloads for B2C / External ID local accounts (reference §3.1), the identity filter, and
 * extension attribute names. Pure functions: the client (client.ts) sends what these build.
 */
import { z } from 'zod';
import { LegacyIdpError } from '../core/errors.js';

/** `objectIdentity`: how a user signs in. Local accounts use the tenant's default domain as issuer. */
export interface ObjectIdentity {
  signInType: string;
  issuer: string;
  issuerAssignedId: string;
}

export interface PasswordProfile {
  password: string;
  /** Must be false in B2C tenants: a forced change is done by the policy, not by Graph (reference §3.1). */
  forceChangePasswordNextSignIn: boolean;
  forceChangePasswordNextSignInWithMfa?: boolean;
}

/** Directory extension values: Boolean, Integer (32-bit), String (256 characters), DateTime as an ISO string. */
export type ExtensionValue = string | number | boolean | null;

/** The user properties this library writes; any `extension_<appId>_<name>` key is accepted too. */
export interface GraphUserWrite {
  accountEnabled?: boolean;
  displayName?: string;
  identities?: ObjectIdentity[];
  passwordProfile?: PasswordProfile;
  passwordPolicies?: string;
  mail?: string;
  givenName?: string;
  surname?: string;
  userPrincipalName?: string;
  mailNickname?: string;
  otherMails?: string[];
  [extension: `extension_${string}`]: ExtensionValue | undefined;
}

/** A create needs a display name (B2C requires one, reference §3.1). */
export type GraphUserCreate = GraphUserWrite & { displayName: string };

/** What buildLocalAccountUser makes: the local identity, password and policies are always there. */
export type LocalAccountUser = GraphUserCreate & {
  identities: [ObjectIdentity];
  passwordProfile: PasswordProfile;
  passwordPolicies: string;
};

/** A user as Graph returns it: the properties asked for with $select (or Graph's default set). */
export interface GraphUser {
  id: string;
  displayName?: string | null;
  identities?: ObjectIdentity[];
  mail?: string | null;
  givenName?: string | null;
  surname?: string | null;
  userPrincipalName?: string | null;
  accountEnabled?: boolean;
  passwordPolicies?: string | null;
  [property: string]: unknown;
}

function invalid(what: string, error: z.ZodError): LegacyIdpError {
  const first = error.issues[0];
  const path = first === undefined || first.path.length === 0 ? '(root)' : first.path.map(String).join('.');
  // No cause: zod issues can carry the rejected input, and this input holds a password.
  return new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', `${what}: invalid value at "${path}": ${first?.message ?? 'invalid'}`);
}

const guidHex = /^[0-9a-f]{32}$/iu;
const extensionName = /^[A-Za-z0-9_]{1,120}$/u;

/**
 * `extension_<appIdWithoutHyphens>_<name>` (reference §3.1), where appId is the client id of the tenant's
 * `b2c-extensions-app`, not of the app calling Graph.
 */
export function extensionAttributeName(appId: string, name: string): string {
  const hex = appId.replaceAll('-', '');
  if (!guidHex.test(hex)) throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'extensionAttributeName: appId must be a GUID');
  if (!extensionName.test(name)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'extensionAttributeName: name must be 1-120 letters, digits or underscores');
  }
  return `extension_${hex.toLowerCase()}_${name}`;
}

/** An OData string literal: single quotes doubled, so a `'` in a sign-in name cannot end the literal. */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The documented identity lookup (reference §3.1): both issuer and issuerAssignedId are required; Graph
 * ignores the issuer for userName and emailAddress identities by design.
 */
export function identityFilter(issuer: string, issuerAssignedId: string): string {
  return `identities/any(c:c/issuerAssignedId eq ${odataString(issuerAssignedId)} and c/issuer eq ${odataString(issuer)})`;
}

/** `contoso` or `contoso.onmicrosoft.com` → `contoso.onmicrosoft.com`, the issuer of local accounts. */
export function localAccountIssuer(tenant: string): string {
  const domain = tenant.trim().toLowerCase();
  return domain.includes('.') ? domain : `${domain}.onmicrosoft.com`;
}

const emailShape = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const extensionValue = z.union([z.string().max(256), z.boolean(), z.int32(), z.date(), z.null()]);

const localAccountSchema = z
  .object({
    /** The tenant's default domain, `contoso.onmicrosoft.com` (or just `contoso`): the issuer of local identities. */
    tenant: z.string().regex(/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/u, 'expected a domain such as contoso.onmicrosoft.com'),
    signInType: z.enum(['emailAddress', 'userName']).default('emailAddress'),
    /** The sign-in name: an e-mail address, or a user name. */
    issuerAssignedId: z.string().min(1),
    password: z.string().min(1).max(256),
    /** Default: the sign-in name (B2C requires a display name, and it is the one value every user has). */
    displayName: z.string().min(1).max(256).optional(),
    givenName: z.string().min(1).max(64).optional(),
    surname: z.string().min(1).max(64).optional(),
    mail: z.string().regex(emailShape, 'expected an e-mail address').optional(),
    accountEnabled: z.boolean().default(true),
    /** Add DisableStrongPassword, for legacy passwords that do not meet the strong policy (reference §3.2). */
    disableStrongPassword: z.boolean().default(false),
    /** Client id of the tenant's b2c-extensions-app; required with `extensions`. */
    extensionAppId: z.string().optional(),
    /** Extension attribute values by short name (`requiresMigration: true`); Dates are written as ISO 8601. */
    extensions: z.record(z.string(), extensionValue).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    // Graph's rules for the sign-in name by type (reference §3.1); the userName character set differs between
    // the current Graph page and the older B2C page, so only what both agree on is checked here.
    if (input.signInType === 'emailAddress' && !emailShape.test(input.issuerAssignedId)) {
      ctx.addIssue({ code: 'custom', path: ['issuerAssignedId'], message: 'expected an e-mail address for signInType emailAddress' });
    }
    if (input.signInType === 'userName' && (input.issuerAssignedId.length > 64 || /[\s@]/u.test(input.issuerAssignedId))) {
      ctx.addIssue({ code: 'custom', path: ['issuerAssignedId'], message: 'a userName has at most 64 characters and no space or @' });
    }
    const count = Object.keys(input.extensions ?? {}).length;
    if (count > 0 && input.extensionAppId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['extensionAppId'], message: 'required with extensions (the b2c-extensions-app client id)' });
    }
    if (count > 100) ctx.addIssue({ code: 'custom', path: ['extensions'], message: 'at most 100 extension attributes per user' });
  });

export type LocalAccountInput = z.input<typeof localAccountSchema>;

/**
 * The Graph payload of a B2C / External ID local account (reference §1.1, §3.1): one local identity, the
 * password with forceChangePasswordNextSignIn false, password expiry disabled (required for local accounts),
 * DisableStrongPassword on request. The password is not checked against the strong policy here: call
 * checkStrongPassword first when the decision (import, weaken, force reset) is the caller's.
 */
export function buildLocalAccountUser(input: LocalAccountInput): LocalAccountUser {
  const parsed = localAccountSchema.safeParse(input);
  if (!parsed.success) throw invalid('buildLocalAccountUser', parsed.error);
  const options = parsed.data;
  const user: LocalAccountUser = {
    accountEnabled: options.accountEnabled,
    displayName: options.displayName ?? options.issuerAssignedId,
    identities: [{ signInType: options.signInType, issuer: localAccountIssuer(options.tenant), issuerAssignedId: options.issuerAssignedId }],
    passwordProfile: { password: options.password, forceChangePasswordNextSignIn: false },
    passwordPolicies: options.disableStrongPassword ? 'DisablePasswordExpiration, DisableStrongPassword' : 'DisablePasswordExpiration',
  };
  if (options.mail !== undefined) user.mail = options.mail;
  if (options.givenName !== undefined) user.givenName = options.givenName;
  if (options.surname !== undefined) user.surname = options.surname;
  if (options.extensions !== undefined && options.extensionAppId !== undefined) {
    for (const [name, value] of Object.entries(options.extensions)) {
      user[extensionAttributeName(options.extensionAppId, name) as `extension_${string}`] = value instanceof Date ? value.toISOString() : value;
    }
  }
  return user;
}

/** The strings under password keys of a payload, to keep out of error text. */
export function passwordsIn(body: unknown, depth = 0): string[] {
  if (depth > 4 || typeof body !== 'object' || body === null) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string' && /password$/iu.test(key)) found.push(value);
    else if (typeof value === 'object') found.push(...passwordsIn(value, depth + 1));
  }
  return found;
}
