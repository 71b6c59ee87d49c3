import { randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import type { ListOptions, Profile, UserStore, VerifyInput } from '../../core/contracts.js';
import { LegacyIdpError } from '../../core/errors.js';
import { createUsernameNormalizer, usernameNormalizationSchema } from '../../core/normalize.js';
import type { VerifyOutcome } from '../../core/outcome.js';
import { parseOptions } from '../../core/validate.js';

/**
 * In-memory reference store: the smallest complete CredentialVerifier + ProfileSource. It backs the demo,
 * the docs and the contract tests, and shows the behaviour every real store must have: constant-time
 * comparison, a dummy verification of equal cost, account states answered only after a correct password.
 */

const accountStates = ['active', 'disabled', 'locked', 'password_expired', 'must_change'] as const;

export const memoryUserSchema = z
  .object({
    username: z.string().min(1),
    /** Clear password, hashed with scrypt when the store is built; never kept as given. */
    password: z.string().min(1),
    /** Defaults to `memory:<normalized username>`. */
    subjectId: z.string().min(1).optional(),
    email: z.string().optional(),
    displayName: z.string().optional(),
    givenName: z.string().optional(),
    surname: z.string().optional(),
    state: z.enum(accountStates).default('active'),
    attributes: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const memoryStoreSchema = z
  .object({
    users: z.array(memoryUserSchema),
    name: z.string().min(1).default('memory'),
    normalization: usernameNormalizationSchema.optional(),
    /** Let users sign in with their email as well as their username. */
    matchEmail: z.boolean().default(true),
    /**
     * scrypt cost N (power of two). The default (2^14, about 30-50 ms) makes unknown-user timing
     * measurable in tests; lower it only in unit tests that do not care.
     */
    scryptCost: z
      .number()
      .int()
      .min(2)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two')
      .default(2 ** 14),
  })
  .strict();

export type MemoryUser = z.input<typeof memoryUserSchema>;
export type MemoryStoreOptions = z.input<typeof memoryStoreSchema>;

interface StoredUser {
  profile: Profile;
  state: (typeof accountStates)[number];
  salt: Buffer;
  key: Buffer;
}

const keyLength = 32;

function scryptAsync(password: BinaryLike, salt: BinaryLike, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

export async function memoryUserStore(options: MemoryStoreOptions): Promise<UserStore> {
  const config = parseOptions(memoryStoreSchema, options, 'memory store options');
  const normalize = createUsernameNormalizer(config.normalization ?? {});
  const scryptOptions: ScryptOptions = { N: config.scryptCost, r: 8, p: 1, maxmem: 256 * config.scryptCost * 8 + 1024 * 1024 };
  const byName = new Map<string, StoredUser>();
  const ordered: StoredUser[] = [];

  for (const [index, user] of config.users.entries()) {
    const username = normalize(user.username);
    if (byName.has(username)) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `memory store options: duplicate username at "users[${index}].username"`, {
        path: `users[${index}].username`,
      });
    }
    const salt = randomBytes(16);
    const profile: Profile = {
      subjectId: user.subjectId ?? `memory:${username}`,
      username,
      ...(user.email === undefined ? {} : { email: user.email }),
      ...(user.displayName === undefined ? {} : { displayName: user.displayName }),
      ...(user.givenName === undefined ? {} : { givenName: user.givenName }),
      ...(user.surname === undefined ? {} : { surname: user.surname }),
      enabled: user.state !== 'disabled',
      attributes: user.attributes,
      cursor: String(index),
    };
    // Callers get the stored object itself; freezing keeps one caller's edits from reaching the next.
    Object.freeze(profile);
    const stored: StoredUser = { profile, state: user.state, salt, key: await scryptAsync(user.password.normalize('NFC'), salt, scryptOptions) };
    byName.set(username, stored);
    ordered.push(stored);
  }
  if (config.matchEmail) {
    for (const stored of ordered) {
      const email = stored.profile.email === undefined ? undefined : normalize(stored.profile.email);
      if (email !== undefined && !byName.has(email)) byName.set(email, stored);
    }
  }

  // A fixed random salt: the dummy costs one scrypt, exactly like a real check.
  const dummySalt = randomBytes(16);
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new LegacyIdpError('ERR_LEGACY_IDP_CLOSED', `store "${config.name}" is closed`);
  };
  const find = (username: string): StoredUser | undefined => byName.get(normalize(username));

  async function verify({ username, password }: VerifyInput): Promise<VerifyOutcome> {
    assertOpen();
    if (password.length === 0) return { status: 'invalid', reason: 'empty_password' };
    const stored = find(username);
    if (!stored) return { status: 'unknown_user' };
    const key = await scryptAsync(password.normalize('NFC'), stored.salt, scryptOptions);
    if (!timingSafeEqual(key, stored.key)) return { status: 'invalid', reason: 'wrong_password', subjectId: stored.profile.subjectId };
    // States are told only to someone who knows the password, as AD and ppolicy do.
    switch (stored.state) {
      case 'active':
        return { status: 'valid', subjectId: stored.profile.subjectId, scheme: 'scrypt' };
      case 'locked':
        return { status: 'locked', by: 'legacy_store' };
      default:
        return { status: stored.state };
    }
  }

  async function* list(listOptions: ListOptions = {}): AsyncGenerator<Profile> {
    assertOpen();
    const start = listOptions.after === undefined ? 0 : Number(listOptions.after) + 1;
    if (!Number.isInteger(start) || start < 0) {
      throw new LegacyIdpError('ERR_LEGACY_IDP_INVALID_INPUT', 'list(): "after" is not a cursor this store produced');
    }
    for (let i = start; i < ordered.length; i++) {
      listOptions.signal?.throwIfAborted();
      const stored = ordered[i];
      if (stored) yield stored.profile;
      // Yield to the event loop between items, as a real paged source would.
      await Promise.resolve();
    }
  }

  return {
    name: config.name,
    verify,
    async dummyVerify(password) {
      await scryptAsync(password.normalize('NFC'), dummySalt, scryptOptions);
    },
    async get(username) {
      assertOpen();
      await Promise.resolve();
      return find(username)?.profile ?? null;
    },
    list,
    close() {
      closed = true;
      return Promise.resolve();
    },
  } satisfies UserStore;
}
