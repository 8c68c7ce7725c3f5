// -walletnotify / -blocknotify for devnet nodes.
export {
  checkNotifyTarget,
  isUrlTarget,
  Notifier,
  type NotifierOptions,
  type NotifierStats,
  notifyConcurrencyMax,
  notifyQueueMax,
  notifyTargetCharsMax,
  notifyTimeoutMs,
} from './notifier.js';
export {
  type NotifySource,
  type NotifyWatch,
  type WatchOptions,
  watchForNotifications,
} from './watch.js';
