import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { JitRequestHead } from '../endpoint.js';
import { authorizationCredentials, digestSecret, type CallerMethod } from './shared.js';

/**
 * HTTP Basic (RFC 7617), B2C `AuthenticationType` `Basic` with the policy keys `BasicAuthenticationUsername`
 * and `BasicAuthenticationPassword`. Several users allow a rotation: add the new pair, switch the policy
 * keys, remove the old pair.
 */

const basicUserSchema = z
  .object({
    // RFC 7617 §2: the user-id ends at the first colon, so a configured name with one could never match.
    username: z.string().min(1).max(256).refine((name) => !name.includes(':'), "a Basic username cannot contain ':'"),
    /**
     * A machine secret guarding a password oracle: long and random (`openssl rand -base64 32`), never a word a
     * person chose. Kept only as a SHA-256 digest once the authenticator is built.
     */
    password: z.string().min(16, 'at least 16 characters (generate one: openssl rand -base64 32)').max(1024),
  })
  .strict();

export const basicSchema = z
  .object({ users: z.array(basicUserSchema).min(1) })
  .strict()
  .refine((basic) => new Set(basic.users.map((user) => user.username)).size === basic.users.length, {
    error: 'each username may appear once',
    path: ['users'],
  });

export type BasicOptions = z.input<typeof basicSchema>;

const base64 = /^[A-Za-z0-9+/]+={0,2}$/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Parsed = { ok: true; username: string; password: string } | { ok: false; reason: string };

function parseBasic(request: JitRequestHead): Parsed {
  const header = authorizationCredentials(request, 'Basic');
  if (!header.ok) return header;
  const encoded = header.credentials;
  // Buffer.from(..., 'base64') skips what it cannot read; demand the canonical form so that garbage is
  // reported as garbage instead of being compared as a mangled password.
  if (encoded.length % 4 !== 0 || !base64.test(encoded)) return { ok: false, reason: 'credentials are not base64' };
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded) return { ok: false, reason: 'credentials are not canonical base64' };
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'credentials are not UTF-8' };
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return { ok: false, reason: 'credentials have no ":" between username and password' };
  return { ok: true, username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function basicMethod(options: z.output<typeof basicSchema>): CallerMethod {
  const users = options.users.map((user) => ({ username: user.username, name: digestSecret(user.username), password: digestSecret(user.password) }));
  return (request) => {
    const parsed = parseBasic(request);
    if (!parsed.ok) return parsed;
    const name = digestSecret(parsed.username);
    const password = digestSecret(parsed.password);
    let matched: string | undefined;
    let knownUser = false;
    // Every configured pair is compared, both halves each time: the time taken says nothing about which
    // user (or whether any user) matched, nor whether the name or the password was the wrong half.
    for (const user of users) {
      const nameMatches = timingSafeEqual(name, user.name);
      const passwordMatches = timingSafeEqual(password, user.password);
      knownUser ||= nameMatches;
      if (nameMatches && passwordMatches) matched = user.username;
    }
    if (matched !== undefined) return { ok: true, identity: { method: 'basic', subject: matched } };
    return { ok: false, reason: knownUser ? 'wrong password for a configured user' : 'unknown user' };
  };
}
