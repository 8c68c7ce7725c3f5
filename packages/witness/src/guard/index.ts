// The witness guard: monitor, policy, key changes, and starting guards from the configuration.
export {
  type ActionContext,
  type ActionResult,
  changeKey,
  expirationS,
  type KeyChange,
  type KeyChangeVia,
  planKeyChange,
  signOperation,
} from './actions.js';
export {
  type DrillOptions,
  type DrillReport,
  drillAccount,
  drillStageIntervalsMax,
  runDrill,
} from './drill.js';
export {
  ChainIdMismatchError,
  WitnessKeyError,
  WitnessNotFoundError,
} from './errors.js';
export {
  blockWaitSlackIntervals,
  type GuardOptions,
  type GuardStatus,
  policySettings,
  pollMsMin,
  pollsPerBlock,
  type RunningGuard,
  startGuard,
} from './guard.js';
export { type GuardKeys, type KeystoreReader, resolveGuardKeys } from './keys.js';
export { readGuardStatus, type SetKeyResult, setSigningKey } from './manual.js';
export {
  initialMonitorState,
  type MonitorSettings,
  type MonitorState,
  type MonitorStep,
  type Observation,
  observe,
  ourUnfilledSlots,
  slotsScannedMax,
} from './monitor.js';
export {
  type Decision,
  decide,
  describeDecision,
  enableHint,
  isNullSigningKey,
  type MissCounters,
  nextKey,
  type PolicyInput,
  type PolicySettings,
} from './policy.js';
export {
  checkNodesChainId,
  notifyDrainMs,
  profileFor,
  startOneGuard,
  startWitnessGuards,
  type WitnessGuardDeps,
  type WitnessGuards,
} from './start.js';
