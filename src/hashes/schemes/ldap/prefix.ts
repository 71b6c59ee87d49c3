/**
 * `{SCHEME}` prefixes. OpenLDAP (lutil_passwd) and Dovecot (password_scheme_lookup) both compare scheme
 * names case-insensitively, and Spring Security's own tests store `{ssha}` (hash-formats.md finding 7).
 */
export function stripPrefix(hash: string, name: string): string | undefined {
  const head = `{${name}}`;
  return hash.length >= head.length && hash.slice(0, head.length).toUpperCase() === head.toUpperCase() ? hash.slice(head.length) : undefined;
}

export type BodyEncoding = 'base64' | 'hex';

/**
 * Dovecot also accepts `{NAME.HEX}`, `{NAME.B64}` and `{NAME.BASE64}` to force the encoding of the part
 * after the prefix (password_decode in src/auth/password-scheme.c).
 */
export function stripDovecotPrefix(hash: string, name: string): { body: string; encoding?: BodyEncoding } | undefined {
  const body = stripPrefix(hash, name);
  if (body !== undefined) return { body };
  for (const [suffix, encoding] of dovecotSuffixes) {
    const forced = stripPrefix(hash, `${name}${suffix}`);
    if (forced !== undefined) return { body: forced, encoding };
  }
  return undefined;
}

const dovecotSuffixes: readonly (readonly [string, BodyEncoding])[] = [
  ['.HEX', 'hex'],
  ['.B64', 'base64'],
  ['.BASE64', 'base64'],
];
