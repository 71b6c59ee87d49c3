// Every spelling that leads a store to one user shares that user's lockout counter: the account the store found
// is charged after the check (the Authenticator), and the lockout key folds what stores fold (the policy). Run on
// the memory lockout store and on the machine's Redis.
import { afterAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/authenticator.js';
import { subjectLockoutAccount } from '../../src/core/lockout.js';
import { lockoutAccountKey } from '../../src/lockout/account-key.js';
import { createLockoutPolicy, type ConfiguredLockoutPolicy } from '../../src/lockout/policy.js';
import { redisLockoutStore } from '../../src/lockout/stores/redis.js';
import { memoryUserStore } from '../../src/stores/memory/index.js';
import { createRedisKeyPrefix, describeWithService, type RedisKeyPrefix } from '../harness/services.js';

const PASSWORD = 'Wonderland-2024';
const secret = 'sixteen bytes at least';

async function setUp(policy: ConfiguredLockoutPolicy) {
  const users = await memoryUserStore({ users: [{ username: 'alice', email: 'alice@example.org', password: PASSWORD, subjectId: 'u-1' }] });
  const auth = createAuthenticator({ verifier: users, lockout: policy });
  return (username: string, password: string) => auth.authenticate({ username, password });
}

function suite(makePolicy: (threshold: number) => Promise<ConfiguredLockoutPolicy>): void {
  it('a locked user stays locked when the email alias is typed, even with the right password', async () => {
    const policy = await makePolicy(10);
    const attempt = await setUp(policy);
    for (let i = 0; i < 10; i++) expect((await attempt('alice', `wrong ${i}`)).outcome.status).toBe('invalid');
    expect((await attempt('alice', PASSWORD)).outcome.status).toBe('locked');
    // Before the account found was charged, the alias had a counter of its own: 9 more guesses, then `valid`.
    expect((await attempt('alice@example.org', PASSWORD)).outcome).toMatchObject({ status: 'locked', by: 'lockout_policy' });
    expect((await policy.status({ account: subjectLockoutAccount('u-1') }))?.locked).toBe(true);
    await policy.close();
  });

  it('guesses through the name and the alias add up to one threshold', async () => {
    const policy = await makePolicy(3);
    const attempt = await setUp(policy);
    expect((await attempt('alice', 'wrong 1')).outcome.status).toBe('invalid');
    expect((await attempt('alice@example.org', 'wrong 2')).outcome.status).toBe('invalid');
    expect((await attempt('ALICE@example.org', 'wrong 3')).outcome.status).toBe('invalid');
    expect((await attempt('alice@example.org', PASSWORD)).outcome.status).toBe('locked');
    await policy.close();
  });

  it('parallel guesses through several spellings tell at most the threshold of results', async () => {
    const policy = await makePolicy(3);
    const attempt = await setUp(policy);
    const names = ['alice', 'alice@example.org'];
    const outcomes = await Promise.all(Array.from({ length: 24 }, (_, i) => attempt(names[i % 2] as string, i === 23 ? PASSWORD : `wrong ${i}`)));
    const told = outcomes.filter(({ outcome }) => outcome.status !== 'locked');
    // Each spelling's own counter lets 3 checks through (6 in all); only 3 answers may say what a check found.
    expect(told.length).toBeLessThanOrEqual(3);
    expect(told.length).toBeGreaterThan(0);
    await policy.close();
  });

  it('a right password through the alias resets the account for every spelling', async () => {
    const policy = await makePolicy(3);
    const attempt = await setUp(policy);
    await attempt('alice', 'wrong 1');
    await attempt('alice', 'wrong 2');
    expect((await attempt('alice@example.org', PASSWORD)).outcome.status).toBe('valid');
    expect((await policy.status({ account: subjectLockoutAccount('u-1') }))?.failures ?? 0).toBe(0);
    await policy.close();
  });

  it('spellings a store may fold (compatibility forms, accents, invisible characters, ß) share one counter', async () => {
    const policy = await makePolicy(10);
    const spellings = ['ａｌｉｃｅ', 'álice', 'a\u200Blice', 'al\u200B\u200Bice', 'ALİCE', 'a\u00ADlice', 'ａ\u200Blice', 'alice', 'Ａlice', 'àlice'];
    for (const account of spellings) {
      const decision = await policy.begin({ account }, { password: `guess for ${account}` });
      expect(decision.allowed).toBe(true);
      if (decision.allowed) await decision.ticket.failure();
    }
    expect(await policy.begin({ account: 'alice' })).toMatchObject({ allowed: false, scope: 'account' });
    expect(await policy.begin({ account: 'straße' }, { password: 'x' })).toMatchObject({ allowed: true });
    expect((await policy.status({ account: 'STRASSE' }))?.failures).toBe(1);
    await policy.close();
  });
}

describe('lockout by the account found, memory store', () => {
  suite((threshold) => Promise.resolve(createLockoutPolicy({ account: { threshold }, secret })));
});

describeWithService('redis', 'lockout by the account found, Redis store', () => {
  const prefixes: RedisKeyPrefix[] = [];
  afterAll(async () => {
    for (const prefix of prefixes) await prefix.cleanup();
  });
  suite((threshold) => {
    const prefix = createRedisKeyPrefix();
    prefixes.push(prefix);
    return Promise.resolve(createLockoutPolicy({ account: { threshold }, secret, store: redisLockoutStore({ connection: prefix.url, keyPrefix: prefix.prefix }) }));
  });
});

describe('lockoutAccountKey', () => {
  it.each([
    ['Alice', 'alice'],
    ['john  smith', 'john smith'],
    ['ａｌｉｃｅ', 'alice'],
    ['Élodie', 'elodie'],
    ['a\u200Blice', 'alice'],
    ['Straße', 'strasse'],
    ['ΣΟΦΙΑ', 'σοφια'],
    ['ﬁle', 'file'],
    ['日本語', '日本語'],
    // A lone surrogate has no UTF-8 form: Redis would store U+FFFD, so the memory store counts it as that too.
    ['x\uD800', 'x\uFFFD'],
    ['X\uDC00', 'x\uFFFD'],
    ['x\uFFFD', 'x\uFFFD'],
  ])('%j counts as %j', (typed, key) => {
    expect(lockoutAccountKey(typed)).toBe(key);
  });

  it('keeps subject keys exactly: ids are compared as the store gave them', () => {
    expect(lockoutAccountKey(subjectLockoutAccount('AbC=É'))).toBe(subjectLockoutAccount('AbC=É'));
  });
});
