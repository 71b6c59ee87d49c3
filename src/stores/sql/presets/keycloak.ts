import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * Keycloak releases whose CREDENTIAL table holds SECRET_DATA / CREDENTIAL_DATA (every current one; older
 * releases kept VALUE / SALT / HASH_ITERATIONS columns), on PostgreSQL: the USER_ENTITY, CREDENTIAL and
 * REALM tables of Keycloak's Liquibase changelogs (model/jpa jpa-changelog-*.xml).
 *
 * One realm at a time: usernames are unique per realm only. The realm is a `where` parameter, never query
 * text. The user's `password` credential (left-joined: users without one are listed with no credential)
 * becomes the JSON the keycloak_* schemes read, `{"secretData": "...", "credentialData": "..."}`, and its
 * credentialData.algorithm picks the scheme: `pbkdf2-sha256` (the default in Keycloak 12 to 23),
 * `pbkdf2-sha512` (24), `pbkdf2` (SHA-1, older releases' default). Other algorithms (argon2, Keycloak 25+'s default) name a scheme the registry does
 * not have, so those users end as `unavailable` / `misconfigured`, never as a wrong password. Keycloak
 * lower-cases usernames and emails when it stores them, so the lookup is an equality. enabled false ->
 * disabled. Service-account users are left out.
 */

const optionsSchema = z
  .object({
    /** The realm id (REALM.ID, USER_ENTITY.REALM_ID): `master` on older servers, often a UUID on newer ones. */
    realm: z.string().min(1).max(255).optional(),
    /** The realm name (REALM.NAME), as the admin console shows it. */
    realmName: z.string().min(1).max(255).optional(),
  })
  .strict()
  .refine((options) => (options.realm === undefined) !== (options.realmName === undefined), {
    error: 'give `realm` (the realm id) or `realmName`, exactly one: usernames are unique per realm only',
  });

/** The query's names for the credential's columns, which transformRow turns into the scheme's inputs. */
const hashColumn = 'password_hash';
const schemeColumn = 'password_scheme';

const schemeIds: Readonly<Record<string, string>> = {
  pbkdf2: 'keycloak_pbkdf2',
  'pbkdf2-sha256': 'keycloak_pbkdf2_sha256',
  'pbkdf2-sha512': 'keycloak_pbkdf2_sha512',
};

function algorithmOf(credentialData: unknown): string | undefined {
  if (typeof credentialData !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(credentialData);
    const algorithm = typeof parsed === 'object' && parsed !== null ? (parsed as { algorithm?: unknown }).algorithm : undefined;
    return typeof algorithm === 'string' && algorithm.length > 0 ? algorithm : undefined;
  } catch {
    return undefined;
  }
}

function transformRow(row: Row): Row {
  if (!Object.hasOwn(row, hashColumn)) return row;
  const secretData = row[hashColumn];
  const credentialData = row[schemeColumn];
  if (typeof secretData !== 'string' || secretData.length === 0) return { ...row, [hashColumn]: null, [schemeColumn]: null };
  const algorithm = algorithmOf(credentialData);
  // An algorithm without a scheme keeps a readable name, so the operator's error says which one is missing.
  const scheme = algorithm === undefined ? null : (schemeIds[algorithm] ?? `keycloak_${algorithm.toLowerCase().replace(/[^a-z0-9]+/gu, '_')}`);
  return { ...row, [hashColumn]: JSON.stringify({ secretData, credentialData }), [schemeColumn]: scheme };
}

const query = [
  'SELECT ue.id AS id, ue.username AS username, ue.email AS email, ue.email_verified AS email_verified,',
  'ue.first_name AS first_name, ue.last_name AS last_name, ue.enabled AS enabled, ue.created_timestamp AS created_timestamp,',
  'ue.federation_link AS federation_link, ue.realm_id AS realm_id, r.name AS realm_name,',
  `c.secret_data AS ${hashColumn}, c.credential_data AS ${schemeColumn}`,
  'FROM user_entity ue',
  'INNER JOIN realm r ON r.id = ue.realm_id',
  "LEFT JOIN credential c ON c.user_id = ue.id AND c.type = 'password'",
  'WHERE ue.service_account_client_link IS NULL',
].join(' ');

export const keycloakPreset = defineSqlPreset({
  name: 'keycloak',
  options: optionsSchema,
  build(options): SqlPresetParts {
    const where: Record<string, string> = options.realm !== undefined ? { realm_id: options.realm } : { realm_name: options.realmName ?? '' };
    return {
      name: 'keycloak',
      query,
      where,
      mapping: {
        subjectId: 'id',
        username: 'username',
        email: 'email',
        hash: hashColumn,
        scheme: 'auto',
        schemeField: schemeColumn,
        givenName: 'first_name',
        surname: 'last_name',
        attributes: { emailVerified: 'email_verified', createdTimestamp: 'created_timestamp', federationLink: 'federation_link' },
        states: [{ field: 'enabled', when: 'false', status: 'disabled', detail: 'user_entity.enabled is false' }],
      },
      usernameMatch: 'exact',
      matchEmail: true,
      normalization: { caseFold: 'lower' },
      transformRow,
    };
  },
});
