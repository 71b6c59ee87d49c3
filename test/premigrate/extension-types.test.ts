import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Profile } from '../../src/core/contracts.js';
import { createGraphClient } from '../../src/graph/index.js';
import { registerExtensionProperties } from '../../src/premigrate/extensions.js';
import { createMapper, extensionPropertiesOf, type ExtensionDataType, type PremigrateMappingOptions } from '../../src/premigrate/mapping.js';
import type { MappingFailure, MigrationItem } from '../../src/premigrate/types.js';
import { startGraphEmulator, type GraphEmulator } from '../harness/graph-emulator.js';
import { emulatorEndpoints } from '../graph/helpers.js';

/**
 * Extension attributes: what `--register-extensions` registers and what the mapping writes must be the same
 * dataType (Graph refuses a value of another type, the emulator does not check). A target declares its type
 * (`extension:<name>:Integer`), String when it does not, and the mapping sends every value as that type.
 * Registration takes the app id in both forms the mapping takes, and an odd Graph answer is a typed error.
 */

const appId = '831374b3-bd50-41bf-aa54-263ec9e050fc';
const hex = appId.replaceAll('-', '');
const full = (name: string): string => `extension_${hex}_${name}`;

const mapping: PremigrateMappingOptions = {
  tenant: 'contoso',
  extensionAppId: appId,
  fields: { attributes: { tier: 'extension:tier', loyalty: 'extension:loyaltyNumber:Integer', vip: 'extension:vip:Boolean', since: 'extension:memberSince:DateTime', code: 'extension:code:String' } },
};

const profile = (attributes: Record<string, unknown>): Profile => ({ subjectId: 'sql:1', username: 'ada@example.com', email: 'ada@example.com', attributes });
const isFailure = (mapped: MigrationItem | MappingFailure): mapped is MappingFailure => 'code' in mapped;
function payload(mapped: MigrationItem | MappingFailure): MigrationItem['payload'] {
  if (isFailure(mapped)) throw new Error(`expected an item, got ${mapped.code}: ${mapped.reason}`);
  return mapped.payload;
}

/** A value Graph takes for a property of this dataType (reference §3.1). */
function fits(dataType: ExtensionDataType, value: unknown): boolean {
  switch (dataType) {
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Integer':
      return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;
    case 'String':
      return typeof value === 'string' && value.length <= 256;
    case 'DateTime':
      return typeof value === 'string' && new Date(value).toISOString() === value;
  }
}

