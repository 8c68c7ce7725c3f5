// The books of one coin: a thin facade over the modules that keep them: wallets and accounts,
// addresses, money movements and holds (through the writer's group commit), broadcasts, leases,
// deposits and reads.
import type { CoinConfig } from '@cryptoassets/core';
import * as addresses from './addresses.js';
import type { AuditReport } from './audit.js';
import type { Backend } from './backend.js';
import * as holds from './broadcast-holds.js';
import * as queue from './broadcast-queue.js';
import type { Broadcast, BroadcastOutput } from './broadcasts.js';
import {
  type AccountRef,
  createLedgerContext,
  type LedgerContext,
  type LedgerOptions,
  listLimitDefault,
  type WalletRef,
} from './context.js';
import type {
  DepositObservation,
  DepositObservationResult,
  DepositResult,
  DepositReversalResult,
  DepositUpdate,
  OpenDeposit,
} from './deposits.js';
import * as deposits from './deposits.js';
import type { EventOutbox } from './events.js';
import * as leases from './leases.js';
import { migrateCoin } from './migrations.js';
import type {
  CaptureOptions,
  HoldFilter,
  HoldOptions,
  Moved,
  SendOptions,
  TransferManyResult,
  TransferOptions,
} from './money.js';
import * as money from './money.js';
import type { TransactionFilter } from './reads.js';
import * as reads from './reads.js';
import type { Account, Address, Hold, NetworkTransaction, Transaction, Wallet } from './records.js';
import type { ConflictResolver } from './resolver.js';
import type { LedgerTables } from './schema.js';
import * as wallets from './wallets.js';

/** Opens the books of one coin over an open database. Call `migrate()` once before use. */
export function openLedger(options: LedgerOptions): Ledger {
  return new Ledger(options);
}

export class Ledger {
  readonly coin: CoinConfig;
  readonly backend: Backend | undefined;
  readonly resolver: ConflictResolver<LedgerTables>;
  /** This coin's event outbox; deposits and closed broadcasts write `txupdate` events to it. */
  readonly events: EventOutbox;
  readonly #ctx: LedgerContext;

  constructor(options: LedgerOptions) {
    const ctx = createLedgerContext(options);
    this.#ctx = ctx;
    this.coin = ctx.coin;
    this.backend = ctx.backend;
    this.resolver = ctx.resolver;
    this.events = ctx.events;
  }

  /** Creates or upgrades this coin's tables; safe to run again. */
  migrate(): Promise<{ readonly applied: string[] }> {
    const { database } = this.#ctx;
    return migrateCoin({ db: database.kysely, dialect: database.dialect, coin: this.coin.symbol });
  }

  // ---- wallets and accounts (wallets.ts) ----------------------------------------------------

