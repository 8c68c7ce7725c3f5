// Public face of @cryptoassets/ledger: the books of each coin on SQLite or PostgreSQL.
export type { AuditMismatch, AuditReport } from './audit.js';
export { type Backend, OfflineBackend, type OfflineBackendOptions } from './backend.js';
export { type BackendFactory, createBackend } from './backends.js';
export {
  type Broadcast,
  type BroadcastOutput,
  type BroadcastStatus,
  holdReasonLengthMax,
  leaseDurationMsMax,
} from './broadcasts.js';
export {
  depositObservationsMax,
  type LedgerOptions,
  listLimitDefault,
  listLimitMax,
  receivedPerObservationMax,
} from './context.js';
export {
  type Database,
  type DialectName,
  type OpenDatabaseOptions,
  openDatabase,
  redact,
} from './database.js';
export type {
  DepositObservation,
  DepositObservationResult,
  DepositResult,
  DepositReversalResult,
  DepositUpdate,
  OpenDeposit,
} from './deposits.js';
export {
  AccountExists,
  BadAddress,
  BadTransactionState,
  CannotResolveDatabaseConflict,
  DatabaseError,
  DuplicateAddress,
  NoBackend,
  NotEnoughAccountBalance,
  NotFound,
  SameAccount,
} from './errors.js';
export {
  type CryptoassetsEvent,
  type DeadEvent,
  deadEventsListedMax,
  type EventDirection,
  EventOutbox,
  type EventOutboxOptions,
  eventBatchSizeMax,
  type FailedDelivery,
  type HandlerBacklog,
  handlerNameLengthMax,
  lastErrorLengthMax,
  type OutboxEvent,
  type PendingDelivery,
  type TxUpdateData,
  type TxUpdateEvent,
  txUpdateEventName,
} from './events.js';
export { Ledger, openLedger, type SendOptions, type TransferOptions } from './ledger.js';
export { migrateCoin } from './migrations.js';
export type { TransactionFilter } from './reads.js';
export type { Account, Address, NetworkTransaction, Transaction, Wallet } from './records.js';
export {
  ConflictResolver,
  isRetryableConflict,
  type ResolverCounters,
  type ResolverOptions,
} from './resolver.js';
export type {
  AccountKind,
  BroadcastHoldState,
  NetworkTransactionType,
  TransactionKind,
  TransactionState,
} from './schema.js';
export { networkFeeAccountName } from './wallets.js';
