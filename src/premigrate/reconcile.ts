import type { Profile, ProfileSource } from '../core/contracts.js';
import type { GraphClient } from '../graph/client.js';
import type { ObjectIdentity } from '../graph/users.js';
import type { MappingFailure, MigrationItem } from './types.js';

/**
 * Compares the legacy store with the directory, by local identity, in both directions and with memory flat in
 * the number of users: every source user is looked up in the directory (GET /users with the identities
 * filter), and every directory user with a local identity of the tenant is looked up in the source
 * (ProfileSource.get). Read-only on both sides.
 */

export interface ReconcileResult {
  sourceUsers: number;
  directoryUsers: number;
  /** In the legacy store, not in the directory. */
  missingInDirectory: Array<{ subjectId: string; signInName: string }>;
  /** In the directory with a local identity of this tenant, not in the legacy store. */
  missingInSource: Array<{ objectId: string; signInName: string }>;
  /** Source users the mapping refused (no sign-in name...): they cannot be compared. */
  unmapped: number;
}

export interface ReconcileOptions {
  source: ProfileSource;
  map: (profile: Profile) => MigrationItem | MappingFailure;
  graph: Pick<GraphClient, 'findUserByIdentity' | 'request'>;
  /** The issuer of local identities (`contoso.onmicrosoft.com`). */
  issuer: string;
  /** At most this many entries per list in the result (the counts stay exact). Default 10,000. */
  maxListed?: number;
  signal?: AbortSignal;
}

const isFailure = (mapped: MigrationItem | MappingFailure): mapped is MappingFailure => 'code' in mapped;

export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult & { missingInDirectoryCount: number; missingInSourceCount: number }> {
  const maxListed = options.maxListed ?? 10_000;
  const result = { sourceUsers: 0, directoryUsers: 0, missingInDirectory: [] as ReconcileResult['missingInDirectory'], missingInSource: [] as ReconcileResult['missingInSource'], unmapped: 0, missingInDirectoryCount: 0, missingInSourceCount: 0 };
  const signal = options.signal ? { signal: options.signal } : {};

  for await (const profile of options.source.list(signal)) {
    result.sourceUsers += 1;
    const mapped = options.map(profile);
    if (isFailure(mapped)) {
      result.unmapped += 1;
      continue;
    }
    const found = await options.graph.findUserByIdentity(mapped.identity, signal);
    if (!found) {
      result.missingInDirectoryCount += 1;
      if (result.missingInDirectory.length < maxListed) result.missingInDirectory.push({ subjectId: profile.subjectId, signInName: mapped.identity.issuerAssignedId });
    }
  }

  const issuer = options.issuer.toLowerCase();
  let path: string | undefined = '/users?$select=id,identities&$top=999';
  while (path !== undefined) {
    const answer = await options.graph.request({ method: 'GET', path, ...signal });
    const body = answer.body as { value?: Array<{ id: string; identities?: ObjectIdentity[] }>; '@odata.nextLink'?: string };
    for (const user of body.value ?? []) {
      const local = user.identities?.find((identity) => identity.issuer.toLowerCase() === issuer && identity.signInType !== 'federated' && identity.signInType !== 'userPrincipalName');
      if (!local) continue;
      result.directoryUsers += 1;
      const legacy = await options.source.get(local.issuerAssignedId, signal);
      if (!legacy) {
        result.missingInSourceCount += 1;
        if (result.missingInSource.length < maxListed) result.missingInSource.push({ objectId: user.id, signInName: local.issuerAssignedId });
      }
    }
    // nextLink is absolute; the client takes the part below the API version.
    const next = body['@odata.nextLink'];
    path = next === undefined ? undefined : next.replace(/^https?:\/\/[^/]+\/(?:v1\.0|beta)/u, '');
  }
  return result;
}
