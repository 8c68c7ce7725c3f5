// JSON-RPC errors of the node, with bitcoind's numeric codes so bitcoind clients branch the same.
import { CryptoassetsError, type ErrorOptions } from '@cryptoassets/core';

/** bitcoind's error codes (src/rpc/protocol.h), the ones this node answers with. */
export const rpcErrorCodes = {
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  parseError: -32700,
  miscError: -1,
  typeError: -3,
  walletError: -4,
  invalidAddressOrKey: -5,
  walletInsufficientFunds: -6,
  invalidParameter: -8,
  verifyError: -25,
  verifyRejected: -26,
  inWarmup: -28,
  walletNotFound: -18,
  walletNotSpecified: -19,
  walletAlreadyLoaded: -35,
} as const;

/** A JSON-RPC call failed; `rpcCode` and `rpcMessage` go to the client as `error`. */
export class RpcError extends CryptoassetsError {
  override name = 'RpcError';
  readonly rpcCode: number;
  readonly rpcMessage: string;

  constructor(rpcCode: number, rpcMessage: string, options: ErrorOptions = {}) {
    super('RPC', `RPC error ${rpcCode}: ${rpcMessage}`, options);
    this.rpcCode = rpcCode;
    this.rpcMessage = rpcMessage;
  }
}

export const invalidParameter = (message: string): RpcError =>
  new RpcError(rpcErrorCodes.invalidParameter, message);

export const typeError = (message: string): RpcError =>
  new RpcError(rpcErrorCodes.typeError, message);
