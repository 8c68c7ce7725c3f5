// Typed failures of the transaction updater.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** Too many updates are already waiting for their turn; the txid was not looked at. */
export class UpdaterBusy extends CryptoassetsError {
  override name = 'UpdaterBusy';
  constructor(coin: string, waitingMax: number, options: ErrorOptions = {}) {
    super('UPDATER_BUSY', `${coin} updater: ${waitingMax} updates already waiting`, options);
  }
}
