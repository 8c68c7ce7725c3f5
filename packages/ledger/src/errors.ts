// Typed business outcomes of the ledger: expected, documented, each with a stable code.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** The sending account holds less than the amount (and negative balances were not allowed). */
export class NotEnoughAccountBalance extends CryptoassetsError {
  override name = 'NotEnoughAccountBalance';
  constructor(account: string, options: ErrorOptions = {}) {
    super('NOT_ENOUGH_ACCOUNT_BALANCE', `account ${account} does not have enough balance`, options);
  }
}

/** A transfer whose sender and receiver are the same account. */
export class SameAccount extends CryptoassetsError {
  override name = 'SameAccount';
  constructor(account: string) {
    super('SAME_ACCOUNT', `cannot transfer from account ${account} to itself`);
  }
}

/** An address that is not valid for the coin and network. */
export class BadAddress extends CryptoassetsError {
  override name = 'BadAddress';
  constructor(address: string, coin: string, network: string) {
    super(
      'BAD_ADDRESS',
      `not a valid ${coin} ${network} address: ${JSON.stringify(address.slice(0, 120))}`,
    );
  }
}

/** An address that is already in the wallet. */
export class DuplicateAddress extends CryptoassetsError {
  override name = 'DuplicateAddress';
  constructor(address: string) {
    super('DUPLICATE_ADDRESS', `address ${address} is already in the wallet`);
  }
}

/** An account with that name already exists in the wallet. */
export class AccountExists extends CryptoassetsError {
  override name = 'AccountExists';
  constructor(account: string) {
    super('ACCOUNT_EXISTS', `account ${account} already exists`);
  }
}

/** A wallet, account, address or transaction that does not exist. */
export class NotFound extends CryptoassetsError {
  override name = 'NotFound';
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

/** An operation that needs the network, on a coin configured for bookkeeping alone. */
export class NoBackend extends CryptoassetsError {
  override name = 'NoBackend';
  constructor(coin: string) {
    super(
      'NO_BACKEND',
      `coin ${coin} has no backend configured; this needs one (coins.${coin}.backend)`,
    );
  }
}

/** A state change that the transaction's current state does not allow. */
export class BadTransactionState extends CryptoassetsError {
  override name = 'BadTransactionState';
  constructor(message: string) {
    super('BAD_TRANSACTION_STATE', message);
  }
}

/** Retries of a serializable transaction were exhausted. */
export class CannotResolveDatabaseConflict extends CryptoassetsError {
  override name = 'CannotResolveDatabaseConflict';
  readonly attempts: number;
  constructor(operation: string, attempts: number, cause: unknown) {
    super(
      'CANNOT_RESOLVE_DATABASE_CONFLICT',
      `${operation}: database conflict not resolved after ${attempts} attempts`,
      { cause },
    );
    this.attempts = attempts;
  }
}

/** The database URL or the database itself cannot be used. */
export class DatabaseError extends CryptoassetsError {
  override name = 'DatabaseError';
  constructor(message: string, options: ErrorOptions = {}) {
    super('DATABASE', message, options);
  }
}
