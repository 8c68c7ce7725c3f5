// Errors of the witness guard: a wrong chain, an unusable key, a witness that does not exist.
// Messages name the key by its public key or its place in the configuration, never the secret.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** The API node serves another chain than the profile describes; the guard refuses to start. */
export class ChainIdMismatchError extends CryptoassetsError {
  override name = 'ChainIdMismatchError';
  constructor(guard: string, expected: string, actual: string) {
    super('CHAIN_ID_MISMATCH', `${guard}: the API node serves chain ${actual}, not ${expected}`, {
      details: 'check the nodes and the chain of this guard; it refuses to run on another chain',
    });
  }
}

/** A configured key is missing, locked, malformed or does not belong to its public key. */
export class WitnessKeyError extends CryptoassetsError {
  override name = 'WitnessKeyError';
  constructor(guard: string, problem: string, options: ErrorOptions = {}) {
    super('WITNESS_KEY', `${guard}: ${problem}`, options);
  }
}

/** The account has no witness object on this chain. */
export class WitnessNotFoundError extends CryptoassetsError {
  override name = 'WitnessNotFoundError';
  constructor(guard: string, account: string) {
    super('WITNESS_NOT_FOUND', `${guard}: ${account} is not a witness on this chain`);
  }
}
