import { contextString, digest } from '../../codec.js';
import type { HashScheme } from '../../types.js';
import { contextHexScheme, hexOf } from './hex-digest.js';

/** sha1(salt . sha1(password)): Redmine and PunBB/FluxBB picked the same construction. */
export function saltSha1OfSha1(id: string, summary: string, source: string, saltColumn: string): HashScheme {
  return contextHexScheme({
    id,
    summary,
    example: '40 hex digits; context { salt }',
    source,
    bytes: 20,
    contextKeys: [{ key: 'salt', required: true, description: `${saltColumn}, raw text` }],
    compute: (password, context) => digest('sha1', contextString(context, 'salt', id), hexOf('sha1', password)),
  });
}
