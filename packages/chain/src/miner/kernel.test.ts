import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPowKernel } from './kernel.js';

const kernel = createPowKernel();
const sha256d = (bytes: Uint8Array): Uint8Array =>
  createHash('sha256').update(createHash('sha256').update(bytes).digest()).digest();
const asNumber = (digest: Uint8Array): bigint =>
  BigInt(`0x${Buffer.from(digest).reverse().toString('hex')}`);
const withNonce = (header: Uint8Array, nonce: number): Uint8Array => {
  const copy = header.slice();
  new DataView(copy.buffer).setUint32(76, nonce, true);
  return copy;
};

describe('pow kernel', () => {
  it('hashes headers exactly like node:crypto double SHA-256', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 80, maxLength: 80 }), (header) => {
        expect(Buffer.from(kernel.hashHeader(header))).toEqual(Buffer.from(sha256d(header)));
      }),
      { numRuns: 300 },
    );
  });

  it('finds the first nonce whose hash meets the target, from the midstate', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 80, maxLength: 80 }),
        fc.integer({ min: 0, max: 2 ** 32 - 300 }),
        (header, start) => {
          // About one nonce in 16 meets this target.
          const target = (1n << 252n) - 1n;
          const result = kernel.scan(
            kernel.midstate(header),
            kernel.tailWords(header),
            kernel.targetWords(target),
            start,
            300,
          );
          let expected = -1;
          for (let n = start; n < start + 300 && expected < 0; n++)
            if (asNumber(sha256d(withNonce(header, n))) <= target) expected = n;
          expect(result.nonce).toBe(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('compares the whole 256-bit number, not only the top word', () => {
    const header = new Uint8Array(80);
    const digest = asNumber(sha256d(withNonce(header, 5)));
    const words = kernel.targetWords(digest);
    const found = kernel.scan(kernel.midstate(header), kernel.tailWords(header), words, 5, 1);
    expect(found.nonce).toBe(5);
    const below = kernel.scan(
      kernel.midstate(header),
      kernel.tailWords(header),
      kernel.targetWords(digest - 1n),
      5,
      1,
    );
    expect(below).toEqual({ nonce: -1, hashes: 1 });
  });

  it('wraps nonces at 2^32', () => {
    const header = new Uint8Array(80);
    const all = kernel.targetWords((1n << 256n) - 1n);
    const result = kernel.scan(
      kernel.midstate(header),
      kernel.tailWords(header),
      all,
      2 ** 32 - 1,
      1,
    );
    expect(result.nonce).toBe(2 ** 32 - 1);
  });
});
