import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { digestSecret, type CallerMethod } from './shared.js';

/**
 * A shared key in a request header: B2C `AuthenticationType` `ApiKeyHeader`, where the CryptographicKey's
 * `Id` is the header name (`<Key Id="x-functions-key" StorageReferenceId="B2C_1A_RestApiKey" />`). B2C sends
 * one header only, so one header name per authenticator; several keys allow a rotation.
 */

// RFC 9110 §5.1 field-name (a token).
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/u;

export const apiKeySchema = z
  .object({
    /** Header name, case-insensitive; B2C uses the key `Id` here (e.g. `x-functions-key`). */
    header: z
      .string()
      .regex(headerName, 'an HTTP header name')
      .default('x-api-key')
      .transform((name) => name.toLowerCase()),
    keys: z
      .array(
        z
          .object({
            /** Names the key in logs (`caller: api-key`, subject = label); never the key itself. */
            label: z.string().min(1).max(100).optional(),
            value: z
              .string()
              .min(16, 'at least 16 characters (generate one: openssl rand -base64 32)')
              .max(1024)
              // HTTP strips white space from both ends of a header value, so such a key could never be presented
              // (a key read from a file with its final newline); a control character no header can carry at all.
              .refine((value) => value === value.trim(), 'has white space at an end (a final newline from a file?), which HTTP strips from header values: no caller could send it')
              // eslint-disable-next-line no-control-regex
              .refine((value) => !/[\u0000-\u001f\u007f]/u.test(value), 'holds a control character, which no HTTP header can carry')
              // Header values are bytes, which Node reads as Latin-1: a caller sending the key as UTF-8 (`é` as two bytes)
              // arrives as other characters (`Ã©`) and matches nothing; fetch refuses anything past U+00FF outright.
              .refine((value) => !/[\u0080-\u{10ffff}]/u.test(value), 'holds a character outside ASCII, which would not arrive as written in an HTTP header (generate one: openssl rand -base64 32)'),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .refine((apiKey) => new Set(apiKey.keys.map((key) => key.value)).size === apiKey.keys.length, { error: 'each key value may appear once', path: ['keys'] });

export type ApiKeyOptions = z.input<typeof apiKeySchema>;

export function apiKeyMethod(options: z.output<typeof apiKeySchema>): CallerMethod {
  const keys = options.keys.map((key, index) => ({ subject: key.label ?? `keys[${index}]`, digest: digestSecret(key.value) }));
  const header = options.header;
  return (request) => {
    // Headers.get is case-insensitive and joins repeated headers with ", ", which then matches no key.
    const presented = request.headers.get(header);
    if (presented === null) return { ok: false, reason: `no ${header} header` };
    if (presented === '') return { ok: false, reason: `empty ${header} header` };
    const digest = digestSecret(presented);
    let matched: string | undefined;
    // All keys are compared, without an early exit: the timing does not say which key (if any) matched.
    for (const key of keys) {
      if (timingSafeEqual(digest, key.digest)) matched = key.subject;
    }
    if (matched !== undefined) return { ok: true, identity: { method: 'api-key', subject: matched } };
    return { ok: false, reason: `${header} matches no configured key` };
  };
}
