// Bounded readers and writers: little-endian integers, canonical varints, limits and truncation.
import { InvalidValueError } from '@cryptoassets/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from './bytes.js';
import { hashToHex, hexToHash, sha256d } from './hash.js';

describe('ByteWriter / ByteReader', () => {
  it('writes Bitcoin CompactSize varints at their boundaries', () => {
    const hex = (value: number) =>
      Buffer.from(new ByteWriter().varint(value).finish()).toString('hex');
    expect(hex(0xfc)).toBe('fc');
    expect(hex(0xfd)).toBe('fdfd00');
    expect(hex(0xffff)).toBe('fdffff');
    expect(hex(0x10000)).toBe('fe00000100');
  });

  it('round-trips integers, varints and byte strings, growing past its first buffer', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(0xffffffff),
            fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
            fc.uint8Array({ maxLength: 300 }),
          ),
          { maxLength: 20 },
        ),
        (items) => {
          const writer = new ByteWriter();
          for (const [n, big, bytes] of items) writer.u32(n).u64(big).varint(n).varBytes(bytes);
          const reader = new ByteReader(writer.finish(), 'test');
          for (const [n, big, bytes] of items) {
            expect(reader.u32()).toBe(n);
            expect(reader.u64()).toBe(big);
            expect(reader.varint(0xffffffff, 'n')).toBe(n);
            expect(reader.varBytes(300, 'bytes')).toEqual(bytes);
          }
          reader.end();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses truncation, non-canonical and over-limit varints, and 64-bit counts', () => {
    const read = (hex: string, max = 1_000) =>
      new ByteReader(Buffer.from(hex, 'hex'), 'f').varint(max, 'n');
    expect(() => read('fd')).toThrow(/truncated/);
    expect(() => read('fdfc00')).toThrow(/non-canonical/);
    expect(() => read('feffff0000')).toThrow(/non-canonical/);
    expect(() => read('ff0000000000000001')).toThrow(/too large/);
    expect(() => read('fde903')).toThrow(/exceeds/);
    expect(() => new ByteReader(new Uint8Array(3), 'f').take(4)).toThrow(InvalidValueError);
    expect(() => new ByteReader(new Uint8Array(1), 'f').end()).toThrow(/trailing/);
  });
});

describe('hashes', () => {
  it('displays hashes byte-reversed and parses only 64 lowercase hex digits', () => {
    const hash = sha256d(new Uint8Array(0));
    expect(hashToHex(hash)).toBe(
      '56944c5d3f98413ef45cf54545538103cc9f298e0575820ad3591376e2e0f65d',
    );
    expect(hexToHash(hashToHex(hash))).toEqual(hash);
    expect(() => hexToHash('AB'.repeat(32))).toThrow(InvalidValueError);
    expect(() => hexToHash('ab'.repeat(31))).toThrow(InvalidValueError);
  });
});
