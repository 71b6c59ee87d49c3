import { LegacyIdpError } from './errors.js';

/**
 * A driver that refuses a store's connection options while the store is built (a malformed URL, an unknown
 * option) throws its own error, and some keep what they refused: Node's URL parser puts the whole URL,
 * password included, on `error.input`, which JSON.stringify and log serializers print (with the cause). So the
 * driver's error is never kept as it is: the config error and its cause carry the driver's error name, code
 * and message only, and the message only when it quotes no secret of the options.
 */

/** Keys whose values are secrets in a connection string's parameters or a driver's options object. */
const secretKey = /pass|pwd|secret|token|key|credential/iu;
/** `user:password@` of a URL, also when the URL is malformed (an unencoded `@` or `/` in the password). */
const userInfo = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/isu;
/** `key=value` pairs of a URL query or an ADO.NET / libpq connection string. */
const parameter = /([^\s=;&?]+)\s*=\s*([^;&]*)/gu;
/** A URL in a message (not a bare `mongodb://` naming a scheme, which quotes close). */
const urlLike = /[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/giu;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Every piece of `connection` that may be a secret: the whole string, passwords, secret-named parameters. */
function secretsOf(connection: unknown, depth = 0): string[] {
  if (typeof connection === 'string') {
    const secrets = [connection];
    const info = userInfo.exec(connection)?.[1];
    if (info !== undefined) {
      secrets.push(info, decoded(info));
      const colon = info.indexOf(':');
      if (colon >= 0) secrets.push(info.slice(colon + 1), decoded(info.slice(colon + 1)));
    }
    for (const [, key, value] of connection.matchAll(parameter)) {
      if (key !== undefined && value !== undefined && secretKey.test(key)) {
        const trimmed = value.trim();
        // ADO.NET quotes a value holding `;` in braces or quotes.
        secrets.push(trimmed, decoded(trimmed), trimmed.replace(/^[{"']|[}"']$/gu, ''));
      }
    }
    return secrets.filter((secret) => secret.length > 0);
  }
  if (depth >= 4 || typeof connection !== 'object' || connection === null) return [];
  return Object.entries(connection).flatMap(([key, value]) =>
    typeof value === 'string' ? (secretKey.test(key) ? [value] : secretsOf(value, depth + 1)) : secretsOf(value, depth + 1),
  );
}

/**
 * The driver's refusal as ERR_LEGACY_IDP_CONFIG_INVALID. `what` names the options (`sql store options`),
 * `driver` the package, `path` the option refused (`connection`, `uri`), `connection` its value (to withhold
 * any message that quotes part of it).
 */
export function driverRefusal(what: string, driver: string, error: unknown, options: { path: string; connection: unknown }): LegacyIdpError {
  const record = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const name = typeof record.name === 'string' ? record.name : 'Error';
  const code = typeof record.code === 'string' || typeof record.code === 'number' ? record.code : undefined;
  const rawMessage = typeof record.message === 'string' ? record.message : '';
  const quotesSecret = secretsOf(options.connection).some((secret) => rawMessage.includes(secret));
  const message = quotesSecret ? '' : rawMessage.replace(urlLike, '<url>').slice(0, 300);
  const reason = `${name}${code === undefined ? '' : ` ${code}`}${message === '' ? '' : `: ${message}`}`;
  // A copy holding only what the message shows, with the driver's stack frames (not its first line, the message).
  const cause = Object.assign(new Error(message), { name, ...(code === undefined ? {} : { code }) });
  const frames = typeof record.stack === 'string' ? record.stack.split('\n').filter((line) => /^\s+at /u.test(line)) : [];
  cause.stack = [`${name}: ${message}`, ...frames].join('\n');
  return new LegacyIdpError('ERR_LEGACY_IDP_CONFIG_INVALID', `${what}: the ${driver} driver refused \`${options.path}\` (${reason})`, { cause, path: options.path });
}
