/**
 * Writes examples/demo/users.jsonl: the bundled demo users of `npm start` / `legacy-idp serve`, each with a
 * real hash of a different legacy format, so the embedded default exercises the hash registry the way a real
 * export does. The passwords are documented (README, docs/serve.md): demo data, never a secret.
 *
 *   npx tsx scripts/demo/make-demo-users.ts
 */
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { createHashRegistry } from '../../src/hashes/registry.js';

const registry = createHashRegistry({ workers: false });

function django(password: string): string {
  const salt = randomBytes(12).toString('base64url');
  const iterations = 100_000;
  return `pbkdf2_sha256$${iterations}$${salt}$${pbkdf2Sync(password, salt, iterations, 32, 'sha256').toString('base64')}`;
}

/** ASP.NET Core Identity V3: 0x01 | prf (1 = HMAC-SHA256) | iterations | salt length | salt | subkey, big-endian. */
function aspnetIdentityV3(password: string): string {
  const salt = randomBytes(16);
  const iterations = 100_000;
  const subkey = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const header = Buffer.alloc(13);
  header.writeUInt8(0x01, 0);
  header.writeUInt32BE(1, 1);
  header.writeUInt32BE(iterations, 5);
  header.writeUInt32BE(salt.length, 9);
  return Buffer.concat([header, salt, subkey]).toString('base64');
}

function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

/** glibc crypt(3) SHA-512, through openssl (an implementation independent of ours). */
function sha512Crypt(password: string): string {
  return execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: password, encoding: 'utf8' }).trim();
}

const users = [
  { id: 'demo-0001', username: 'alice', email: 'alice@example.org', displayName: 'Alice Liddell', givenName: 'Alice', surname: 'Liddell', department: 'Research', scheme: 'bcrypt', passwordHash: bcrypt.hashSync('Wonderland-2024', 10) },
  { id: 'demo-0002', username: 'bob', email: 'bob@example.org', displayName: 'Bob Builder', scheme: 'django_pbkdf2_sha256', passwordHash: django('Builder-2024!') },
  { id: 'demo-0003', username: 'carol', email: 'carol@example.org', state: 'password_expired', scheme: 'sha512_crypt', passwordHash: sha512Crypt('Expired-2019') },
  { id: 'demo-0004', username: 'dave', email: 'dave@example.org', state: 'disabled', scheme: 'bcrypt', passwordHash: bcrypt.hashSync('Disabled-2020', 10) },
  { id: 'demo-0005', username: 'erin', email: 'erin@example.org', displayName: 'Erin Identity', scheme: 'aspnet_identity', passwordHash: aspnetIdentityV3('Identity-V3-2024') },
  { id: 'demo-0006', username: 'frank', email: 'frank@example.org', displayName: 'Frank Argon', scheme: 'argon2id', passwordHash: await registry.hash('argon2id', 'Argon2id-2024') },
  { id: 'demo-0007', username: 'grace', email: 'grace@example.org', displayName: 'Grace Directory', scheme: 'ldap_salted_sha1', passwordHash: ssha('Ssha-Directory-2024') },
];

// Every hash must verify with its documented password before it is written.
const passwords = ['Wonderland-2024', 'Builder-2024!', 'Expired-2019', 'Disabled-2020', 'Identity-V3-2024', 'Argon2id-2024', 'Ssha-Directory-2024'];
for (const [index, user] of users.entries()) {
  const result = await registry.verify(passwords[index] as string, user.passwordHash, { scheme: user.scheme });
  if (!result.valid) throw new Error(`demo user ${user.username}: hash does not verify`);
}
await registry.close();
writeFileSync(new URL('../../examples/demo/users.jsonl', import.meta.url), `${users.map((user) => JSON.stringify(user)).join('\n')}\n`);
console.log(`wrote ${users.length} demo users`);
