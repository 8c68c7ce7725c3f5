// Unit tests of the name check: lengths, surrounding spaces, control and bidi characters.
import { InvalidValueError } from '@cryptoassets/core';
import { describe, expect, it } from 'vitest';
import { checkName, nameLengthMax } from './checks.js';

function refusal(value: string, field = 'wallet'): InvalidValueError {
  try {
    checkName(value, field);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).code).toBe('INVALID_VALUE');
    expect((error as InvalidValueError).field).toBe(field);
    return error as InvalidValueError;
  }
  throw new Error(`checkName accepted ${JSON.stringify(value)}`);
}

describe('checkName', () => {
  it('returns a good name as it is', () => {
    expect(checkName('main', 'wallet')).toBe('main');
    expect(checkName('Alice’s savings — €', 'account')).toBe('Alice’s savings — €');
    expect(checkName('a b', 'account')).toBe('a b');
    expect(checkName('x'.repeat(nameLengthMax), 'wallet')).toHaveLength(nameLengthMax);
  });

  it('refuses an empty name', () => {
    expect(refusal('').shortMessage).toBe('wallet: name must be 1..128 characters');
  });

  it('refuses a name over 128 characters without echoing it', () => {
    const error = refusal('y'.repeat(nameLengthMax + 1), 'account');
    expect(error.shortMessage).toBe('account: name must be 1..128 characters');
    const huge = refusal('z'.repeat(1_000_000));
    expect(huge.message.length).toBeLessThan(100);
    expect(huge.message).not.toContain('zzz');
  });

  it('refuses surrounding spaces', () => {
    expect(refusal(' main').shortMessage).toBe('wallet: name must not start or end with a space');
    expect(refusal('main ', 'account').field).toBe('account');
    expect(refusal('\u00a0main').code).toBe('INVALID_VALUE');
  });

  it.each([
    ['newline', 'a\nb', 'U+000A'],
    ['tab', 'a\tb', 'U+0009'],
    ['carriage return', 'a\rb', 'U+000D'],
    ['NUL', 'a\u0000b', 'U+0000'],
    ['escape', '\u001b[31mred', 'U+001B'],
    ['DEL', 'a\u007fb', 'U+007F'],
    ['C1 NEL', 'a\u0085b', 'U+0085'],
    ['C1 CSI', 'a\u009bb', 'U+009B'],
    ['trailing newline', 'main\n', 'U+000A'],
  ])('refuses a control character (%s)', (_name, value, code) => {
    const error = refusal(value);
    expect(error.shortMessage).toBe(`wallet: name contains a control character (${code})`);
  });

  it.each([
    ['LRE', '\u202a', 'U+202A'],
    ['RLE', '\u202b', 'U+202B'],
    ['PDF', '\u202c', 'U+202C'],
    ['LRO', '\u202d', 'U+202D'],
    ['RLO', '\u202e', 'U+202E'],
    ['LRI', '\u2066', 'U+2066'],
    ['RLI', '\u2067', 'U+2067'],
    ['FSI', '\u2068', 'U+2068'],
    ['PDI', '\u2069', 'U+2069'],
  ])('refuses a bidi override or isolate (%s)', (_name, character, code) => {
    const error = refusal(`invoice${character}fdp.exe`, 'account');
    expect(error.shortMessage).toBe(`account: name contains a bidirectional override (${code})`);
  });

  it('accepts the characters next to the refused ranges', () => {
    expect(checkName('a\u00a0b', 'wallet')).toBe('a\u00a0b');
    expect(checkName('a\u2065b', 'wallet')).toBe('a\u2065b');
    expect(checkName('a\u2029b', 'wallet')).toBe('a\u2029b');
    expect(checkName('a\u206ab', 'wallet')).toBe('a\u206ab');
    expect(checkName('a\u200fb', 'wallet')).toBe('a\u200fb');
  });

  it('names the field it checks', () => {
    expect(refusal('a\nb', 'account').field).toBe('account');
    expect(refusal('a\nb', 'wallet').message).toMatch(/^wallet: /);
  });
});
