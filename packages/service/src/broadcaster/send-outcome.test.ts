import { InvalidValueError } from '@cryptoassets/core';
import { BadAddress } from '@cryptoassets/ledger';
import { describe, expect, it } from 'vitest';
import {
  BitcoindConnectionError,
  BitcoindResponseError,
  BitcoindRpcError,
} from '../bitcoind/errors.js';
import { oneLineReason, provesNothingSent } from './send-outcome.js';

const context = { node: 'http://127.0.0.1:1/', method: 'sendmany' };
const connection = (requestMayHaveArrived: boolean) =>
  new BitcoindConnectionError(context, { problem: 'down', attempts: 1, requestMayHaveArrived });

describe('provesNothingSent', () => {
  it('is true when the node refused, the connection was refused, or the outputs were bad', () => {
    expect(provesNothingSent(new BitcoindRpcError(context, -6, 'Insufficient funds'))).toBe(true);
    expect(provesNothingSent(connection(false))).toBe(true);
    expect(provesNothingSent(new InvalidValueError('outputs', 'nothing to send'))).toBe(true);
    expect(provesNothingSent(new BadAddress('x', 'ltc', 'regtest'))).toBe(true);
  });

  it('is false when the request may have reached the node', () => {
    expect(provesNothingSent(connection(true))).toBe(false);
    expect(provesNothingSent(new BitcoindResponseError(context, 'not JSON'))).toBe(false);
    expect(provesNothingSent(new Error('socket hang up'))).toBe(false);
    expect(provesNothingSent('?')).toBe(false);
  });
});

describe('oneLineReason', () => {
  it('keeps the name and the first line', () => {
    expect(oneLineReason(new InvalidValueError('a', 'b', { details: 'more' }))).toBe(
      'InvalidValueError: a: b',
    );
    expect(oneLineReason(42)).toBe('42');
  });
});
