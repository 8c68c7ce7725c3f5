// Why the status server would not start.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** The status server was asked to listen where it must not, or could not listen. */
export class StatusServerRefused extends CryptoassetsError {
  override name = 'StatusServerRefused';
  constructor(shortMessage: string, options: ErrorOptions = {}) {
    super('STATUS_SERVER_REFUSED', shortMessage, options);
  }
}