describe('the mapping writes each extension attribute as its declared dataType', () => {
  const map = createMapper(mapping);

  it('lists what it writes with those types: the flag Boolean, untyped targets String', () => {
    expect(extensionPropertiesOf(mapping)).toEqual([
      { name: 'requiresMigration', dataType: 'Boolean' },
      { name: 'tier', dataType: 'String' },
      { name: 'loyaltyNumber', dataType: 'Integer' },
      { name: 'vip', dataType: 'Boolean' },
      { name: 'memberSince', dataType: 'DateTime' },
      { name: 'code', dataType: 'String' },
    ]);
    expect(extensionPropertiesOf({ tenant: 'contoso', passwords: { requiresMigrationAttribute: false } })).toEqual([]);
  });

  it('turns the spellings stores hand back into the declared type', () => {
    expect(payload(map(profile({ tier: 42, loyalty: '12345', vip: 1, since: '2019-05-01', code: true })))).toMatchObject({
      [full('tier')]: '42',
      [full('loyaltyNumber')]: 12345,
      [full('vip')]: true,
      [full('memberSince')]: '2019-05-01T00:00:00.000Z',
      [full('code')]: 'true',
    });
    expect(payload(map(profile({ tier: ' gold ', loyalty: 7n, vip: 'FALSE', since: new Date('2020-01-02T03:04:05Z') })))).toMatchObject({
      [full('tier')]: 'gold',
      [full('loyaltyNumber')]: 7,
      [full('vip')]: false,
      [full('memberSince')]: '2020-01-02T03:04:05.000Z',
    });
  });

  it.each([
    ['loyalty', 'abc'],
    ['loyalty', 1.5],
    ['loyalty', 2 ** 31],
    ['loyalty', '99999999999'],
    ['vip', 'yes'],
    ['vip', 2],
    ['since', 'tomorrow'],
    ['since', 1_700_000_000_000],
    ['tier', 'x'.repeat(251)],
    ['tier', { nested: true }],
  ])('fails the user for %s = %j instead of sending another type', (attribute, value) => {
    const mapped = map(profile({ [attribute]: value }));
    expect(isFailure(mapped) && mapped.code).toBe('invalid_attribute');
    expect((mapped as MappingFailure).reason).toMatch(/\((?:String|Integer|Boolean|DateTime): /u);
  });

  it('every value it sends fits the dataType it lists, whatever type the store gave', () => {
    const types = new Map(extensionPropertiesOf(mapping).map((property) => [full(property.name), property.dataType]));
    const samples: unknown[] = [0, 1, 42, -7, '0', '1', '42', 'true', 'false', true, false, 'text', '2019-05-01', '2019-05-01T10:00:00Z', new Date('2021-06-01T00:00:00Z'), 12n];
    let checked = 0;
    for (const value of samples) {
      for (const attribute of ['tier', 'loyalty', 'vip', 'since', 'code']) {
        const mapped = map(profile({ [attribute]: value }));
        if (isFailure(mapped)) continue;
        for (const [key, sent] of Object.entries(mapped.payload).filter(([key]) => key.startsWith('extension_'))) {
          const dataType = types.get(key);
          expect(dataType, key).toBeDefined();
          expect(fits(dataType as ExtensionDataType, sent), `${key} = ${JSON.stringify(sent)} as ${String(dataType)}`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(80);
  });

  it('one property is one target, whatever its declared type', () => {
    expect(() => createMapper({ ...mapping, fields: { attributes: { a: 'extension:tier', b: 'extension:Tier:Integer' } } })).toThrow(/a second attribute maps to extension:tier/u);
    expect(() => createMapper({ ...mapping, fields: { attributes: { a: 'extension:tier:Float' } } })).toThrow(/ERR_LEGACY_IDP_CONFIG_INVALID|extension:<name>/u);
  });
});

describe('registerExtensionProperties', () => {
  let emulator: GraphEmulator;
  beforeAll(async () => {
    emulator = await startGraphEmulator({ extensionsAppId: appId, writeQuota: null, resourceUnitQuota: null });
  });
  afterAll(async () => {
    await emulator.close();
  });
  const graph = () => createGraphClient({ ...emulatorEndpoints(emulator), maxRetries: 0 });

  async function registeredTypes(): Promise<Record<string, unknown>> {
    const client = graph();
    const apps = await client.request({ method: 'GET', path: `/applications?$filter=appId eq '${appId}'` });
    const id = (apps.body as { value: Array<{ id: string }> }).value[0]?.id ?? '';
    const listed = await client.request({ method: 'GET', path: `/applications/${id}/extensionProperties` });
    return Object.fromEntries((listed.body as { value: Array<{ name: string; dataType: string }> }).value.map((property) => [property.name, property.dataType]));
  }

  it('takes the app id without hyphens (as the mapping does) and registers the types the mapping sends', async () => {
    const result = await registerExtensionProperties(graph(), hex.toUpperCase(), extensionPropertiesOf({ ...mapping, extensionAppId: hex }));
    expect(result.registered).toHaveLength(6);
    expect(await registeredTypes()).toEqual({
      [full('requiresMigration')]: 'Boolean',
      [full('tier')]: 'String',
      [full('loyaltyNumber')]: 'Integer',
      [full('vip')]: 'Boolean',
      [full('memberSince')]: 'DateTime',
      [full('code')]: 'String',
    });
    // Idempotent, both forms.
    expect((await registerExtensionProperties(graph(), appId, extensionPropertiesOf(mapping))).existing).toHaveLength(6);
  });

  it('refuses, before any user is written, a property registered with another type than the mapping sends', async () => {
    const retyped = { ...mapping, fields: { attributes: { loyalty: 'extension:loyaltyNumber' } } } as const;
    await expect(registerExtensionProperties(graph(), appId, extensionPropertiesOf(retyped))).rejects.toMatchObject({
      code: 'ERR_LEGACY_IDP_CONFIG_INVALID',
      message: expect.stringMatching(/loyaltyNumber is registered as Integer and the mapping writes String/u) as unknown,
    });
  });

  it('refuses an app id that is no GUID', async () => {
    await expect(registerExtensionProperties(graph(), 'not-a-guid', [])).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
    await expect(registerExtensionProperties(graph(), `${hex}0`, [])).rejects.toMatchObject({ code: 'ERR_LEGACY_IDP_CONFIG_INVALID' });
  });
});

describe('registerExtensionProperties: odd answers from Graph are typed errors, not TypeErrors', () => {
  // A stand-in for Graph that answers 200 with bodies Graph should not send; the real client talks to it.
  let server: Server;
  let url = '';
  let answers: { applications: unknown; properties: unknown } = { applications: {}, properties: {} };
  beforeAll(async () => {
    server = createServer((request, response) => {
      const path = request.url ?? '';
      const body = path.includes('/oauth2/v2.0/token')
        ? { token_type: 'Bearer', access_token: 'opaque', expires_in: 3599 }
        : path.startsWith('/v1.0/applications?')
          ? answers.applications
          : answers.properties;
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  const graph = () => createGraphClient({ tenantId: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's', authorityUrl: url, graphUrl: url, maxRetries: 0 });
  const wanted = [{ name: 'requiresMigration', dataType: 'Boolean' as const }];

  it.each([
    ['an application list without value', {}, { value: [] }, /GET \/applications answered without a value array/u],
    ['an application list that is not an object', null, { value: [] }, /GET \/applications answered without a value array/u],
    ['an application without an id', { value: [{ appId }] }, { value: [] }, /application without an id/u],
    ['a property list without value', { value: [{ id: 'o' }] }, { values: [] }, /extensionProperties answered without a value array/u],
    ['a property without a name', { value: [{ id: 'o' }] }, { value: [{ id: 'p', dataType: 'Boolean' }] }, /property without a name/u],
  ])('%s', async (_name, applications, properties, message) => {
    answers = { applications, properties };
    const error = await registerExtensionProperties(graph(), appId, wanted).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_LEGACY_IDP_GRAPH_ERROR', message: expect.stringMatching(message) as unknown });
  });
});
