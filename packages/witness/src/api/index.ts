// The chain API client: reads a witness, the head and the schedule from API nodes with failover.
export {
  broadcastBlockIntervalsMin,
  createChainClient,
  nodesMax,
  readRoundsMax,
  staleMarginMs,
  timeoutMsDefault,
} from './client.js';
export {
  BroadcastRejectedError,
  ChainResponseError,
  NodeRpcError,
  NodesUnreachableError,
  StaleChainError,
} from './errors.js';
export {
  parseBroadcastResult,
  parseChainId,
  parseHead,
  parseRequiredFee,
  parseRpcEnvelope,
  parseSchedule,
  parseWitness,
} from './parse.js';
export {
  requestBytesMax as apiRequestBytesMax,
  responseBytesMax as apiResponseBytesMax,
} from './transport.js';
export type {
  ChainClient,
  ChainClientOptions,
  HeadState,
  NodeHealth,
  Schedule,
  WitnessState,
} from './types.js';
