/**
 * The fixture users every hash-holding store test seeds (memory, LDIF; SQL and Mongo next), and the shared
 * conformance suites run against such a store: one list, so the stores are held to the same cases.
 */
import { describe, it } from 'vitest';
import type { UserStore } from '../../src/core/contracts.js';
import { credentialVerifierConformance, profileSourceConformance } from '../../src/testing/index.js';

export const fixtureUsers = {
  valid: { username: 'alice', password: 'Wonderland-2024' },
  other: { username: 'bob', password: 'Builder-2024!' },
  disabled: { username: 'dave', password: 'Disabled-2024' },
  unicode: { username: 'zoë', password: 'Crème-brûlée-ß-🔑' },
} as const;

/**
 * `create` builds a store holding the fixture users (alice with email alice@example.org, dave disabled).
 * `createUnavailable` builds one whose backend is down; by default a closed store stands in for it.
 */
export function describeStoreConformance(title: string, create: () => Promise<UserStore>, options: { createUnavailable?: () => Promise<UserStore> } = {}): void {
  const closedStore =
    options.createUnavailable ??
    (async (): Promise<UserStore> => {
      const store = await create();
      await store.close?.();
      return store;
    });
  describe(`${title}: CredentialVerifier conformance`, () => {
    for (const c of credentialVerifierConformance({
      create,
      validUser: fixtureUsers.valid,
      otherUser: fixtureUsers.other,
      disabledUser: fixtureUsers.disabled,
      unicodeUser: fixtureUsers.unicode,
      createUnavailable: closedStore,
      namesAccountOnWrongPassword: true,
    })) {
      it(c.name, c.run);
    }
  });
  describe(`${title}: ProfileSource conformance`, () => {
    for (const c of profileSourceConformance({
      create,
      usernames: ['alice', 'bob', 'zoë', 'dave'],
      aliasesOfFirst: ['ALICE', '  Alice ', 'alice@example.org', 'Alice@Example.org'],
      createUnavailable: closedStore,
      resumable: true,
    })) {
      it(c.name, c.run);
    }
  });
}
