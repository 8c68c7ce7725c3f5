// Amount parsing and formatting: exact round trips, and a named error for every bad input.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionFailed } from './assert.js';
import { InvalidValueError } from './errors.js';
import { amountMinorMax, checkAmount, formatAmount, parseAmount } from './money.js';

const btc = { field: 'amount', decimals: 8 } as const;

/** Runs `run` and returns the `InvalidValueError` it throws; fails the test on anything else. */
function invalidValue(run: () => unknown): InvalidValueError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidValueError);
    return error as InvalidValueError;
  }
  throw new Error('expected an InvalidValueError, but nothing was thrown');
}

/** Asserts the error names `field`, has the stable code and a one-line message naming the field. */
function expectNamesField(error: InvalidValueError, field: string): void {
  expect(error.field).toBe(field);
  expect(error.code).toBe('INVALID_VALUE');
  expect(error.shortMessage.startsWith(`${field}: `)).toBe(true);
  expect(error.shortMessage).not.toMatch(/[\r\n]/);
}

describe('parseAmount', () => {
  it.each([
    ['0.00000001', 1n],
    ['0.1', 10_000_000n],
    ['1', 100_000_000n],
    ['1.5', 150_000_000n],
    ['1.50000000', 150_000_000n],
    ['21000000', 2_100_000_000_000_000n],
    ['21000000.00000000', 2_100_000_000_000_000n],
    ['12345.6789', 1_234_567_890_000n],
    ['92233720368.54775807', amountMinorMax],
  ])('parses %j into %s minor units', (input, expected) => {
    expect(parseAmount(input, btc)).toBe(expected);
  });

  it('handles coins without decimals and with 18 decimals', () => {
    expect(parseAmount('42', { field: 'amount', decimals: 0 })).toBe(42n);
    expect(parseAmount('9223372036854775807', { field: 'amount', decimals: 0 })).toBe(
      amountMinorMax,
    );
    expect(parseAmount('0.000000000000000001', { field: 'amount', decimals: 18 })).toBe(1n);
    expect(parseAmount('1', { field: 'amount', decimals: 18 })).toBe(10n ** 18n);
  });

  it('accepts zero only when the sign allows it', () => {
    expect(parseAmount('0', { ...btc, sign: 'non-negative' })).toBe(0n);
    expect(parseAmount('0.00000000', { ...btc, sign: 'any' })).toBe(0n);
    expect(parseAmount('-0', { ...btc, sign: 'non-negative' })).toBe(0n);
  });

  it('accepts negatives only with sign "any"', () => {
    expect(parseAmount('-1.5', { ...btc, sign: 'any' })).toBe(-150_000_000n);
    expect(parseAmount('-0.00000001', { ...btc, sign: 'any' })).toBe(-1n);
    expect(parseAmount('-92233720368.54775807', { ...btc, sign: 'any' })).toBe(-amountMinorMax);
  });

  const badStrings: readonly (readonly [string, string, RegExp])[] = [
    ['more decimals than the coin has', '0.000000001', /more than 8 decimals/],
    ['more decimals, even if they are zeros', '1.000000000', /more than 8 decimals/],
    ['exponent notation', '1e5', /not a decimal amount/],
    ['upper-case exponent', '1E-8', /not a decimal amount/],
    ['empty string', '', /empty amount/],
    ['NaN', 'NaN', /not a decimal amount/],
    ['Infinity', 'Infinity', /not a decimal amount/],
    ['leading space', ' 1', /not a decimal amount/],
    ['trailing space', '1 ', /not a decimal amount/],
    ['trailing newline', '1\n', /not a decimal amount/],
    ['trailing dot', '1.', /not a decimal amount/],
    ['leading dot', '.5', /not a decimal amount/],
    ['plus sign', '+1', /not a decimal amount/],
    ['hexadecimal', '0x10', /not a decimal amount/],
    ['binary literal', '0b1', /not a decimal amount/],
    ['double minus', '--1', /not a decimal amount/],
    ['lone minus', '-', /not a decimal amount/],
    ['lone dot', '.', /not a decimal amount/],
    ['decimal comma', '1,5', /not a decimal amount/],
    ['digit separator', '1_000', /not a decimal amount/],
    ['two dots', '1.2.3', /not a decimal amount/],
    ['non-ASCII digits', '\u0661\u0662', /not a decimal amount/],
    ['full-width digits', '\uff11', /not a decimal amount/],
    ['beyond the column range', '92233720368.54775808', /too large/],
    ['far beyond the column range', '99999999999999999999', /too large/],
    ['more than 64 characters', `1${'0'.repeat(64)}`, /too long/],
    ['zero where a positive amount is needed', '0', /greater than zero/],
    ['zero with decimals where a positive amount is needed', '0.00000000', /greater than zero/],
    ['negative where a positive amount is needed', '-1', /greater than zero/],
  ];

  it.each(badStrings)('refuses %s (%j)', (_, input, reason) => {
    const error = invalidValue(() => parseAmount(input, { field: 'coins.ltc.fee', decimals: 8 }));
    expectNamesField(error, 'coins.ltc.fee');
    expect(error.shortMessage).toMatch(reason);
  });

  it('refuses a negative amount where only non-negative ones are allowed', () => {
    const error = invalidValue(() => parseAmount('-0.1', { ...btc, sign: 'non-negative' }));
    expectNamesField(error, 'amount');
    expect(error.shortMessage).toMatch(/must not be negative/);
  });

  it('refuses a fraction on a coin without decimals', () => {
    const error = invalidValue(() => parseAmount('1.0', { field: 'amount', decimals: 0 }));
    expectNamesField(error, 'amount');
    expect(error.shortMessage).toMatch(/more than 0 decimals/);
  });

  it('refuses one past the column range on a coin without decimals', () => {
    const field = 'amount';
    const error = invalidValue(() => parseAmount('9223372036854775808', { field, decimals: 0 }));
    expectNamesField(error, field);
    expect(error.shortMessage).toMatch(/too large/);
  });

  it.each([
    ['a JS number', 1.5, /the number 1\.5/],
    ['an integer JS number', 100_000_000, /the number 100000000/],
    ['NaN as a number', Number.NaN, /the number NaN/],
    ['null', null, /got null/],
    ['undefined', undefined, /got undefined/],
    ['a bigint', 1n, /got bigint/],
    ['an object', { amount: '1' }, /got object/],
  ])('refuses %s instead of a string', (_, input, reason) => {
    const error = invalidValue(() => parseAmount(input, { field: 'withdraw.amount', decimals: 8 }));
    expectNamesField(error, 'withdraw.amount');
    expect(error.shortMessage).toMatch(/expected a decimal string/);
    expect(error.shortMessage).toMatch(reason);
  });

  it('treats bad decimals as a programmer error', () => {
    expect(() => parseAmount('1', { field: 'amount', decimals: 19 })).toThrow(AssertionFailed);
    expect(() => parseAmount('1', { field: 'amount', decimals: -1 })).toThrow(AssertionFailed);
    expect(() => parseAmount('1', { field: 'amount', decimals: 1.5 })).toThrow(AssertionFailed);
  });
});

