// A bounded queue that hands txids to the callback in arrival order, many at a time, so that
// txids arriving in a burst reach the updater together and share its batches.
import type { Logger } from '@cryptoassets/core';

export type OnTxid = (txid: string) => void | Promise<void>;

export type TxidQueue = {
  /** Queues a txid; false (and a log line) when the queue is full or closed. */
  push(txid: string): boolean;
  /** Stops taking txids, drops those still waiting and waits for the running callback. */
  close(): Promise<void>;
  /** Resolves once nothing is waiting or running (for tests and orderly shutdown). */
  idle(): Promise<void>;
  readonly length: number;
  readonly dropped: number;
};

export type TxidQueueOptions = {
  readonly onTxid: OnTxid;
  readonly logger: Logger;
  readonly queueLengthMax: number;
  /** Name of the listener, for log lines. */
  readonly source: string;
  /** Callbacks running at once (1..txidConcurrencyMax); 1 keeps strict arrival order. */
  readonly concurrency?: number;
};

/** Twice the updater's batch, so the next batch fills while one is being handled. */
export const txidConcurrencyDefault = 200;
export const txidConcurrencyMax = 1_000;

export function createTxidQueue(options: TxidQueueOptions): TxidQueue {
  const { onTxid, logger, queueLengthMax, source } = options;
  if (!Number.isInteger(queueLengthMax) || queueLengthMax < 1)
    throw new RangeError(`queueLengthMax must be a positive integer, got ${queueLengthMax}`);
  const concurrency = options.concurrency ?? txidConcurrencyDefault;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > txidConcurrencyMax)
    throw new RangeError(`concurrency must be 1..${txidConcurrencyMax}, got ${concurrency}`);
  const pending: string[] = [];
  let closed = false;
  let dropped = 0;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const runOne = async (txid: string): Promise<void> => {
    try {
      await onTxid(txid);
    } catch (error) {
      logger.error('walletnotify callback failed', {
        source,
        txid,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  const workers = new Set<Promise<void>>();
  const worker = async (): Promise<void> => {
    // Each pass takes one txid off the queue, so the loop ends after at most as many passes as
    // there were pushes; `closed` empties the queue.
    for (let txid = pending.shift(); txid !== undefined; txid = pending.shift()) {
      await runOne(txid);
    }
  };
  const startWorkers = (): void => {
    while (workers.size < concurrency && workers.size < pending.length) {
      const running = worker().finally(() => {
        workers.delete(running);
        if (workers.size === 0) settleIdle();
      });
      workers.add(running);
    }
  };

  return {
    push(txid) {
      if (closed) return false;
      if (pending.length >= queueLengthMax) {
        dropped++;
        logger.warn('walletnotify queue full, txid dropped', { source, txid, queueLengthMax });
        return false;
      }
      pending.push(txid);
      startWorkers();
      return true;
    },
    async close() {
      closed = true;
      const waiting = pending.length;
      pending.length = 0;
      if (waiting > 0)
        logger.warn('walletnotify stopping, queued txids dropped', { source, count: waiting });
      await Promise.all(workers);
    },
    idle() {
      if (workers.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get length() {
      return pending.length;
    },
    get dropped() {
      return dropped;
    },
  };
}
