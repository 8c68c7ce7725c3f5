// Pieces of the chain state: undo data codec, the orphan pool and the block index.
import { describe, expect, it } from 'vitest';
import type { Block, BlockHeader } from '../block/types.js';
import { defaultChainParams, powLimitBits } from '../consensus/params.js';
import { addressFromHash } from '../tx/address.js';
import { BlockIndex } from './block-index.js';
import { OrphanPool } from './orphans.js';
import { decodeUndo, encodeUndo } from './undo.js';

const address = addressFromHash(new Uint8Array(20).fill(1));

function header(prevHash: string, time: number, bits = powLimitBits): BlockHeader {
  return { version: 1, prevHash, merkleRoot: '00'.repeat(32), time, bits, nonce: 0 };
}

describe('undo data', () => {
  it('round-trips spent outputs', () => {
    const entries = [
      { amountMinor: 5n, address, height: 3, coinbase: true },
      { amountMinor: 21_000_000_0000_0000n, address, height: 0, coinbase: false },
    ];
    expect(decodeUndo(encodeUndo(entries))).toEqual(entries);
    expect(decodeUndo(encodeUndo([]))).toEqual([]);
  });
});

describe('OrphanPool', () => {
  const block = (prevHash: string): Block => ({ header: header(prevHash, 1), transactions: [] });

  it('hands children to their parent and evicts the oldest beyond its bound', () => {
    const pool = new OrphanPool(2);
    pool.add('a', block('p'));
    pool.add('b', block('p'));
    pool.add('c', block('q'));
    expect(pool.size).toBe(2);
    expect(pool.has('a')).toBe(false);
    expect(pool.takeChildren('p').map((child) => child.hash)).toEqual(['b']);
    expect(pool.takeChildren('q').map((child) => child.hash)).toEqual(['c']);
    expect(pool.size).toBe(0);
  });
});

describe('BlockIndex', () => {
  it('sums work, finds forks and ancestors, and computes the median time past', () => {
    const index = new BlockIndex(defaultChainParams);
    const genesis = index.add('g', header('0'.repeat(64), 100), undefined);
    index.main.push(genesis);
    let prev = genesis;
    for (let i = 1; i <= 12; i++) {
      prev = index.add(`m${i}`, header(prev.hash, 100 + i * 10), prev);
      index.main.push(prev);
    }
    let side = index.get('m5');
    for (let i = 6; i <= 8 && side; i++) side = index.add(`s${i}`, header(side.hash, 999), side);
    if (!side) throw new Error('no side');
    expect(prev.chainWork).toBe(2n * 13n);
    expect(index.fork(prev, side).hash).toBe('m5');
    expect(index.ancestor(side, 2)?.hash).toBe('m2');
    expect(index.medianTimePast(prev)).toBe(100 + 7 * 10);
    index.invalidate(index.get('s6') ?? genesis);
    expect(side.invalid).toBe(true);
    expect(index.bestValid()?.hash).toBe('m12');
  });
});
