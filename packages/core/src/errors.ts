// The error base class: a stable `code`, a one-line `shortMessage`, optional `details`, `cause`.

export type ErrorOptions = {
  readonly details?: string;
  readonly cause?: unknown;
};

/** Every expected failure of the toolkit is a `CryptoassetsError` with a stable `code`. */
export class CryptoassetsError extends Error {
  override name = 'CryptoassetsError';
  readonly code: string;
  readonly shortMessage: string;
  readonly details: string | undefined;

  constructor(code: string, shortMessage: string, options: ErrorOptions = {}) {
    const message = options.details
      ? `${shortMessage}\n\nDetails: ${options.details}`
      : shortMessage;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    this.details = options.details;
  }
}

/** An amount or other value given by a user or a peer that cannot be accepted. */
export class InvalidValueError extends CryptoassetsError {
  override name = 'InvalidValueError';
  readonly field: string;

  constructor(field: string, problem: string, options: ErrorOptions = {}) {
    super('INVALID_VALUE', `${field}: ${problem}`, options);
    this.field = field;
  }
}

/** The configuration file is missing, unreadable or does not match the schema. */
export class ConfigError extends CryptoassetsError {
  override name = 'ConfigError';
  constructor(shortMessage: string, options: ErrorOptions = {}) {
    super('CONFIG', shortMessage, options);
  }
}
