import type { HashScheme } from '../../types.js';
import { aixSsha1 } from './aix-ssha1.js';
import { aixSsha256 } from './aix-ssha256.js';
import { aixSsha512 } from './aix-ssha512.js';
import { aspnetIdentity } from './aspnet-identity.js';
import { aspnetMembershipSha1 } from './aspnet-membership-sha1.js';
import { aspnetMembershipSha256 } from './aspnet-membership-sha256.js';
import { atlassianPbkdf2Sha1 } from './atlassian-pbkdf2-sha1.js';
import { ciscoType8 } from './cisco-type8.js';
import { ctaPbkdf2Sha1 } from './cta-pbkdf2-sha1.js';
import { djangoPbkdf2Sha1 } from './django-pbkdf2-sha1.js';
import { djangoPbkdf2Sha256 } from './django-pbkdf2-sha256.js';
import { dlitzPbkdf2Sha1 } from './dlitz-pbkdf2-sha1.js';
import { dovecotPbkdf2 } from './dovecot-pbkdf2.js';
import { ds389Pbkdf2Sha256 } from './ds389-pbkdf2-sha256.js';
import { grubPbkdf2Sha512 } from './grub-pbkdf2-sha512.js';
import { keycloakPbkdf2 } from './keycloak-pbkdf2.js';
import { keycloakPbkdf2Sha256 } from './keycloak-pbkdf2-sha256.js';
import { keycloakPbkdf2Sha512 } from './keycloak-pbkdf2-sha512.js';
import { kratosPbkdf2 } from './kratos-pbkdf2.js';
import { ldapPbkdf2Sha1 } from './ldap-pbkdf2-sha1.js';
import { ldapPbkdf2Sha256 } from './ldap-pbkdf2-sha256.js';
import { ldapPbkdf2Sha512 } from './ldap-pbkdf2-sha512.js';
import { pbkdf2PasswordHash } from './pbkdf2-password-hash.js';
import { pbkdf2Sha1 } from './pbkdf2-sha1.js';
import { pbkdf2Sha256 } from './pbkdf2-sha256.js';
import { pbkdf2Sha512 } from './pbkdf2-sha512.js';
import { springPbkdf2 } from './spring-pbkdf2.js';
import { web2pyPbkdf2 } from './web2py-pbkdf2.js';

/**
 * The pbkdf2 family, in identify order. One file per scheme in this folder. Shapes never overlap (Dovecot's
 * `{PBKDF2}$1$` versus LDAP's `{PBKDF2}digits$`, Kratos' `$pbkdf2-sha256$i=` versus passlib's
 * `$pbkdf2-sha256$digits$`), so the order only puts the loosest shapes (a JSON document, a bare base64
 * blob) last. Schemes without identify (ASP.NET Membership, Spring) are used by name.
 */
export const pbkdf2Schemes: readonly HashScheme[] = [
  pbkdf2Sha256,
  pbkdf2Sha512,
  pbkdf2Sha1,
  kratosPbkdf2,
  djangoPbkdf2Sha256,
  djangoPbkdf2Sha1,
  ldapPbkdf2Sha256,
  ldapPbkdf2Sha512,
  dovecotPbkdf2,
  ldapPbkdf2Sha1,
  ds389Pbkdf2Sha256,
  atlassianPbkdf2Sha1,
  ctaPbkdf2Sha1,
  dlitzPbkdf2Sha1,
  grubPbkdf2Sha512,
  web2pyPbkdf2,
  ciscoType8,
  aixSsha1,
  aixSsha256,
  aixSsha512,
  pbkdf2PasswordHash,
  keycloakPbkdf2,
  keycloakPbkdf2Sha256,
  keycloakPbkdf2Sha512,
  aspnetIdentity,
  aspnetMembershipSha1,
  aspnetMembershipSha256,
  springPbkdf2,
];
