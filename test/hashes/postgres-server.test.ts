/**
 * postgres_scram_sha256 and postgres_md5 against verifiers the real PostgreSQL server writes (CREATE ROLE ...
 * PASSWORD, read back from pg_authid): the registry must hash exactly what PostgreSQL hashed, its own SASLprep
 * with the raw password wherever that refuses one, and `auto` must pick postgres_md5 for every md5 verifier.
 * Roles have random names and are dropped at once.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/index.js';
import { describeWithService, randomName, serviceUrls } from '../harness/services.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

/** Passwords PostgreSQL's SASLprep maps, refuses (raw password hashed) or takes as they are. */
const scramPasswords = [
  'Cafe\u0301🙂', // unassigned in Unicode 3.2 (the emoji): raw, though NFKC would change the é
  'ｐａｓｓ🔑',
  'pa\u00adss🙂',
  'x\u2000y🙂',
  'ȡﬁ', // U+0221, unassigned in Unicode 3.2
  'a\u{1f100}', // unassigned in Unicode 3.2; its NFKC form "0." is not
  'ﬁא', // bidi rule broken: raw
  'א\ufb1d', // bidi rule holds before NFKC (where PostgreSQL checks it), not after
  'a\u200bb', // U+200B becomes a space: PostgreSQL maps non-ASCII spaces before "mapped to nothing"
  '\u00ad', // maps to nothing at all: refused, raw
  'ﻣﺮﺣﺒﺎ', // right-to-left only: mapped (NFKC)
  'pass\u00a0word',
  'tab\there',
  'Café🙂',
];

describeWithService('postgres', 'PostgreSQL verifiers from the server itself', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: serviceUrls().postgres, connectionTimeoutMillis: 5000 });
    await client.connect();
  });
  afterAll(() => client.end());

  /** The verifier PostgreSQL stores for this password under this password_encryption; the role is dropped. */
  async function storedVerifier(role: string, password: string, encryption: 'md5' | 'scram-sha-256'): Promise<string> {
    await client.query(`SET password_encryption = '${encryption}'`);
    // The role name is random lowercase hex; the password goes through the driver's literal escaping.
    await client.query(`CREATE ROLE ${role} PASSWORD ${client.escapeLiteral(password)}`);
    try {
      const { rows } = await client.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
      return rows[0]?.rolpassword ?? '';
    } finally {
      await client.query(`DROP ROLE ${role}`);
    }
  }

  it.each(scramPasswords)('SCRAM-SHA-256 verifier of %j verifies with the password typed', async (password) => {
    const hash = await storedVerifier(randomName('legacy_idp_'), password, 'scram-sha-256');
    expect(hash).toMatch(/^SCRAM-SHA-256\$4096:/u);
    await expect(registry.verify(password, hash)).resolves.toMatchObject({ valid: true, scheme: 'postgres_scram_sha256' });
    expect((await registry.verify(`${password}x`, hash)).valid).toBe(false);
  });

  it('an md5 verifier that also has bigcrypt’s shape is verified as postgres_md5', async () => {
    const password = 'Secret123';
    // md5(password + role) decides the shape: look for a role whose verifier has 2, 6 or c as its 13th, 24th
    // and 35th characters (about 1 role name in 150), the shape that made `auto` pick bigcrypt.
    const bigcryptShaped = /^md5.{9}[26c].{10}[26c].{10}[26c]$/u;
    const prefix = randomName('legacy_idp_');
    let role = '';
    for (let n = 0; role === ''; n++) {
      const candidate = `${prefix}_${n}`;
      if (bigcryptShaped.test(`md5${createHash('md5').update(password + candidate).digest('hex')}`)) role = candidate;
    }
    const hash = await storedVerifier(role, password, 'md5');
    expect(hash).toMatch(bigcryptShaped);
    await expect(registry.verify(password, hash, { context: { user: role } })).resolves.toMatchObject({ valid: true, scheme: 'postgres_md5' });
    expect((await registry.verify(`${password}x`, hash, { context: { user: role } })).valid).toBe(false);
  });
});
