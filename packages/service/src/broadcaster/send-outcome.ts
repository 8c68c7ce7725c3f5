// What a failed send proves: that the node never took the payment, or nothing at all.
import { InvalidValueError } from '@cryptoassets/core';
import { BadAddress } from '@cryptoassets/ledger';
import { BitcoindConnectionError, BitcoindRpcError } from '../bitcoind/errors.js';

/**
 * True when the error proves that nothing was sent: the node answered with an error (it refused
 * the payment: insufficient funds, an invalid address...), the connection was refused before the
 * request left, or the outputs were rejected before any call. Anything else (a timeout, a reset
 * connection, a garbled answer) may come after the node took the payment.
 */
export function provesNothingSent(error: unknown): boolean {
  if (error instanceof BitcoindRpcError) return true;
  if (error instanceof BitcoindConnectionError) return !error.requestMayHaveArrived;
  return error instanceof InvalidValueError || error instanceof BadAddress;
}

/** A one-line reason for an operator, from an error of any kind. */
export function oneLineReason(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0] ?? ''}`;
  return String(error);
}
