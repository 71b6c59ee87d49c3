import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig, openStore } from '../../src/cli/config.js';
import { sourceIdentity } from '../../src/cli/premigrate.js';
import { cli } from './run-cli.js';

/**
 * The Firebase preset's signer key in the CLI config: a secret, which could only be written in clear. It now takes
 * the `{ "env": "NAME" }` and `{ "file": "path" }` references the other CLI secrets take.
 */

const dir = mkdtempSync(join(tmpdir(), 'legacy-idp-cli-preset-secrets-'));
const envName = 'LEGACY_IDP_TEST_FIREBASE_SIGNER_KEY';
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  Reflect.deleteProperty(process.env, envName);
});

const vector = JSON.parse(readFileSync(new URL('../vectors/firebase_scrypt.jsonl', import.meta.url), 'utf8').split('\n')[0] ?? '') as {
  password: string;
  hash: string;
  context: { salt: string; signerKey: string; saltSeparator: string; rounds: number; memCost: number };
};
writeFileSync(join(dir, 'users.json'), JSON.stringify({ users: [{ localId: 'u1', email: 'user1@example.com', passwordHash: vector.hash, salt: vector.context.salt }] }));

let counter = 0;
function config(signerKey: unknown): string {
  const path = join(dir, `config-${++counter}.json`);
  const { saltSeparator, rounds, memCost } = vector.context;
  writeFileSync(path, JSON.stringify({ store: { type: 'file', path: 'users.json', preset: { name: 'firebase', signerKey, saltSeparator, rounds, memCost } } }));
  return path;
}

async function verifiesWith(path: string): Promise<string> {
  const store = await openStore(await loadConfig(path));
  try {
    return (await store.verify({ username: 'user1@example.com', password: vector.password })).status;
  } finally {
    await store.close?.();
  }
}

describe('CLI: the file store preset takes secret references', () => {
  it('reads the signer key from an environment variable ({ "env": NAME })', async () => {
    process.env[envName] = vector.context.signerKey;
    const path = config({ env: envName });
    // Before: exit 2, `preset "firebase": signerKey: ...` (an object is not base64).
    const doctor = await cli(['doctor', '--config', path]);
    expect(doctor.code).toBe(0);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ config: { store: 'file', ok: true } });
    expect(await verifiesWith(path)).toBe('valid');
    // The journal's source names the preset, never the key or where it came from.
    expect(sourceIdentity(await loadConfig(path))).not.toContain(envName);
  });

  it('reads the signer key from a file next to the config ({ "file": path }), one final line break dropped', async () => {
    writeFileSync(join(dir, 'signer.key'), `${vector.context.signerKey}\n`);
    const path = config({ file: 'signer.key' });
    expect((await cli(['doctor', '--config', path])).code).toBe(0);
    expect(await verifiesWith(path)).toBe('valid');
  });

  it('answers a config error (exit 2) naming the key when the variable is not set, never a value', async () => {
    const doctor = await cli(['doctor', '--config', config({ env: envName })]);
    expect(doctor.code).toBe(2);
    expect(doctor.stderr).toContain(`"store.preset.signerKey" names the environment variable ${envName}, which is not set`);
  });

  it('still takes the key written in clear', async () => {
    expect(await verifiesWith(config(vector.context.signerKey))).toBe('valid');
  });
});
