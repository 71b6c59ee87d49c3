import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Profile, ProfileSource } from '../core/contracts.js';
import { importOptional } from '../core/optional-import.js';
import type { GraphClient } from '../graph/client.js';
import type { ObjectIdentity } from '../graph/users.js';
import type { MappingFailure, MigrationItem } from './types.js';

/**
 * Compares the legacy store with the directory, by local identity, in both directions and with memory flat in
 * the number of users: every source user is mapped and looked up in the directory (GET /users with the
 * identities filter), and every directory user with a local identity of the tenant is looked up among the sign-in
 * names the mapping made of the source. Read-only on both sides.
 *
 * The second direction compares with the mapping's sign-in names, never with ProfileSource.get: the store looks
 * users up by its own username (a login name, say), while the directory knows them by what the mapping signs
 * them in with (the e-mail address by default), so every migrated user would be "missing in the source". The
 * names are kept in a temporary SQLite database (better-sqlite3), on disk, removed at the end.
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
  /** Where the temporary database of sign-in names goes (a folder of its own inside it). Default: the OS's. */
  tempDir?: string;
  signal?: AbortSignal;
}

const isFailure = (mapped: MigrationItem | MappingFailure): mapped is MappingFailure => 'code' in mapped;

/** Graph compares local sign-in names without regard to letter case, whatever their signInType. */
const nameKey = (issuerAssignedId: string): string => issuerAssignedId.toLowerCase();

/** Local identities of the tenant: not federated, not the userPrincipalName. */
const isLocal = (identity: ObjectIdentity, issuer: string): boolean =>
  identity.issuer.toLowerCase() === issuer && identity.signInType !== 'federated' && identity.signInType !== 'userPrincipalName';

export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult & { missingInDirectoryCount: number; missingInSourceCount: number }> {
  const maxListed = options.maxListed ?? 10_000;
  const result = { sourceUsers: 0, directoryUsers: 0, missingInDirectory: [] as ReconcileResult['missingInDirectory'], missingInSource: [] as ReconcileResult['missingInSource'], unmapped: 0, missingInDirectoryCount: 0, missingInSourceCount: 0 };
  const signal = options.signal ? { signal: options.signal } : {};
  const issuer = options.issuer.toLowerCase();

  const module = await importOptional('better-sqlite3', 'premigrate --reconcile (its temporary index of sign-in names)', () => import('better-sqlite3'));
  const DatabaseClass = (module as unknown as { default?: typeof import('better-sqlite3') }).default ?? (module as unknown as typeof import('better-sqlite3'));
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'legacy-idp-reconcile-'));
  let db: Database | undefined;
  try {
    db = new DatabaseClass(join(dir, 'sign-in-names.db'));
    // Scratch data, rebuilt by every run: no journal, no sync.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.exec('CREATE TABLE names (name TEXT PRIMARY KEY) WITHOUT ROWID');
    const add = db.prepare('INSERT OR IGNORE INTO names (name) VALUES (?)');
    const has = db.prepare('SELECT 1 FROM names WHERE name = ?').pluck();
    const addAll = db.transaction((names: readonly string[]) => {
      for (const name of names) add.run(name);
    });

    let pending: string[] = [];
    for await (const profile of options.source.list(signal)) {
      result.sourceUsers += 1;
      const mapped = options.map(profile);
      if (isFailure(mapped)) {
        result.unmapped += 1;
        continue;
      }
      // Every local identity of the payload (the mapping puts one, and may add a federated one, which is skipped).
      for (const identity of mapped.payload.identities as ObjectIdentity[]) if (isLocal(identity, issuer)) pending.push(nameKey(identity.issuerAssignedId));
      if (pending.length >= 1000) {
        addAll(pending);
        pending = [];
      }
      const found = await options.graph.findUserByIdentity(mapped.identity, signal);
      if (!found) {
        result.missingInDirectoryCount += 1;
        if (result.missingInDirectory.length < maxListed) result.missingInDirectory.push({ subjectId: profile.subjectId, signInName: mapped.identity.issuerAssignedId });
      }
    }
    addAll(pending);

    let path: string | undefined = '/users?$select=id,identities&$top=999';
    while (path !== undefined) {
      const answer = await options.graph.request({ method: 'GET', path, ...signal });
      const body = answer.body as { value?: Array<{ id: string; identities?: ObjectIdentity[] }>; '@odata.nextLink'?: string };
      for (const user of body.value ?? []) {
        const local = (user.identities ?? []).filter((identity) => isLocal(identity, issuer));
        const first = local[0];
        if (first === undefined) continue;
        result.directoryUsers += 1;
        // In the source when any of its local sign-in names is one the mapping made of a source user.
        if (!local.some((identity) => has.get(nameKey(identity.issuerAssignedId)) !== undefined)) {
          result.missingInSourceCount += 1;
          if (result.missingInSource.length < maxListed) result.missingInSource.push({ objectId: user.id, signInName: first.issuerAssignedId });
        }
      }
      // nextLink is absolute; the client takes the part below the API version.
      const next = body['@odata.nextLink'];
      path = next === undefined ? undefined : next.replace(/^https?:\/\/[^/]+\/(?:v1\.0|beta)/u, '');
    }
    return result;
  } finally {
    db?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
