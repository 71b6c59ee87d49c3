/**
 * Authenticator benchmarks. Every figure is a ratio against a baseline measured in the same run, so the
 * numbers compare across machines: the baseline is a direct verify() of a wrong password on the memory
 * store (one scrypt N=2^14).
 *
 *   npm run bench
 */
import { createAuthenticator } from '../src/core/authenticator.js';
import { memoryUserStore } from '../src/stores/memory/index.js';
import { median } from '../src/testing/conformance.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 40);

async function medianMs(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await run(); // warm-up
  return median(rounds, run);
}

const store = await memoryUserStore({ users: [{ username: 'alice', password: 'Wonderland-2024' }] });
const auth = createAuthenticator({ verifier: store, profiles: store });
const wrong = { username: 'alice', password: 'Wonderland-2025' };

const baseline = await medianMs(() => store.verify(wrong));
const results: [string, number][] = [
  ['authenticate(), wrong password', await medianMs(() => auth.authenticate(wrong))],
  ['authenticate(), valid password + profile', await medianMs(() => auth.authenticate({ username: 'alice', password: 'Wonderland-2024' }))],
  ['authenticate(), unknown user (dummy verify)', await medianMs(() => auth.authenticate({ username: 'mallory', password: 'x-Wonderland' }))],
  ['verify() alone, unknown user (no dummy verify)', await medianMs(() => store.verify({ username: 'mallory', password: 'x-Wonderland' }))],
  ['authenticate(), empty password (rejected early)', await medianMs(() => auth.authenticate({ username: 'alice', password: '' }))],
];

console.log(`baseline: memory store verify(), wrong password = 1.00 (median ${baseline.toFixed(2)} ms, ${rounds} rounds)`);
for (const [name, ms] of results) console.log(`${(ms / baseline).toFixed(3).padStart(8)}  ${name}`);
console.log('\nTarget: unknown user / wrong password within 0.8-1.25 (timing must not reveal existence);');
console.log('Authenticator overhead over a bare verify below 1.05.');
