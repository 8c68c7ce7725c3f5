// Test helpers for the devnet node.
export const chainTesting = 'chain';
export * from './devnet.js';
export { type MineSyncTemplate, mineSync, mineSyncNoncesMax } from './mine-sync.js';
export {
  heal,
  minerTagsOf,
  partition,
  startTestNetwork,
  type TestNetwork,
  type TestNetworkOptions,
  tempDataDir,
  testNodesMax,
  testP2pLimits,
  WaitTimeoutError,
  waitFor,
  waitForConvergence,
  waitTimeoutMsDefault,
} from './nodes.js';
