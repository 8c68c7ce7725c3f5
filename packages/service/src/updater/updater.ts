// The transaction updater, deposit side: turns walletnotify hints, confirmation polls and
// rescans into ledger deposit updates. A hint is never trusted: the node is always asked, and
// every write goes through the ledger, so running any of them twice (or together) is harmless.
import { type CoinConfig, createLogger, type Logger } from '@cryptoassets/core';
import type { DepositReversalResult, Ledger } from '@cryptoassets/ledger';
import type { BackendTransaction, NetworkBackend } from '../backend.js';
import { UpdaterBusy } from './errors.js';
import { receivedTxids } from './txids.js';

/** Open deposits one confirmation poll reads again, by default. */
export const pollBatchSizeDefault = 500;
/** Largest allowed poll batch (the ledger's list limit). */
export const pollBatchSizeMax = 10_000;
/** Updates that may wait for their turn; more are refused with `UpdaterBusy`. */
export const updatesWaitingMax = 10_000;
/** Distinct txids one rescan feeds through the updater; the rest wait for the next rescan. */
export const rescanTxidsMax = 100_000;

/** What the updater needs of the books. */
export type UpdaterLedger = Pick<
  Ledger,
  | 'coin'
  | 'recordDeposit'
  | 'reverseDeposit'
  | 'listOpenDeposits'
  | 'listUnconfirmedBroadcasts'
  | 'recordBroadcastConfirmations'
>;
/** What the updater needs of the network. */
export type UpdaterBackend = Pick<NetworkBackend, 'getTransaction' | 'listSinceBlock'>;

export type TransactionUpdaterOptions = {
  readonly ledger: UpdaterLedger;
  readonly backend: UpdaterBackend;
  readonly logger?: Logger;
  /** Open deposits one poll reads (1..pollBatchSizeMax). */
  readonly pollBatchSize?: number;
  /** Block hash the next rescan starts after; undefined scans the whole wallet. */
  readonly rescanCursor?: string;
};

/**
 * `updated`: the books follow the node; `unknown`: the node does not know the txid, nothing
 * changed; `gone`: a tracked deposit's transaction vanished from the node, its credit (if any)
 * was reversed; `failed`: an error, logged, nothing committed by the failing step.
 */
export type TxidUpdateStatus = 'updated' | 'unknown' | 'gone' | 'failed';

export type TxidUpdate = {
  readonly txid: string;
  readonly status: TxidUpdateStatus;
  /** As the node reported them; undefined when it does not know the transaction. */
  readonly confirmations: number | undefined;
  /** Deposits of the books in this transaction (one per receiving address). */
  readonly deposits: number;
  readonly creditedNow: number;
  readonly reversedNow: number;
  readonly error: unknown;
};

export type UpdateSummary = {
  readonly results: readonly TxidUpdate[];
  readonly creditedNow: number;
  readonly reversedNow: number;
  readonly failed: number;
  /** A failure before any txid was looked at (reading the books or the node); else undefined. */
  readonly error: unknown;
  /** Broadcasts whose confirmation count changed (each wrote `txupdate` events). */
  readonly broadcastsUpdated: number;
};

export type RescanProgress = { readonly done: number; readonly total: number };

export type RescanOptions = {
  /** Called with done = 0 first, then after each txid; done grows up to total. */
  readonly onProgress?: (progress: RescanProgress) => void;
  /** Start after this block instead of the stored cursor. */
  readonly sinceBlock?: string;
};

export type RescanResult = UpdateSummary & {
  /** Where the rescan started; undefined for the whole wallet. */
  readonly since: string | undefined;
  /** The node's best block at the time; the next rescan starts there when nothing failed. */
  readonly lastBlock: string | undefined;
  /** More txids than `rescanTxidsMax`: the rest wait for the next rescan. */
  readonly truncated: boolean;
};

