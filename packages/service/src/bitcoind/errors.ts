// Errors of the bitcoind backend: each names the node (without its password) and the RPC method.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** Error codes bitcoind returns that callers commonly branch on. */
export const bitcoindErrorCodes = {
  miscError: -1,
  typeError: -3,
  invalidAddressOrKey: -5,
  insufficientFunds: -6,
  invalidParameter: -8,
  inWarmup: -28,
  walletError: -4,
  walletNotFound: -18,
  methodNotFound: -32601,
} as const;

/** The node answered the call with a JSON-RPC error; `rpcCode` is bitcoind's code. */
export class BitcoindRpcError extends CryptoassetsError {
  override name = 'BitcoindRpcError';
  readonly node: string;
  readonly method: string;
  readonly rpcCode: number;

  constructor(
    context: { readonly node: string; readonly method: string },
    rpcCode: number,
    rpcMessage: string,
    options: ErrorOptions = {},
  ) {
    super(
      'BITCOIND_RPC',
      `bitcoind ${context.node} ${context.method}: error ${rpcCode}: ${rpcMessage}`,
      options,
    );
    this.node = context.node;
    this.method = context.method;
    this.rpcCode = rpcCode;
  }
}

/**
 * The node could not be reached or did not answer in time. `requestMayHaveArrived` is false only
 * when the connection was refused, so the node certainly did not see the call; a non-idempotent
 * call that fails otherwise must be reconciled before it is tried again.
 */
export class BitcoindConnectionError extends CryptoassetsError {
  override name = 'BitcoindConnectionError';
  readonly node: string;
  readonly method: string;
  readonly attempts: number;
  readonly requestMayHaveArrived: boolean;

  constructor(
    context: { readonly node: string; readonly method: string },
    details: {
      readonly problem: string;
      readonly attempts: number;
      readonly requestMayHaveArrived: boolean;
    },
    options: ErrorOptions = {},
  ) {
    const tries = details.attempts === 1 ? '1 attempt' : `${details.attempts} attempts`;
    super(
      'BITCOIND_CONNECTION',
      `bitcoind ${context.node} ${context.method}: ${details.problem} (${tries})`,
      options,
    );
    this.node = context.node;
    this.method = context.method;
    this.attempts = details.attempts;
    this.requestMayHaveArrived = details.requestMayHaveArrived;
  }
}

/** The node answered with something that is not a usable JSON-RPC response. */
export class BitcoindResponseError extends CryptoassetsError {
  override name = 'BitcoindResponseError';
  readonly node: string;
  readonly method: string;
  readonly httpStatus: number | undefined;

  constructor(
    context: { readonly node: string; readonly method: string },
    problem: string,
    options: ErrorOptions & { readonly httpStatus?: number } = {},
  ) {
    super('BITCOIND_RESPONSE', `bitcoind ${context.node} ${context.method}: ${problem}`, options);
    this.node = context.node;
    this.method = context.method;
    this.httpStatus = options.httpStatus;
  }
}
