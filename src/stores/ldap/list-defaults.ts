/**
 * What the LDAP store lists when `profiles` names no `listFilter` / `scope`. A file of its own so that the CLI,
 * which writes these defaults into a pre-migration journal's source identity, reads the same values without
 * loading the store.
 */
export const defaultListFilter = '(objectClass=person)';
export const defaultListScope = 'sub';
