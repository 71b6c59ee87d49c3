import type { HashScheme } from '../../types.js';
import { keycloakCredentialScheme } from './keycloak.js';

export const keycloakPbkdf2Sha512: HashScheme = keycloakCredentialScheme('keycloak_pbkdf2_sha512', 'pbkdf2-sha512');
