import { describe, expect, it } from 'vitest';
import { normalizeClientIp } from '../../src/lockout/client-ip.js';
import { createLockoutPolicy } from '../../src/lockout/policy.js';
import { memoryLockoutStore } from '../../src/lockout/stores/memory.js';

describe('client IP keys: every spelling of one address, and only that address', () => {
  it.each([
    // IPv4-mapped IPv6 (::ffff:0:0/96) in every spelling is the IPv4 address.
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['0000:0000:0000:0000:0000:ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:0102:0304', '1.2.3.4'],
    ['::ffff:102:304', '1.2.3.4'],
    ['0:0:0:0:0:ffff:506:708', '5.6.7.8'],
    ['::ffff:1.2.3.4%eth0', '1.2.3.4'],
    ['[::ffff:1.2.3.4]:443', '1.2.3.4'],
    // The deprecated IPv4-compatible form and NAT64's well-known prefix carry an IPv4 address too.
    ['::1.2.3.4', '1.2.3.4'],
    ['::102:304', '1.2.3.4'],
    ['64:ff9b::1.2.3.4', '1.2.3.4'],
    // A port is not part of the client: rotating it must not give a fresh counter.
    ['1.2.3.4:5555', '1.2.3.4'],
    ['1.2.3.4:1', '1.2.3.4'],
    [' 1.2.3.4:5555 ', '1.2.3.4'],
    // Brackets, a port and a zone id around IPv6: still grouped per /64.
    ['[2001:db8:1:2::1]', '2001:db8:1:2::/64'],
    ['[2001:db8:1:2::1]:443', '2001:db8:1:2::/64'],
    ['[2001:DB8:1:2::1%25eth0]:443', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::5', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1.2.3.4', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    // IPv6's own loopback and unspecified addresses are not IPv4 addresses.
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    // Not an address: kept as text, lower-cased and bounded, as before.
    ['01.2.3.4', '01.2.3.4'],
    ['1.2.3.4, 5.6.7.8', '1.2.3.4, 5.6.7.8'],
    ['[not an ip]:80', '[not an ip]:80'],
    ['1.2.3.4:123456', '1.2.3.4:123456'],
  ])('%j is keyed as %j', (input, expected) => {
    expect(normalizeClientIp(input)).toBe(expected);
  });

  it('keeps distinct IPv4 clients written as mapped IPv6 apart, so one sprayer locks only itself', async () => {
    const policy = createLockoutPolicy({ store: memoryLockoutStore({ sweepIntervalMs: 0 }), ip: { threshold: 3 }, repeat: false });
    for (let i = 0; i < 3; i++) {
      const decision = await policy.begin({ account: `sprayed-${i}`, clientIp: '::ffff:0102:0304' });
      if (decision.allowed) await decision.ticket.failure();
    }
    expect(await policy.begin({ account: 'next', clientIp: '1.2.3.4:40000' })).toMatchObject({ allowed: false, scope: 'ip' });
    expect((await policy.begin({ account: 'bystander', clientIp: '::ffff:0506:0708' })).allowed).toBe(true);
    expect((await policy.begin({ account: 'bystander', clientIp: '::ffff:9.9.9.9%eth0' })).allowed).toBe(true);
    await policy.close();
  });
});
