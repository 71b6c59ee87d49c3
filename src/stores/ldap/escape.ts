import { LegacyIdpError } from '../../core/errors.js';

/**
 * Escaping of untrusted text (a username) for the two places an LDAP store puts it: a search filter
 * (RFC 4515) and a DN (RFC 4514). Both work on the UTF-8 bytes the server will see, so what is escaped is
 * exactly what the server would otherwise read as syntax.
 */

/** How `escapeFilterValue` writes characters outside ASCII. */
export type FilterNonAscii =
  /**
   * `\xx` for each UTF-8 byte, as RFC 4515's own examples do: no server-side parser can misread it. Do not
   * hand such a filter string to ldapts 8 (`client.search(base, { filter: '...' })`): its string parser turns
   * each `\xx` into one Latin-1 character and re-encodes it, so `\c3\a9` (é) goes out as `c3 83 c2 a9`.
   */
  | 'hex'
  /**
   * Raw UTF-8 (RFC 4515 `UTFMB`). Still injection-safe: only ASCII characters are filter syntax, and every one
   * of those that could be is escaped. Use this for filter strings that ldapts parses.
   */
  | 'utf8';

export interface FilterEscapeOptions {
  /** Default `hex`. */
  nonAscii?: FilterNonAscii;
}

const hex = (byte: number): string => `\\${byte.toString(16).padStart(2, '0')}`;

/**
 * RFC 4515 assertion value: `*`, `(`, `)`, `\` and NUL must be `\xx`; ASCII control characters are escaped too
 * so a log line or a server that stops at a newline never sees a raw one (in `utf8` mode C1 controls stay raw:
 * they are not syntax, and `\xx` pairs would be mangled by ldapts). A lone surrogate becomes U+FFFD, as
 * `Buffer.from` does: lossy, but it can never become syntax.
 */
export function escapeFilterValue(value: string, options: FilterEscapeOptions = {}): string {
  const nonAscii = options.nonAscii ?? 'hex';
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80) {
      out += code < 0x20 || code === 0x7f || char === '*' || char === '(' || char === ')' || char === '\\' ? hex(code) : char;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate (for..of yields it alone): what Buffer.from makes of it, U+FFFD.
      out += nonAscii === 'utf8' ? '\ufffd' : '\\ef\\bf\\bd';
    } else {
      out += nonAscii === 'utf8' ? char : Array.from(Buffer.from(char, 'utf8'), hex).join('');
    }
  }
  return out;
}

/** RFC 4514 section 2.4: characters that must be preceded by a backslash anywhere in a value. */
const dnSpecial = new Set([',', '+', '"', '\\', '<', '>', ';', '=']);

/**
 * RFC 4514 attribute value: the specials (`,` `+` `"` `\` `<` `>` `;`, and `=` which older parsers split on)
 * get a backslash, a leading `#` or space and a trailing space are escaped, and NUL and control characters
 * (C0, DEL, C1) are written as `\xx` pairs of their UTF-8 bytes. Other non-ASCII text stays raw UTF-8, which
 * the RFC allows and every server reads.
 */
export function escapeDnValue(value: string): string {
  const chars = Array.from(value.replace(/\p{Cs}/gu, '\ufffd'));
  let out = '';
  chars.forEach((char, index) => {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      out += Array.from(Buffer.from(char, 'utf8'), hex).join('');
    } else if (dnSpecial.has(char)) {
      out += `\\${char}`;
    } else if ((index === 0 && (char === ' ' || char === '#')) || (index === chars.length - 1 && char === ' ')) {
      out += `\\${char}`;
    } else {
      out += char;
    }
  });
  return out;
}

export type TemplateKind = 'dn' | 'filter';

const placeholder = '{username}';

/**
 * Puts a username into a configured DN template (`uid={username},ou=people,dc=example,dc=org`) or filter
 * template (`(&(objectClass=person)(uid={username}))`), escaped for that kind, at every `{username}`. A
 * template without the placeholder is a configuration mistake that would bind or search as one fixed entry
 * for every user, so it is refused.
 *
 * Filters default to `nonAscii: 'utf8'`, unlike `escapeFilterValue`: the filled template is handed to ldapts
 * as a string, and ldapts 8 would re-encode `\xx` UTF-8 pairs as Latin-1 and never find `zoë`.
 */
export function fillTemplate(template: string, username: string, kind: TemplateKind, options: FilterEscapeOptions = {}): string {
  if (!template.includes(placeholder)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `the ${kind} template has no ${placeholder} placeholder`);
  }
  const escaped = kind === 'dn' ? escapeDnValue(username) : escapeFilterValue(username, { nonAscii: options.nonAscii ?? 'utf8' });
  // split/join, not replaceAll(string): a replacement string would give `$&` and `$'` in a username a meaning.
  return template.split(placeholder).join(escaped);
}
