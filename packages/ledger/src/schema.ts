// Table types of one coin's books. Every table name gets the coin's prefix (`ltc_account`...).
import type { ColumnType } from 'kysely';

/** Amounts: written as bigint, read back as bigint (SQLite) or a decimal string (PostgreSQL). */
type Amount = ColumnType<bigint | string, bigint, bigint>;
/** Timestamps: written as ISO-8601 text, read back as Date (PostgreSQL) or text (SQLite). */
type Timestamp = ColumnType<Date | string, string, string>;
/** Integer ids and counters: drivers may return number, bigint or string. */
type Id = ColumnType<number | bigint | string, never, never>;
type Ref = ColumnType<number | bigint | string, number, number>;

export type AccountKind = 'user' | 'network_fees';
export type NetworkTransactionType = 'deposit' | 'broadcast';
export type TransactionKind =
  | 'deposit'
  | 'internal'
  | 'send'
  | 'network_fee'
  | 'balance_import'
  /** Takes a deposit's credit back when its network transaction left the chain or conflicted. */
  | 'deposit_reversal'
  /** Credits a reversed deposit again once its network transaction is back at the threshold. */
  | 'deposit_recredit'
  /** Gives a voided (never sent) send back to its sender: a compensating credit. */
  | 'send_void';
export type TransactionState =
  | 'pending'
  | 'broadcasted'
  | 'incoming'
  | 'credited'
  | 'processed'
  /** A deposit whose credit a `deposit_reversal` took back (until a `deposit_recredit`). */
  | 'reversed'
  | 'deposit_reversal'
  | 'deposit_recredit'
  | 'internal'
  | 'network_fee'
  | 'balance_import'
  /** A send whose broadcast an operator voided, and the entry that gave it back. */
  | 'voided';

export type WalletTable = {
  id: Id;
  name: string;
  created_at: Timestamp;
};

export type AccountTable = {
  id: Id;
  wallet_id: Ref;
  name: string;
  kind: AccountKind;
  balance: Amount;
  /** Sum of the account's active holds: available = balance - held. */
  held: ColumnType<bigint | string, bigint | undefined, bigint>;
  created_at: Timestamp;
};

export type AddressTable = {
  id: Id;
  wallet_id: Ref;
  /** null for an external address (one we send to). */
  account_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  address: string;
  label: string | null;
  /** Credited deposits received at this address. */
  balance: Amount;
  archived_at: ColumnType<Date | string | null, string | null, string | null>;
  created_at: Timestamp;
};

export type NetworkTransactionTable = {
  id: Id;
  type: NetworkTransactionType;
  txid: string | null;
  confirmations: ColumnType<number | bigint | string, number, number>;
  opened_at: ColumnType<Date | string | null, string | null, string | null>;
  closed_at: ColumnType<Date | string | null, string | null, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
};

export type TransactionTable = {
  id: Id;
  wallet_id: Ref;
  kind: TransactionKind;
  state: TransactionState;
  amount: Amount;
  sending_account_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  receiving_account_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  address_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  network_transaction_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  label: string | null;
  created_at: Timestamp;
  credited_at: ColumnType<Date | string | null, string | null, string | null>;
  processed_at: ColumnType<Date | string | null, string | null, string | null>;
  /** The app's own id of the movement, unique per wallet when given. */
  reference: ColumnType<string | null, string | null | undefined, string | null>;
  /** A flat JSON object of string values, as text. */
  metadata: ColumnType<string | null, string | null | undefined, string | null>;
  /** The hold this transaction captured, for a capture. */
  hold_id: ColumnType<number | bigint | string | null, number | null | undefined, number | null>;
};

export type LedgerTables = {
  wallet: WalletTable;
  account: AccountTable;
  address: AddressTable;
  network_transaction: NetworkTransactionTable;
  transaction: TransactionTable;
  event: EventTable;
  event_cursor: EventCursorTable;
  event_failure: EventFailureTable;
  broadcast_hold: BroadcastHoldTable;
  lease: LeaseTable;
  hold: HoldTable;
  idempotency: IdempotencyTable;
};

export type HoldState = 'active' | 'captured' | 'released' | 'expired';

/** Funds reserved on an account: captured (moved) or released later, exactly once. */
export type HoldTable = {
  id: Id;
  wallet_id: Ref;
  account_id: Ref;
  amount: Amount;
  /** What a capture moved; 0 until then. */
  captured: Amount;
  state: HoldState;
  expires_at: ColumnType<Date | string | null, string | null, string | null>;
  reference: string | null;
  metadata: string | null;
  created_at: Timestamp;
  settled_at: ColumnType<Date | string | null, string | null, string | null>;
};

/** One row per idempotency key: what the request was and what it created. */
export type IdempotencyTable = {
  wallet_id: Ref;
  idempotency_key: string;
  operation: string;
  /** The request's parameters as canonical JSON, to tell a replay from a reuse. */
  request: string;
  transaction_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  hold_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  created_at: Timestamp;
};

export type BroadcastHoldState = 'held' | 'resolved' | 'voided';

/** A broadcast that needs an operator: held with a reason, later resolved (sent) or voided. */
export type BroadcastHoldTable = {
  network_transaction_id: Ref;
  state: BroadcastHoldState;
  reason: string;
  held_at: Timestamp;
  settled_at: ColumnType<Date | string | null, string | null, string | null>;
  updated_at: Timestamp;
};

/** A named lock with an owner and an expiry; free when missing or expired. */
export type LeaseTable = {
  name: string;
  owner: string;
  expires_at: Timestamp;
  acquired_at: Timestamp;
  updated_at: Timestamp;
};

/** The outbox: one row per event, written in the transaction of the change it describes. */
export type EventTable = {
  id: Id;
  name: string;
  /** The transaction the event is about, to tell whether an update changed anything. */
  transaction_id: ColumnType<number | bigint | string | null, number | null, number | null>;
  /** The event's data as JSON text; amounts in it are decimal strings. */
  payload: string;
  created_at: Timestamp;
};

/** Per handler: the id of the last event it is done with (delivered or dead). */
export type EventCursorTable = {
  handler: string;
  last_event_id: ColumnType<number | bigint | string, number, number>;
  updated_at: Timestamp;
};

/** Per handler and event: failed deliveries, the next try, and whether it gave up (dead). */
export type EventFailureTable = {
  handler: string;
  event_id: Ref;
  attempts: ColumnType<number | bigint | string, number, number>;
  next_attempt_at: Timestamp;
  last_error: string;
  /** Set when the event went dead: no more automatic attempts until it is redelivered. */
  dead_at: ColumnType<Date | string | null, string | null, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
};
