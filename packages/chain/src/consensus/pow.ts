// Proof of work: compact targets (nBits), hash-versus-target checks and the work a target represents.
import { InvalidValueError } from '@cryptoassets/core';
import { powLimitBits } from './params.js';

const two256 = 1n << 256n;

/** Expands compact bits to the 256-bit target; throws InvalidValueError for negative/zero/overflow. */
export function bitsToTarget(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if ((bits & 0x00800000) !== 0 && mantissa !== 0) {
    throw new InvalidValueError('bits', 'negative target');
  }
  const target =
    exponent <= 3
      ? BigInt(mantissa) >> BigInt(8 * (3 - exponent))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target === 0n) throw new InvalidValueError('bits', 'zero target');
  if (target >= two256) throw new InvalidValueError('bits', 'target overflows 256 bits');
  return target;
}

/** Compacts a target to bits (Bitcoin's GetCompact); precision is lost below the top 3 bytes. */
export function targetToBits(target: bigint): number {
  let size = byteLength(target);
  let compact =
    size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if ((compact & 0x00800000) !== 0) {
    compact >>>= 8;
    size += 1;
  }
  return ((size << 24) | compact) >>> 0;
}

function byteLength(value: bigint): number {
  let size = 0;
  for (let rest = value; rest > 0n; rest >>= 8n) size += 1;
  return size;
}

/** The easiest target allowed (minimum difficulty). */
export const powLimitTarget = bitsToTarget(powLimitBits);

/** A displayed block hash as the 256-bit number compared with the target. */
export function hashToNumber(hashHex: string): bigint {
  return BigInt(`0x${hashHex}`);
}

export function meetsTarget(hashHex: string, target: bigint): boolean {
  return hashToNumber(hashHex) <= target;
}

/** Expected number of hashes to find a block at this target: 2^256 / (target + 1). */
export function workFromBits(bits: number): bigint {
  return two256 / (bitsToTarget(bits) + 1n);
}
