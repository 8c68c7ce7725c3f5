// Key formats: WIF and public key round trips, rejection of bad input, and fuzzing.
import { InvalidValueError } from '@cryptoassets/core';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatPublicKey,
  isNullKey,
  nullPublicKey,
  parsePublicKey,
  parseWif,
  publicKeyOf,
  toWif,
} from './keys.js';

const wif = '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3';
const pubkey = 'STM6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV';
const secretArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((bytes) => secp256k1.utils.isValidSecretKey(bytes));

function expectOnlyInvalidValue(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidValueError);
  }
}

describe('WIF', () => {
  it('round trips a known key', () => {
    expect(toWif(parseWif(wif))).toBe(wif);
    expect(publicKeyOf(parseWif(wif), 'STM')).toBe(pubkey);
  });

  it('round trips random secrets', () => {
    fc.assert(
      fc.property(secretArb, (secret) => {
        expect(parseWif(toWif(secret))).toEqual(secret);
      }),
    );
  });

  it('rejects a changed character without echoing the key', () => {
    const changed = `${wif.slice(0, 10)}${wif[10] === 'a' ? 'b' : 'a'}${wif.slice(11)}`;
    try {
      parseWif(changed);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidValueError);
      expect(String(error)).not.toContain(changed);
      expect(String(error)).not.toContain(wif.slice(5, 20));
      expect((error as InvalidValueError).field).toBe('private key');
    }
  });

  it('rejects public keys, empty strings and oversized input', () => {
    for (const bad of [pubkey, '', 'x'.repeat(1000), '0'.repeat(51)]) {
      expect(() => parseWif(bad)).toThrow(InvalidValueError);
    }
  });

  it('never throws anything but InvalidValueError on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) =>
        expectOnlyInvalidValue(() => parseWif(text)),
      ),
    );
  });

  it('rejects secrets outside the curve order', () => {
    expect(() => toWif(new Uint8Array(32))).toThrow(InvalidValueError);
    expect(() => toWif(new Uint8Array(31).fill(1))).toThrow(InvalidValueError);
  });
});

describe('public keys', () => {
  it('parses and formats a known key under any prefix', () => {
    const bytes = parsePublicKey(pubkey, 'STM');
    expect(bytes).toHaveLength(33);
    expect(formatPublicKey(bytes, 'STM')).toBe(pubkey);
    expect(formatPublicKey(bytes, 'BTS')).toBe(`BTS${pubkey.slice(3)}`);
    expect(parsePublicKey(`TEST${pubkey.slice(3)}`, 'TEST')).toEqual(bytes);
  });

  it('rejects the wrong prefix and a broken checksum', () => {
    expect(() => parsePublicKey(pubkey, 'BTS')).toThrow(/prefix BTS/);
    const broken = `${pubkey.slice(0, -1)}${pubkey.endsWith('V') ? 'W' : 'V'}`;
    expect(() => parsePublicKey(broken, 'STM')).toThrow(InvalidValueError);
  });

  it('rejects 33 bytes that are not a curve point even with a good checksum', () => {
    const notPoint = new Uint8Array(33).fill(0xff);
    notPoint[0] = 0x05;
    expect(() => parsePublicKey(formatPublicKey(notPoint, 'STM'), 'STM')).toThrow(/point/);
  });

  it('round trips random keys', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.constantFrom('STM', 'BTS', 'BLT', 'VIT', 'TEST'),
        (secret, prefix) => {
          const text = publicKeyOf(secret, prefix);
          expect(formatPublicKey(parsePublicKey(text, prefix), prefix)).toBe(text);
          expect(isNullKey(text)).toBe(false);
        },
      ),
    );
  });

  it('never throws anything but InvalidValueError on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 90 }), (text) =>
        expectOnlyInvalidValue(() => parsePublicKey(`STM${text}`, 'STM')),
      ),
    );
  });

  it('the null key parses to zeros and is recognised', () => {
    expect(parsePublicKey(nullPublicKey('STM'), 'STM')).toEqual(new Uint8Array(33));
    expect(isNullKey('STM1111111111111111111111111111111114T1Anm')).toBe(true);
    expect(isNullKey('1111111111111111111111111111111114T1Anm')).toBe(false);
    expect(isNullKey('stm1111111111111111111111111111111114T1Anm')).toBe(false);
    expect(() => nullPublicKey('stm')).toThrow(InvalidValueError);
  });
});
