import { LegacyIdpError } from './errors.js';

/**
 * Loads an optional peer dependency on first use, so that importing one backend never loads another's
 * driver. A missing package becomes a typed error naming the install command.
 */
export async function importOptional<T>(packageName: string, neededFor: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new LegacyIdpError(
        'ERR_LEGACY_IDP_MISSING_DEPENDENCY',
        `${neededFor} needs the optional package "${packageName}": run npm install ${packageName}`,
        { cause: error },
      );
    }
    throw error;
  }
}
