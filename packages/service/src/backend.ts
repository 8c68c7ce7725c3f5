// What the service needs from a coin's network beyond the ledger's Backend: transactions, sends,
// rescans and chain height. Implemented by the bitcoind backend (and later the devnet).
import type { Backend } from '@cryptoassets/ledger';

/** One address and an amount in minor units (always positive here). */
export type AddressAmount = {
  readonly address: string;
  readonly amount: bigint;
};

/** A wallet transaction as the node sees it, normalised. */
export type BackendTransaction = {
  readonly txid: string;
  /** Depth in the chain; 0 in the mempool; negative when conflicted (as bitcoind reports). */
  readonly confirmations: number;
  readonly blockHash: string | undefined;
  /** Network fee the wallet paid, positive, once per transaction; undefined when not ours. */
  readonly fee: bigint | undefined;
  /** What the wallet's addresses received, summed per address. */
  readonly received: readonly AddressAmount[];
  /** What the wallet paid to other outputs (change excluded), summed per address. */
  readonly sent: readonly AddressAmount[];
  /** When the wallet first saw it, in seconds since the epoch. */
  readonly time: number;
};

/** What the wallet says about one txid of a batch lookup. */
export type TransactionLookup = {
  readonly txid: string;
  /** Undefined when the wallet does not know the txid, or when `error` is set. */
  readonly transaction: BackendTransaction | undefined;
  /** Why this txid alone could not be read; undefined when it was. */
  readonly error: unknown;
};

export type WalletEntryCategory = 'send' | 'receive' | 'generate' | 'immature' | 'orphan';

/** One line of a rescan: one output of a wallet transaction. */
export type WalletEntry = {
  readonly txid: string;
  readonly address: string;
  readonly category: WalletEntryCategory;
  /** Positive; the category says the direction. */
  readonly amount: bigint;
  readonly confirmations: number;
};

export type SinceBlock = {
  readonly transactions: readonly WalletEntry[];
  /** Entries of transactions that left the best chain since that block (reorgs). */
  readonly removed: readonly WalletEntry[];
  /** Pass back as `blockHash` next time to get only what changed. */
  readonly lastBlock: string;
};

export type NetworkBackend = Backend & {
  /** The wallet's view of a transaction; undefined when the wallet does not know it. */
  readonly getTransaction: (txid: string) => Promise<BackendTransaction | undefined>;
  /**
   * The wallet's view of several transactions, read together (one round trip per batch of the
   * node's size), one lookup per txid in order. Rejects only when the node cannot be asked at all.
   */
  readonly getTransactions: (txids: readonly string[]) => Promise<TransactionLookup[]>;
  /** Pays all outputs in one transaction; resolves with its txid. Never retried. */
  readonly send: (outputs: readonly AddressAmount[]) => Promise<string>;
  /** Wallet entries in blocks after `blockHash` (all when undefined) and in the mempool. */
  readonly listSinceBlock: (blockHash: string | undefined) => Promise<SinceBlock>;
  readonly getBlockCount: () => Promise<number>;
  readonly getBestBlockHash: () => Promise<string>;
  /**
   * The txid of a recent wallet transaction paying exactly these outputs (same addresses, same
   * amounts, nothing else but change), or undefined; reconciles interrupted broadcasts.
   */
  readonly findWalletTransactionPaying: (
    outputs: readonly AddressAmount[],
    options?: { readonly sinceTimeS?: number },
  ) => Promise<string | undefined>;
};
