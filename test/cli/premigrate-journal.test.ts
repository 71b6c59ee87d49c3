import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveStore } from '../../src/cli/config.js';
import { sourceIdentity } from '../../src/cli/premigrate.js';
import { openCheckpoint } from '../../src/premigrate/checkpoint.js';
import { createPostgresDatabase, describeWithService, type ThrowawayDatabase } from '../harness/services.js';
import { cli } from './run-cli.js';

/**
 * `legacy-idp premigrate` and its journal: a journal belongs to one source (another database, table or file is
 * refused, a rotated password is not), a journal file that is not one answers a config error (exit 2), and a
 * journal another run holds is refused before anything is written.
 */

const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-cli-journal-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const hash = '$2b$10$abcdefghijklmnopqrstuuIxSWnQXBOcXXVKJTXqiDMjVGBBNpYVS';
let counter = 0;

function legacyDb(name: string, prefix: string, users: number): void {
  const db = new Database(join(dir, name));
  db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, hash TEXT, scheme TEXT)');
  const insert = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');
  for (let i = 1; i <= users; i++) insert.run(i, `${prefix}${i}@legacy.example`, `U${i}`, hash, 'bcrypt');
  db.close();
}

const mapping = { subjectId: 'id', username: 'email', email: 'email', hash: 'hash', schemeField: 'scheme', displayName: 'name' };

