import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

/**
 * A conformance case is a name and an async function that throws (node:assert) on failure, so the suites
 * run under any test runner: `for (const c of cases) it(c.name, c.run)` in vitest, jest, mocha or node:test.
 */
export interface ConformanceCase {
  name: string;
  run: () => Promise<void>;
}

/** A user the store under test holds, with the password it was given. */
export interface FixtureUser {
  username: string;
  password: string;
}

/**
 * Usernames that break naive stores: LDAP filter and DN metacharacters (RFC 4515/4514), SQL quoting,
 * comments, stacked statements and Unicode quote look-alikes, NoSQL operator objects serialized to strings,
 * wildcards, NUL and path tricks. None may ever match the fixture user or make a store throw.
 */
export function injectionUsernames(validUsername: string): string[] {
  return [
    '*',
    `${validUsername}*`,
    `*${validUsername.slice(1)}`,
    `${validUsername})(|(uid=*))`,
    `*)(uid=*))(|(uid=*`,
    `${validUsername})(&)`,
    `cn=${validUsername},dc=example,dc=org`,
    `${validUsername}\\2a`,
    `${validUsername}' OR '1'='1`,
    `' OR 1=1 --`,
    `${validUsername}'--`,
    `"; DROP TABLE users; --`,
    `${validUsername}%`,
    `_${validUsername.slice(1)}`,
    '{"$ne": null}',
    '{"$gt": ""}',
    `${validUsername}\u0000`,
    `${validUsername}\u0000admin`,
    `../${validUsername}`,
    `${validUsername} `.repeat(2),
    // SQL: comments, stacked statements, quote look-alikes that some collations or drivers fold to '.
    `${validUsername}'/*`,
    `${validUsername}' #`,
    `${validUsername}'; UPDATE users SET password = 'x'; --`,
    `${validUsername}\u2019 OR \u20191\u2019=\u20191`,
    `${validUsername}\u02bc OR 1=1 --`,
    `${validUsername}\uff07 OR \uff071\uff07=\uff071`,
    `${validUsername}\\`,
    // NoSQL: operator and code payloads as text, dotted and $-prefixed keys.
    '{"$where": "1 == 1"}',
    '{"$regex": ".*"}',
    `${validUsername}.$ne`,
    '$where',
  ];
}

export function randomUnknownUsername(): string {
  return `no-such-user-${randomBytes(6).toString('hex')}`;
}

/** The canary check: a secret must not appear anywhere in what a component hands back or throws. */
export function assertNoSecret(value: unknown, secret: string, where: string): void {
  const text = value instanceof Error ? `${value.message} ${JSON.stringify(value)} ${String(value.stack)}` : JSON.stringify(value);
  assert.ok(!text.includes(secret), `${where} contains the secret`);
}

export async function median(samples: number, run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export async function withComponent<T extends { close?: () => Promise<void> }>(
  create: () => T | Promise<T>,
  use: (component: T) => Promise<void>,
): Promise<void> {
  const component = await create();
  try {
    await use(component);
  } finally {
    await component.close?.();
  }
}
