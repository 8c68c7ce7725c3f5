// Devnets on one machine: several nodes, a faucet, embedded devnets for the service.
export {
  blockIntervalMsMin,
  type Devnet,
  type DevnetNodeHandle,
  devnetFundingBlocks,
  devnetNodesMax,
  mineOn,
  type NodeStarter,
  type NodeStartOptions,
  rpcUrlOf,
  type StartDevnetOptions,
  startDevnet,
} from './devnet.js';
export {
  devnetDataDir,
  devnetDataDirDefault,
  type EmbeddedDevnets,
  embeddedBlockIntervalMsDefault,
  type StartEmbeddedOptions,
  startEmbeddedDevnets,
} from './embedded.js';
export {
  type DevnetInfo,
  devnetInfoFileName,
  devnetInfoPath,
  readDevnetInfo,
  removeDevnetInfo,
  writeDevnetInfo,
} from './info.js';
export {
  amountText,
  callDevnetRpc,
  DevnetRpcError,
  devnetRpcTimeoutMs,
} from './rpc-call.js';
