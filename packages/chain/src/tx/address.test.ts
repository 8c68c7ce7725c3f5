// Devnet addresses: dvt1 bech32 v0 of a 20-byte key hash; everything else refused.
import { InvalidValueError } from '@cryptoassets/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressFromHash, addressToHash, isDevAddress } from './address.js';

describe('addresses', () => {
  it('round-trips any 20-byte hash, upper case accepted, mixed case refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (hash) => {
        const address = addressFromHash(hash);
        expect(address).toMatch(/^dvt1q[02-9ac-hj-np-z]{38}$/);
        expect(addressToHash(address)).toEqual(hash);
        expect(addressToHash(address.toUpperCase())).toEqual(hash);
        const mixed = `DVT1${address.slice(4)}`;
        expect(isDevAddress(mixed)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses other coins, other lengths and junk with InvalidValueError', () => {
    expect(isDevAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(false);
    expect(() => addressFromHash(new Uint8Array(32))).toThrow(InvalidValueError);
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        try {
          addressToHash(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidValueError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
