// The broadcaster of one wallet: sends the wallet's pending withdrawals to the network in
// batches, never twice. `opened_at` is committed before a send and the txid after it; at
// start-up every broadcast left open by a crash is reconciled against the node before anything
// new is sent. A lease in the books keeps one broadcaster per wallet across processes.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { assert, createLogger, InvalidValueError, type Logger } from '@cryptoassets/core';
import {
  BadAddress,
  type Broadcast,
  type Ledger,
  listLimitMax,
  type Wallet,
} from '@cryptoassets/ledger';
import type { NetworkBackend } from '../backend.js';
import { oneLineReason, provesNothingSent } from './send-outcome.js';

/** Pending withdrawals grouped into one broadcast (one network transaction) by default. */
export const broadcastBatchSizeDefault = 100;
/** Most withdrawals one broadcast may group. */
export const broadcastBatchSizeMax = 1_000;
/** Most broadcasts one run sends. */
export const broadcastsPerRunMax = 10;
/** How long the broadcaster's lease lasts from its last renewal: longer than a send may take. */
export const broadcastLeaseMsDefault = 120_000;
/**
 * How far before `opened_at` a reconcile looks for the node's transaction: covers the clock
 * difference between the database's host and the node's.
 */
export const reconcileMarginSDefault = 600;
/** Time between runs of `start()`. */
export const broadcastPeriodMsDefault = 30_000;
/** Fee charges retried at the next run after the node could not tell the fee. */
const feesOwedMax = 1_000;

/**
 * Where `pauseAt` is called on the send path: after the batch is grouped (`prepared`), after
 * `opened_at` is committed (`opened`), after the node took the send (`sent`), and after the txid
 * and `closed_at` are committed, before the fee is charged (`closed`).
 */
export type BroadcastPausePoint = 'prepared' | 'opened' | 'sent' | 'closed';
export const broadcastPausePoints: readonly BroadcastPausePoint[] = [
  'prepared',
  'opened',
  'sent',
  'closed',
];

export type BroadcasterOptions = {
  readonly ledger: Ledger;
  readonly backend: NetworkBackend;
  readonly wallet: Pick<Wallet, 'id'>;
  /** Who holds the lease; unique per process by default. */
  readonly owner?: string;
  readonly leaseMs?: number;
  readonly batchSize?: number;
  readonly reconcileMarginS?: number;
  readonly logger?: Logger;
  /** For crash tests: awaited at each point; a promise that never settles stops the run there. */
  readonly pauseAt?: (point: BroadcastPausePoint) => Promise<void>;
};

export type ReconcileOutcome =
  | { readonly networkTransactionId: number; readonly result: 'closed'; readonly txid: string }
  | { readonly networkTransactionId: number; readonly result: 'held'; readonly reason: string };

export type BroadcastOutcome =
  | {
      readonly networkTransactionId: number;
      readonly result: 'sent';
      readonly txid: string;
      /** Network fee charged; undefined when the node could not tell it yet (retried later). */
      readonly fee: bigint | undefined;
      /** Addresses paid (withdrawals to one address are summed into one output). */
      readonly outputs: number;
    }
  | { readonly networkTransactionId: number; readonly result: 'held'; readonly reason: string }
  | {
      readonly networkTransactionId: number;
      /** The send may have reached the node; the next run reconciles it first. */
      readonly result: 'interrupted';
      readonly reason: string;
    };

export type BroadcasterRun = {
  /** False when another broadcaster holds the lease: this run did nothing. */
  readonly leased: boolean;
  readonly reconciled: readonly ReconcileOutcome[];
  readonly broadcasts: readonly BroadcastOutcome[];
};

const notFoundReason =
  'interrupted between opening and closing, and the node has no transaction paying its outputs: check the node, then resolve it with the txid or void it';

