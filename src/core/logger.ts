/**
 * Injectable logging, silent by default. Fields are structured; any field whose name looks like it holds
 * a secret is replaced before it reaches the sink, as a second line of defence behind "never pass secrets".
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => undefined;
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

const secretFieldName = /pass(word|wd|phrase)?|secret|hash|token|key|credential|salt|pepper|authorization|cookie/iu;
const levels: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export const REDACTED = '[redacted]';

/** Copies fields, replacing values of secret-looking keys (at any depth) and Error objects by code+message. */
export function redactFields(fields: LogFields, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (secretFieldName.test(key)) out[key] = REDACTED;
    else out[key] = redactValue(value, depth);
  }
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: value.message } : { message: value.message };
  }
  if (depth >= 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return redactFields(value as LogFields, depth + 1);
}

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; defaults to process.stderr so that stdout stays for command output. */
  write?: (line: string) => void;
}

/** JSON-lines logger for the CLI and examples. */
export function jsonLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = levels[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const at =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (levels[level] < threshold) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...(fields ? redactFields(fields) : {}) }));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
