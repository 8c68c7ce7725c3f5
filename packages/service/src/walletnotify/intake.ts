// What every listener shares: counters, the rejection log (rate limited) and the txid queue.
import type { Logger } from '@cryptoassets/core';
import { WalletnotifyRejected } from './errors.js';
import { createTxidQueue, type OnTxid, type TxidQueue } from './queue.js';

/** At most one rejection is logged per interval; the rest are counted and summarised. */
export const rejectLogIntervalMs = 1_000;

export type ListenerState = 'stopped' | 'starting' | 'listening' | 'reconnecting' | 'stopping';

export type WalletnotifyStats = {
  /** Well-formed txids accepted from the outside. */
  readonly received: number;
  /** Notifications refused as malformed (bad txid, bad body, overlong line, ...). */
  readonly rejected: number;
  /** Well-formed txids dropped because the queue was full. */
  readonly dropped: number;
  readonly lastReceivedAt: Date | undefined;
  /** For Redis, `listening` means connected and subscribed; `reconnecting` means not. */
  readonly state: ListenerState;
};

export type Intake = {
  /** Parses with `parse`; queues the txid or counts and logs the rejection. */
  accept(parse: () => string): 'queued' | 'rejected' | 'dropped';
  /** Counts and logs a rejection found outside a parser (e.g. an overlong line). */
  reject(error: WalletnotifyRejected): void;
  readonly queue: TxidQueue;
  state: ListenerState;
  readonly stats: WalletnotifyStats;
};

export type IntakeOptions = {
  readonly onTxid: OnTxid;
  readonly logger: Logger;
  readonly queueLengthMax: number;
  readonly source: string;
  readonly now?: () => number;
};

export function createIntake(options: IntakeOptions): Intake {
  const { logger, source } = options;
  const now = options.now ?? Date.now;
  const queue = createTxidQueue(options);
  let received = 0;
  let rejected = 0;
  let lastReceivedAt: Date | undefined;
  let lastRejectLogMs = Number.NEGATIVE_INFINITY;
  let unloggedRejects = 0;

  const reject = (error: WalletnotifyRejected): void => {
    rejected++;
    const timeMs = now();
    if (timeMs - lastRejectLogMs < rejectLogIntervalMs) {
      unloggedRejects++;
      return;
    }
    lastRejectLogMs = timeMs;
    const fields: Record<string, unknown> = { source, reason: error.shortMessage };
    if (unloggedRejects > 0) fields.alsoRejectedSinceLastLog = unloggedRejects;
    unloggedRejects = 0;
    logger.warn('walletnotify input rejected', fields);
  };

  const intake: Intake = {
    accept(parse) {
      let txid: string;
      try {
        txid = parse();
      } catch (error) {
        if (!(error instanceof WalletnotifyRejected)) throw error;
        reject(error);
        return 'rejected';
      }
      received++;
      lastReceivedAt = new Date(now());
      return queue.push(txid) ? 'queued' : 'dropped';
    },
    reject,
    queue,
    state: 'stopped',
    get stats(): WalletnotifyStats {
      return { received, rejected, dropped: queue.dropped, lastReceivedAt, state: intake.state };
    },
  };
  return intake;
}