export class Broadcaster {
  readonly ledger: Ledger;
  readonly backend: NetworkBackend;
  readonly wallet: Pick<Wallet, 'id'>;
  readonly owner: string;
  readonly leaseName: string;
  readonly #leaseMs: number;
  readonly #batchSize: number;
  readonly #marginS: number;
  readonly #logger: Logger;
  readonly #pauseAt: ((point: BroadcastPausePoint) => Promise<void>) | undefined;
  /** False until interrupted broadcasts were reconciled; again after a send of unknown fate. */
  #reconciled = false;
  readonly #feesOwed = new Map<number, string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: BroadcasterOptions) {
    this.ledger = options.ledger;
    this.backend = options.backend;
    this.wallet = options.wallet;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseName = `broadcaster:${options.wallet.id}`;
    this.#leaseMs = options.leaseMs ?? broadcastLeaseMsDefault;
    this.#batchSize = options.batchSize ?? broadcastBatchSizeDefault;
    this.#marginS = options.reconcileMarginS ?? reconcileMarginSDefault;
    this.#logger = options.logger ?? createLogger();
    this.#pauseAt = options.pauseAt;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1)
      throw new InvalidValueError('batchSize', 'expected a whole number of at least 1');
    if (this.#batchSize > Math.min(broadcastBatchSizeMax, listLimitMax))
      throw new InvalidValueError('batchSize', `at most ${broadcastBatchSizeMax}`);
    if (!Number.isSafeInteger(this.#marginS) || this.#marginS < 0)
      throw new InvalidValueError('reconcileMarginS', 'expected a whole number of seconds');
  }

  /**
   * One pass: takes (or renews) the lease; on the first pass reconciles interrupted broadcasts;
   * then sends up to `broadcastsPerRunMax` batches of pending withdrawals.
   */
  async runOnce(): Promise<BroadcasterRun> {
    if (!(await this.#renewLease())) return { leased: false, reconciled: [], broadcasts: [] };
    if (!this.#reconciled) await this.#collectFeesOwed();
    const reconciled = this.#reconciled ? [] : await this.#reconcile();
    this.#reconciled = true;
    await this.#chargeFeesOwed();
    const broadcasts: BroadcastOutcome[] = [];
    for (let i = 0; i < broadcastsPerRunMax; i++) {
      if (!(await this.#renewLease())) break;
      const outcome = await this.#broadcastNext();
      if (!outcome) break;
      broadcasts.push(outcome);
      if (outcome.result === 'interrupted') {
        this.#reconciled = false;
        break;
      }
    }
    return { leased: true, reconciled, broadcasts };
  }

  /** Runs `runOnce` every `periodMs` until `stop()`; errors are logged and the next run tries. */
  start(periodMs = broadcastPeriodMsDefault): void {
    assert(this.#timer === undefined && !this.#stopped, 'broadcaster already started or stopped');
    const tick = () => {
      this.#running = this.runOnce()
        .catch((error: unknown) =>
          this.#logger.error('broadcast run failed', { error: oneLineReason(error) }),
        )
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, periodMs);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Stops the periodic runs, waits for the current one and gives the lease up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.ledger.releaseLease({ name: this.leaseName, owner: this.owner });
  }

  /**
   * For an operator who found a held broadcast's transaction on the network: closes it with that
   * txid and charges its network fee.
   */
  async resolve(networkTransactionId: number, txid: string): Promise<Broadcast> {
    const broadcast = await this.ledger.resolveBroadcast(networkTransactionId, txid);
    await this.#chargeFee(networkTransactionId, txid);
    return broadcast;
  }

  /**
   * Takes or renews the lease. A lease held by a process of this host that no longer exists
   * (killed, crashed) is taken over at once instead of after it expires.
   */
  async #renewLease(): Promise<boolean> {
    const lease = { name: this.leaseName, owner: this.owner, durationMs: this.#leaseMs };
    if (await this.ledger.acquireLease(lease)) return true;
    const holder = (await this.ledger.getLease(this.leaseName))?.owner;
    if (holder === undefined || !isDeadLocalOwner(holder)) return false;
    this.#logger.warn('taking over the lease of a process that is gone', { holder });
    return this.ledger.acquireLease({ ...lease, takeOverFrom: holder });
  }

  /** Closes each interrupted broadcast the node did send; holds the others for an operator. */
  async #reconcile(): Promise<ReconcileOutcome[]> {
    const outcomes: ReconcileOutcome[] = [];
    for (const broadcast of await this.ledger.listInterruptedBroadcasts(this.wallet)) {
      const id = broadcast.networkTransaction.id;
      const openedAt = broadcast.networkTransaction.openedAt;
      assert(openedAt !== null, `interrupted broadcast ${id} was never opened`);
      const outputs = await this.ledger.broadcastOutputs(id);
      let txid: string | undefined;
      try {
        const sinceTimeS = Math.floor(openedAt.getTime() / 1000) - this.#marginS;
        txid = await this.backend.findWalletTransactionPaying(outputs, { sinceTimeS });
      } catch (error) {
        // Outputs the backend refuses to look for can never have been sent either.
        if (!(error instanceof InvalidValueError || error instanceof BadAddress)) throw error;
        outcomes.push(await this.#hold(id, `cannot be sent: ${oneLineReason(error)}`));
        continue;
      }
      if (txid === undefined) {
        outcomes.push(await this.#hold(id, notFoundReason));
        continue;
      }
      try {
        await this.ledger.markBroadcastClosed(id, txid);
      } catch (error) {
        const reason = `the node's ${txid} pays its outputs, but closing failed: ${oneLineReason(error)}`;
        outcomes.push(await this.#hold(id, reason));
        continue;
      }
      this.#logger.info('interrupted broadcast found on the node and closed', { id, txid });
      await this.#chargeFee(id, txid);
      outcomes.push({ networkTransactionId: id, result: 'closed', txid });
    }
    return outcomes;
  }

  async #hold(id: number, reason: string): Promise<ReconcileOutcome & { result: 'held' }> {
    await this.ledger.holdBroadcast(id, reason);
    this.#logger.warn('broadcast held for an operator', { id, reason });
    return { networkTransactionId: id, result: 'held', reason };
  }

  /** Sends a batch grouped but never opened (after a crash), or else a new batch. */
  async #broadcastNext(): Promise<BroadcastOutcome | undefined> {
    const [unopened] = await this.ledger.listUnopenedBroadcasts(this.wallet);
    const id =
      unopened?.networkTransaction.id ??
      (await this.ledger.prepareBroadcast(this.wallet, this.#batchSize))?.networkTransaction.id;
    if (id === undefined) return undefined;
    await this.#pauseAt?.('prepared');
    const outputs = await this.ledger.broadcastOutputs(id);
    await this.ledger.markBroadcastOpened(id);
    await this.#pauseAt?.('opened');
    let txid: string;
    try {
      txid = await this.backend.send(outputs);
    } catch (error) {
      const reason = `send failed: ${oneLineReason(error)}`;
      if (provesNothingSent(error)) return this.#hold(id, reason);
      this.#logger.error('send of unknown outcome; reconciling before the next send', {
        id,
        reason,
      });
      return { networkTransactionId: id, result: 'interrupted', reason };
    }
    await this.#pauseAt?.('sent');
    await this.ledger.markBroadcastClosed(id, txid);
    await this.#pauseAt?.('closed');
    const fee = await this.#chargeFee(id, txid);
    this.#logger.info('broadcast sent', { id, txid, outputs: outputs.length });
    return { networkTransactionId: id, result: 'sent', txid, fee, outputs: outputs.length };
  }

  /** Charges the broadcast's network fee once, from the node's top-level fee. */
  async #chargeFee(id: number, txid: string): Promise<bigint | undefined> {
    try {
      const fee = (await this.backend.getTransaction(txid))?.fee;
      if (fee === undefined) throw new InvalidValueError('fee', `the node has no fee for ${txid}`);
      await this.ledger.chargeNetworkFee({ wallet: this.wallet, networkTransactionId: id, fee });
      this.#feesOwed.delete(id);
      return fee;
    } catch (error) {
      this.#logger.warn('network fee not charged yet', { id, txid, error: oneLineReason(error) });
      if (this.#feesOwed.size < feesOwedMax) this.#feesOwed.set(id, txid);
      return undefined;
    }
  }

  /** Finds closed broadcasts whose fee a stopped process never charged, to charge them now. */
  async #collectFeesOwed(): Promise<void> {
    for (const network of await this.ledger.listBroadcastsWithoutFee(this.wallet, feesOwedMax)) {
      if (network.txid !== null && this.#feesOwed.size < feesOwedMax)
        this.#feesOwed.set(network.id, network.txid);
    }
  }

  async #chargeFeesOwed(): Promise<void> {
    for (const [id, txid] of [...this.#feesOwed]) await this.#chargeFee(id, txid);
  }
}

/** True when `owner` (`host:pid:nonce`) names a process of this host that is not running. */
export function isDeadLocalOwner(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  if (host !== hostname() || pidText === undefined || !/^\d{1,10}$/.test(pidText)) return false;
  const pid = Number(pidText);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
