import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineFilePreset } from '../preset-definition.js';

/**
 * The users file of Microsoft's Azure AD B2C pre-migration sample (azure-ad-b2c/user-migration,
 * `pre-migration/source-code/AADB2C.UserMigration/UsersData.json`, read with Newtonsoft.Json into
 * `Models/AccountModel.cs`):
 *
 * ```json
 * {"userType": "emailAddress" | "userName",
 *  "Users": [{"signInName", "displayName", "firstName", "lastName", "password", "issuer", "issuerUserId", "email"}]}
 * ```
 *
 * Passwords are in clear text (`plaintext`, so bulk migration can set them in the new directory). The
 * sample's own file has `//` comments, which Newtonsoft accepts; so does this preset. `signInName` is the
 * username and the subject id. `email` finds the user too; when it is absent and the sign-in name is an
 * email address (`userType: "emailAddress"` files), the sign-in name is the profile's email. Social-only
 * entries (`issuer` + `issuerUserId`, no `signInName`) have no password to check and are counted in
 * `stats.skippedRows`; combined entries keep `issuer` and `issuerUserId` as attributes.
 */

function sampleFields(record: Row): Row {
  const signInName = record['signInName'];
  const email = record['email'];
  if ((typeof email === 'string' && email !== '') || typeof signInName !== 'string' || !signInName.includes('@')) return record;
  return { ...record, email: signInName };
}

export const msSamplePreset = defineFilePreset({
  name: 'ms-sample',
  summary: "Azure AD B2C pre-migration sample's UsersData.json ({userType, Users: [...]}; clear-text passwords)",
  options: z.object({}).strict(),
  build: () => ({
    name: 'ms-sample',
    format: 'json',
    jsonKey: 'Users',
    jsonComments: true,
    mapping: {
      subjectId: 'signInName',
      username: 'signInName',
      email: 'email',
      hash: 'password',
      scheme: 'plaintext',
      displayName: 'displayName',
      givenName: 'firstName',
      surname: 'lastName',
      attributes: { issuer: 'issuer', issuerUserId: 'issuerUserId' },
    },
    matchEmail: true,
    transformRecord: sampleFields,
  }),
});
