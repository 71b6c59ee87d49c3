import type { HashScheme } from '../../types.js';
import { keycloakCredentialScheme } from './keycloak.js';

export const keycloakPbkdf2Sha256: HashScheme = keycloakCredentialScheme('keycloak_pbkdf2_sha256', 'pbkdf2-sha256');
