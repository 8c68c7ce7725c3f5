// Compact targets, work, the difficulty retarget and the pinned genesis block.
import { InvalidValueError } from '@cryptoassets/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerHash } from '../block/header.js';
import { nextBits } from './difficulty.js';
import { genesisBlock, genesisHashHex } from './genesis.js';
import { defaultChainParams, powLimitBits } from './params.js';
import { bitsToTarget, meetsTarget, powLimitTarget, targetToBits, workFromBits } from './pow.js';
import { checkBlockSanity, checkProofOfWork } from './sanity.js';

describe('compact targets', () => {
  it("expands Bitcoin's genesis bits and the regtest limit", () => {
    expect(bitsToTarget(0x1d00ffff)).toBe(0xffffn << 208n);
    expect(bitsToTarget(powLimitBits)).toBe(0x7fffffn << 232n);
    expect(targetToBits(0xffffn << 208n)).toBe(0x1d00ffff);
  });

  it('refuses negative, zero and overflowing bits', () => {
    expect(() => bitsToTarget(0x1d800001)).toThrow(InvalidValueError);
    expect(() => bitsToTarget(0x1d000000)).toThrow(/zero/);
    expect(() => bitsToTarget(0x23010000)).toThrow(/overflow/);
  });

  it('bits → target → bits is stable for every valid compact value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 0x20 }),
        fc.integer({ min: 0x8000, max: 0x7fffff }),
        (e, m) => {
          const bits = (e << 24) | m;
          const target = bitsToTarget(bits);
          expect(bitsToTarget(targetToBits(target))).toBe(target);
        },
      ),
    );
  });

  it('work grows as the target shrinks', () => {
    expect(workFromBits(powLimitBits)).toBe(2n);
    expect(workFromBits(0x1d00ffff)).toBe(0x100010001n);
  });
});

describe('retarget', () => {
  const params = { ...defaultChainParams, retargetWindowBlocks: 20, targetBlockTimeS: 10 };
  const expectedS = 10 * 19;
  const hard = 0x1f00ffff;

  it('keeps the bits between retarget heights and in regtest', () => {
    const input = { height: 21, prevBits: hard, lastTime: 100, firstTime: 99 };
    expect(nextBits(input, params)).toBe(hard);
    expect(nextBits({ ...input, height: 40 }, { ...params, regtest: true })).toBe(powLimitBits);
  });

  it('scales by actual/expected time, clamped to ×4 and ÷4, never beyond the limit', () => {
    const at = (spanS: number) =>
      nextBits({ height: 40, prevBits: hard, lastTime: 1_000 + spanS, firstTime: 1_000 }, params);
    const target = bitsToTarget(hard);
    expect(bitsToTarget(at(expectedS))).toBe(target);
    expect(bitsToTarget(at(expectedS / 2))).toBe(bitsToTarget(targetToBits(target / 2n)));
    expect(bitsToTarget(at(1))).toBe(bitsToTarget(targetToBits((target * 47n) / 190n)));
    expect(bitsToTarget(at(expectedS * 100))).toBe(bitsToTarget(targetToBits(target * 4n)));
    expect(at(-50)).toBe(at(0));
    const easy = nextBits(
      { height: 40, prevBits: powLimitBits, lastTime: 10_000, firstTime: 0 },
      params,
    );
    expect(bitsToTarget(easy)).toBeLessThanOrEqual(powLimitTarget);
  });
});

describe('genesis', () => {
  it('is pinned: its hash is fixed and it meets the minimum difficulty', () => {
    expect(genesisHashHex).toBe('3e5eba8f4c61b07ec484fa4fe7807359892da0b4a5b48eb533c6e28f60bc9d68');
    expect(headerHash(genesisBlock.header)).toBe(genesisHashHex);
    expect(meetsTarget(genesisHashHex, powLimitTarget)).toBe(true);
    expect(checkBlockSanity(genesisBlock)).toBeUndefined();
  });

  it('proof of work refuses a hash above the target and bits above the limit', () => {
    expect(checkProofOfWork('ff'.repeat(32), powLimitBits)).toBe('high-hash');
    expect(checkProofOfWork('00'.repeat(32), 0x2100ffff)).toBe('bad-diffbits');
  });
});
