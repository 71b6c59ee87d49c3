// Server-independent parts of legacy-idp/ldap: escaping, Active Directory decoding, the ppolicy control, and
// LDIF exports. The network store (ldapts) builds on these.
export { escapeDnValue, escapeFilterValue, fillTemplate } from './escape.js';
export type { FilterEscapeOptions, FilterNonAscii, TemplateKind } from './escape.js';

export {
  adBindDiagnostic,
  adSubCodeOutcome,
  adSubCodes,
  decodeObjectGuid,
  decodeObjectSid,
  fileTimeToDate,
  userAccountControlBits,
  userAccountControlFlags,
} from './active-directory.js';
export type { AdBindDiagnostic, AdBindOutcome, UserAccountControlFlags } from './active-directory.js';

export { decodePasswordPolicyResponse, passwordPolicyControlOid, passwordPolicyErrors, ppolicyOutcome } from './ppolicy.js';
export type { PasswordPolicyError, PasswordPolicyOutcome, PasswordPolicyResponse, PasswordPolicyWarning } from './ppolicy.js';

export { defaultMaxLineBytes, defaultMaxRecordBytes, parseLdif } from './ldif.js';
export type { LdifEntry, LdifInput, LdifParseOptions, LdifSkippedRecord, LdifSummary } from './ldif.js';

export { ldifStoreSchema, ldifUserStore } from './ldif-store.js';
export type { LdifStoreOptions, LdifStoreStats, LdifUserStore } from './ldif-store.js';

export { ldapUserStore } from './ldap-store.js';
export type { LdapStoreOptions } from './ldap-store.js';
