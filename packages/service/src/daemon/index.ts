// The daemon: every part of the service, started and stopped together.
export { ServicePartFailed } from './errors.js';
export { type Loop, type LoopOptions, startLoop } from './loop.js';
export {
  broadcastPeriodSDefault,
  confirmationPollSDefault,
  defaultWalletName,
  dispatcherStopWaitMs,
  pollFailuresInARowMax,
  type RunningService,
  type StartServiceOptions,
  serviceStopMsMax,
  startService,
  statusListRowsMax,
  statusNodeTimeoutMs,
} from './service.js';
