// The transaction updater, deposit side: turns walletnotify hints, confirmation polls and
// rescans into ledger deposit updates. A hint is never trusted: the node is always asked, and
// every write goes through the ledger, so running any of them twice (or together) is harmless.
// Txids that arrive while a batch is being handled wait together for the next one: the node is
// asked about them in one batch request and the books take them in one database transaction, so
// a burst of deposits costs a few round trips and commits instead of one of each per deposit.
import { assert, type CoinConfig, createLogger, type Logger } from '@cryptoassets/core';
import type {
  DepositObservation,
  DepositObservationResult,
  Ledger,
  Transaction,
} from '@cryptoassets/ledger';
import type { BackendTransaction, NetworkBackend, TransactionLookup } from '../backend.js';
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
/** Txids one batch reads from the node and writes to the books in one transaction. */
export const updateBatchSizeDefault = 100;
export const updateBatchSizeMax = 1_000;
/** Txids a rescan hands to the updater at once (below `updatesWaitingMax`). */
const rescanChunkSize = 1_000;

/** What the updater needs of the books. */
export type UpdaterLedger = Pick<
  Ledger,
  | 'coin'
  | 'recordDepositObservations'
  | 'reverseDeposit'
  | 'listOpenDeposits'
  | 'listUnconfirmedBroadcasts'
  | 'recordBroadcastConfirmations'
>;
/** What the updater needs of the network. */
export type UpdaterBackend = Pick<
  NetworkBackend,
  'getTransaction' | 'getTransactions' | 'listSinceBlock'
>;

export type TransactionUpdaterOptions = {
  readonly ledger: UpdaterLedger;
  readonly backend: UpdaterBackend;
  readonly logger?: Logger;
  /** Open deposits one poll reads (1..pollBatchSizeMax). */
  readonly pollBatchSize?: number;
  /** Block hash the next rescan starts after; undefined scans the whole wallet. */
  readonly rescanCursor?: string;
  /** Most txids handled together (1..updateBatchSizeMax). */
  readonly batchSize?: number;
};

