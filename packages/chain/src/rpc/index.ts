// The node's bitcoind-compatible JSON-RPC: method table, HTTP handler, exact JSON.
export { invalidParameter, RpcError, rpcErrorCodes, typeError } from './errors.js';
export {
  answer,
  createRpcBackendHandler,
  isRpcPath,
  type RpcAuth,
  type RpcBackendResolver,
  type RpcHandlerOptions,
  type RpcRequestHandler,
  rpcBodyBytesMax,
  walletNameCharsMax,
  walletOfPath,
} from './handler.js';
export {
  Coins,
  JsonDecimal,
  type JsonIn,
  type JsonOut,
  JsonSyntaxError,
  jsonDepthMax,
  parseJsonExact,
  rpcAmountDecimals,
  writeJson,
} from './json.js';
export { difficulty, type RpcMethod, rpcMethods, runMethod } from './methods.js';
export {
  createRpcHandler,
  type MountableNode,
  type NodeRpcMount,
  type NodeRpcMountOptions,
  nodeRpcMount,
  walletsDirName,
  walletsLoadedMax,
} from './mount.js';
export {
  forkSearchBlocksMax,
  type NodeRpcBackendOptions,
  nodeRpcBackend,
  type RpcNode,
  walletFailure,
} from './node-backend.js';
export { generateBlocksMax, listCountMax, readAmount, sendOutputsMax } from './params.js';
export { batchRequestsMax, parseRpcRequest } from './request.js';
export type {
  RpcBackend,
  RpcBlock,
  RpcSendOutput,
  RpcWalletEntry,
  RpcWalletRegistry,
  RpcWalletTransaction,
  WalletCategory,
} from './types.js';
