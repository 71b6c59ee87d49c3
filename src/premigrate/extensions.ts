import { LegacyIdpError } from '../core/errors.js';
import type { GraphClient } from '../graph/client.js';
import { GraphError } from '../graph/errors.js';
import { extensionAttributeName } from '../graph/users.js';
import { extensionAppIdPattern, type ExtensionDataType } from './mapping.js';

/**
 * Registers the extension attributes a run writes (the `requiresMigration` flag, mapped `extension:<name>`
 * attributes) on the tenant's b2c-extensions-app, as shared/reference §1.4 describes: find the app by its
 * appId, read its extensionProperties, POST the missing ones. Idempotent: existing names are left alone.
 * `extensionPropertiesOf(mapping)` (mapping.ts) gives the list with the dataTypes the mapping sends.
 */

export interface ExtensionToRegister {
  /** The short name (`requiresMigration`). */
  name: string;
  dataType: ExtensionDataType;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `value` array of a Graph list answer, or a typed error naming the call (never a TypeError on an odd body). */
function listOf(body: unknown, path: string): unknown[] {
  const value = isRecord(body) ? body['value'] : undefined;
  if (!Array.isArray(value)) throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', `Graph GET ${path} answered without a value array`, { method: 'GET', path });
  return value;
}

export async function registerExtensionProperties(
  graph: Pick<GraphClient, 'request'>,
  extensionAppId: string,
  extensions: readonly ExtensionToRegister[],
  signal?: AbortSignal,
): Promise<{ registered: string[]; existing: string[] }> {
  const call = signal ? { signal } : {};
  // The mapping's rule: a GUID with or without hyphens. Graph's appId filter is given the hyphenated form.
  if (!extensionAppIdPattern.test(extensionAppId)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'extensionAppId must be the b2c-extensions-app client id (a GUID, with or without hyphens)', { path: 'mapping.extensionAppId' });
  }
  const hex = extensionAppId.replaceAll('-', '').toLowerCase();
  const appId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const found = await graph.request({ method: 'GET', path: `/applications?$filter=appId eq '${appId}'&$select=id,appId`, ...call });
  const app = listOf(found.body, '/applications')[0];
  if (app === undefined) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `no application with appId ${appId} in the tenant (the b2c-extensions-app)`, { path: 'mapping.extensionAppId' });
  }
  if (!isRecord(app) || typeof app['id'] !== 'string' || app['id'] === '') {
    throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', 'Graph GET /applications answered an application without an id', { method: 'GET', path: '/applications' });
  }
  const path = `/applications/${encodeURIComponent(app['id'])}/extensionProperties`;
  const listed = await graph.request({ method: 'GET', path, ...call });
  // Full name (lower case) -> its dataType as registered.
  const types = new Map<string, unknown>();
  for (const property of listOf(listed.body, '/applications/{id}/extensionProperties')) {
    if (!isRecord(property) || typeof property['name'] !== 'string') {
      throw new GraphError('ERR_LEGACY_IDP_GRAPH_ERROR', 'Graph GET /applications/{id}/extensionProperties answered a property without a name', { method: 'GET', path: '/applications/{id}/extensionProperties' });
    }
    types.set(property['name'].toLowerCase(), property['dataType']);
  }
  const registered: string[] = [];
  const existing: string[] = [];
  for (const extension of extensions) {
    const fullName = extensionAttributeName(appId, extension.name);
    if (types.has(fullName.toLowerCase())) {
      // A property's dataType cannot change, and Graph refuses values of another type: every user would fail.
      const registeredType = types.get(fullName.toLowerCase());
      if (typeof registeredType === 'string' && registeredType.toLowerCase() !== extension.dataType.toLowerCase()) {
        throw new LegacyIdpError(
          'ERR_LEGACY_IDP_CONFIG_INVALID',
          `${fullName} is registered as ${registeredType} and the mapping writes ${extension.dataType} values; a registered dataType cannot change: declare the type that is registered (extension:<name>:<dataType>) or use another name`,
          { path: 'mapping.fields.attributes' },
        );
      }
      existing.push(fullName);
      continue;
    }
    await graph.request({ method: 'POST', path, body: { name: extension.name, dataType: extension.dataType, targetObjects: ['User'] }, ...call });
    registered.push(fullName);
  }
  return { registered, existing };
}
