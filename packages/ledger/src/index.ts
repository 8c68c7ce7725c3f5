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
  type HoldUpdateData,
  type HoldUpdateEvent,
  handlerNameLengthMax,
  holdUpdateEventName,
  lastErrorLengthMax,
  type OutboxEvent,
  type PendingDelivery,
  type TxUpdateData,
  type TxUpdateEvent,
  txUpdateEventName,
  txUpdateOf,
  txUpdatesOf,
} from './events.js';
export { Ledger, openLedger } from './ledger.js';
export { migrateCoin } from './migrations.js';
export {
  type CaptureOptions,
  expiredHoldsPerCallMax,
  type HoldFilter,
  type HoldOptions,
  holdExpiresInSMax,
  type Moved,
  type SendOptions,
  type TransferManyResult,
  type TransferOptions,
} from './money.js';
export type { TransactionFilter } from './reads.js';
export type { Account, Address, Hold, NetworkTransaction, Transaction, Wallet } from './records.js';
export {
  ConflictResolver,
  isRetryableConflict,
  type ResolverCounters,
  type ResolverOptions,
} from './resolver.js';
export type {
  AccountKind,
  BroadcastHoldState,
  HoldState,
  NetworkTransactionType,
  TransactionKind,
  TransactionState,
} from './schema.js';
export { networkFeeAccountName } from './wallets.js';
export {
  checkIdempotencyKey,
  checkMetadata,
  checkReference,
  idempotencyKeyLengthMax,
  type Metadata,
  type MoveOptions,
  metadataBytesMax,
  referenceLengthMax,
} from './write/commands.js';
export {
  AtomicBatchRefused,
  DuplicateReference,
  HoldNotActive,
  IdempotencyKeyReused,
  WriteQueueFull,
} from './write/errors.js';
export { commandsPerBatchMax, queuedCommandsMax } from './write/writer.js';