  /** Returns the wallet of that name, creating it (with its network fee account) if missing. */
  getOrCreateWallet(name: string): Promise<Wallet> {
    return wallets.getOrCreateWallet(this.#ctx, name);
  }

  getWallet(name: string): Promise<Wallet | undefined> {
    return wallets.getWallet(this.#ctx, name);
  }

  listWallets(): Promise<Wallet[]> {
    return wallets.listWallets(this.#ctx);
  }

  /** Sum of the wallet's account balances (derived on read; no row holds it). */
  walletTotal(wallet: WalletRef): Promise<bigint> {
    return wallets.walletTotal(this.#ctx, wallet);
  }

  createAccount(wallet: WalletRef, name: string): Promise<Account> {
    return wallets.createAccount(this.#ctx, wallet, name);
  }

  getAccount(wallet: WalletRef, name: string): Promise<Account | undefined> {
    return wallets.getAccount(this.#ctx, wallet, name);
  }

  /** Like `getAccount`, but a missing account is a `NotFound` error. */
  requireAccount(wallet: WalletRef, name: string): Promise<Account> {
    return wallets.requireAccount(this.#ctx, wallet, name);
  }

  getAccountById(id: number): Promise<Account | undefined> {
    return wallets.getAccountById(this.#ctx, id);
  }

  getOrCreateAccount(wallet: WalletRef, name: string): Promise<Account> {
    return wallets.getOrCreateAccount(this.#ctx, wallet, name);
  }

  listAccounts(wallet: WalletRef): Promise<Account[]> {
    return wallets.listAccounts(this.#ctx, wallet);
  }

  /** The wallet's special account that network fees are charged to. */
  getNetworkFeeAccount(wallet: WalletRef): Promise<Account> {
    return wallets.getNetworkFeeAccount(this.#ctx, wallet);
  }

  // ---- addresses (addresses.ts) -------------------------------------------------------------

  /** Asks the backend for a new address and records it as a receiving address of the account. */
  createReceivingAddress(
    account: AccountRef,
    options: { readonly label?: string } = {},
  ): Promise<Address> {
    return addresses.createReceivingAddress(this.#ctx, account, options);
  }

  /** Adds an existing address of the coin to the account; a duplicate is `DuplicateAddress`. */
  importAddress(
    account: AccountRef,
    address: string,
    options: { readonly label?: string } = {},
  ): Promise<Address> {
    return addresses.importAddress(this.#ctx, account, address, options);
  }

  /** Returns the wallet's record of an outside address, creating it if missing. */
  getOrCreateExternalAddress(wallet: WalletRef, address: string): Promise<Address> {
    return addresses.getOrCreateExternalAddress(this.#ctx, wallet, address);
  }

  /** Archives a receiving address: it keeps receiving, but is no longer listed by default. */
  archiveAddress(address: Pick<Address, 'id'>): Promise<Address> {
    return addresses.archiveAddress(this.#ctx, address);
  }

  /** Receiving addresses of a wallet, or of one account; archived ones only when asked. */
  listReceivingAddresses(options: {
    readonly wallet: WalletRef;
    readonly account?: Pick<Account, 'id'>;
    readonly includeArchived?: boolean;
  }): Promise<Address[]> {
    return addresses.listReceivingAddresses(this.#ctx, options);
  }

  getAddress(wallet: WalletRef, address: string): Promise<Address | undefined> {
    return addresses.getAddress(this.#ctx, wallet, address);
  }

  /** The account that owns a receiving address of the wallet, or undefined. */
  findAccountByAddress(wallet: WalletRef, address: string): Promise<Account | undefined> {
    return addresses.findAccountByAddress(this.#ctx, wallet, address);
  }

  isValidAddress(address: string): boolean {
    return addresses.isValidAddress(this.#ctx, address);
  }

  #checkAddress(address: string): void {
    addresses.checkAddress(this.#ctx, address);
  }

  // ---- moving money (money.ts, through the writer) -----------------------------------------

  /**
   * Moves an amount between two accounts of one wallet. Concurrent calls share one database
   * transaction (group commit); each gets its own result or error.
   */
  transfer(options: TransferOptions): Promise<Moved<Transaction>> {
    return money.transfer(this.#ctx, options);
  }

  /** Up to 8,000 transfers at once; `atomic`: all or none (see money.ts). */
  transferMany(
    transfers: readonly TransferOptions[],
    options: { readonly atomic?: boolean } = {},
  ): Promise<TransferManyResult[]> {
    return money.transferMany(this.#ctx, transfers, options);
  }

  /**
   * Sends to an address: an internal transfer when a receiving address of the same wallet owns
   * it (unless `forceExternal`), otherwise a `pending` external send, debited at once.
   */
  send(options: SendOptions): Promise<Moved<Transaction>> {
    return money.send(this.#ctx, options);
  }

  /** Queues an external send: validates, debits the account and records a `pending` transaction. */
  sendExternal(options: Omit<SendOptions, 'forceExternal'>): Promise<Moved<Transaction>> {
    return money.sendExternal(this.#ctx, options);
  }

  // ---- holds (money.ts) ---------------------------------------------------------------------

  /** Reserves an amount of the account's available balance (two-phase transfer, first phase). */
  hold(options: HoldOptions): Promise<Moved<Hold>> {
    return money.hold(this.#ctx, options);
  }

  /** Moves all or part of a hold to `to`; the rest is released and the hold ends. */
  captureHold(
    holdId: number,
    options: CaptureOptions,
  ): Promise<Moved<{ readonly hold: Hold; readonly transaction: Transaction }>> {
    return money.captureHold(this.#ctx, holdId, options);
  }

  /** Releases a hold of `wallet`: its amount is available again and the hold ends. */
  releaseHold(
    holdId: number,
    options: { readonly wallet: WalletRef; readonly idempotencyKey?: string },
  ): Promise<Moved<Hold>> {
    return money.releaseHold(this.#ctx, holdId, options);
  }

  /** Releases holds past their expiry (the service calls this), each with a `holdupdate`. */
  expireHolds(options: { readonly now?: Date } = {}): Promise<Hold[]> {
    return money.expireHolds(this.#ctx, options);
  }

  getHold(holdId: number): Promise<Hold | undefined> {
    return money.getHold(this.#ctx, holdId);
  }

  /** Like `getHold`, but a missing hold is a `NotFound` error. */
  requireHold(holdId: number): Promise<Hold> {
    return money.requireHold(this.#ctx, holdId);
  }

  /** Holds of a wallet or one account, newest first, optionally in one state. */
  listHolds(filter: HoldFilter): Promise<Hold[]> {
    return money.listHolds(this.#ctx, filter);
  }

  /** Batches the writer committed, the commands in them, and isolated retries (for status). */
  get writerCounters(): Readonly<{ batches: number; commands: number; fallbacks: number }> {
    return this.#ctx.writer.counters;
  }

  // ---- broadcasts (broadcast-queue.ts, broadcast-holds.ts) ---------------------------------

  /** External sends waiting to be broadcast, oldest first. */
  listPendingOutgoing(wallet: WalletRef, limit = listLimitDefault): Promise<Transaction[]> {
    return queue.listPendingOutgoing(this.#ctx, wallet, limit);
  }

  /**
   * Groups the wallet's pending external sends that no broadcast holds yet into a new broadcast
   * network transaction (no txid yet). Returns undefined when nothing is pending.
   */
  prepareBroadcast(
    wallet: WalletRef,
    limit = listLimitDefault,
  ): Promise<
    | { readonly networkTransaction: NetworkTransaction; readonly transactions: Transaction[] }
    | undefined
  > {
    return queue.prepareBroadcast(this.#ctx, wallet, limit);
  }

  /** Commits that a broadcast is about to be sent. Not retried: the caller must know it happened. */
  markBroadcastOpened(networkTransactionId: number): Promise<NetworkTransaction> {
    return queue.markBroadcastOpened(this.#ctx, networkTransactionId);
  }

  /** Commits the txid of a sent broadcast; its transactions become `broadcasted`. Not retried. */
  markBroadcastClosed(networkTransactionId: number, txid: string): Promise<NetworkTransaction> {
    return queue.markBroadcastClosed(this.#ctx, networkTransactionId, txid);
  }

  /** What a broadcast pays: its sends' amounts summed per address, in the order first seen. */
  broadcastOutputs(networkTransactionId: number): Promise<BroadcastOutput[]> {
    return queue.broadcastOutputs(this.#ctx, networkTransactionId);
  }

  /** A broadcast with its status, or undefined. */
  getBroadcast(networkTransactionId: number): Promise<Broadcast | undefined> {
    return queue.getBroadcast(this.#ctx, networkTransactionId);
  }

  /** Broadcasts grouped but never opened (a crash before opening): safe to send as they are. */
  listUnopenedBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return queue.listBroadcasts(this.#ctx, { wallet, status: 'prepared' });
  }

  /**
   * Broadcasts opened but never closed, that no operator holds yet: the process stopped between
   * committing `opened_at` and committing the txid. Reconcile them before sending anything new.
   */
  listInterruptedBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return queue.listBroadcasts(this.#ctx, { wallet, status: 'opened' });
  }

  /** Broadcasts opened and not closed: interrupted, in flight, or held for an operator. */
  listOpenBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return queue.listBroadcasts(this.#ctx, { wallet, status: 'open' });
  }

  /** Broadcasts waiting for an operator to `resolveBroadcast` or `voidBroadcast` them. */
  listHeldBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return queue.listBroadcasts(this.#ctx, { wallet, status: 'held' });
  }

  /** Closed broadcasts still below `confirmationsBelow` confirmations, oldest first. */
  listUnconfirmedBroadcasts(options: {
    readonly confirmationsBelow: number;
    readonly limit: number;
  }): Promise<NetworkTransaction[]> {
    return queue.listUnconfirmedBroadcasts(this.#ctx, options);
  }

  /** Records how deep a closed broadcast is (with `txupdate` events); returns whether it changed. */
  recordBroadcastConfirmations(options: {
    readonly networkTransactionId: number;
    readonly confirmations: number;
  }): Promise<boolean> {
    return queue.recordBroadcastConfirmations(this.#ctx, options);
  }

  /** Closed broadcasts of `wallet` whose network fee was never charged, newest first. */
  listBroadcastsWithoutFee(
    wallet: WalletRef,
    limit = listLimitDefault,
  ): Promise<NetworkTransaction[]> {
    return queue.listBroadcastsWithoutFee(this.#ctx, wallet, limit);
  }

  /** Marks an opened, unclosed broadcast as needing an operator, with the reason. */
  holdBroadcast(networkTransactionId: number, reason: string): Promise<Broadcast> {
    return holds.holdBroadcast(this.#ctx, networkTransactionId, reason);
  }

  /** An operator found that a held broadcast was sent as `txid`: closes it with that txid. */
  resolveBroadcast(networkTransactionId: number, txid: string): Promise<Broadcast> {
    return holds.resolveBroadcast(this.#ctx, networkTransactionId, txid);
  }

  /** An operator found that a held broadcast was never sent: gives each send back. */
  voidBroadcast(networkTransactionId: number): Promise<Transaction[]> {
    return holds.voidBroadcast(this.#ctx, networkTransactionId);
  }

  // ---- the broadcaster lease (leases.ts) ----------------------------------------------------

  /** Takes or renews the lease `name` for `owner`; false when another owner holds it. */
  acquireLease(options: {
    readonly name: string;
    readonly owner: string;
    readonly durationMs: number;
    /** Takes the lease from this owner even before it expires (its process is known dead). */
    readonly takeOverFrom?: string;
  }): Promise<boolean> {
    return leases.acquireLease(this.#ctx, options);
  }

  /** Gives the lease up if `owner` holds it; returns whether it did. */
  releaseLease(options: { readonly name: string; readonly owner: string }): Promise<boolean> {
    return leases.releaseLease(this.#ctx, options);
  }

  /** Who holds the lease until when; undefined when nobody ever took it or it was released. */
  getLease(
    name: string,
  ): Promise<{ readonly owner: string; readonly expiresAt: Date } | undefined> {
    return leases.getLease(this.#ctx, name);
  }

  /** Charges a broadcast's network fee to the wallet's fee account, once per broadcast. */
  chargeNetworkFee(options: {
    readonly wallet: WalletRef;
    readonly networkTransactionId: number;
    readonly fee: bigint;
  }): Promise<Transaction | undefined> {
    return money.chargeNetworkFee(this.#ctx, options);
  }

  /**
   * Imports the backend wallet's balance that no account holds yet into `account`, as a
   * `balance_import` transaction. Returns undefined when nothing is unaccounted.
   */
  importBalance(account: AccountRef): Promise<Transaction | undefined> {
    return money.importBalance(this.#ctx, account);
  }

  // ---- deposits (deposits.ts) ---------------------------------------------------------------

  /** Records what the network says about a deposit to one of our addresses (see deposits.ts). */
  recordDeposit(update: DepositUpdate): Promise<DepositResult | undefined> {
    return deposits.recordDeposit(this.#ctx, update);
  }

  /** Brings the books in line with the network's view of several transactions, in one commit. */
  recordDepositObservations(
    observations: readonly DepositObservation[],
  ): Promise<DepositObservationResult[]> {
    return deposits.recordDepositObservations(this.#ctx, observations);
  }

  /** Records a deposit's transaction below the crediting depth, taking back any credit. */
  reverseDeposit(update: {
    readonly txid: string;
    readonly confirmations: number;
  }): Promise<DepositReversalResult> {
    return deposits.reverseDeposit(this.#ctx, update);
  }

  /** Marks a credited deposit as processed by the app. Idempotent; an uncredited one is refused. */
  markProcessed(transactionId: number): Promise<Transaction> {
    return deposits.markProcessed(this.#ctx, transactionId);
  }

  /** Deposits of the wallet (optionally one account), newest first. */
  listDeposits(options: Omit<TransactionFilter, 'kind'>): Promise<Transaction[]> {
    return deposits.listDeposits(this.#ctx, options);
  }

  /** Deposits seen on the network but not yet credited. */
  listUnconfirmedDeposits(
    options: Omit<TransactionFilter, 'kind' | 'state'>,
  ): Promise<Transaction[]> {
    return deposits.listUnconfirmedDeposits(this.#ctx, options);
  }

  /** Sum of deposits seen but not yet credited, for a wallet or one account. */
  unconfirmedBalance(options: {
    readonly wallet: WalletRef;
    readonly account?: Pick<Account, 'id'>;
  }): Promise<bigint> {
    return deposits.unconfirmedBalance(this.#ctx, options);
  }

  /** Total received at an address in deposits with at least `confirmations` confirmations. */
  addressReceived(
    address: Pick<Address, 'id'>,
    options: { readonly confirmations: number },
  ): Promise<bigint> {
    return deposits.addressReceived(this.#ctx, address, options);
  }

  /** Deposit network transactions below `confirmationsBelow`, least recently updated first. */
  listOpenDeposits(options: {
    readonly confirmationsBelow: number;
    readonly limit: number;
  }): Promise<OpenDeposit[]> {
    return deposits.listOpenDeposits(this.#ctx, options);
  }

  // ---- reading (reads.ts) -------------------------------------------------------------------

  getTransaction(id: number): Promise<Transaction | undefined> {
    return reads.getTransaction(this.#ctx, id);
  }

  getNetworkTransaction(id: number): Promise<NetworkTransaction | undefined> {
    return reads.getNetworkTransaction(this.#ctx, id);
  }

  /** Transactions of a wallet, filtered by account (either side), kind and state; newest first. */
  listTransactions(filter: TransactionFilter): Promise<Transaction[]> {
    return reads.listTransactions(this.#ctx, filter);
  }

  /** Recomputes every account and address balance from the transactions. */
  audit(): Promise<AuditReport> {
    return reads.audit(this.#ctx);
  }
}
