// Public face of @cryptoassets/service: the bitcoind backend, walletnotify listeners and events.

// bitcoind backend
export type {
  AddressAmount,
  BackendTransaction,
  NetworkBackend,
  SinceBlock,
  TransactionLookup,
  WalletEntry,
  WalletEntryCategory,
} from './backend.js';
export {
  BitcoindBackend,
  type BitcoindBackendOptions,
  createBitcoindBackend,
  sendOutputsMax,
  transactionLookupsMax,
  walletEntriesPageSize,
  walletEntriesScanMax,
} from './bitcoind/backend.js';
export {
  BitcoindConnectionError,
  BitcoindResponseError,
  BitcoindRpcError,
  bitcoindErrorCodes,
} from './bitcoind/errors.js';
export { type JsonValue, parseJsonKeepingDecimals } from './bitcoind/json.js';
export {
  type BatchAnswer,
  batchCallsMax,
  nonIdempotentMethods,
  RpcClient,
  type RpcClientOptions,
  requestBytesMax,
  responseBytesMax,
  retriesMax,
  retryDelayMsDefault,
  retryDelayMsMax,
  rpcTimeoutMsDefault,
} from './bitcoind/rpc-client.js';
// broadcaster: batched withdrawals, sent once, reconciled after a crash
export * from './broadcaster/index.js';
// the daemon and its status server
export * from './daemon/index.js';
// events: dispatcher, handlers and the listener for apps
export * from './events/index.js';
export * from './status/index.js';
// transaction updater (deposits)
export * from './updater/index.js';
// walletnotify listeners
export * from './walletnotify/index.js';
