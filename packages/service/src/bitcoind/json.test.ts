import { formatAmount, parseAmount } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonKeepingDecimals, quoteInexactNumbers } from './json.js';

describe('parseJsonKeepingDecimals', () => {
  it('keeps fractional numbers as their exact text and safe integers as numbers', () => {
    expect(
      parseJsonKeepingDecimals('{"amount":0.00012345,"fee":-0.0000172,"n":3,"big":-1.5e3}'),
    ).toEqual({ amount: '0.00012345', fee: '-0.0000172', n: 3, big: '-1.5e3' });
  });

  it('keeps integers beyond 2^53 as text', () => {
    expect(parseJsonKeepingDecimals('[9007199254740993, 9007199254740991]')).toEqual([
      '9007199254740993',
      9007199254740991,
    ]);
  });

  it('leaves numbers inside strings alone, escaped quotes included', () => {
    const text = String.raw`{"s":"a\"1.5\\","t":"0.1","u":[1.25]}`;
    expect(parseJsonKeepingDecimals(text)).toEqual({ s: 'a"1.5\\', t: '0.1', u: ['1.25'] });
  });

  it('returns the text untouched when there is nothing to quote', () => {
    const text = '{"a":[1,2,{"b":"3.5"}],"c":null}';
    expect(quoteInexactNumbers(text)).toBe(text);
  });

  it('still rejects malformed JSON', () => {
    expect(() => parseJsonKeepingDecimals('{"a":1.5.3}')).toThrow(SyntaxError);
    expect(() => parseJsonKeepingDecimals('{"a":')).toThrow(SyntaxError);
  });

  it('round-trips every 8-decimal amount exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }), (minor) => {
        const text = `{"result":{"amount":${formatAmount(minor, 8)}},"error":null}`;
        const parsed = parseJsonKeepingDecimals(text) as { result: { amount: string } };
        expect(parseAmount(parsed.result.amount, { field: 'a', decimals: 8, sign: 'any' })).toBe(
          minor,
        );
      }),
    );
  });

  it('agrees with JSON.parse on any JSON, numbers aside from their exactness', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expectSameShape(parseJsonKeepingDecimals(text), JSON.parse(text));
      }),
    );
  });
});

function expectSameShape(ours: unknown, theirs: unknown): void {
  if (typeof theirs === 'number') {
    if (typeof ours === 'number') expect(ours).toBe(theirs);
    else expect(Number(ours)).toBe(theirs);
    return;
  }
  if (Array.isArray(theirs)) {
    expect(Array.isArray(ours)).toBe(true);
    const list = ours as unknown[];
    expect(list.length).toBe(theirs.length);
    for (const [index, item] of theirs.entries()) expectSameShape(list[index], item);
    return;
  }
  if (typeof theirs === 'object' && theirs !== null) {
    const record = ours as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(Object.keys(theirs));
    for (const [key, value] of Object.entries(theirs)) expectSameShape(record[key], value);
    return;
  }
  expect(ours).toBe(theirs);
}
