// Difficulty retarget: every window, move the target towards the intended block time, clamped.

import { type ChainParams, powLimitBits, retargetClampFactor } from './params.js';
import { bitsToTarget, powLimitTarget, targetToBits } from './pow.js';

export type RetargetInput = {
  /** Height of the block whose bits are wanted. */
  readonly height: number;
  /** Bits of its parent. */
  readonly prevBits: number;
  /** Time of block `height - 1` and of block `height - retargetWindowBlocks`. */
  readonly lastTime: number;
  readonly firstTime: number;
};

export function isRetargetHeight(height: number, params: ChainParams): boolean {
  return !params.regtest && height > 0 && height % params.retargetWindowBlocks === 0;
}

/**
 * Bits required at `input.height`. Regtest: always the minimum difficulty. Otherwise the parent's
 * bits, except at a retarget height where the window's span (window - 1 intervals) is compared
 * with the intended one and the target scaled, clamped to ×4 / ÷4 and capped at the limit.
 */
export function nextBits(input: RetargetInput, params: ChainParams): number {
  if (params.regtest) return powLimitBits;
  if (!isRetargetHeight(input.height, params)) return input.prevBits;
  const expectedS = BigInt(params.targetBlockTimeS * (params.retargetWindowBlocks - 1));
  const clamp = BigInt(retargetClampFactor);
  let actualS = BigInt(input.lastTime - input.firstTime);
  if (actualS < expectedS / clamp) actualS = expectedS / clamp;
  if (actualS > expectedS * clamp) actualS = expectedS * clamp;
  let target = (bitsToTarget(input.prevBits) * actualS) / expectedS;
  if (target > powLimitTarget) target = powLimitTarget;
  if (target < 1n) target = 1n;
  return targetToBits(target);
}
