// Walletnotify listeners: HTTP, named pipe and Redis hints that a wallet transaction changed.
export { WalletnotifyRejected, WalletnotifyStartError } from './errors.js';
export { createHttpWalletnotifyListener, isLoopbackHost } from './http.js';
export type { ListenerState, WalletnotifyStats } from './intake.js';
export { type WalletnotifyLimits, walletnotifyLimitsDefault } from './limits.js';
export { createWalletnotifyListener } from './listener.js';
export {
  decodeUtf8,
  parseNotificationBody,
  parseNotificationLine,
  parseTxid,
  txidCharsLength,
} from './parse.js';
export { createPipeWalletnotifyListener } from './pipe.js';
export type { OnTxid } from './queue.js';
export { createRedisWalletnotifyListener, type RedisWalletnotifyListener } from './redis.js';
export type {
  HttpWalletnotifyConfig,
  PipeWalletnotifyConfig,
  RedisWalletnotifyConfig,
  WalletnotifyConfig,
  WalletnotifyListener,
  WalletnotifyListenerOptions,
} from './types.js';
