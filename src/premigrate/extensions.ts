import { LegacyIdpError } from '../core/errors.js';
import type { GraphClient } from '../graph/client.js';
import { extensionAttributeName } from '../graph/users.js';

/**
 * Registers the extension attributes a run writes (the `requiresMigration` flag, mapped `extension:<name>`
 * attributes) on the tenant's b2c-extensions-app, as shared/reference §1.4 describes: find the app by its
 * appId, read its extensionProperties, POST the missing ones. Idempotent: existing names are left alone.
 */

export interface ExtensionToRegister {
  /** The short name (`requiresMigration`). */
  name: string;
  dataType: 'Boolean' | 'String' | 'Integer' | 'DateTime';
}

export async function registerExtensionProperties(
  graph: Pick<GraphClient, 'request'>,
  extensionAppId: string,
  extensions: readonly ExtensionToRegister[],
  signal?: AbortSignal,
): Promise<{ registered: string[]; existing: string[] }> {
  const call = signal ? { signal } : {};
  if (!/^[0-9a-f-]{36}$/iu.test(extensionAppId)) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', 'extensionAppId must be the b2c-extensions-app client id (a GUID)', { path: 'mapping.extensionAppId' });
  }
  const found = await graph.request({ method: 'GET', path: `/applications?$filter=appId eq '${extensionAppId}'&$select=id,appId`, ...call });
  const app = (found.body as { value?: Array<{ id: string }> }).value?.[0];
  if (!app) {
    throw new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `no application with appId ${extensionAppId} in the tenant (the b2c-extensions-app)`, { path: 'mapping.extensionAppId' });
  }
  const listed = await graph.request({ method: 'GET', path: `/applications/${encodeURIComponent(app.id)}/extensionProperties`, ...call });
  const names = new Set(((listed.body as { value?: Array<{ name: string }> }).value ?? []).map((property) => property.name.toLowerCase()));
  const registered: string[] = [];
  const existing: string[] = [];
  for (const extension of extensions) {
    const fullName = extensionAttributeName(extensionAppId, extension.name);
    if (names.has(fullName.toLowerCase())) {
      existing.push(fullName);
      continue;
    }
    await graph.request({
      method: 'POST',
      path: `/applications/${encodeURIComponent(app.id)}/extensionProperties`,
      body: { name: extension.name, dataType: extension.dataType, targetObjects: ['User'] },
      ...call,
    });
    registered.push(fullName);
  }
  return { registered, existing };
}
