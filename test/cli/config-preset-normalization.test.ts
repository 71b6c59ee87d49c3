import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashVector } from '../stores/sql/sql-vectors.js';
import { cli } from './run-cli.js';

/**
 * The config file's shared `normalization` section and a store preset's own fold. ASP.NET Identity keeps
 * NormalizedUserName in .NET's one-character upper case (`WEIßMANN`), so its preset folds `upper-simple`. The shared
 * section replaced that fold for the store: `caseFold: "upper"` brought back the ß bug (`WEISSMANN`, never
 * found), and any section at all (`{ "unicode": "NFC" }`) gave the store the default `lower`, which finds no
 * Identity user. The preset's fold now applies to its store; a shared fold that contradicts it is refused
 * (docs/cli.md, "Normalization and presets"). On an AspNetUsers table in SQLite, through `check-login` and `doctor`.
 */

const vector = hashVector('aspnet_identity', 'my password');
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-preset-normalization-'));

beforeAll(() => {
  const db = new Database(join(dir, 'identity.db'));
  try {
    db.exec(readFileSync('test/fixtures/sql/aspnet-identity.sqlite.sql', 'utf8'));
    const insert = db.prepare(
      'INSERT INTO AspNetUsers (Id, UserName, NormalizedUserName, Email, NormalizedEmail, EmailConfirmed, PasswordHash, PhoneNumberConfirmed, TwoFactorEnabled, LockoutEnabled, AccessFailedCount) VALUES (?, ?, ?, ?, ?, 0, ?, 0, 0, 1, 0)',
    );
    insert.run('1', 'Weißmann', 'WEIßMANN', 'weissmann@example.org', 'WEISSMANN@EXAMPLE.ORG', vector.hash);
    insert.run('2', 'alice', 'ALICE', 'alice@example.org', 'ALICE@EXAMPLE.ORG', vector.hash);
  } finally {
    db.close();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let configs = 0;
function writeConfig(extra: Record<string, unknown>, store: Record<string, unknown> = {}): string {
  const path = join(dir, `config-${++configs}.json`);
  writeFileSync(path, JSON.stringify({ store: { type: 'sql', dialect: 'sqlite', connection: 'identity.db', preset: 'aspnet-identity', ...store }, ...extra }));
  return path;
}

async function checkLogin(config: string, username: string): Promise<{ code: number; status: string | undefined; stderr: string }> {
  const run = await cli(['check-login', '--config', config, '--username', username], `${vector.password}\n`);
  const status = run.stdout.length > 0 ? (JSON.parse(run.stdout) as { outcome: { status: string } }).outcome.status : undefined;
  return { code: run.code, status, stderr: run.stderr };
}

describe('config file: shared normalization and a preset fold', () => {
  it('finds Weißmann and alice under the preset fold whatever else the shared section says', async () => {
    for (const normalization of [undefined, { unicode: 'NFC' }, { trim: true, unicode: 'NFKC' }, { caseFold: 'upper-simple' }, { caseFold: 'none' }]) {
      const config = writeConfig(normalization === undefined ? {} : { normalization });
      for (const username of ['Weißmann', 'weißmann', 'WEIßMANN', ' alice ', 'ALICE']) {
        expect((await checkLogin(config, username)).status, `${JSON.stringify(normalization)} ${username}`).toBe('valid');
      }
    }
  });

  it('refuses a shared caseFold that contradicts the preset fold, naming both, before any lookup (doctor exits 2)', async () => {
    for (const caseFold of ['upper', 'lower', 'lower-simple']) {
      const config = writeConfig({ normalization: { caseFold } });
      const doctor = await cli(['doctor', '--config', config]);
      expect(doctor.code, caseFold).toBe(2);
      expect(doctor.stderr).toContain(`normalization.caseFold "${caseFold}" contradicts the "aspnet-identity" preset's fold "upper-simple"`);
      expect(doctor.stderr).toContain('ERR_LEGACY_IDP_CONFIG_INVALID');
      const check = await checkLogin(config, 'Weißmann');
      expect(check.code).toBe(2);
      expect(check.status).toBeUndefined();
    }
  });

  it('uses a store section normalization as given: the operator overrides the preset deliberately', async () => {
    // The store folds as told; the shared section still folds the login first (docs/cli.md).
    const config = writeConfig({ normalization: { caseFold: 'upper' } }, { normalization: { caseFold: 'upper-simple' } });
    expect((await cli(['doctor', '--config', config])).code).toBe(0);
    expect((await checkLogin(config, 'alice')).status).toBe('valid');
  });
});