/** A txid waiting for the next batch, and everyone waiting for its update. */
type Job = {
  /** A deposit the books track (from a poll): if the node forgot it, its credit is reversed. */
  tracked: boolean;
  readonly waiters: ((update: TxidUpdate) => void)[];
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
  readonly #batchSize: number;
  #rescanCursor: string | undefined;
  /** Txids waiting for the next batch, in arrival order. */
  readonly #jobs = new Map<string, Job>();
  #draining = false;
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
    const together = options.batchSize ?? updateBatchSizeDefault;
    if (!Number.isInteger(together) || together < 1 || together > updateBatchSizeMax)
      throw new RangeError(`batchSize must be 1..${updateBatchSizeMax}, got ${together}`);
    this.#batchSize = together;
    this.#rescanCursor = options.rescanCursor;
  }

  /** The block the next rescan starts after; undefined until a rescan completed cleanly. */
  get rescanCursor(): string | undefined {
    return this.#rescanCursor;
  }

  /** Updates the books from the node's view of a notified txid. Never rejects. */
  handleTxid(txid: string): Promise<TxidUpdate> {
    return this.#enqueue(txid, false);
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
    const results = await Promise.all(open.map((deposit) => this.#enqueue(deposit.txid, true)));
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
    for (let start = 0; start < total; start += rescanChunkSize) {
      const chunk = txids.slice(start, Math.min(start + rescanChunkSize, total));
      let done = 0;
      const updates = chunk.map((txid) =>
        this.handleTxid(txid).then((update) => {
          report(results.length + ++done);
          return update;
        }),
      );
      results.push(...(await Promise.all(updates)));
    }
    const summary = summarize(results, undefined);
    const truncated = txids.length > total;
    if (summary.failed === 0 && !truncated) this.#rescanCursor = listing.lastBlock;
    return { ...summary, since, lastBlock: listing.lastBlock, truncated };
  }

  /** Queues a txid for the next batch (joining it if already queued); refuses when too many wait. */
  #enqueue(txid: string, tracked: boolean): Promise<TxidUpdate> {
    if (this.#waiting >= updatesWaitingMax) {
      const error = new UpdaterBusy(this.coin.symbol, updatesWaitingMax);
      this.#logger.warn('deposit update refused', { coin: this.coin.symbol, txid });
      return Promise.resolve(failed(txid, error));
    }
    this.#waiting++;
    return new Promise((resolve) => {
      const job = this.#jobs.get(txid);
      if (job) {
        job.tracked ||= tracked;
        job.waiters.push(resolve);
      } else {
        this.#jobs.set(txid, { tracked, waiters: [resolve] });
      }
      this.#drain();
    });
  }

  /** Handles waiting txids a batch at a time, one batch after the other, until none wait. */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    void (async () => {
      // Each pass removes at least one job, and jobs are bounded by `updatesWaitingMax`.
      while (this.#jobs.size > 0) {
        const batch: [string, Job][] = [];
        for (const entry of this.#jobs) {
          if (batch.length >= this.#batchSize) break;
          batch.push(entry);
        }
        for (const [txid] of batch) this.#jobs.delete(txid);
        let updates: TxidUpdate[];
        try {
          updates = await this.#updateBatch(batch);
        } catch (error) {
          // #updateBatch handles every expected failure; this keeps the waiters from hanging.
          this.#logger.error('deposit update failed', {
            coin: this.coin.symbol,
            error: text(error),
          });
          updates = batch.map(([txid]) => failed(txid, error));
        }
        for (const [index, [txid, job]] of batch.entries()) {
          const update = updates[index] ?? failed(txid, new Error('no update'));
          this.#waiting -= job.waiters.length;
          for (const resolve of job.waiters) resolve(update);
        }
      }
      this.#draining = false;
    })();
  }

  /** Reads a batch of txids from the node and brings the books in line. Never rejects. */
  async #updateBatch(batch: readonly (readonly [string, Job])[]): Promise<TxidUpdate[]> {
    let lookups: TransactionLookup[];
    try {
      lookups = await this.#backend.getTransactions(batch.map(([txid]) => txid));
      assert(lookups.length === batch.length, 'a lookup per txid');
    } catch (error) {
      this.#logger.error('deposit update failed: cannot read the node', {
        coin: this.coin.symbol,
        txids: batch.length,
        error: text(error),
      });
      return batch.map(([txid]) => failed(txid, error));
    }
    const updates = new Map<string, TxidUpdate>();
    const seen: BackendTransaction[] = [];
    for (const [index, lookup] of lookups.entries()) {
      const [txid, job] = batch[index] as readonly [string, Job];
      if (lookup.error !== undefined) {
        updates.set(txid, this.#failed(txid, lookup.error));
      } else if (lookup.transaction) {
        seen.push(lookup.transaction);
      } else if (!job.tracked) {
        updates.set(txid, nothing(txid, 'unknown'));
      } else {
        updates.set(txid, await this.#gone(txid));
      }
    }
    for (const update of await this.#apply(seen)) updates.set(update.txid, update);
    return batch.map(([txid]) => updates.get(txid) ?? failed(txid, new Error('not handled')));
  }

  /**
   * Records the node's view of these transactions in one database transaction; when that fails
   * for a reason other than a conflict, each is tried alone so one bad transaction fails alone.
   */
  async #apply(seen: readonly BackendTransaction[]): Promise<TxidUpdate[]> {
    if (seen.length === 0) return [];
    const observations = seen.map(observationOf);
    try {
      const results = await this.#ledger.recordDepositObservations(observations);
      return results.map((result) => this.#report(result));
    } catch (error) {
      if (seen.length === 1) return [this.#failed(observations[0]?.txid ?? '', error)];
    }
    const updates: TxidUpdate[] = [];
    for (const observation of observations) {
      try {
        const [result] = await this.#ledger.recordDepositObservations([observation]);
        assert(result !== undefined, 'a result per observation');
        updates.push(this.#report(result));
      } catch (error) {
        updates.push(this.#failed(observation.txid, error));
      }
    }
    return updates;
  }

  /** Logs why a txid's update failed and returns the failure. */
  #failed(txid: string, error: unknown): TxidUpdate {
    this.#logger.error('deposit update failed', {
      coin: this.coin.symbol,
      txid,
      error: text(error),
    });
    return failed(txid, error);
  }

  /** Logs what an observation changed and turns it into the caller's update. */
  #report(result: DepositObservationResult): TxidUpdate {
    const { txid, confirmations } = result;
    this.#logReversals(txid, confirmations, result.reversedNow);
    if (result.creditedNow > 0)
      this.#logger.info('deposit credited', { coin: this.coin.symbol, txid, confirmations });
    return {
      ...nothing(txid, 'updated'),
      confirmations,
      deposits: result.deposits,
      creditedNow: result.creditedNow,
      reversedNow: result.reversedNow.length,
    };
  }

  /** A deposit we track that the node forgot: not in the chain as far as we can tell. */
  async #gone(txid: string): Promise<TxidUpdate> {
    try {
      const reversal = await this.#ledger.reverseDeposit({ txid, confirmations: 0 });
      this.#logReversals(txid, reversal.networkTransaction?.confirmations, reversal.reversedNow);
      return {
        ...nothing(txid, 'gone'),
        deposits: reversal.deposits.length,
        reversedNow: reversal.reversedNow.length,
      };
    } catch (error) {
      return this.#failed(txid, error);
    }
  }

  #logReversals(
    txid: string,
    confirmations: number | undefined,
    reversedNow: readonly Transaction[],
  ): void {
    if (reversedNow.length === 0) return;
    this.#logger.warn('deposit credit reversed', {
      coin: this.coin.symbol,
      txid,
      confirmations,
      deposits: reversedNow.map((deposit) => deposit.id),
    });
  }
}

function observationOf(seen: BackendTransaction): DepositObservation {
  return { txid: seen.txid, confirmations: seen.confirmations, received: seen.received };
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
