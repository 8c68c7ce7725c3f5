// Key store errors. Messages name the file or the entry, never a key.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** A key store operation that cannot be done (missing file or entry, duplicate name, ...). */
export class KeystoreError extends CryptoassetsError {
  override name = 'KeystoreError';
  constructor(shortMessage: string, options: ErrorOptions = {}) {
    super('KEYSTORE', shortMessage, options);
  }
}

/** The passphrase does not open the key store. */
export class WrongPassphraseError extends CryptoassetsError {
  override name = 'WrongPassphraseError';
  readonly path: string;
  constructor(path: string) {
    super('KEYSTORE_WRONG_PASSPHRASE', `wrong passphrase for key store ${path}`);
    this.path = path;
  }
}

/** The key store file was changed outside this program or is corrupt. */
export class KeystoreTamperedError extends CryptoassetsError {
  override name = 'KeystoreTamperedError';
  readonly path: string;
  constructor(path: string, problem: string, options: ErrorOptions = {}) {
    super('KEYSTORE_TAMPERED', `key store ${path} was tampered with or is corrupt`, {
      ...options,
      details: problem,
    });
    this.path = path;
  }
}
