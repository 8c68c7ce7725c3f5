// Public record types of the books and the mappers that read them from either database.
import { assert } from '@cryptoassets/core';
import type { Selectable } from 'kysely';
import type {
  AccountKind,
  AccountTable,
  AddressTable,
  HoldState,
  HoldTable,
  NetworkTransactionTable,
  NetworkTransactionType,
  TransactionKind,
  TransactionState,
  TransactionTable,
  WalletTable,
} from './schema.js';
import { type Metadata, parseMetadata } from './write/commands.js';

export type Wallet = { readonly id: number; readonly name: string; readonly createdAt: Date };

export type Account = {
  readonly id: number;
  readonly walletId: number;
  readonly name: string;
  readonly kind: AccountKind;
  /** Balance in minor units when the record was read. */
  readonly balance: bigint;
  /** Reserved by active holds; what transfers and sends may take is `balance - held`. */
  readonly held: bigint;
  readonly createdAt: Date;
};

export type Address = {
  readonly id: number;
  readonly walletId: number;
  /** The owning account; null for an external address. */
  readonly accountId: number | null;
  readonly address: string;
  readonly label: string | null;
  /** Credited deposits received at this address, in minor units. */
  readonly balance: bigint;
  readonly archivedAt: Date | null;
  readonly createdAt: Date;
};

export type NetworkTransaction = {
  readonly id: number;
  readonly type: NetworkTransactionType;
  readonly txid: string | null;
  readonly confirmations: number;
  readonly openedAt: Date | null;
  readonly closedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

export type Transaction = {
  readonly id: number;
  readonly walletId: number;
  readonly kind: TransactionKind;
  readonly state: TransactionState;
  readonly amount: bigint;
  readonly sendingAccountId: number | null;
  readonly receivingAccountId: number | null;
  readonly addressId: number | null;
  readonly networkTransactionId: number | null;
  readonly label: string | null;
  readonly createdAt: Date;
  readonly creditedAt: Date | null;
  readonly processedAt: Date | null;
  /** The app's own id of the movement, unique per wallet. */
  readonly reference: string | null;
  readonly metadata: Metadata | null;
  /** The hold a capture settled. */
  readonly holdId: number | null;
};

export type Hold = {
  readonly id: number;
  readonly walletId: number;
  readonly accountId: number;
  readonly amount: bigint;
  /** What the capture moved; 0 unless captured. */
  readonly captured: bigint;
  readonly state: HoldState;
  readonly expiresAt: Date | null;
  readonly reference: string | null;
  readonly metadata: Metadata | null;
  readonly createdAt: Date;
  readonly settledAt: Date | null;
};

export function toId(value: unknown): number {
  const id = Number(value);
  assert(Number.isSafeInteger(id) && id >= 0, `bad id from database: ${String(value)}`);
  return id;
}

export function toOptionalId(value: unknown): number | null {
  return value === null || value === undefined ? null : toId(value);
}

export function toAmount(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (value === null || value === undefined) return 0n;
  assert(typeof value === 'string' || typeof value === 'number', 'bad amount from database');
  return BigInt(value);
}

export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

export function toOptionalDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

export const mapWallet = (row: Selectable<WalletTable>): Wallet => ({
  id: toId(row.id),
  name: row.name,
  createdAt: toDate(row.created_at),
});

export const mapAccount = (row: Selectable<AccountTable>): Account => ({
  id: toId(row.id),
  walletId: toId(row.wallet_id),
  name: row.name,
  kind: row.kind,
  balance: toAmount(row.balance),
  held: toAmount(row.held),
  createdAt: toDate(row.created_at),
});

export const mapAddress = (row: Selectable<AddressTable>): Address => ({
  id: toId(row.id),
  walletId: toId(row.wallet_id),
  accountId: toOptionalId(row.account_id),
  address: row.address,
  label: row.label,
  balance: toAmount(row.balance),
  archivedAt: toOptionalDate(row.archived_at),
  createdAt: toDate(row.created_at),
});

export const mapNetworkTransaction = (
  row: Selectable<NetworkTransactionTable>,
): NetworkTransaction => ({
  id: toId(row.id),
  type: row.type,
  txid: row.txid,
  confirmations: Number(row.confirmations),
  openedAt: toOptionalDate(row.opened_at),
  closedAt: toOptionalDate(row.closed_at),
  createdAt: toDate(row.created_at),
  updatedAt: toDate(row.updated_at),
});

export const mapTransaction = (row: Selectable<TransactionTable>): Transaction => ({
  id: toId(row.id),
  walletId: toId(row.wallet_id),
  kind: row.kind,
  state: row.state,
  amount: toAmount(row.amount),
  sendingAccountId: toOptionalId(row.sending_account_id),
  receivingAccountId: toOptionalId(row.receiving_account_id),
  addressId: toOptionalId(row.address_id),
  networkTransactionId: toOptionalId(row.network_transaction_id),
  label: row.label,
  createdAt: toDate(row.created_at),
  creditedAt: toOptionalDate(row.credited_at),
  processedAt: toOptionalDate(row.processed_at),
  reference: row.reference ?? null,
  metadata: parseMetadata(row.metadata ?? null),
  holdId: toOptionalId(row.hold_id),
});

export const mapHold = (row: Selectable<HoldTable>): Hold => ({
  id: toId(row.id),
  walletId: toId(row.wallet_id),
  accountId: toId(row.account_id),
  amount: toAmount(row.amount),
  captured: toAmount(row.captured),
  state: row.state,
  expiresAt: toOptionalDate(row.expires_at),
  reference: row.reference,
  metadata: parseMetadata(row.metadata),
  createdAt: toDate(row.created_at),
  settledAt: toOptionalDate(row.settled_at),
});
