// Asset strings and object ids: parsing, formatting, wire bytes and fuzzing.
import { InvalidValueError } from '@cryptoassets/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainProfiles } from '../profiles.js';
import {
  formatLegacyAsset,
  parseLegacyAsset,
  parseObjectId,
  serializeLegacyAsset,
  wireSymbolOf,
} from './assets.js';
import { toHex } from './bytes.js';

describe('legacy assets', () => {
  it('parses amount, precision and symbol', () => {
    expect(parseLegacyAsset('10.000 HIVE')).toEqual({
      amount: 10000n,
      precision: 3,
      symbol: 'HIVE',
    });
    expect(parseLegacyAsset('-0.5 X')).toEqual({ amount: -5n, precision: 1, symbol: 'X' });
    expect(parseLegacyAsset('7 VIT')).toEqual({ amount: 7n, precision: 0, symbol: 'VIT' });
  });

  it('maps symbols to their wire names', () => {
    expect(wireSymbolOf('HIVE')).toBe('STEEM');
    expect(wireSymbolOf('HBD')).toBe('SBD');
    expect(wireSymbolOf('VIT', chainProfiles.vit)).toBe('VIT');
    expect(toHex(serializeLegacyAsset('0.100 VIT'))).toBe('64000000000000000356495400000000');
    expect(toHex(serializeLegacyAsset('1.000 BLURT'))).toBe('e80300000000000003424c5552540000');
  });

  it('rejects malformed strings, naming the field', () => {
    const bad = [
      '',
      '1.000',
      '1.000 hive',
      '1.000  HIVE',
      '1e3 HIVE',
      '.5 HIVE',
      '1. HIVE',
      '1.000 TOOLONGSYM',
      '99999999999999999999 HIVE',
      '9223372036854775808 HIVE',
      ' 1 HIVE',
    ];
    for (const text of bad) {
      expect(() => parseLegacyAsset(text, 'fee')).toThrow(/^fee: /);
    }
  });

  it('round trips format(parse(x)) for random assets', () => {
    const assetArb = fc.record({
      amount: fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }),
      precision: fc.integer({ min: 0, max: 18 }),
      symbol: fc.stringMatching(/^[A-Z][A-Z0-9]{0,6}$/),
    });
    fc.assert(
      fc.property(assetArb, (asset) => {
        const text = formatLegacyAsset(asset);
        if (text.replace(/^-/, '').split(' ')[0]!.replace('.', '').length > 19) return;
        expect(parseLegacyAsset(text)).toEqual(asset);
      }),
    );
  });

  it('never throws anything but InvalidValueError on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          serializeLegacyAsset(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidValueError);
        }
      }),
    );
  });
});

describe('object ids', () => {
  it('parses the instance of the expected space and type', () => {
    expect(parseObjectId('1.6.63', 'witness', '1.6')).toBe(63);
    expect(parseObjectId('1.2.0', 'account', '1.2')).toBe(0);
  });

  it('rejects other types, leading zeros and huge instances', () => {
    for (const bad of ['1.2.63', '1.6.063', '1.6.99999999999', '1.6.', '1.6.-1', 16, null]) {
      expect(() => parseObjectId(bad, 'witness', '1.6')).toThrow(InvalidValueError);
    }
  });
});
