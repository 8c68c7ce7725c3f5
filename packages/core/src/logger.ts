// A small leveled logger writing to stderr: text for people, JSON lines for machines.

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
  readonly json?: boolean;
  readonly write?: (line: string) => void;
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = rank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log =
    (level: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (rank[level] < threshold) return;
      const time = new Date().toISOString();
      if (options.json) {
        write(JSON.stringify({ ...fields, time, level, message }, jsonSafe));
        return;
      }
      const extra = Object.entries(fields)
        .map(
          ([key, value]) =>
            `${key}=${typeof value === 'string' ? value : JSON.stringify(value, jsonSafe)}`,
        )
        .join(' ');
      write(`${time} ${level.toUpperCase()} ${message}${extra ? ` ${extra}` : ''}`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** JSON replacer that writes bigints as strings, so no amount fails to serialize. */
export function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
