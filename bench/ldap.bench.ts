/**
 * LDAP verification throughput: the store's pooled bind against a naive connect + bind + unbind per check,
 * both against the same throw-away slapd in the same run (the test harness starts it; needs slapd installed:
 * `npm test` installs it as root on Debian). Prints ratios and p99 latencies; asserts nothing.
 *
 *   npm run bench:ldap            (BENCH_OPS=3000 checks per measurement, 16 in flight)
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Client } from 'ldapts';
import { ldapUserStore } from '../src/stores/ldap/ldap-store.js';
import { missingSlapdParts, startSlapd } from '../test/harness/slapd.js';

const ops = Number(process.env.BENCH_OPS ?? 3_000);
const inFlight = 16;

async function measure(run: () => Promise<void>): Promise<{ perSecond: number; p99: number }> {
  for (let i = 0; i < 50; i++) await run();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < ops) {
        const t = performance.now();
        await run();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: ops / elapsed, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

if (missingSlapdParts().length > 0) {
  console.log(`ldap benchmark skipped: slapd is not installed (${missingSlapdParts().join(', ')})`);
  process.exit(0);
}

const slapd = await startSlapd();
/**
 * With two or more cores, slapd gets core 1 and this process core 0 (taskset, util-linux), as if they ran on
 * two hosts: otherwise the client's own CPU use slows the server it measures. BENCH_PIN=0 turns it off.
 */
let pinned = false;
if (process.env.BENCH_PIN !== '0' && availableParallelism() >= 2) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(slapd.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    pinned = true;
  } catch {
    // No taskset: both share the cores, which the header line says.
  }
}
try {
  const alice = slapd.users.find((user) => user.uid === 'alice');
  if (!alice) throw new Error('fixture user alice missing');
  const dn = alice.dn;
  const template = `uid={username},ou=people,${slapd.baseDn}`;
  console.log(
    `ldap benchmarks: ${ops} checks per measurement, ${inFlight} in flight, slapd on loopback ({SSHA} password), ${pinned ? 'slapd on core 1, client on core 0' : 'cores shared'}\n`,
  );
  /**
   * Both transports: plain ldap:// is what loopback allows; LDAPS is what the store requires for any other
   * host (it refuses clear-text passwords off loopback), so it is the production case, where the naive client
   * pays a TLS handshake per check on top of the TCP connect.
   */
  const transports = (process.env.BENCH_TRANSPORTS ?? 'ldap,ldaps').split(',');
  for (const transport of transports) {
    const secure = transport === 'ldaps';
    const url = secure ? slapd.ldapsUrl : slapd.url;
    const tlsOptions = { ca: slapd.caCertPem };
    for (let round = 1; round <= 3; round++) {
      const naive = await measure(async () => {
        const client = new Client(secure ? { url, tlsOptions } : { url });
        try {
          await client.bind(dn, alice.password);
        } finally {
          await client.unbind();
        }
      });
      const store = ldapUserStore({
        urls: [url],
        bind: { mode: 'dn-template', template },
        poolSize: Number(process.env.BENCH_POOL ?? 16),
        ...(secure ? { tls: { ca: slapd.caCertPem } } : {}),
      });
      const pooled = await measure(async () => {
        const outcome = await store.verify({ username: 'alice', password: alice.password });
        if (outcome.status !== 'valid') throw new Error(`unexpected ${outcome.status}`);
      });
      await store.close?.();
      console.log(
        `${transport} round ${round}: pooled store ${(pooled.perSecond / naive.perSecond).toFixed(2)}x naive (${Math.round(pooled.perSecond)} vs ${Math.round(naive.perSecond)} checks/s); ` +
          `p99 ${pooled.p99.toFixed(2)} ms vs ${naive.p99.toFixed(2)} ms`,
      );
    }
  }
  console.log('\ntarget: pooled >= 3x naive over LDAPS (the transport the store requires off loopback)');
} finally {
  await slapd.stop();
}
