// Typed failures of the walletnotify listeners: a rejected notification and a refused start.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** Characters of a rejected input shown in messages and logs, so garbage cannot flood them. */
export const rejectedPreviewCharsMax = 80;

/** A notification that is not a well-formed txid; it is logged, counted and dropped. */
export class WalletnotifyRejected extends CryptoassetsError {
  override name = 'WalletnotifyRejected';
  readonly reason: string;

  constructor(reason: string, input: string, options: ErrorOptions = {}) {
    super('WALLETNOTIFY_REJECTED', `walletnotify: ${reason}: ${preview(input)}`, options);
    this.reason = reason;
  }
}

/** A listener that cannot start: an unsafe or unusable configuration, or a busy resource. */
export class WalletnotifyStartError extends CryptoassetsError {
  override name = 'WalletnotifyStartError';
  /** The configuration field at fault, e.g. `walletnotify.secret_path`; undefined if none. */
  readonly field: string | undefined;

  constructor(field: string | undefined, problem: string, options: ErrorOptions = {}) {
    super('WALLETNOTIFY_START', field ? `${field}: ${problem}` : problem, options);
    this.field = field;
  }
}

/** A short, quoted, one-line rendering of untrusted input. */
export function preview(input: string): string {
  const head =
    input.length > rejectedPreviewCharsMax ? `${input.slice(0, rejectedPreviewCharsMax)}…` : input;
  return JSON.stringify(head);
}