describe('formatAmount', () => {
  it.each([
    [1n, 8, '0.00000001'],
    [0n, 8, '0.00000000'],
    [-1n, 8, '-0.00000001'],
    [150_000_000n, 8, '1.50000000'],
    [-150_000_000n, 8, '-1.50000000'],
    [2_100_000_000_000_000n, 8, '21000000.00000000'],
    [amountMinorMax, 8, '92233720368.54775807'],
    [123n, 0, '123'],
    [-123n, 0, '-123'],
    [1n, 18, '0.000000000000000001'],
    [12n, 1, '1.2'],
  ])('formats %s with %i decimals as %j', (amount, decimals, expected) => {
    expect(formatAmount(amount, decimals)).toBe(expected);
  });

  it('treats a non-bigint amount or bad decimals as a programmer error', () => {
    expect(() => formatAmount(1 as unknown as bigint, 8)).toThrow(AssertionFailed);
    expect(() => formatAmount(1n, 19)).toThrow(AssertionFailed);
  });
});

describe('checkAmount', () => {
  it('returns an amount in range with the expected sign', () => {
    expect(checkAmount(1n, 'amount')).toBe(1n);
    expect(checkAmount(amountMinorMax, 'amount')).toBe(amountMinorMax);
    expect(checkAmount(0n, 'amount', 'non-negative')).toBe(0n);
    expect(checkAmount(-amountMinorMax, 'amount', 'any')).toBe(-amountMinorMax);
  });

  it.each([
    ['zero where a positive amount is needed', 0n, 'positive', /greater than zero/],
    ['a negative where a positive amount is needed', -5n, 'positive', /greater than zero/],
    ['a negative where none is allowed', -5n, 'non-negative', /must not be negative/],
    ['one past the column range', amountMinorMax + 1n, 'any', /out of range/],
    ['one past the negative column range', -amountMinorMax - 1n, 'any', /out of range/],
  ] as const)('refuses %s', (_, value, sign, reason) => {
    const error = invalidValue(() => checkAmount(value, 'transfer.amount', sign));
    expectNamesField(error, 'transfer.amount');
    expect(error.shortMessage).toMatch(reason);
  });

  it.each([
    ['a JS number', 5, /the number 5/],
    ['a decimal string', '5', /got string/],
    ['null', null, /got null/],
  ])('refuses %s instead of a bigint', (_, value, reason) => {
    const error = invalidValue(() => checkAmount(value, 'fee'));
    expectNamesField(error, 'fee');
    expect(error.shortMessage).toMatch(reason);
  });
});

