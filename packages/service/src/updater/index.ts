// The transaction updater: deposits from walletnotify hints, confirmation polls and rescans.
export { UpdaterBusy } from './errors.js';
export { receivedTxids } from './txids.js';
export {
  pollBatchSizeDefault,
  pollBatchSizeMax,
  type RescanOptions,
  type RescanProgress,
  type RescanResult,
  rescanTxidsMax,
  TransactionUpdater,
  type TransactionUpdaterOptions,
  type TxidUpdate,
  type TxidUpdateStatus,
  type UpdaterBackend,
  type UpdaterLedger,
  type UpdateSummary,
  updateBatchSizeDefault,
  updateBatchSizeMax,
  updatesWaitingMax,
} from './updater.js';
