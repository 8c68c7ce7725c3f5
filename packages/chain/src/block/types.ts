// Block types: the 80-byte Bitcoin-layout header and the block (header + transactions).
import type { Transaction } from '../tx/types.js';

export type BlockHeader = {
  readonly version: number;
  /** Hash of the previous block, displayed hex (byte-reversed). All zeros for genesis. */
  readonly prevHash: string;
  /** Merkle root of the txids, displayed hex (byte-reversed). */
  readonly merkleRoot: string;
  /** Seconds since the Unix epoch. */
  readonly time: number;
  /** Compact target (Bitcoin `nBits`). */
  readonly bits: number;
  readonly nonce: number;
};

export type Block = {
  readonly header: BlockHeader;
  /** The coinbase first, then at most `blockTransactionsMax - 1` others. */
  readonly transactions: readonly Transaction[];
};
