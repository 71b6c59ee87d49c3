import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCallerAuth } from '../../src/jit/caller-auth.js';
import { createJitEndpoint, jitErrorStatus, jsonAnswer, jsonResponse, type JitHandler } from '../../src/jit/endpoint.js';
import { azureFunctionsJitHandler } from '../../src/jit/hosts/azure-functions.js';
import { toNodeListener } from '../../src/jit/hosts/node.js';
import { forwardedClient, trustedHops, type TrustProxy } from '../../src/jit/hosts/shared.js';
import { startJitServer, type JitServer } from '../../src/jit/server.js';

/**
 * Which X-Forwarded-For entry is the client. Proxies append the peer they saw (nginx `$proxy_add_x_forwarded_for`,
 * Application Gateway, ALB, Envoy), so the left-most entry is whatever the client wrote: `trustProxy` used to take
 * it, and a client could spread its guesses over made-up addresses (the lockout's IP scope never counted them) or
 * lock out a victim's address. Free text there became a lockout key. Now entries are counted from the right, as
 * the Azure Functions adapter already did.
 */

const key = 'key-0123456789abcdef-0123456789';

/** The client address the endpoint's pipeline got, as its protocol sees it. */
const endpointIp: JitHandler = createJitEndpoint(
  {
    name: 'test',
    input: z.object({}),
    errorAnswer: (kind) => jsonAnswer(jitErrorStatus[kind], { error: kind }),
    handle: (_input, context) => Promise.resolve({ answer: jsonAnswer(200, { ip: context.clientIp ?? null }), outcome: 'seen' }),
  },
  { callerAuth: createCallerAuth({ apiKey: { keys: [{ value: key }] } }) },
);

/** A handler of its own: gets the address from the host's connection info. */
const ownIp: JitHandler = (_request, connection) => Promise.resolve(jsonResponse(200, { ip: connection?.remoteAddress ?? null }));

let server: JitServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function ipsSeen(trustProxy: TrustProxy | undefined, forwardedFor: string | undefined): Promise<[unknown, unknown]> {
  server = await startJitServer({ port: 0, ...(trustProxy === undefined ? {} : { trustProxy }), routes: { '/endpoint': endpointIp, '/own': ownIp } });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': key };
  if (forwardedFor !== undefined) headers['x-forwarded-for'] = forwardedFor;
  const seen = await Promise.all(
    ['/endpoint', '/own'].map(async (path) => ((await (await fetch(`${server?.url}${path}`, { method: 'POST', headers, body: '{}' })).json()) as { ip: unknown }).ip),
  );
  await server.close();
  server = undefined;
  return [seen[0], seen[1]];
}

