// Money: amounts are bigint minor units; decimal strings exist only at the edges.
import { assert } from './assert.js';
import { InvalidValueError } from './errors.js';

/** Largest amount a column can hold: PostgreSQL BIGINT and SQLite INTEGER are signed 64-bit. */
export const amountMinorMax = 2n ** 63n - 1n;

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;
const decimalsMax = 18;

export type ParseAmountOptions = {
  /** Name of the field, used in the error message ("amount", "coins.ltc.fee"...). */
  readonly field: string;
  /** Number of decimals of the coin (8 for BTC- and LTC-like coins). */
  readonly decimals: number;
  /** `positive` (default) refuses zero and negatives; `non-negative` accepts zero; `any` accepts all. */
  readonly sign?: 'positive' | 'non-negative' | 'any';
};

/**
 * Parses a decimal string such as "0.00012345" into minor units.
 * Refuses exponents, blanks, signs where none is allowed, too many decimals and overflow.
 */
export function parseAmount(input: unknown, options: ParseAmountOptions): bigint {
  const { field, decimals } = options;
  const sign = options.sign ?? 'positive';
  assert(Number.isInteger(decimals) && decimals >= 0 && decimals <= decimalsMax, 'bad decimals');
  if (typeof input !== 'string') {
    throw new InvalidValueError(field, `expected a decimal string, got ${describe(input)}`);
  }
  if (input.length === 0) throw new InvalidValueError(field, 'empty amount');
  if (input.length > 64) throw new InvalidValueError(field, 'amount is too long');
  const match = decimalPattern.exec(input);
  if (!match) {
    throw new InvalidValueError(field, `not a decimal amount: ${JSON.stringify(input)}`);
  }
  const [, minus = '', whole = '', fraction = ''] = match;
  if (fraction.length > decimals) {
    throw new InvalidValueError(field, `more than ${decimals} decimals: ${input}`);
  }
  const magnitude = BigInt(whole + fraction.padEnd(decimals, '0'));
  if (magnitude > amountMinorMax) throw new InvalidValueError(field, `amount too large: ${input}`);
  const value = minus ? -magnitude : magnitude;
  return checkSign(value, sign, field, input);
}

function checkSign(value: bigint, sign: string, field: string, input: string): bigint {
  if (sign === 'positive' && value <= 0n) {
    throw new InvalidValueError(field, `amount must be greater than zero: ${input}`);
  }
  if (sign === 'non-negative' && value < 0n) {
    throw new InvalidValueError(field, `amount must not be negative: ${input}`);
  }
  return value;
}

/** Formats minor units as a plain decimal string with exactly `decimals` decimals. */
export function formatAmount(amountMinor: bigint, decimals: number): string {
  assert(typeof amountMinor === 'bigint', 'formatAmount takes a bigint');
  assert(Number.isInteger(decimals) && decimals >= 0 && decimals <= decimalsMax, 'bad decimals');
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals);
  const text = decimals === 0 ? whole : `${whole}.${fraction}`;
  return negative ? `-${text}` : text;
}

/** Checks that a bigint amount is in range and of the expected sign; returns it. */
export function checkAmount(
  value: unknown,
  field: string,
  sign: ParseAmountOptions['sign'] = 'positive',
): bigint {
  if (typeof value !== 'bigint') {
    throw new InvalidValueError(
      field,
      `expected a bigint amount in minor units, got ${describe(value)}`,
    );
  }
  if (value > amountMinorMax || value < -amountMinorMax) {
    throw new InvalidValueError(field, `amount out of range: ${value}`);
  }
  return checkSign(value, sign, field, value.toString());
}

function describe(value: unknown): string {
  if (typeof value === 'number') return `the number ${value} (use a decimal string)`;
  return value === null ? 'null' : typeof value;
}
