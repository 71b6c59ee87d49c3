import { isIPv4, isIPv6 } from 'node:net';

/** Longest client-IP text kept as a key when it is not an IP address at all. */
const maxRawLength = 64;

/** `[address]` or `[address]:port`, as URLs and some proxies print an IPv6 peer. */
const bracketed = /^\[([^\]]*)\](?::\d{1,5})?$/u;
/** `a.b.c.d:port`. A bare IPv6 address can end in what looks like a port, so only IPv4 loses one unbracketed. */
const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/u;

/**
 * The client-IP key. A port (`1.2.3.4:5555`, `[2001:db8::1]:443`), brackets and a zone id (`%eth0`, which names
 * an interface of the machine that saw the address, not the client) are dropped, so a client cannot get a fresh
 * counter per port. An IPv6 address that carries an IPv4 address (IPv4-mapped `::ffff:0:0/96` in any spelling,
 * the deprecated IPv4-compatible `::a.b.c.d`, NAT64's `64:ff9b::/96`) is that IPv4 address; other IPv6 addresses
 * are cut to their /64, because one subscriber usually holds a whole /64 and could rotate through it. Text that
 * is not an address (a protocol passed something odd) is still counted, lower-cased and bounded, rather than
 * letting it escape the IP scopes.
 */
export function normalizeClientIp(input: string): string {
  if (isIPv4(input)) return input;
  const text = input.trim().toLowerCase();
  return addressKey(text) ?? text.slice(0, maxRawLength);
}

function addressKey(text: string): string | undefined {
  const address = (bracketed.exec(text)?.[1] ?? ipv4WithPort.exec(text)?.[1] ?? text).replace(/%.*$/u, '');
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return undefined;
  const groups = ipv6Groups(address);
  return embeddedIPv4(groups) ?? `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail becomes the last two). */
function ipv6Groups(address: string): number[] {
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
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16));
}

/**
 * The IPv4 address an IPv6 address stands for, if any: `::ffff:0:0/96` (mapped, RFC 4291 2.5.5.2), `::/96`
 * (IPv4-compatible, 2.5.5.1; not `::` and `::1`, which are IPv6's own) and `64:ff9b::/96` (NAT64, RFC 6052).
 */
function embeddedIPv4(groups: readonly number[]): string | undefined {
  const [g0, g1, g2, g3, g4, g5, high = 0, low = 0] = groups;
  const zeroMiddle = g2 === 0 && g3 === 0 && g4 === 0;
  const mapped = g0 === 0 && g1 === 0 && zeroMiddle && g5 === 0xffff;
  const compatible = g0 === 0 && g1 === 0 && zeroMiddle && g5 === 0 && (high !== 0 || low > 1);
  const nat64 = g0 === 0x64 && g1 === 0xff9b && zeroMiddle && g5 === 0;
  if (!mapped && !compatible && !nat64) return undefined;
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}