describe('amount properties', () => {
  const inRange = fc.bigInt({ min: -amountMinorMax, max: amountMinorMax });
  const decimals = fc.integer({ min: 0, max: 18 });

  it('parses back exactly what it formats', () => {
    fc.assert(
      fc.property(inRange, decimals, (amount, places) => {
        const text = formatAmount(amount, places);
        expect(text).toMatch(places === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${places}}$`));
        expect(parseAmount(text, { field: 'amount', decimals: places, sign: 'any' })).toBe(amount);
      }),
    );
  });

  it('reads an extra trailing zero as a coin with one more decimal', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(amountMinorMax / 10n), max: amountMinorMax / 10n }),
        fc.integer({ min: 1, max: 17 }),
        (amount, places) => {
          const text = `${formatAmount(amount, places)}0`;
          const options = { field: 'amount', decimals: places + 1, sign: 'any' } as const;
          expect(parseAmount(text, options)).toBe(amount * 10n);
        },
      ),
    );
  });

  it('keeps the sign rules for every amount', () => {
    fc.assert(
      fc.property(inRange, decimals, (amount, places) => {
        const text = formatAmount(amount, places);
        const field = 'amount';
        if (amount > 0n) expect(parseAmount(text, { field, decimals: places })).toBe(amount);
        else expect(() => parseAmount(text, { field, decimals: places })).toThrow(/greater than/);
        if (amount >= 0n) expect(checkAmount(amount, field, 'non-negative')).toBe(amount);
        else expect(() => checkAmount(amount, field, 'non-negative')).toThrow(/negative/);
      }),
    );
  });

  it('refuses every amount beyond the column range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: amountMinorMax + 1n, max: 2n ** 80n }), (amount) => {
        const error = invalidValue(() =>
          parseAmount(amount.toString(), { field: 'amount', decimals: 0, sign: 'any' }),
        );
        expectNamesField(error, 'amount');
        expectNamesField(
          invalidValue(() => checkAmount(-amount, 'amount', 'any')),
          'amount',
        );
      }),
    );
  });

  /** Either a bigint within range, or an InvalidValueError naming the field: nothing else. */
  function parsesOrRefuses(input: unknown, places: number): boolean {
    try {
      const value = parseAmount(input, { field: 'fuzz.amount', decimals: places, sign: 'any' });
      return typeof value === 'bigint' && value <= amountMinorMax && value >= -amountMinorMax;
    } catch (error) {
      return (
        error instanceof InvalidValueError &&
        error.field === 'fuzz.amount' &&
        error.shortMessage.startsWith('fuzz.amount: ') &&
        !/[\r\n]/.test(error.shortMessage)
      );
    }
  }

  it('returns a bigint or throws InvalidValueError for any string', () => {
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ unit: 'grapheme', maxLength: 100 }),
      fc.string({ unit: fc.constantFrom(...'0123456789.-+eExXnN, _'), maxLength: 80 }),
    );
    fc.assert(
      fc.property(strings, decimals, (input, places) => parsesOrRefuses(input, places)),
      { numRuns: 1_000 },
    );
  });

  it('returns a bigint or throws InvalidValueError for any value at all', () => {
    fc.assert(
      fc.property(fc.anything(), decimals, (input, places) => parsesOrRefuses(input, places)),
    );
  });

  it('refuses every JS number, even a whole one', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer()), (input) => {
        expect(() => parseAmount(input, btc)).toThrow(InvalidValueError);
      }),
    );
  });

  it('refuses a very long string without scanning it', () => {
    for (const input of [`${'1'.repeat(1_000_000)}x`, `${'-'.repeat(1_000_000)}1`]) {
      expect(invalidValue(() => parseAmount(input, btc)).shortMessage).toMatch(/too long/);
    }
  });
});