export class TransactionUpdater {
  readonly coin: CoinConfig;
  readonly #ledger: UpdaterLedger;
  readonly #backend: UpdaterBackend;
  readonly #logger: Logger;
  readonly #pollBatchSize: number;
  #rescanCursor: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(options: TransactionUpdaterOptions) {
    this.#ledger = options.ledger;
    this.#backend = options.backend;
    this.coin = options.ledger.coin;
    this.#logger = options.logger ?? createLogger();
    const batch = options.pollBatchSize ?? pollBatchSizeDefault;
    if (!Number.isInteger(batch) || batch < 1 || batch > pollBatchSizeMax)
      throw new RangeError(`pollBatchSize must be 1..${pollBatchSizeMax}, got ${batch}`);
    this.#pollBatchSize = batch;
    this.#rescanCursor = options.rescanCursor;
  }

  /** The block the next rescan starts after; undefined until a rescan completed cleanly. */
  get rescanCursor(): string | undefined {
    return this.#rescanCursor;
  }

  /** Updates the books from the node's view of a notified txid. Never rejects. */
  handleTxid(txid: string): Promise<TxidUpdate> {
    return this.#serial(txid, () => this.#update(txid, false));
  }

  /**
   * Reads again every open deposit below `max_confirmation_count` (at most one batch): credits
   * those that reached the threshold, reverses those the node reports below it, conflicted or
   * no longer knows. Never rejects.
   */
  async pollConfirmations(): Promise<UpdateSummary> {
    let open: Awaited<ReturnType<UpdaterLedger['listOpenDeposits']>>;
    try {
      open = await this.#ledger.listOpenDeposits({
        confirmationsBelow: Math.max(this.coin.maxConfirmationCount, this.coin.confirmations),
        limit: this.#pollBatchSize,
      });
    } catch (error) {
      this.#logger.error('confirmation poll failed', {
        coin: this.coin.symbol,
        error: text(error),
      });
      return summarize([], error);
    }
    const results: TxidUpdate[] = [];
    for (const deposit of open)
      results.push(await this.#serial(deposit.txid, () => this.#update(deposit.txid, true)));
    const broadcasts = await this.#pollBroadcasts();
    return summarize(results, broadcasts.error, broadcasts.changed);
  }

  /** Reads again our own sends below `max_confirmation_count` and records how deep they are. */
  async #pollBroadcasts(): Promise<{ changed: number; error: unknown }> {
    let open: Awaited<ReturnType<UpdaterLedger['listUnconfirmedBroadcasts']>>;
    try {
      open = await this.#ledger.listUnconfirmedBroadcasts({
        confirmationsBelow: Math.max(this.coin.maxConfirmationCount, this.coin.confirmations),
        limit: this.#pollBatchSize,
      });
    } catch (error) {
      this.#logger.error('broadcast confirmation poll failed', {
        coin: this.coin.symbol,
        error: text(error),
      });
      return { changed: 0, error };
    }
    let changed = 0;
    for (const broadcast of open) {
      const txid = broadcast.txid;
      if (txid === null) continue;
      try {
        const seen = await this.#backend.getTransaction(txid);
        if (seen === undefined || seen.confirmations < 0) {
          this.#logger.warn('a broadcast of ours is not in the chain the node follows', {
            coin: this.coin.symbol,
            txid,
            confirmations: seen?.confirmations ?? null,
          });
          continue;
        }
        const recorded = await this.#ledger.recordBroadcastConfirmations({
          networkTransactionId: broadcast.id,
          confirmations: seen.confirmations,
        });
        if (recorded) changed++;
      } catch (error) {
        this.#logger.error('broadcast update failed', {
          coin: this.coin.symbol,
          txid,
          error: text(error),
        });
      }
    }
    return { changed, error: undefined };
  }

  /**
   * Finds deposits that arrived while nothing listened: every received txid the node lists
   * since the cursor (or `sinceBlock`) goes through `handleTxid`, each once. Never rejects.
   */
  async rescan(options: RescanOptions = {}): Promise<RescanResult> {
    const since = options.sinceBlock ?? this.#rescanCursor;
    let listing: Awaited<ReturnType<UpdaterBackend['listSinceBlock']>>;
    try {
      listing = await this.#backend.listSinceBlock(since);
    } catch (error) {
      this.#logger.error('rescan failed', { coin: this.coin.symbol, error: text(error) });
      return { ...summarize([], error), since, lastBlock: undefined, truncated: false };
    }
    const txids = receivedTxids([...listing.transactions, ...listing.removed]);
    const total = Math.min(txids.length, rescanTxidsMax);
    const report = (done: number): void => {
      try {
        options.onProgress?.({ done, total });
      } catch (error) {
        this.#logger.warn('rescan progress callback failed', { error: text(error) });
      }
    };
    report(0);
    const results: TxidUpdate[] = [];
    for (const txid of txids.slice(0, total)) {
      results.push(await this.handleTxid(txid));
      report(results.length);
    }
    const summary = summarize(results, undefined);
    const truncated = txids.length > total;
    if (summary.failed === 0 && !truncated) this.#rescanCursor = listing.lastBlock;
    return { ...summary, since, lastBlock: listing.lastBlock, truncated };
  }

  /** Runs updates one at a time, in call order; refuses when too many wait. */
  #serial(txid: string, work: () => Promise<TxidUpdate>): Promise<TxidUpdate> {
    if (this.#waiting >= updatesWaitingMax) {
      const error = new UpdaterBusy(this.coin.symbol, updatesWaitingMax);
      this.#logger.warn('deposit update refused', { coin: this.coin.symbol, txid });
      return Promise.resolve(failed(txid, error));
    }
    this.#waiting++;
    const run = this.#tail.then(work).finally(() => {
      this.#waiting--;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #update(txid: string, tracked: boolean): Promise<TxidUpdate> {
    try {
      const seen = await this.#backend.getTransaction(txid);
      if (seen) return await this.#apply(seen);
      if (!tracked) return { ...nothing(txid, 'unknown'), confirmations: undefined };
      // A deposit we track that the node forgot: not in the chain as far as we can tell.
      const reversal = await this.#ledger.reverseDeposit({ txid, confirmations: 0 });
      this.#logReversals(txid, reversal);
      return {
        ...nothing(txid, 'gone'),
        deposits: reversal.deposits.length,
        reversedNow: reversal.reversedNow.length,
      };
    } catch (error) {
      this.#logger.error('deposit update failed', {
        coin: this.coin.symbol,
        txid,
        error: text(error),
      });
      return failed(txid, error);
    }
  }

  /** Brings the books in line with the node's view of one transaction. */
  async #apply(seen: BackendTransaction): Promise<TxidUpdate> {
    const { txid, confirmations } = seen;
    // Below the threshold (shallow, back in the mempool, conflicted): tracked deposits are updated
    // and any credit taken back in one step, before new outputs are recorded uncredited.
    const shallow = confirmations < this.coin.confirmations;
    let reversal: DepositReversalResult | undefined;
    if (shallow) reversal = await this.#ledger.reverseDeposit({ txid, confirmations });
    const known = new Set(reversal?.addresses ?? []);
    let deposits = reversal?.deposits.length ?? 0;
    let creditedNow = 0;
    let recorded = 0;
    for (const { address, amount } of seen.received) {
      if (known.has(address)) continue;
      const result = await this.#ledger.recordDeposit({
        txid,
        address,
        amount,
        confirmations: Math.max(0, confirmations),
      });
      if (!result) continue;
      recorded++;
      if (result.creditedNow) creditedNow++;
    }
    deposits += recorded;
    // New outputs of a conflicted transaction were recorded at 0: record the conflict too.
    if (confirmations < 0 && recorded > 0)
      await this.#ledger.reverseDeposit({ txid, confirmations });
    if (reversal) this.#logReversals(txid, reversal);
    if (creditedNow > 0)
      this.#logger.info('deposit credited', { coin: this.coin.symbol, txid, confirmations });
    const reversedNow = reversal?.reversedNow.length ?? 0;
    return { ...nothing(txid, 'updated'), confirmations, deposits, creditedNow, reversedNow };
  }

  #logReversals(txid: string, reversal: DepositReversalResult): void {
    if (reversal.reversedNow.length === 0) return;
    this.#logger.warn('deposit credit reversed', {
      coin: this.coin.symbol,
      txid,
      confirmations: reversal.networkTransaction?.confirmations,
      deposits: reversal.reversedNow.map((deposit) => deposit.id),
    });
  }
}

function nothing(txid: string, status: TxidUpdateStatus): TxidUpdate {
  return {
    txid,
    status,
    confirmations: undefined,
    deposits: 0,
    creditedNow: 0,
    reversedNow: 0,
    error: undefined,
  };
}

function failed(txid: string, error: unknown): TxidUpdate {
  return { ...nothing(txid, 'failed'), error };
}

function summarize(
  results: readonly TxidUpdate[],
  error: unknown,
  broadcastsUpdated = 0,
): UpdateSummary {
  let creditedNow = 0;
  let reversedNow = 0;
  let failures = 0;
  for (const result of results) {
    creditedNow += result.creditedNow;
    reversedNow += result.reversedNow;
    if (result.status === 'failed') failures++;
  }
  return { results, creditedNow, reversedNow, failed: failures, error, broadcastsUpdated };
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
