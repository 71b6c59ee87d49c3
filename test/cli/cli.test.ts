import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, type CliRun } from './run-cli.js';


const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** One readable line naming the problem; never a stack trace. */
function expectOneLineError(run: CliRun, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /u);
}

describe('legacy-idp: top level', () => {
  it('prints the version', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect((await cli(['-v'])).stdout).toBe(`${version}\n`);
  });

  it('lists every command in --help, and shows help with exit 2 when called bare', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['check-login', 'doctor', 'serve', 'hashes', 'premigrate']) expect(run.stdout).toContain(command);
    expect((await cli([])).code).toBe(2);
  });

  it('gives per-command help', async () => {
    const run = await cli(['check-login', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--username');
  });

  it('rejects an unknown command or flag in one line', async () => {
    expectOneLineError(await cli(['migrate-all']), /unknown command "migrate-all"/u);
    expectOneLineError(await cli(['check-login', '--usernme', 'x']), /check-login: Unknown option '--usernme'/u);
  });

  it('says in one line what a command needs', async () => {
    expectOneLineError(await cli(['premigrate']), /premigrate needs --config/u);
    expectOneLineError(await cli(['serve', '--port', 'many']), /--port must be a port number/u);
  });
});

describe('legacy-idp check-login', () => {
  it('accepts a demo user and prints outcome and profile without secrets', async () => {
    const run = await cli(['check-login', '--username', ' ALICE '], 'Wonderland-2024\n');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { username: string; outcome: { status: string; subjectId: string }; profile: Record<string, unknown> };
    expect(report.username).toBe('alice');
    expect(report.outcome).toMatchObject({ status: 'valid', subjectId: 'demo-0001' });
    expect(report.profile).toMatchObject({ email: 'alice@example.org', givenName: 'Alice' });
    expect(report.profile).not.toHaveProperty('credential');
    expect(run.stdout + run.stderr).not.toContain('Wonderland-2024');
    expect(run.stderr).toContain('bundled demo users');
  });

  it('exits 1 with the outcome for a wrong password, an expired and a disabled account', async () => {
    const wrong = await cli(['check-login', '-u', 'alice'], 'wonderland-2024');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ outcome: { status: 'invalid' }, profile: null });
    expect(wrong.stdout + wrong.stderr).not.toContain('wonderland-2024');
    expect(JSON.parse((await cli(['check-login', '-u', 'carol'], 'Expired-2019')).stdout)).toMatchObject({ outcome: { status: 'password_expired' } });
    expect(JSON.parse((await cli(['check-login', '-u', 'dave'], 'Disabled-2020')).stdout)).toMatchObject({ outcome: { status: 'disabled' } });
    expect(JSON.parse((await cli(['check-login', '-u', 'nobody'], 'x')).stdout)).toMatchObject({ outcome: { status: 'unknown_user' } });
  });

  it('treats an empty standard input as an empty password, rejected without a check', async () => {
    const run = await cli(['check-login', '-u', 'alice'], '\n');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: { status: 'invalid', reason: 'empty_password' } });
  });

  it('needs --username', async () => {
    expectOneLineError(await cli(['check-login'], 'x'), /needs --username/u);
  });

  it('names the bad key of a config file', async () => {
    const badType = writeConfig('bad-type.json', { store: { type: 'oracle' } });
    expectOneLineError(await cli(['check-login', '-c', badType, '-u', 'a'], 'x'), /invalid value at "store\.type".*ERR_LEGACY_IDP_CONFIG_INVALID/u);
    const extraKey = writeConfig('extra.json', { store: { type: 'memory', users: [] }, deadlineMS: 5 });
    expectOneLineError(await cli(['check-login', '-c', extraKey, '-u', 'a'], 'x'), /unknown key "deadlineMS"/u);
    const badDeadline = writeConfig('deadline.json', { store: { type: 'memory', users: [] }, deadlineMs: 'soon' });
    expectOneLineError(await cli(['check-login', '-c', badDeadline, '-u', 'a'], 'x'), /"deadlineMs"/u);
  });

  it('names the file and entry of a bad users file', async () => {
    writeConfig('users-bad.json', [{ username: 'a', password: 'pw' }, { username: 'b' }]);
    const config = writeConfig('users-ref.json', { store: { type: 'memory', usersFile: 'users-bad.json' } });
    expectOneLineError(await cli(['check-login', '-c', config, '-u', 'a'], 'pw'), /users file .*users-bad\.json: invalid value at "\[1\]\.password"/u);
  });

  it('reports unreadable and non-JSON config files without echoing their content', async () => {
    expectOneLineError(await cli(['check-login', '-c', join(dir, 'missing.json'), '-u', 'a'], 'x'), /cannot read config file .*missing\.json \(ENOENT\)/u);
    const broken = writeConfig('broken.json', '{"store": {"type": "memory", "users": [{"password": "Sup3r-Secret-Canary"');
    const run = await cli(['check-login', '-c', broken, '-u', 'a'], 'x');
    expectOneLineError(run, /broken\.json is not valid JSON/u);
    expect(run.stderr).not.toContain('Sup3r-Secret-Canary');
  });
});

