// Wires notifiers to a node: blocknotify per connected block, walletnotify per wallet
// transaction when it enters the mempool and when a block confirms it (as bitcoind does).
import type { Logger } from '@cryptoassets/core';
import type { BlockEvent, TxEvent } from '../chain.js';
import { Notifier } from './notifier.js';

/** The events a node's chain emits that notifications follow. */
export type NotifySource = {
  on(event: 'block', listener: (event: BlockEvent) => void): unknown;
  on(event: 'tx', listener: (event: TxEvent) => void): unknown;
  off(event: 'block', listener: (event: BlockEvent) => void): unknown;
  off(event: 'tx', listener: (event: TxEvent) => void): unknown;
};

export type WatchOptions = {
  readonly walletnotify?: string | undefined;
  readonly blocknotify?: string | undefined;
  /** True when the transaction pays or spends the node's wallet. */
  readonly isWalletTransaction: (event: TxEvent) => boolean;
  readonly logger?: Logger;
};

export type NotifyWatch = {
  readonly walletnotify: Notifier | undefined;
  readonly blocknotify: Notifier | undefined;
  /** Stops listening and lets notifications in flight finish. */
  stop(): Promise<void>;
};

export function watchForNotifications(source: NotifySource, options: WatchOptions): NotifyWatch {
  const logger = options.logger === undefined ? {} : { logger: options.logger };
  const walletnotify = options.walletnotify
    ? new Notifier({ target: options.walletnotify, field: 'txid', ...logger })
    : undefined;
  const blocknotify = options.blocknotify
    ? new Notifier({ target: options.blocknotify, field: 'blockhash', ...logger })
    : undefined;
  const onBlock = (event: BlockEvent): void => blocknotify?.notify(event.hash);
  const onTx = (event: TxEvent): void => {
    if (!walletnotify) return;
    try {
      if (options.isWalletTransaction(event)) walletnotify.notify(event.txid);
    } catch (error) {
      options.logger?.warn('walletnotify check failed', {
        txid: event.txid,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  if (blocknotify) source.on('block', onBlock);
  if (walletnotify) source.on('tx', onTx);
  return {
    walletnotify,
    blocknotify,
    stop: async () => {
      source.off('block', onBlock);
      source.off('tx', onTx);
      await Promise.all([walletnotify?.stop(), blocknotify?.stop()]);
    },
  };
}
