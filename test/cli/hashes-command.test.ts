import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';


const ssha = (password: string, salt: string): string =>
  `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), Buffer.from(salt)]).toString('base64')}`;
const PASSWORD = 'Hash-Canary-Pw';
const HASH = ssha(PASSWORD, 'salt-1234');
const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-hashes-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('legacy-idp hashes', () => {
  it('lists schemes as text and as JSON', async () => {
    const text = await cli(['hashes', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ldap_salted_sha1\s+ldap/mu);
    const json = JSON.parse((await cli(['hashes', 'list', '--json'])).stdout) as { id: string; canHash: boolean }[];
    expect(json.find((s) => s.id === 'ldap_salted_sha1')).toMatchObject({ canHash: false });
  });

  it('identifies a hash, and exits 1 for a shape nobody claims', async () => {
    const found = await cli(['hashes', 'identify', HASH]);
    expect(found.code).toBe(0);
    expect((JSON.parse(found.stdout) as string[])[0]).toBe('ldap_salted_sha1');
    expect(await cli(['hashes', 'identify', '5f4dcc3b5aa765d61d8327deb882cf99'])).toMatchObject({ code: 1, stdout: '[]\n' });
  });

  it('verifies a password from stdin', async () => {
    const ok = await cli(['hashes', 'verify', '--hash', HASH], `${PASSWORD}\n`);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true, scheme: 'ldap_salted_sha1', needsUpgrade: true, disabled: false });
    const wrong = await cli(['hashes', 'verify', '--scheme', 'ldap_salted_sha1', '--hash', HASH], 'nope');
    expect(wrong.code).toBe(1);
    const bad = await cli(['hashes', 'verify', '--hash', HASH, '--context', '[1]'], 'x');
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toContain('context must be a JSON object');
    const malformed = await cli(['hashes', 'verify', '--scheme', 'ldap_salted_sha1', '--hash', '{SSHA}!!!!'], 'x');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/ERR_LEGACY_IDP_HASH_MALFORMED/u);
  });

  it('tests a JSONL file: failures by line number, closing line, exit status, never a password or hash', async () => {
    const file = join(dir, 'hashes.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ hash: HASH, password: PASSWORD }),
        JSON.stringify({ scheme: 'auto', hash: HASH, password: 'other', expect: false }),
        JSON.stringify({ scheme: 'ldap_salted_sha1', hash: HASH, password: 'wrong-one' }),
        JSON.stringify({ scheme: 'no_such_scheme', hash: 'abc', password: PASSWORD }),
        '',
        'not json',
        JSON.stringify({ format: 'ldap_salted_sha1', hash: '{SSHA}AAAA', password: PASSWORD, expected: false }),
      ].join('\n'),
    );
    const run = await cli(['hashes', 'test', file]);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual([
      'line 3: ldap_salted_sha1: expected valid, got invalid',
      'line 4: no_such_scheme: unsupported scheme',
      'line 6: ?: not valid JSON',
      '3 passed, 3 failed',
    ]);
    expect(run.stdout).not.toContain(PASSWORD);
    expect(run.stdout).not.toContain(HASH);
    const json = JSON.parse((await cli(['hashes', 'test', file, '--json'])).stdout) as unknown;
    expect(json).toEqual({
      total: 6,
      passed: 3,
      failed: 2,
      unsupported: 1,
      byScheme: { ldap_salted_sha1: { passed: 3, failed: 1 }, no_such_scheme: { passed: 0, failed: 1 }, '?': { passed: 0, failed: 1 } },
    });
  });

  it('exits 0 when every line passes, and names an unreadable file', async () => {
    const file = join(dir, 'good.jsonl');
    writeFileSync(file, `${JSON.stringify({ hash: HASH, password: PASSWORD })}\n`);
    expect(await cli(['hashes', 'test', file])).toMatchObject({ code: 0, stdout: '1 passed, 0 failed\n' });
    const missing = await cli(['hashes', 'test', join(dir, 'missing.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*missing\.jsonl \(ENOENT\)/u);
  });

  it('rejects unknown subcommands', async () => {
    expect((await cli(['hashes', 'crack'])).stderr).toContain('unknown subcommand "crack"');
  });
});

describe('legacy-idp hashes test: the scheme of lines that name none', () => {
  // A vector file names its scheme only in its file name: bare hex MD5 digests, which auto never guesses.
  const vectors = readFileSync('test/vectors/hex_md5.jsonl', 'utf8');
  const lines = vectors.split('\n').filter((line) => line.trim() !== '').length;
  const copy = (name: string): string => {
    const file = join(dir, name);
    writeFileSync(file, vectors);
    return file;
  };

  it('is the file name when it is a scheme id: a copy of a test/vectors file passes as it is', async () => {
    const run = await cli(['hashes', 'test', copy('hex_md5.jsonl')]);
    expect(run.stdout).toBe(`${lines} passed, 0 failed\n`);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('lines without a scheme are checked as hex_md5');
  });

  it('is --scheme when given, and --scheme auto detects each line as before', async () => {
    expect(await cli(['hashes', 'test', '--scheme', 'hex_md5', copy('export.jsonl')])).toMatchObject({ code: 0, stdout: `${lines} passed, 0 failed\n` });
    const auto = await cli(['hashes', 'test', '--scheme', 'auto', copy('hex_md5.jsonl')]);
    expect(auto.code).toBe(1);
    expect(auto.stdout).toContain(`0 passed, ${lines} failed`);
  });

  it('is auto for a file named after no scheme, and a line naming its own scheme keeps it', async () => {
    const file = join(dir, 'users-export.jsonl');
    writeFileSync(file, `${JSON.stringify({ hash: HASH, password: PASSWORD })}\n${JSON.stringify({ scheme: 'hex_md5', hash: '5f4dcc3b5aa765d61d8327deb882cf99', password: 'password' })}\n`);
    const run = await cli(['hashes', 'test', file]);
    expect(run).toMatchObject({ code: 0, stdout: '2 passed, 0 failed\n' });
    expect(run.stderr).toBe('');
  });

  it('refuses a --scheme that is no scheme id (exit 2)', async () => {
    const run = await cli(['hashes', 'test', '--scheme', 'hex_md55', copy('hex_md5.jsonl')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--scheme "hex_md55" is not a scheme id');
  });
});
