import assert from 'node:assert/strict';
import type { Profile, ProfileSource } from '../core/contracts.js';
import { publicProfile } from '../core/contracts.js';
import { injectionUsernames, randomUnknownUsername, withComponent, type ConformanceCase } from './conformance.js';

export interface ProfileSourceConformanceOptions {
  /** Builds a fresh source for one case; it is closed after the case. */
  create: () => ProfileSource | Promise<ProfileSource>;
  /** Normalized usernames of every user the source holds (at least 3, so paging has boundaries). */
  usernames: readonly string[];
  /** Usernames that must find the same user as `usernames[0]` (other case, surrounding blanks, email). */
  aliasesOfFirst?: readonly string[];
  /** Builds a source whose backend is down. */
  createUnavailable?: () => ProfileSource | Promise<ProfileSource>;
  /** The source yields `cursor` on listed profiles and resumes from `after`. */
  resumable?: boolean;
}

async function collect(iterable: AsyncIterable<Profile>): Promise<Profile[]> {
  const out: Profile[] = [];
  for await (const profile of iterable) out.push(profile);
  return out;
}

/** The shared contract every ProfileSource must meet, security cases included. */
export function profileSourceConformance(options: ProfileSourceConformanceOptions): ConformanceCase[] {
  const { usernames } = options;
  const first = usernames[0];
  if (first === undefined || usernames.length < 3) throw new TypeError('profileSourceConformance needs at least 3 usernames');
  const cases: ConformanceCase[] = [];
  const add = (name: string, run: (source: ProfileSource) => Promise<void>): void => {
    cases.push({ name, run: () => withComponent(options.create, run) });
  };

  add('finds every user by username, with a subjectId', async (source) => {
    for (const username of usernames) {
      const profile = await source.get(username);
      assert.ok(profile, `no profile for ${username}`);
      assert.equal(profile.username, username);
      assert.ok(profile.subjectId.length > 0);
      assert.equal(typeof profile.attributes, 'object');
    }
  });

  add('answers null for an unknown user', async (source) => {
    assert.equal(await source.get(randomUnknownUsername()), null);
  });

  add('gives the same subjectId on every lookup', async (source) => {
    const a = await source.get(first);
    const b = await source.get(first);
    assert.ok(a && b);
    assert.equal(a.subjectId, b.subjectId);
  });

  if (options.aliasesOfFirst) {
    const aliases = options.aliasesOfFirst;
    add('finds the same user through its aliases', async (source) => {
      const expected = await source.get(first);
      assert.ok(expected);
      for (const alias of aliases) {
        const profile = await source.get(alias);
        assert.ok(profile, `alias ${JSON.stringify(alias)} found nothing`);
        assert.equal(profile.subjectId, expected.subjectId);
      }
    });
  }

  add('injection characters in the username find nobody and never throw', async (source) => {
    for (const username of injectionUsernames(first)) {
      assert.equal(await source.get(username), null, `username ${JSON.stringify(username)} found a profile`);
    }
  });

  add('lists every user exactly once, agreeing with get()', async (source) => {
    const listed = await collect(source.list());
    assert.deepEqual(listed.map((p) => p.username).sort(), [...usernames].sort());
    assert.equal(new Set(listed.map((p) => p.subjectId)).size, listed.length, 'subjectIds repeat');
    for (const profile of listed) {
      const got = await source.get(profile.username);
      assert.equal(got?.subjectId, profile.subjectId);
    }
  });

  add('lists the same users whatever the batch size', async (source) => {
    const reference = (await collect(source.list())).map((p) => p.subjectId);
    for (const batchSize of [1, 2, usernames.length + 5]) {
      const listed = (await collect(source.list({ batchSize }))).map((p) => p.subjectId);
      assert.deepEqual(listed, reference, `batchSize ${batchSize}`);
    }
  });

  add('stops listing when the signal aborts', async (source) => {
    const controller = new AbortController();
    const seen: Profile[] = [];
    await assert.rejects(async () => {
      for await (const profile of source.list({ batchSize: 1, signal: controller.signal })) {
        seen.push(profile);
        controller.abort();
      }
    });
    assert.equal(seen.length, 1);
  });

  add('publicProfile() drops the stored credential', async (source) => {
    const profile = await source.get(first);
    assert.ok(profile);
    assert.ok(!('credential' in publicProfile(profile)));
  });

  if (options.resumable) {
    add('resumes listing after a cursor without gaps or repeats', async (source) => {
      const all = await collect(source.list());
      const middle = all[1];
      assert.ok(middle?.cursor !== undefined, 'listed profiles carry no cursor');
      const rest = await collect(source.list({ after: middle.cursor }));
      assert.deepEqual(
        rest.map((p) => p.subjectId),
        all.slice(2).map((p) => p.subjectId),
      );
    });
  }

  if (options.createUnavailable) {
    const createUnavailable = options.createUnavailable;
    cases.push({
      name: 'a backend that is down rejects with an Error: never null (a squatter could claim the user)',
      run: () =>
        withComponent(createUnavailable, async (source) => {
          await assert.rejects(() => source.get(first), Error);
          await assert.rejects(() => collect(source.list()), Error);
        }),
    });
  }

  return cases;
}
