// The toolkit's logger: structured JSON lines through pino for services and machines, short text
// lines for people at a terminal; both on stderr, with the level from the configuration.
import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Logger = {
  readonly debug: (message: string, fields?: Record<string, unknown>) => void;
  readonly info: (message: string, fields?: Record<string, unknown>) => void;
  readonly warn: (message: string, fields?: Record<string, unknown>) => void;
  readonly error: (message: string, fields?: Record<string, unknown>) => void;
};

export type LoggerOptions = {
  readonly level?: LogLevel;
  /** JSON lines (pino) instead of text. */
  readonly json?: boolean;
  /** Where each line goes (without its newline); stderr by default. */
  readonly write?: (line: string) => void;
};

/** Field names whose values never reach a log line, at the top level or one level down. */
export const redactedFieldNames = [
  'password',
  'passphrase',
  'secret',
  'token',
  'wif',
  'private',
  'privateKey',
  'private_key',
  'active_key',
] as const;
const censor = '[redacted]';

export function createLogger(options: LoggerOptions = {}): Logger {
  return options.json ? createJsonLogger(options) : createTextLogger(options);
}

function createJsonLogger(options: LoggerOptions): Logger {
  const write = options.write;
  const destination =
    write === undefined
      ? pino.destination({ fd: 2, sync: true })
      : { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) };
  const base = pino(
    {
      level: options.level ?? 'info',
      base: null,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: redactedFieldNames.flatMap((name) => [name, `*.${name}`]),
        censor,
      },
    },
    destination,
  );
  const log =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      if (!base.isLevelEnabled(level)) return;
      base[level](plainFields(fields), message);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function createTextLogger(options: LoggerOptions): Logger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      if (rank[level] < threshold) return;
      const time = new Date().toISOString();
      const extra = Object.entries(plainFields(fields))
        .map(
          ([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
        )
        .join(' ');
      write(`${time} ${level.toUpperCase()} ${message}${extra ? ` ${extra}` : ''}`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Fields as plain JSON values: bigints become strings, errors their message, secrets censored. */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(fields, (key, value: unknown) => {
    if ((redactedFieldNames as readonly string[]).includes(key)) return censor;
    if (value instanceof Error) return value.message;
    return jsonSafe(key, value);
  });
  return JSON.parse(text) as Record<string, unknown>;
}

/** JSON replacer that writes bigints as strings, so no amount fails to serialize. */
export function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