/** A config in `dir` reading `store`, writing one shared JSONL file and journal. */
function config(store: Record<string, unknown>, files = { out: 'out.jsonl', journal: 'journal.db' }): string {
  const path = join(dir, `config-${++counter}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      store,
      premigrate: {
        mapping: { tenant: 'contoso.onmicrosoft.com', passwords: { requiresMigrationAttribute: false } },
        sink: { type: 'jsonl', path: files.out },
        journal: files.journal,
        report: { json: `report-${counter}.json`, csv: `failures-${counter}.csv` },
      },
    }),
  );
  return path;
}

const sqliteStore = (file: string, extra: Record<string, unknown> = {}) => ({ type: 'sql', dialect: 'sqlite', connection: file, table: 'users', mapping, ...extra });
const lines = (file: string): string[] => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim().split('\n').filter(Boolean) : []);

describe('a journal belongs to one source', () => {
  it('refuses to resume a journal with another SQLite file, naming --journal, and writes nothing', async () => {
    legacyDb('a.db', 'a', 10);
    legacyDb('b.db', 'b', 15);
    const files = { out: 'ab.jsonl', journal: 'ab-journal.db' };
    const first = await cli(['premigrate', '--config', config(sqliteStore('a.db'), files)]);
    expect(first.code).toBe(0);
    expect(lines(files.out)).toHaveLength(10);

    const other = await cli(['premigrate', '--config', config(sqliteStore('b.db'), files)]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/belongs to another source.*--journal.*\[ERR_LEGACY_IDP_CONFIG_INVALID\]/u);
    expect(other.stderr).toContain('b.db');
    expect(lines(files.out)).toHaveLength(10);

    // The same file through another table, query or filter is another source too.
    expect((await cli(['premigrate', '--config', config(sqliteStore('a.db', { table: undefined, query: 'SELECT * FROM users WHERE id > 5' }), files)])).code).toBe(2);
    expect((await cli(['premigrate', '--config', config(sqliteStore('a.db', { where: { scheme: 'bcrypt' } }), files)])).code).toBe(2);
    // The same source again resumes (nothing left to do).
    const again = await cli(['premigrate', '--config', config(sqliteStore('a.db'), files)]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, journal: { created: 10 } });
  });

  it('accepts a journal of an earlier version (no source recorded) and records the source', async () => {
    legacyDb('c.db', 'c', 3);
    const files = { out: 'c.jsonl', journal: 'c-journal.db' };
    expect((await cli(['premigrate', '--config', config(sqliteStore('c.db'), files)])).code).toBe(0);
    const db = new Database(join(dir, files.journal));
    db.exec("DELETE FROM meta WHERE key = 'source'");
    db.close();
    expect((await cli(['premigrate', '--config', config(sqliteStore('c.db'), files)])).code).toBe(0);
    const checkpoint = await openCheckpoint(join(dir, files.journal));
    expect(checkpoint.meta('source')).toContain('c.db');
    checkpoint.close();
  });

  it('identities keep the location and drop every credential', async () => {
    const identityOf = async (store: Record<string, unknown>): Promise<string> => sourceIdentity(await loadConfig(config(store)));
    const mssql = await identityOf({ type: 'sql', dialect: 'mssql', connection: 'Server=tcp:db.example,1433;Database=Legacy;User Id=sa;Password=Canary-Pass-1;Encrypt=true', table: 'Users' });
    const mssqlRotated = await identityOf({ type: 'sql', dialect: 'mssql', connection: 'Server=tcp:db.example,1433;Database=Legacy;User Id=sa;Password=Canary-Pass-2;Encrypt=true', table: 'Users' });
    const mssqlObject = await identityOf({ type: 'sql', dialect: 'mssql', connection: { server: 'db.example', database: 'Legacy', user: 'sa', password: 'Canary-Pass-3', options: { instanceName: 'SQL1' } }, table: 'Users' });
    const libpq = await identityOf({ type: 'sql', dialect: 'postgres', connection: 'host=db.example port=5432 dbname=legacy user=app password=Canary-Pass-4', table: 'users' });
    const mongo = await identityOf({ type: 'mongo', uri: 'mongodb://app:Canary%40Pass-5@h1:27017,h2:27017/legacy?authSource=admin&replicaSet=rs0', collection: 'people' });
    const mongoOther = await identityOf({ type: 'mongo', uri: 'mongodb://app:Canary%40Pass-5@h1:27017,h2:27017/legacy?authSource=admin&replicaSet=rs0', collection: 'staff' });
    const ldap = await identityOf({ type: 'ldap', urls: ['ldap://dc1.example'], serviceAccount: { dn: 'cn=svc', password: 'Canary-Pass-6' }, bind: { mode: 'search' }, profiles: { baseDn: 'ou=people,dc=example' } });
    const ldapOther = await identityOf({ type: 'ldap', urls: ['ldap://dc1.example'], serviceAccount: { dn: 'cn=svc', password: 'Canary-Pass-6' }, bind: { mode: 'search' }, profiles: { baseDn: 'ou=staff,dc=example' } });
    const firebase = await identityOf({ type: 'file', path: 'users.json', preset: { name: 'firebase', signerKey: 'Canary-Pass-7', saltSeparator: 'Bw==' } });
    const all = [mssql, mssqlRotated, mssqlObject, libpq, mongo, mongoOther, ldap, ldapOther, firebase];
    for (const identity of all) expect(identity).not.toMatch(/Canary|Pass-|svc/u);
    expect(mssqlRotated).toBe(mssql);
    expect(mssql).toContain('database=Legacy');
    expect(mssqlObject).toContain('instancename=SQL1');
    expect(libpq).toContain('dbname=legacy');
    expect(mongo).toContain('mongodb://h1:27017,h2:27017/legacy');
    expect(mongoOther).not.toBe(mongo);
    expect(ldapOther).not.toBe(ldap);
    expect(firebase).toContain(join(dir, 'users.json'));
  });
});

describe('the journal names the location the store reads', () => {
  it.each(['sqlite:', 'sqlite://'])('reads a relative SQLite file given as %s<file> next to the config file, and the journal names that file', async (scheme) => {
    const name = `scheme-${scheme.length}.db`;
    legacyDb(name, `s${scheme.length}-`, 3);
    const files = { out: `scheme-${scheme.length}.jsonl`, journal: `scheme-${scheme.length}-journal.db` };
    const path = config(sqliteStore(`${scheme}${name}`), files);
    const run = await cli(['premigrate', '--config', path]);
    expect(run.stderr).not.toMatch(/ERR_LEGACY_IDP/u);
    expect(run.code).toBe(0);
    expect(lines(files.out)).toHaveLength(3);
    const checkpoint = await openCheckpoint(join(dir, files.journal));
    expect(JSON.parse(checkpoint.meta('source') ?? '{}')).toMatchObject({ type: 'sql', dialect: 'sqlite', connection: join(dir, name) });
    checkpoint.close();
    // The same file written without the scheme is the same source: the run resumes.
    expect((await cli(['premigrate', '--config', config(sqliteStore(name), files)])).code).toBe(0);
    expect(sourceIdentity(await loadConfig(path))).toBe(sourceIdentity(await loadConfig(config(sqliteStore(join(dir, name))))));
  });

  it('names what resolveStore gives openStore: a default left out and the same default written out are one source', async () => {
    const identityOf = async (store: Record<string, unknown>): Promise<string> => sourceIdentity(await loadConfig(config(store)));
    const mongo = { type: 'mongo', uri: 'mongodb://h1:27017/legacy' };
    expect(await identityOf(mongo)).toBe(await identityOf({ ...mongo, collection: 'users' }));
    expect(await identityOf(mongo)).not.toBe(await identityOf({ ...mongo, collection: 'staff' }));
    const ldap = { type: 'ldap', urls: ['ldap://dc1.example'], serviceAccount: { dn: 'cn=svc', password: 'x' }, bind: { mode: 'search', baseDn: 'dc=example' } };
    const profiles = { baseDn: 'ou=people,dc=example' };
    expect(await identityOf({ ...ldap, profiles })).toBe(await identityOf({ ...ldap, profiles: { ...profiles, listFilter: '(objectClass=person)', scope: 'sub' } }));
    expect(await identityOf({ ...ldap, profiles })).not.toBe(await identityOf({ ...ldap, profiles: { ...profiles, listFilter: '(objectClass=inetOrgPerson)' } }));

    // The identity's location is the resolved store's, whatever the current directory.
    const loaded = await loadConfig(config({ type: 'file', path: 'nested/users.json' }));
    expect(resolveStore(loaded)).toMatchObject({ path: join(dir, 'nested', 'users.json') });
    expect(JSON.parse(sourceIdentity(loaded))).toMatchObject({ type: 'file', path: join(dir, 'nested', 'users.json') });
    const memory = await loadConfig(config({ type: 'memory', usersFile: 'people.json' }));
    expect(JSON.parse(sourceIdentity(memory))).toEqual({ type: 'memory', usersFile: join(dir, 'people.json') });
  });
});

describeWithService('postgres', 'a journal over PostgreSQL', () => {
  const databases: ThrowawayDatabase[] = [];
  afterAll(async () => {
    for (const database of databases) await database.drop();
    delete process.env['LEGACY_IDP_CLI_JOURNAL_DB'];
  });

  async function legacyPostgres(prefix: string): Promise<ThrowawayDatabase> {
    const database = await createPostgresDatabase();
    databases.push(database);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, hash TEXT, scheme TEXT)');
      for (let i = 1; i <= 5; i++) await client.query('INSERT INTO users VALUES ($1, $2, $3, $4, $5)', [i, `${prefix}${i}@legacy.example`, `U${i}`, hash, 'bcrypt']);
    } finally {
      await client.end();
    }
    return database;
  }

  const withPassword = (url: string, password: string): string => {
    const parsed = new URL(url);
    parsed.password = password;
    return parsed.toString();
  };

  it('resumes after the password in connectionEnv was rotated, keeps it out of the journal, and refuses another database', async () => {
    const first = await legacyPostgres('p');
    const second = await legacyPostgres('q');
    const files = { out: 'pg.jsonl', journal: 'pg-journal.db' };
    const store = { type: 'sql', dialect: 'postgres', connectionEnv: 'LEGACY_IDP_CLI_JOURNAL_DB', table: 'users', mapping };
    process.env['LEGACY_IDP_CLI_JOURNAL_DB'] = withPassword(first.url, 'Old-Canary-Secret');
    expect((await cli(['premigrate', '--config', config(store, files)])).code).toBe(0);

    process.env['LEGACY_IDP_CLI_JOURNAL_DB'] = withPassword(first.url, 'New-Canary-Secret'); // rotated (the server trusts either)
    const rotated = await cli(['premigrate', '--config', config(store, files)]);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ created: 0, journal: { created: 5 } });

    const journal = new Database(join(dir, files.journal), { readonly: true });
    const meta = JSON.stringify(journal.prepare('SELECT * FROM meta').all());
    journal.close();
    expect(meta).toContain(first.name);
    expect(meta).not.toContain('Canary');

    process.env['LEGACY_IDP_CLI_JOURNAL_DB'] = second.url;
    const other = await cli(['premigrate', '--config', config(store, files)]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/belongs to another source/u);
    expect(other.stderr).not.toContain('Canary');
  });
});

describe('a journal file that cannot be used', () => {
  it('answers exit 2 with ERR_LEGACY_IDP_CONFIG_FILE for random bytes and for the legacy database itself, which stays untouched', async () => {
    legacyDb('e.db', 'e', 3);
    writeFileSync(join(dir, 'random.db'), randomBytes(4096));
    const random = await cli(['premigrate', '--config', config(sqliteStore('e.db'), { out: 'e.jsonl', journal: 'random.db' })]);
    expect(random.code).toBe(2);
    expect(random.stderr).toMatch(/not a usable pre-migration journal.*\[ERR_LEGACY_IDP_CONFIG_FILE\]/u);

    const before = readFileSync(join(dir, 'e.db'));
    const foreign = await cli(['premigrate', '--config', config(sqliteStore('e.db'), { out: 'e.jsonl', journal: 'e.db' })]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/not a pre-migration journal.*\[ERR_LEGACY_IDP_CONFIG_FILE\]/u);
    expect(readFileSync(join(dir, 'e.db')).equals(before)).toBe(true);
    expect(lines('e.jsonl')).toHaveLength(0);
  });

  it('refuses a journal another run holds before its sink writes anything', async () => {
    legacyDb('f.db', 'f', 3);
    const files = { out: 'f.jsonl', journal: 'f-journal.db' };
    const held = await openCheckpoint(join(dir, files.journal));
    try {
      const second = await cli(['premigrate', '--config', config(sqliteStore('f.db'), files)]);
      expect(second.code).toBe(2);
      expect(second.stderr).toMatch(/in use by another run.*\[ERR_LEGACY_IDP_CONFIG_FILE\]/u);
      expect(existsSync(join(dir, files.out))).toBe(false);
    } finally {
      held.close();
    }
    expect((await cli(['premigrate', '--config', config(sqliteStore('f.db'), files)])).code).toBe(0);
    expect(lines(files.out)).toHaveLength(3);
  });
});

describe('a dry run reports beside the real report', () => {
  it('lists the users that would fail in its own report, and leaves the last real run\'s report alone', async () => {
    const db = new Database(join(dir, 'dry.db'));
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, hash TEXT, scheme TEXT)');
    db.prepare('INSERT INTO users VALUES (1, ?, ?, ?, ?)').run('ok@legacy.example', 'Ok', hash, 'bcrypt');
    // A sign-in name that is no email address: a mapping failure in the real run and the dry run alike.
    db.prepare('INSERT INTO users VALUES (2, ?, ?, ?, ?)').run('not-an-address', 'No Address', hash, 'bcrypt');
    db.close();
    const path = config(sqliteStore('dry.db'), { out: 'dry-out.jsonl', journal: 'dry-journal.db' });
    const reportNumber = counter;
    const real = await cli(['premigrate', '--config', path]);
    expect(real.code).toBe(1);
    const realCsv = readFileSync(join(dir, `failures-${reportNumber}.csv`), 'utf8');
    expect(realCsv.split('\n').filter(Boolean)).toHaveLength(2);

    const dry = await cli(['premigrate', '--config', path, '--dry-run']);
    expect(dry.code).toBe(1);
    // The real run's report is as it was; the dry run's is its own, with its failure listed (it had none before).
    expect(readFileSync(join(dir, `failures-${reportNumber}.csv`), 'utf8')).toBe(realCsv);
    const dryCsv = readFileSync(join(dir, `failures-${reportNumber}.dry-run.csv`), 'utf8').split('\n').filter(Boolean);
    expect(dryCsv).toHaveLength(2);
    expect(dryCsv[1]).toMatch(/^2,/u);
    const dryJson = JSON.parse(readFileSync(join(dir, `report-${reportNumber}.dry-run.json`), 'utf8')) as { summary: { dryRun: boolean; failed: number }; failures: unknown[] };
    expect(dryJson.summary).toMatchObject({ dryRun: true, failed: 1 });
    expect(dryJson.failures).toHaveLength(1);
  });
});
