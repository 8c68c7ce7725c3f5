import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RpcError } from './errors.js';
import { JsonDecimal } from './json.js';
import { positional, readAmount, readHash, readInt } from './params.js';

const code = (work: () => unknown): number | undefined => {
  try {
    work();
  } catch (error) {
    return error instanceof RpcError ? error.rpcCode : undefined;
  }
  return undefined;
};

describe('readAmount', () => {
  it('reads numbers and strings exactly, with exponents and trailing zeros', () => {
    expect(readAmount(new JsonDecimal('0.1'))).toBe(10_000_000n);
    expect(readAmount('0.00000001')).toBe(1n);
    expect(readAmount(new JsonDecimal('1e-8'))).toBe(1n);
    expect(readAmount(new JsonDecimal('1.5E2'))).toBe(15_000_000_000n);
    expect(readAmount(new JsonDecimal('0.100000000'))).toBe(10_000_000n);
    expect(readAmount(21)).toBe(2_100_000_000n);
    expect(readAmount(0)).toBe(0n);
  });

  it("refuses what bitcoind refuses, with bitcoind's codes", () => {
    expect(code(() => readAmount(new JsonDecimal('0.000000001')))).toBe(-3);
    expect(code(() => readAmount('abc'))).toBe(-3);
    expect(code(() => readAmount(new JsonDecimal('-0.5')))).toBe(-3);
    expect(code(() => readAmount(true))).toBe(-3);
    expect(code(() => readAmount(new JsonDecimal('1e30')))).toBe(-3);
    expect(code(() => readAmount(undefined))).toBe(-8);
  });
});

describe('readAmount on anything (fuzz)', () => {
  it('returns an exact non-negative amount or throws RpcError, never anything else', () => {
    const inputs = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .stringMatching(/^-?\d{0,20}(\.\d{0,12})?([eE][+-]?\d{1,3})?$/)
        .map((t) => new JsonDecimal(t)),
      fc.integer(),
      fc.constantFrom(null, true, false),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        try {
          const minor = readAmount(input);
          expect(minor >= 0n && minor <= 2n ** 63n - 1n).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(RpcError);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('parameters', () => {
  it('puts named parameters in place and refuses unknown names', () => {
    expect(positional('m', ['a', 'b'], { b: 2 })).toEqual([undefined, 2]);
    expect(code(() => positional('m', ['a'], { z: 1 }))).toBe(-8);
    expect(code(() => positional('m', ['a'], [1, 2]))).toBe(-1);
  });

  it('checks types and hashes', () => {
    expect(code(() => readInt('5'))).toBe(-3);
    expect(readInt(undefined, 7)).toBe(7);
    expect(code(() => readHash('abc', 'blockhash'))).toBe(-8);
    expect(code(() => readHash('z'.repeat(64), 'blockhash'))).toBe(-8);
    expect(readHash('AB'.repeat(32), 'blockhash')).toBe('ab'.repeat(32));
  });
});
