// The shape shared by every walletnotify listener, and the configuration types it reads.
import type { BackendConfig, Logger } from '@cryptoassets/core';
import type { WalletnotifyStats } from './intake.js';
import type { WalletnotifyLimits } from './limits.js';
import type { OnTxid } from './queue.js';

type BitcoindBackendConfig = Extract<BackendConfig, { type: 'bitcoind' }>;
export type WalletnotifyConfig = NonNullable<BitcoindBackendConfig['walletnotify']>;
export type HttpWalletnotifyConfig = Extract<WalletnotifyConfig, { type: 'http' }>;
export type PipeWalletnotifyConfig = Extract<WalletnotifyConfig, { type: 'pipe' }>;
export type RedisWalletnotifyConfig = Extract<WalletnotifyConfig, { type: 'redis' }>;

/**
 * Receives walletnotify hints and hands each well-formed txid to `onTxid`, one at a time, in
 * arrival order. A listener is started once and stopped once.
 */
export type WalletnotifyListener = {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly stats: WalletnotifyStats;
};

export type WalletnotifyListenerOptions = {
  readonly onTxid: OnTxid;
  readonly logger: Logger;
  readonly limits?: Partial<WalletnotifyLimits>;
};
