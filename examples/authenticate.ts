/**
 * The Authenticator on the in-memory store: what a JIT endpoint does for each sign-in call.
 *
 *   npx tsx examples/authenticate.ts
 */
import { createAuthenticator, jsonLogger } from 'legacy-idp';
import { memoryUserStore } from 'legacy-idp/memory';

const store = await memoryUserStore({
  users: [
    { username: 'alice', password: 'Wonderland-2024', email: 'alice@example.org', givenName: 'Alice' },
    { username: 'dave', password: 'Disabled-2020', state: 'disabled' },
  ],
});

const auth = createAuthenticator({
  verifier: store,
  profiles: store,
  // Entra External ID's OnPasswordSubmit gives up after 2 s; answer before it does.
  defaultDeadlineMs: 1_500,
  // Operator log on stderr; passwords never reach it.
  logger: jsonLogger({ level: 'info' }),
});

const attempts = [
  { username: ' Alice ', password: 'Wonderland-2024' }, // valid: normalized to "alice"
  { username: 'alice@example.org', password: 'Wonderland-2024' }, // valid: sign-in by email
  { username: 'alice', password: 'wonderland-2024' }, // invalid
  { username: 'mallory', password: 'guess' }, // unknown_user, after a dummy verification
  { username: 'dave', password: 'Disabled-2020' }, // disabled
  { username: 'alice', password: '' }, // invalid (empty_password), no backend call
];

for (const attempt of attempts) {
  const { username, outcome, profile } = await auth.authenticate(attempt);
  // What the new IdP would be told: a generic failure, or the claims to create the user with.
  console.log(JSON.stringify({ username, status: outcome.status, email: profile?.email ?? null }));
}
await auth.close();
