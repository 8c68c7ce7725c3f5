// The checks of --meta, --expires-in, --idempotency-key and --reference, without a database.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/context.js';
import {
  checkIdempotencyKey,
  checkMoveFlags,
  checkReference,
  expiresInSMax,
  parseDuration,
  parseMeta,
} from '../src/money-options.js';

describe('parseMeta', () => {
  it('splits each pair at its first "="', () => {
    expect(parseMeta(['order=17', 'note=a=b', 'empty='])).toEqual({
      order: '17',
      note: 'a=b',
      empty: '',
    });
    expect(parseMeta([])).toEqual({});
  });

  it.each([
    [['novalue'], /expected key=value, got "novalue"/],
    [['=x'], /the key of "=x" is empty/],
    [['a=1', 'a=2'], /the key "a" is given twice/],
    [[`${'k'.repeat(65)}=v`], /must be 1\.\.64 characters/],
    [['a\nb=v'], /without control characters/],
    [[`k=${'v'.repeat(4_100)}`], /at most 4096 bytes/],
  ])('refuses %j', (pairs, pattern) => {
    expect(() => parseMeta(pairs)).toThrow(UsageError);
    expect(() => parseMeta(pairs)).toThrow(pattern);
  });
});

describe('parseDuration', () => {
  it.each([
    ['1s', 1],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7_200],
    ['7d', 604_800],
    ['365d', expiresInSMax],
    ['31536000s', expiresInSMax],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    '',
    '0s',
    '10',
    '366d',
    '8761h',
    '31536001s',
    '1w',
    '1.5h',
    '-5m',
    '10 m',
    '010m',
    'm',
    '1S',
  ])('refuses %j naming the flag', (text) => {
    expect(() => parseDuration(text)).toThrow(/^--expires-in: expected a duration from 1s to 365d/);
  });
});

describe('idempotency keys and references', () => {
  it('takes 1..128 printable ASCII characters as a key', () => {
    expect(checkIdempotencyKey('order-17/retry:1')).toBe('order-17/retry:1');
    expect(checkIdempotencyKey('k'.repeat(128))).toHaveLength(128);
    for (const bad of ['', 'k'.repeat(129), 'a b', 'tab\t', 'é'])
      expect(() => checkIdempotencyKey(bad)).toThrow(/^--idempotency-key: /);
  });

  it('takes 1..128 characters without control characters as a reference', () => {
    expect(checkReference('Rechnung 7 – März')).toBe('Rechnung 7 – März');
    for (const bad of ['', 'r'.repeat(129), 'a\nb'])
      expect(() => checkReference(bad)).toThrow(/^--reference: /);
  });

  it('leaves out what was not given', () => {
    expect(checkMoveFlags({})).toEqual({});
    expect(checkMoveFlags({ idempotencyKey: 'k', reference: 'r', meta: ['a=1'] })).toEqual({
      idempotencyKey: 'k',
      reference: 'r',
      metadata: { a: '1' },
    });
  });
});
