// Transaction codec: txid, signature hash, coinbase data, limits, and fuzzing.
import { InvalidValueError } from '@cryptoassets/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { minerTagBytesMax, txBytesMax } from '../consensus/params.js';
import { sha256d } from '../encoding/hash.js';
import { addressFromHash, addressFromPublicKey } from './address.js';
import {
  decodeTransaction,
  encodeTransaction,
  isCoinbase,
  makeCoinbase,
  readCoinbase,
  signatureHash,
  txid,
} from './codec.js';
import { newPrivateKey, publicKeyOf, signTransaction, verifySignature } from './sign.js';
import type { Transaction } from './types.js';

const payee = addressFromHash(new Uint8Array(20).fill(4));

function unsignedSpend(publicKey: Uint8Array): Transaction {
  return {
    version: 1,
    inputs: [{ prevTxid: 'aa'.repeat(32), vout: 1, publicKey, signature: new Uint8Array(0) }],
    outputs: [{ amountMinor: 12_345n, address: payee }],
  };
}

describe('transaction codec', () => {
  it('round-trips and the txid is SHA-256d of the bytes, displayed reversed', () => {
    const tx = unsignedSpend(new Uint8Array(33).fill(2));
    const bytes = encodeTransaction(tx);
    expect(decodeTransaction(bytes)).toEqual(tx);
    const reversed = Buffer.from(sha256d(bytes)).reverse().toString('hex');
    expect(txid(tx)).toBe(reversed);
  });

  it('coinbase carries height and miner tag', () => {
    const coinbase = makeCoinbase({ height: 1234, minerTag: 'node-b', outputs: [] });
    expect(isCoinbase(coinbase)).toBe(true);
    expect(readCoinbase(coinbase)).toEqual({ height: 1234, minerTag: 'node-b' });
    expect(() =>
      makeCoinbase({ height: 1, minerTag: 'x'.repeat(minerTagBytesMax + 1), outputs: [] }),
    ).toThrow(InvalidValueError);
  });

  it('signs every input over the transaction with empty signatures; low-S verifies', () => {
    const key = newPrivateKey();
    const publicKey = publicKeyOf(key);
    expect(addressFromPublicKey(publicKey)).toMatch(/^dvt1q/);
    const signed = signTransaction(unsignedSpend(publicKey), () => key);
    const signature = signed.inputs[0]?.signature ?? new Uint8Array(0);
    expect(signature.length).toBe(64);
    expect(signatureHash(signed)).toEqual(signatureHash(unsignedSpend(publicKey)));
    expect(verifySignature(signature, signatureHash(signed), publicKey)).toBe(true);
    const other = { ...signed, outputs: [{ amountMinor: 12_346n, address: payee }] };
    expect(verifySignature(signature, signatureHash(other), publicKey)).toBe(false);
  });

  it('refuses empty inputs/outputs, amounts above the money supply and oversize', () => {
    const tx = unsignedSpend(new Uint8Array(33).fill(2));
    expect(() => decodeTransaction(encodeTransaction({ ...tx, inputs: [] }))).toThrow(/no inputs/);
    expect(() => decodeTransaction(encodeTransaction({ ...tx, outputs: [] }))).toThrow(
      /no outputs/,
    );
    const rich = { ...tx, outputs: [{ amountMinor: 21_000_000_0000_0001n, address: payee }] };
    expect(() => decodeTransaction(encodeTransaction(rich))).toThrow(/too large/);
    expect(() => decodeTransaction(new Uint8Array(txBytesMax + 1))).toThrow(/too large/);
  });

  it('fuzz: arbitrary bytes raise only InvalidValueError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          const tx = decodeTransaction(bytes);
          expect(encodeTransaction(tx)).toEqual(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidValueError);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it('fuzz: mutated valid transactions decode canonically or raise InvalidValueError', () => {
    const valid = encodeTransaction(unsignedSpend(new Uint8Array(33).fill(3)));
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bytes = valid.slice();
        bytes[at] = value;
        try {
          expect(encodeTransaction(decodeTransaction(bytes))).toEqual(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidValueError);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