describe('startJitServer trustProxy', () => {
  it('true is one proxy: the right-most entry, whatever the client wrote to its left', async () => {
    expect(await ipsSeen(true, '1.1.1.1, 203.0.113.9')).toEqual(['203.0.113.9', '203.0.113.9']);
    expect(await ipsSeen(true, '203.0.113.9')).toEqual(['203.0.113.9', '203.0.113.9']);
  });

  it('a number counts proxies from the right', async () => {
    expect(await ipsSeen(2, '1.1.1.1, 203.0.113.9')).toEqual(['1.1.1.1', '1.1.1.1']);
    expect(await ipsSeen(2, '10.9.9.9, 1.1.1.1, 203.0.113.9')).toEqual(['1.1.1.1', '1.1.1.1']);
  });

  it('a list names the proxies: the first entry from the right that is not one of them; a peer not in the list is the client', async () => {
    // The test's peer is 127.0.0.1 (an IPv4-mapped address on a dual-stack socket matches too).
    expect(await ipsSeen(['127.0.0.1', '10.0.0.0/8'], '198.51.100.1, 203.0.113.9, 10.1.2.3')).toEqual(['203.0.113.9', '203.0.113.9']);
    expect(await ipsSeen(['10.0.0.0/8'], '203.0.113.9')).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('an entry that is not an IP address gives the socket address, never its text', async () => {
    expect(await ipsSeen(true, 'not-an-ip-1234')).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await ipsSeen(2, 'x, 203.0.113.9')).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await ipsSeen(true, '1.1.1.1, ')).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('off by default, and false or 0 is off', async () => {
    expect(await ipsSeen(undefined, '203.0.113.9')).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await ipsSeen(false, '203.0.113.9')).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await ipsSeen(0, '203.0.113.9')).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it('refuses a malformed option when the listener is made', async () => {
    await expect(startJitServer({ port: 0, trustProxy: ['10.0.0.0/33'], routes: { '/own': ownIp } })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    expect(() => toNodeListener(ownIp, { trustProxy: ['proxy.internal'] })).toThrow(/not an IP address or CIDR range/u);
    expect(() => toNodeListener(ownIp, { trustProxy: 1.5 })).toThrow(/whole number/u);
  });
});

describe('forwardedClient', () => {
  const rule = (option: TrustProxy) => trustedHops(option) as NonNullable<ReturnType<typeof trustedHops>>;

  it('walks from the socket peer leftwards while the hop is trusted', () => {
    expect(forwardedClient('1.1.1.1, 203.0.113.9', '10.0.0.1', rule(true))).toBe('203.0.113.9');
    expect(forwardedClient('1.1.1.1, 203.0.113.9', '10.0.0.1', rule(2))).toBe('1.1.1.1');
    // Fewer entries than trusted hops: the left-most.
    expect(forwardedClient('203.0.113.9', '10.0.0.1', rule(3))).toBe('203.0.113.9');
    expect(forwardedClient(undefined, '10.0.0.1', rule(true))).toBe('10.0.0.1');
    // Ports as Azure and some proxies write them, and IPv6.
    expect(forwardedClient('203.0.113.9:51234', '10.0.0.1', rule(true))).toBe('203.0.113.9');
    expect(forwardedClient('[2001:db8::7]:443', '10.0.0.1', rule(true))).toBe('2001:db8::7');
    expect(forwardedClient(['1.1.1.1', '203.0.113.9'], '10.0.0.1', rule(true))).toBe('203.0.113.9');
  });

  it('a list form: proxies by address and range, an IPv4-mapped peer included', () => {
    const proxies = rule(['10.0.0.0/8', '2001:db8:ffff::/48', '192.0.2.1']);
    expect(forwardedClient('198.51.100.1, 203.0.113.9, 192.0.2.1, 10.4.4.4', '::ffff:10.0.0.1', proxies)).toBe('203.0.113.9');
    expect(forwardedClient('203.0.113.9, 2001:db8:ffff::1', '2001:db8:ffff::2', proxies)).toBe('203.0.113.9');
    expect(forwardedClient('203.0.113.9', '198.51.100.77', proxies)).toBe('198.51.100.77');
    // Every entry a proxy: the left-most.
    expect(forwardedClient('10.1.1.1, 10.2.2.2', '10.3.3.3', proxies)).toBe('10.1.1.1');
  });

  it('a malformed entry on the way gives the peer', () => {
    for (const header of ['garbage', '1.1.1.1, unknown', '1.1.1.1, _hidden', '1.1.1.1,', '999.1.1.1']) {
      expect(forwardedClient(header, '10.0.0.1', rule(true)), header).toBe('10.0.0.1');
    }
    expect(forwardedClient('garbage, 203.0.113.9', '10.0.0.1', rule(2))).toBe('10.0.0.1');
  });
});

describe('azureFunctionsJitHandler: the same rule', () => {
  const ipOf = async (forwardedFor: string): Promise<unknown> => {
    const answer = await azureFunctionsJitHandler(ownIp)(new Request('https://jit.azurewebsites.net/api/verify', { method: 'POST', headers: { 'x-forwarded-for': forwardedFor }, body: '{}' }));
    return (JSON.parse(answer.body as string) as { ip: unknown }).ip;
  };

  it('the last entry, and no address at all for one that is not an IP address', async () => {
    expect(await ipOf('1.1.1.1, 203.0.113.9:51234')).toBe('203.0.113.9');
    expect(await ipOf('203.0.113.9, not-an-ip')).toBeNull();
  });
});
