import { z } from 'zod';
import type { Row } from '../../record/mapping.js';
import { defineSqlPreset, type SqlPresetParts } from '../preset-definition.js';

/**
 * ASP.NET Core Identity (2.0 to 9, EF Core) and, with `schema: 'identity2'`, ASP.NET Identity 2.x (EF6, .NET
 * Framework): the AspNetUsers table of the Identity templates' CreateIdentitySchema migration.
 *
 * Core keeps upper-cased copies of the names (UpperInvariantLookupNormalizer: `Normalize().ToUpperInvariant()`):
 * the login is folded to upper case and compared with NormalizedUserName / NormalizedEmail by equality, as
 * UserManager does. .NET upper-cases one character at a time ('Weißmann' -> 'WEIßMANN', never 'WEISSMANN'), so the
 * fold is `upper-simple`. Identity 2 has no normalized columns and compares `UserName.ToUpper()`, hence UPPER()
 * there, which SQL Server also applies one character at a time. PasswordHash is
 * PasswordHasher's blob, V2 (0x00, PBKDF2-SHA1) or V3 (0x01, PRF and iterations in the header), both
 * `aspnet_identity`. A user is locked while LockoutEnd lies in the future and LockoutEnabled is true
 * (UserManager.IsLockedOutAsync); setting LockoutEnd far ahead is also how Identity apps disable users.
 */

const optionsSchema = z
  .object({
    /** `core` (AspNetUsers with Normalized* columns and LockoutEnd) or `identity2` (LockoutEndDateUtc, no normalized columns). */
    schema: z.enum(['core', 'identity2']).default('core'),
  })
  .strict();

/** SQL Server bit, PostgreSQL boolean, SQLite/MySQL 0/1: true only for an explicit false. */
function isFalse(value: unknown): boolean {
  if (value === false || value === 0 || value === 0n) return true;
  if (typeof value === 'string') return value === '0' || value.toLowerCase() === 'false';
  return value instanceof Uint8Array && value.length === 1 && value[0] === 0;
}

export const aspnetIdentityPreset = defineSqlPreset({
  name: 'aspnet-identity',
  options: optionsSchema,
  build(options): SqlPresetParts {
    const core = options.schema === 'core';
    const lockoutEnd = core ? 'LockoutEnd' : 'LockoutEndDateUtc';
    const transformRow = (row: Row): Row => {
      let next = row;
      // A lockout end date counts only while lockout is enabled for the user. Without the LockoutEnabled
      // value (a mapping that dropped it) the date alone decides, which can only lock more, never less.
      if (isFalse(row['LockoutEnabled']) && row[lockoutEnd] !== null && row[lockoutEnd] !== undefined) next = { ...next, [lockoutEnd]: null };
      // Matching uses NormalizedEmail; the profile carries the address as the user wrote it.
      const email = row['Email'];
      if (core && Object.hasOwn(row, 'NormalizedEmail') && typeof email === 'string' && email.length > 0) next = { ...next, NormalizedEmail: email };
      return next;
    };
    const attributes: Record<string, string> = {
      emailVerified: 'EmailConfirmed',
      phoneNumber: 'PhoneNumber',
      lockoutEnabled: 'LockoutEnabled',
    };
    if (core) Object.assign(attributes, { userName: 'UserName', email: 'Email' });
    return {
      name: 'aspnet-identity',
      table: 'AspNetUsers',
      mapping: {
        subjectId: 'Id',
        username: core ? 'NormalizedUserName' : 'UserName',
        email: core ? 'NormalizedEmail' : 'Email',
        hash: 'PasswordHash',
        scheme: 'aspnet_identity',
        attributes,
        states: [{ field: lockoutEnd, when: 'future', status: 'locked', detail: `AspNetUsers.${lockoutEnd} is in the future (lockout enabled)` }],
      },
      usernameMatch: core ? 'exact' : 'upper',
      matchEmail: true,
      normalization: { caseFold: 'upper-simple' },
      transformRow,
    };
  },
});
