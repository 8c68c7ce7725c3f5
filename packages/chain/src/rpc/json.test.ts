import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Coins,
  JsonDecimal,
  JsonSyntaxError,
  jsonDepthMax,
  parseJsonExact,
  writeJson,
} from './json.js';
import { readAmount } from './params.js';

describe('parseJsonExact', () => {
  it('keeps fractional and huge numbers as their text, safe integers as numbers', () => {
    const value = parseJsonExact('{"a":0.1,"b":12,"c":1e-8,"d":123456789012345678901,"e":[-3]}');
    expect(value).toEqual({
      a: new JsonDecimal('0.1'),
      b: 12,
      c: new JsonDecimal('1e-8'),
      d: new JsonDecimal('123456789012345678901'),
      e: [-3],
    });
  });

  it('reads strings with escapes and refuses broken text', () => {
    expect(parseJsonExact('"a\\"b\\u00e9"')).toBe('a"bé');
    for (const bad of ['', '{', '[1,]', '{"a"}', '01', '"\u0001"', 'nul', '[1] x', '{"a":1,}']) {
      expect(() => parseJsonExact(bad), bad).toThrow(JsonSyntaxError);
    }
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = `${'['.repeat(jsonDepthMax + 2)}${']'.repeat(jsonDepthMax + 2)}`;
    expect(() => parseJsonExact(deep)).toThrow(/deeper/);
    const ok = `${'['.repeat(jsonDepthMax)}${']'.repeat(jsonDepthMax)}`;
    expect(() => parseJsonExact(ok)).not.toThrow();
  });

  it('agrees with JSON.parse on any JSON without inexact numbers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        const parsed = parseJsonExact(text);
        const plain = JSON.parse(text, (_key, item: unknown) =>
          typeof item === 'number' && !Number.isSafeInteger(item) ? undefined : item,
        );
        if (!/[.eE]/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) {
          expect(parsed).toEqual(plain);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('throws only JsonSyntaxError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseJsonExact(text);
        } catch (error) {
          expect(error).toBeInstanceOf(JsonSyntaxError);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('writeJson', () => {
  it('writes amounts as numbers with 8 decimals and leaves undefined members out', () => {
    expect(
      writeJson({ a: new Coins(100_000n), b: undefined, c: [new Coins(-5n), 'x', true] }),
    ).toBe('{"a":0.00100000,"c":[-0.00000005,"x",true]}');
    expect(writeJson(new Coins(2_100_000_000_000_000n))).toBe('21000000.00000000');
  });

  it('round-trips every amount exactly through text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (minor) => {
        const parsed = parseJsonExact(writeJson([new Coins(minor)])) as JsonDecimal[];
        expect(readAmount(parsed[0])).toBe(minor);
      }),
      { numRuns: 500 },
    );
  });
});
