import { z } from 'zod';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * Classic ASP.NET SqlMembershipProvider (ASP.NET 2.0 to 4.8 on the .NET Framework, also what DNN and
 * EPiServer sites carry): the aspnet_Applications, aspnet_Users and aspnet_Membership tables that
 * aspnet_regsql.exe creates (InstallCommon.sql, InstallMembership.sql) on SQL Server.
 *
 * Sign-in names are looked up in the lower-cased copies the provider keeps (LoweredUserName, LoweredEmail,
 * written with SQL Server's LOWER(), one character at a time: hence `lower-simple`), so the lookup is an
 * index-friendly equality. Password, PasswordSalt and PasswordFormat go to the
 * `aspnet_membership_sha1` / `_sha256` scheme: format 1 (hashed) is verified, format 0 (clear) is compared,
 * format 2 (encrypted) needs the site's machineKey and ends as `unavailable` / `misconfigured`, never as a
 * wrong password. No write-back: the schema has no column for it, so the operator names one.
 */

const optionsSchema = z
  .object({
    /**
     * The provider's `applicationName` (web.config). When set, only users of that application are read
     * (aspnet_Applications.LoweredApplicationName); without it, every application's users are.
     */
    applicationName: z.string().min(1).max(256).optional(),
    /** The provider's `hashAlgorithmType`: SHA1 (the ASP.NET 2.0-3.5 default) or SHA256. */
    hashAlgorithm: z.enum(['SHA1', 'SHA256']).default('SHA1'),
  })
  .strict();

export const aspnetMembershipPreset = defineSqlPreset({
  name: 'aspnet-membership',
  options: optionsSchema,
  build(options): SqlPresetParts {
    const columns = [
      'u.UserId AS UserId',
      'u.UserName AS UserName',
      'u.LoweredUserName AS LoweredUserName',
      'm.LoweredEmail AS LoweredEmail',
      'm.Password AS Password',
      'm.PasswordSalt AS PasswordSalt',
      'm.PasswordFormat AS PasswordFormat',
      'm.IsApproved AS IsApproved',
      'm.IsLockedOut AS IsLockedOut',
      'm.CreateDate AS CreateDate',
      'm.LastLoginDate AS LastLoginDate',
    ];
    // Users without a membership row (anonymous profile users) have no password: the inner join leaves them out.
    let from = 'aspnet_Users u INNER JOIN aspnet_Membership m ON m.UserId = u.UserId';
    const where: Record<string, string> = {};
    if (options.applicationName !== undefined) {
      columns.push('a.LoweredApplicationName AS LoweredApplicationName');
      from += ' INNER JOIN aspnet_Applications a ON a.ApplicationId = u.ApplicationId';
      // Bound as a parameter; the provider stores LOWER(@ApplicationName).
      where['LoweredApplicationName'] = options.applicationName.toLowerCase();
    }
    return {
      name: 'aspnet-membership',
      query: `SELECT ${columns.join(', ')} FROM ${from}`,
      where,
      mapping: {
        subjectId: 'UserId',
        username: 'LoweredUserName',
        email: 'LoweredEmail',
        hash: 'Password',
        scheme: options.hashAlgorithm === 'SHA256' ? 'aspnet_membership_sha256' : 'aspnet_membership_sha1',
        context: { salt: 'PasswordSalt', passwordFormat: 'PasswordFormat' },
        attributes: { userName: 'UserName', createdAt: 'CreateDate', lastLoginAt: 'LastLoginDate' },
        states: [
          { field: 'IsApproved', when: 'false', status: 'disabled', detail: 'aspnet_Membership.IsApproved is false' },
          { field: 'IsLockedOut', when: 'true', status: 'locked', detail: 'aspnet_Membership.IsLockedOut is true' },
        ],
      },
      usernameMatch: 'exact',
      matchEmail: true,
      normalization: { caseFold: 'lower-simple' },
    };
  },
});
