import { BlockList, isIP } from 'node:net';
import { LegacyIdpError } from '../../core/errors.js';

/**
 * What the host adapters share. Not an adapter itself: each file in this folder imports at most this and the
 * node:http glue (node.ts), never another adapter.
 */

/**
 * What a framework's error path receives when a handler rejects. The endpoint's own handlers never reject (they
 * answer the protocol's 500); a custom handler may, and its message can quote the request (JSON.parse quotes
 * the body, password included). Frameworks print the message in their default error answer (Express outside
 * production, Fastify always), so the message here is fixed and the original stays in `cause`, in-process.
 */
export function handlerFailure(cause: unknown): Error {
  return new Error('legacy-idp: the JIT handler failed (the original error is in `cause`)', { cause });
}

/** The answer of the serverless adapters when a handler rejects: the same fixed body the node:http glue sends. */
export const serverErrorBody = '{"error":"server_error"}';

/**
 * A Response's headers as one object, one value per name, Set-Cookie left out: a custom handler may set several
 * cookies, and no single value can carry them (joined with commas they would split inside an Expires date). Each
 * adapter passes `headers.getSetCookie()` on in its platform's own form, one cookie each.
 */
export function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') record[name] = value;
  });
  return record;
}

/** The error's class name and nothing else, for a log line: its message may hold what the request held. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

const textTypes = /^(?:application\/(?:[\w.+-]*\+)?json|text\/)/iu;

/** Whether a content type is text (JSON or text/*): the serverless adapters pass such a body on as a string. */
export function isTextType(contentType: string | null): boolean {
  return textTypes.test(contentType ?? '');
}

/**
 * Which hops of the request's path are proxies you run, counted from the server: `true` is one proxy (the
 * socket's peer), a number `n` is that many (the peer and the `n - 1` proxies before it), a list names the
 * proxies by address or CIDR (`10.0.0.0/8`, `2001:db8::/32`) and the peer must be one of them. `false` or `0`:
 * no proxy, the socket's address is the client's.
 */
export type TrustProxy = boolean | number | readonly string[];

/** Whether `hop` (0 is the socket's peer, 1 the right-most X-Forwarded-For entry, ...) at `address` is a proxy you run. */
export type TrustedHop = (address: string, hop: number) => boolean;

/** `203.0.113.7:51234` -> `203.0.113.7`, `[2001:db8::1]:443` -> `2001:db8::1`; anything else as it is. */
export function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/u.exec(address);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const ipv4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/u.exec(address);
  return ipv4?.[1] ?? address;
}

/** An IPv4 or IPv6 address, or one with a prefix length (`10.0.0.0/8`): what a trustProxy list may hold. */
export function isProxyAddress(value: string): boolean {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = value.slice(slash + 1);
  return /^\d{1,3}$/u.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The trust rule of a `TrustProxy` option, undefined when no hop is trusted. A malformed option throws
 * ERR_LEGACY_IDP_CONFIG_INVALID, so that a server refuses it when it starts, not on each call.
 */
export function trustedHops(option: TrustProxy | undefined, path = 'trustProxy'): TrustedHop | undefined {
  if (option === undefined || option === false || option === 0) return undefined;
  if (option === true) return (_address, hop) => hop < 1;
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 0) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${path}: the number of proxies must be a whole number, 0 or more`, { path });
    return (_address, hop) => hop < option;
  }
  if (!Array.isArray(option) || option.length === 0) throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${path}: true, a number of proxies, or a non-empty list of proxy addresses`, { path });
  const proxies = new BlockList();
  for (const [index, entry] of option.entries()) {
    if (typeof entry !== 'string' || !isProxyAddress(entry)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${path}[${index}]: not an IP address or CIDR range`, { path: `${path}[${index}]` });
    }
    const slash = entry.indexOf('/');
    const address = slash < 0 ? entry : entry.slice(0, slash);
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (slash < 0) proxies.addAddress(address, type);
    else proxies.addSubnet(address, Number(entry.slice(slash + 1)), type);
  }
  return (address) => {
    const family = isIP(address);
    if (family === 0) return false;
    // An IPv4-mapped peer (`::ffff:10.0.0.1`, a dual-stack socket) matches the IPv4 ranges: BlockList does that.
    try {
      return proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
    } catch {
      return false;
    }
  };
}

/**
 * The client's address behind trusted proxies. Proxies append the peer they saw to X-Forwarded-For (nginx
 * `$proxy_add_x_forwarded_for`, Azure Application Gateway, AWS ALB, Envoy), so only the entries on the right,
 * written by your proxies, can be believed; whatever is left of them came with the request and is the client's
 * to write. The walk starts at the socket's peer (hop 0) and moves one entry to the left while the hop it stands
 * on is a trusted proxy; where it stops is the client. Fewer entries than trusted hops: the left-most entry. An
 * entry on the way that is not an IP address gives the socket's address, never the text (it would become a
 * lockout key of the client's choosing). `peer` undefined: a platform that hides the socket and whose own front
 * end wrote the right-most entry (Azure Functions); hop 0 is then that front end.
 */
export function forwardedClient(forwardedFor: string | readonly string[] | undefined, peer: string | undefined, trusted: TrustedHop): string | undefined {
  if (peer !== undefined && !trusted(peer, 0)) return peer;
  if (forwardedFor === undefined) return peer;
  const entries = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  let client = peer;
  for (let hop = 1; hop <= entries.length; hop++) {
    const entry = withoutPort((entries[entries.length - hop] as string).trim());
    if (isIP(entry) === 0) return peer;
    client = entry;
    if (!trusted(entry, hop)) return entry;
  }
  return client;
}
