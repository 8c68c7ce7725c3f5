// Failures of the service as a whole.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** A part of the running service stopped unexpectedly; the service must stop too. */
export class ServicePartFailed extends CryptoassetsError {
  override name = 'ServicePartFailed';
  readonly part: string;
  constructor(part: string, options: ErrorOptions = {}) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('SERVICE_PART_FAILED', `${part} stopped unexpectedly${reason}`, options);
    this.part = part;
  }
}
