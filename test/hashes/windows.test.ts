import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/registry.js';
import type { HashContext } from '../../src/hashes/types.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const hc = (mode: string): string => `hashcat/hashcat src/modules/module_${mode}.c ST_HASH/ST_PASS`;
const passlib = (handler: string): string => `passlib 1.7.4 ${handler} (Debian python3-passlib)`;

const vectors: { scheme: string; hash: string; password: string; context?: HashContext; source: string }[] = [
  { scheme: 'nthash', hash: 'b4b9b02e6f09a9bd760f388b67351e2b', password: 'hashcat', source: hc('01000') },
  { scheme: 'nthash', hash: 'ed7de1729b273487d77e0ebd6fd772bc', password: 'pässword😀', source: passlib('nthash') },
  { scheme: 'lmhash', hash: '299bd128c1101fd6aad3b435b51404ee', password: 'HASHCAT', source: hc('03000') },
  { scheme: 'lmhash', hash: '40a5fa73388d9b35aad3b435b51404ee', password: 'café12', source: passlib('lmhash') },
  { scheme: 'lmhash', hash: '122c068d5aefa0697574756223a39e1b', password: 'ÇüéÆñ12345678901', source: passlib('lmhash') },
  { scheme: 'msdcc', hash: 'c896b3c6963e03c86ade3a38370bbb09', password: 'hashcat', context: { user: '54161084332' }, source: hc('01100') },
  { scheme: 'msdcc', hash: '7764d3c20c576ad8c27dcc1d9d8170c6', password: 'pässword', context: { user: 'Administrator' }, source: passlib('msdcc') },
  { scheme: 'msdcc2', hash: 'e2829c8af2232fa53797e2f0e35e4626', password: 'hashcat', context: { user: '6848' }, source: hc('02100') },
  { scheme: 'msdcc2', hash: '10c938df7347730e2c534e42f03f3a3a', password: 'pässword', context: { user: 'Administrator' }, source: passlib('msdcc2') },
];

describe('windows schemes: known vectors', () => {
  it.each(vectors)('$scheme verifies $hash ($source)', async ({ scheme, hash, password, context = {} }) => {
    expect((await registry.verify(password, hash, { scheme, context })).valid).toBe(true);
    expect((await registry.verify(`x${password}`, hash, { scheme, context })).valid).toBe(false);
  });

  it('lmhash is case-insensitive, cut at 14 characters, and upper-cases non-ASCII before cp437', async () => {
    expect((await registry.verify('hashcat', '299bd128c1101fd6aad3b435b51404ee', { scheme: 'lmhash' })).valid).toBe(true);
    // passlib lmhash.hash('CAFÉ') == lmhash.hash('café') == bce9c2ec16d6c388aad3b435b51404ee
    expect((await registry.verify('CAFÉ', 'bce9c2ec16d6c388aad3b435b51404ee', { scheme: 'lmhash' })).valid).toBe(true);
    expect((await registry.verify('çüéæñ12345678901-anything', '122c068d5aefa0697574756223a39e1b', { scheme: 'lmhash' })).valid).toBe(true);
    // No cp437 form: Windows keeps no LM hash for it, so nothing matches.
    expect((await registry.verify('日本', 'aad3b435b51404eeaad3b435b51404ee', { scheme: 'lmhash' })).valid).toBe(false);
  });

  it('msdcc and msdcc2 lower-case the user name', async () => {
    expect((await registry.verify('hashcat', 'e2829c8af2232fa53797e2f0e35e4626', { scheme: 'msdcc2', context: { user: '6848' } })).valid).toBe(true);
    expect((await registry.verify('pässword', '7764d3c20c576ad8c27dcc1d9d8170c6', { scheme: 'msdcc', context: { user: 'ADMINISTRATOR' } })).valid).toBe(true);
  });

  it('msdcc2 reads the $DCC2$iterations#user#hex form and identifies it', async () => {
    const tagged = '$DCC2$10240#6848#e2829c8af2232fa53797e2f0e35e4626';
    expect(registry.identify(tagged)[0]).toBe('msdcc2');
    expect((await registry.verify('hashcat', tagged)).valid).toBe(true);
    expect((await registry.verify('hashcat!', tagged)).valid).toBe(false);
    await expect(registry.verify('hashcat', '$DCC2$999999999#6848#e2829c8af2232fa53797e2f0e35e4626')).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_COST_LIMIT',
    });
    expect(registry.list().find((s) => s.id === 'msdcc2')?.execution).toBe('threadpool');
  });

  it('bare hex digests are not identified', () => {
    const ours = new Set(registry.list().filter((s) => s.family === 'windows').map((s) => s.id));
    for (const hash of ['b4b9b02e6f09a9bd760f388b67351e2b', '299bd128c1101fd6aad3b435b51404ee', '$DCC2$10240#6848#e2829c8a']) {
      expect(registry.identify(hash).filter((id) => ours.has(id))).toEqual([]);
    }
  });
});

describe('windows schemes: malformed and context', () => {
  it.each([
    ['nthash', 'b4b9b02e6f09a9bd760f388b67351e2'],
    ['lmhash', '299bd128c1101fd6aad3b435b51404eZ'],
    ['msdcc', 'c896b3c6963e03c86ade3a38370bbb'],
    ['msdcc2', 'e2829c8af2232fa53797e2f0e35e46'],
  ])('%s rejects %s', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme, context: { user: 'u' } })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it.each([
    ['msdcc', 'c896b3c6963e03c86ade3a38370bbb09'],
    ['msdcc2', 'e2829c8af2232fa53797e2f0e35e4626'],
  ])('%s needs context.user for bare hex', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_CONTEXT' });
  });
});