describe('legacy-idp check-login with a SQL store', () => {
  it('opens a SQLite file named relative to the config file and checks a password against its hash', async () => {
    const database = new Database(join(dir, 'users.db'));
    database.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, hash TEXT)');
    database.prepare('INSERT INTO users VALUES (1, ?, ?)').run('carol', bcrypt.hashSync('Carol-Pass-2024', 4));
    database.close();
    const config = writeConfig('sql.json', {
      store: { type: 'sql', dialect: 'sqlite', connection: 'users.db', table: 'users', mapping: { subjectId: 'id', username: 'login', hash: 'hash' } },
    });
    const valid = await cli(['check-login', '-c', config, '-u', 'Carol'], 'Carol-Pass-2024');
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ outcome: { status: 'valid', subjectId: '1', scheme: 'bcrypt' } });
    expect(valid.stdout).not.toContain('$2');
    expect((await cli(['check-login', '-c', config, '-u', 'carol'], 'wrong-pass')).code).toBe(1);
  });

  it('takes the connection from the environment variable the config names, and says when it is not set', async () => {
    const config = writeConfig('sql-env.json', { store: { type: 'sql', dialect: 'postgres', connectionEnv: 'LEGACY_IDP_TEST_UNSET_VARIABLE', table: 'users' } });
    expectOneLineError(await cli(['check-login', '-c', config, '-u', 'a'], 'x'), /LEGACY_IDP_TEST_UNSET_VARIABLE, which is not set/u);
  });

  it('passes store options to the store, whose validation names the bad key', async () => {
    const config = writeConfig('sql-bad.json', { store: { type: 'sql', dialect: 'sqlite', connection: 'users.db', tabel: 'users' } });
    expectOneLineError(await cli(['check-login', '-c', config, '-u', 'a'], 'x'), /unknown key "tabel"/u);
  });
});

describe('legacy-idp doctor', () => {
  it('validates the config and lists optional backends', async () => {
    const run = await cli(['doctor']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { version: string; config: { store: string }; optionalPackages: Record<string, string> };
    expect(report.version).toBe(version);
    expect(report.config.store).toBe('file');
    // Every optional driver is a dev dependency here.
    expect(Object.keys(report.optionalPackages).sort()).toEqual(['argon2', 'better-sqlite3', 'ioredis', 'ldapts', 'mongodb', 'mssql', 'mysql2', 'pg']);
    expect(Object.values(report.optionalPackages).every((state) => state === 'installed')).toBe(true);
  });
});

describe('legacy-idp as a process', () => {
  it('reads the password from a pipe and exits with the outcome code', () => {
    const run = (password: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check-login', '--username', 'bob'], { input: password, encoding: 'utf8' });
    const ok = run('Builder-2024!\r\n');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ outcome: { status: 'valid', subjectId: 'demo-0002' } });
    expect(run('Builder-2024').status).toBe(1);
  });
});
