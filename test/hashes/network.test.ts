import { afterAll, describe, expect, it } from 'vitest';
import { createHashRegistry } from '../../src/hashes/registry.js';
import type { HashContext } from '../../src/hashes/types.js';

const registry = createHashRegistry({ workers: false });
afterAll(() => registry.close());

const hc = (mode: string): string => `hashcat/hashcat src/modules/module_${mode}.c ST_HASH/ST_PASS`;
const passlib = (handler: string): string => `passlib 1.7.4 ${handler} (Debian python3-passlib)`;

const vectors: { scheme: string; hash: string; password: string; context?: HashContext; source: string }[] = [
  { scheme: 'cisco_pix', hash: 'dRRVnUmUHXOTt9nk', password: 'hashcat', source: hc('02400') },
  { scheme: 'cisco_pix', hash: 'A.hDM2yv/Ei8Aoyr', password: 'ASA-pass-2016', context: { user: 'admin' }, source: passlib('cisco_pix') },
  { scheme: 'cisco_asa', hash: 'YjDBNr.A0AN7DA8s', password: 'hashcat', context: { user: '4684' }, source: hc('02410') },
  { scheme: 'cisco_asa', hash: 'uH1w4/F.cx51VgoI', password: 'a-long-asa-password-20b', context: { user: 'admin' }, source: passlib('cisco_asa') },
  { scheme: 'cisco_asa', hash: '06n7SYRNLVukp0Jb', password: 'a-long-asa-password-20b', source: passlib('cisco_asa') },
  { scheme: 'cisco_type4', hash: '2btjjy78REtmYkkW0csHUbJZOstRXoWdX1mGrmmfeHI', password: 'hashcat', source: hc('05700') },
  { scheme: 'cisco_type7', hash: '05280F1C22430EAAC5', password: 'Cisco ü', source: passlib('cisco_type7 (salt 5)') },
  { scheme: 'htdigest', hash: '760154ccaf20a3b0b0849f04c56ed71a', password: 'pässword', context: { user: 'alice', realm: 'Realm ä' }, source: passlib('htdigest') },
];

describe('network schemes: known vectors', () => {
  it.each(vectors)('$scheme verifies $hash ($source)', async ({ scheme, hash, password, context = {} }) => {
    expect((await registry.verify(password, hash, { scheme, context })).valid).toBe(true);
    expect((await registry.verify(`${password}!x`, hash, { scheme, context })).valid).toBe(false);
  });

  it('cisco_pix/asa never match passwords longer than the device allows', async () => {
    // passlib rejects (rather than truncates) passwords over 16 / 32 bytes at verify time.
    const hash = 'dRRVnUmUHXOTt9nk';
    expect((await registry.verify('hashcat'.padEnd(17, 'x'), hash, { scheme: 'cisco_pix' })).valid).toBe(false);
    expect((await registry.verify('x'.repeat(33), '06n7SYRNLVukp0Jb', { scheme: 'cisco_asa' })).valid).toBe(false);
  });

  it('cisco_type7 decodes lower-case hex and any offset up to 52', async () => {
    expect((await registry.verify('Cisco ü', '05280f1c22430eaac5', { scheme: 'cisco_type7' })).valid).toBe(true);
  });

  it('nothing in the network family is identified from the string', () => {
    const ours = new Set(registry.list().filter((s) => s.family === 'network').map((s) => s.id));
    for (const { hash } of vectors) expect(registry.identify(hash).filter((id) => ours.has(id))).toEqual([]);
  });
});

describe('network schemes: malformed and context', () => {
  it.each([
    ['cisco_pix', 'dRRVnUmUHXOTt9n'],
    ['cisco_asa', 'YjDBNr.A0AN7DA8s!'],
    ['cisco_type4', '2btjjy78REtmYkkW0csHUbJZOstRXoWdX1mGrmmfeH'],
    ['cisco_type7', '5'],
    ['cisco_type7', '53280F1C'],
    ['cisco_type7', '05280F1C2'],
    ['htdigest', '760154ccaf20a3b0b0849f04c56ed71'],
  ])('%s rejects %s', async (scheme, hash) => {
    await expect(registry.verify('hashcat', hash, { scheme, context: { user: 'u', realm: 'r' } })).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_HASH_MALFORMED' });
  });

  it('htdigest needs user and realm', async () => {
    await expect(registry.verify('x', '760154ccaf20a3b0b0849f04c56ed71a', { scheme: 'htdigest', context: { user: 'alice' } })).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_HASH_CONTEXT',
    });
  });
});
