// The broadcaster: batched withdrawals, sent once, reconciled after a crash.
export {
  Broadcaster,
  type BroadcasterOptions,
  type BroadcasterRun,
  type BroadcastOutcome,
  type BroadcastPausePoint,
  broadcastBatchSizeDefault,
  broadcastBatchSizeMax,
  broadcastLeaseMsDefault,
  broadcastPausePoints,
  broadcastPeriodMsDefault,
  broadcastsPerRunMax,
  type ReconcileOutcome,
  reconcileMarginSDefault,
} from './broadcaster.js';
export { oneLineReason, provesNothingSent } from './send-outcome.js';
