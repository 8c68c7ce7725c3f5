// The simnet: a local simulated Graphene DPoS chain served over HTTP JSON-RPC.
export { blocksKeptMax, blockTxMax, pendingTxMax, txIdsKeptMax } from './chain.js';
export { requestBytesMax, requestsInFlightMax } from './server.js';
export {
  apiNodesMax,
  balanceDefault,
  blockIntervalMsMin,
  startSimnet,
  witnessesMax,
  witnessesMin,
  witnessUpdateFeeDefault,
} from './simnet.js';
export type {
  MissReason,
  SimApiNode,
  Simnet,
  SimnetEvent,
  SimnetOptions,
  SimnetWitnessSpec,
  SimServerInfo,
  SimServerSpec,
} from './types.js';
export { expirationAheadMsMax } from './verify.js';
