import { isIPv4, isIPv6 } from 'node:net';

/** Longest client-IP text kept as a key when it is not an IP address at all. */
const maxRawLength = 64;

/**
 * The client-IP key. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is the IPv4 address; other IPv6 addresses are
 * cut to their /64, because one subscriber usually holds a whole /64 and could rotate through it. Text that
 * is not an address (a protocol passed something odd) is still counted, lower-cased and bounded, rather than
 * letting it escape the IP scopes.
 */
export function normalizeClientIp(input: string): string {
  if (isIPv4(input)) return input;
  const text = input.trim().toLowerCase();
  const mapped = /^(?:0{0,4}:){0,5}ffff:(\d{1,3}(?:\.\d{1,3}){3})$/u.exec(text.replace(/^::/u, '0:0:0:0:0:'));
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(text)) return text;
  const unzoned = text.replace(/%.*$/u, '');
  if (isIPv6(unzoned)) return `${expandIPv6(unzoned).slice(0, 4).join(':')}::/64`;
  return text.slice(0, maxRawLength);
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros (an embedded IPv4 tail is converted). */
function expandIPv6(address: string): string[] {
  let text = address;
  const v4Tail = /(\d{1,3}(?:\.\d{1,3}){3})$/u.exec(text);
  if (v4Tail?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4Tail[1].split('.').map(Number);
    text = `${text.slice(0, -v4Tail[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16).toString(16));
}
