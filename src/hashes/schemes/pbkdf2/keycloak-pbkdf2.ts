import type { HashScheme } from '../../types.js';
import { keycloakCredentialScheme } from './keycloak.js';

export const keycloakPbkdf2: HashScheme = keycloakCredentialScheme('keycloak_pbkdf2', 'pbkdf2');
