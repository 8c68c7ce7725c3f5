// The books of one coin: a facade over the modules that keep them (wallets, addresses,
// broadcasts, leases, deposits, reads), plus transfers, sends, network fees and balance imports.
// Every money movement runs in one serializable transaction through the conflict resolver.
import { assert, type CoinConfig, checkAmount, InvalidValueError } from '@cryptoassets/core';
import { sql } from 'kysely';
import * as addresses from './addresses.js';
import type { AuditReport } from './audit.js';
import type { Backend } from './backend.js';
import * as holds from './broadcast-holds.js';
import * as queue from './broadcast-queue.js';
import type { Broadcast, BroadcastOutput } from './broadcasts.js';
import { checkLabel } from './checks.js';
import {
  type AccountRef,
  createLedgerContext,
  type LedgerContext,
  type LedgerOptions,
  listLimitDefault,
  nowIso,
  requireBackend,
  type Tx,
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
import { insertTransaction, type TransactionValues } from './entries.js';
import { NotEnoughAccountBalance, NotFound, SameAccount } from './errors.js';
import type { EventOutbox } from './events.js';
import * as leases from './leases.js';
import { migrateCoin } from './migrations.js';
import { QueryTemplate } from './query-template.js';
import type { TransactionFilter } from './reads.js';
import * as reads from './reads.js';
import {
  type Account,
  type Address,
  mapTransaction,
  type NetworkTransaction,
  type Transaction,
  toAmount,
  type Wallet,
} from './records.js';
import type { ConflictResolver, StatementRunner } from './resolver.js';
import type { LedgerTables } from './schema.js';
import * as wallets from './wallets.js';

type TransferStatements = ReturnType<typeof compileTransferStatements>;

export type TransferOptions = {
  readonly from: AccountRef;
  readonly to: AccountRef;
  /** Minor units, greater than zero. */
  readonly amount: bigint;
  readonly label?: string;
  /** Let the sender's balance go below zero (off by default). */
  readonly allowNegativeBalance?: boolean;
};

export type SendOptions = {
  readonly from: AccountRef;
  readonly address: string;
  readonly amount: bigint;
  readonly label?: string;
  /** Send over the network even when the address belongs to this wallet. */
  readonly forceExternal?: boolean;
};

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
  readonly #statements: TransferStatements;

  constructor(options: LedgerOptions) {
    const ctx = createLedgerContext(options);
    this.#ctx = ctx;
    this.coin = ctx.coin;
    this.backend = ctx.backend;
    this.resolver = ctx.resolver;
    this.events = ctx.events;
    this.#statements = compileTransferStatements(ctx.db);
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

  // ---- moving money --------------------------------------------------------------------------

  /** Moves an amount between two accounts of one wallet. */
  async transfer(options: TransferOptions): Promise<Transaction> {
    const { from, to } = options;
    const amount = checkAmount(options.amount, 'amount');
    if (options.label !== undefined) checkLabel(options.label);
    if (from.id === to.id) throw new SameAccount(from.name);
    if (from.walletId !== to.walletId)
      throw new InvalidValueError('to', `account ${to.name} is in another wallet`);
    return this.resolver.managed('transfer', async (tx, _attempt, run) => {
      await this.#debit(tx, run, from, amount, options.allowNegativeBalance ?? false);
      const credited = await run(this.#statements.credit.bind(amount, to.id, from.walletId));
      if (credited.numAffectedRows !== 1n) throw new NotFound(`account ${JSON.stringify(to.name)}`);
      const inserted = await run(
        this.#statements.insertInternal.bind(
          from.walletId,
          amount,
          from.id,
          to.id,
          options.label ?? null,
          nowIso(),
        ),
      );
      const row = inserted.rows[0];
      assert(row !== undefined, 'transfer: the insert returned no row');
      return mapTransaction(row);
    });
  }

  /** Takes `amount` from the account, refusing to go below zero unless allowed. */
  async #debit(
    tx: Tx,
    run: StatementRunner,
    account: AccountRef,
    amount: bigint,
    allowNegative: boolean,
  ): Promise<void> {
    const debit = allowNegative ? this.#statements.debitAllowingNegative : this.#statements.debit;
    const result = await run(debit.bind(amount, account.id, account.walletId));
    if (result.numAffectedRows === 1n) return;
    const exists = await tx
      .selectFrom('account')
      .select('id')
      .where('id', '=', account.id)
      .executeTakeFirst();
    if (!exists) throw new NotFound(`account ${JSON.stringify(account.name)}`);
    throw new NotEnoughAccountBalance(account.name);
  }

  /**
   * Sends to an address: an internal transfer when a receiving address of the same wallet owns
   * it (unless `forceExternal`), otherwise a `pending` external send, debited at once.
   */
  async send(options: SendOptions): Promise<Transaction> {
    this.#checkAddress(options.address);
    if (!options.forceExternal) {
      const owner = await this.findAccountByAddress({ id: options.from.walletId }, options.address);
      if (owner) {
        return this.transfer({
          from: options.from,
          to: owner,
          amount: options.amount,
          ...(options.label === undefined ? {} : { label: options.label }),
        });
      }
    }
    return this.sendExternal(options);
  }

  /** Queues an external send: validates, debits the account and records a `pending` transaction. */
  async sendExternal(options: Omit<SendOptions, 'forceExternal'>): Promise<Transaction> {
    const amount = checkAmount(options.amount, 'amount');
    this.#checkAddress(options.address);
    if (options.label !== undefined) checkLabel(options.label);
    this.#requireBackend();
    const { from } = options;
    return this.resolver.managed('send', async (tx, _attempt, run) => {
      await this.#debit(tx, run, from, amount, false);
      const address = await this.#externalAddress(tx, from.walletId, options.address);
      return this.#insertTransaction(tx, {
        wallet_id: from.walletId,
        kind: 'send',
        state: 'pending',
        amount,
        sending_account_id: from.id,
        address_id: address.id,
        label: options.label ?? null,
      });
    });
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
  async chargeNetworkFee(options: {
    readonly wallet: WalletRef;
    readonly networkTransactionId: number;
    readonly fee: bigint;
  }): Promise<Transaction | undefined> {
    const fee = checkAmount(options.fee, 'fee', 'non-negative');
    if (fee === 0n) return undefined;
    const feeAccount = await this.getNetworkFeeAccount(options.wallet);
    return this.resolver.managed('charge network fee', async (tx, _attempt, run) => {
      const existing = await tx
        .selectFrom('transaction')
        .selectAll()
        .where('kind', '=', 'network_fee')
        .where('network_transaction_id', '=', options.networkTransactionId)
        .executeTakeFirst();
      if (existing) return mapTransaction(existing);
      await this.#debit(tx, run, feeAccount, fee, true);
      return this.#insertTransaction(tx, {
        wallet_id: options.wallet.id,
        kind: 'network_fee',
        state: 'network_fee',
        amount: fee,
        sending_account_id: feeAccount.id,
        network_transaction_id: options.networkTransactionId,
        label: null,
      });
    });
  }

  /**
   * Imports the backend wallet's balance that no account holds yet into `account`, as a
   * `balance_import` transaction. Returns undefined when nothing is unaccounted.
   */
  async importBalance(account: AccountRef): Promise<Transaction | undefined> {
    const backendBalance = await this.#requireBackend().getBalance();
    return this.resolver.managed('import balance', async (tx) => {
      const accounted = await this.#accountedMinor(tx, account.walletId);
      const unaccounted = backendBalance - accounted;
      if (unaccounted <= 0n) return undefined;
      await tx
        .updateTable('account')
        .set({ balance: sql`balance + ${unaccounted}` })
        .where('id', '=', account.id)
        .execute();
      return this.#insertTransaction(tx, {
        wallet_id: account.walletId,
        kind: 'balance_import',
        state: 'balance_import',
        amount: unaccounted,
        receiving_account_id: account.id,
        label: 'balance import',
      });
    });
  }

  /** What the backend wallet should hold for these books: balances plus sends not yet broadcast. */
  async #accountedMinor(tx: Tx, walletId: number): Promise<bigint> {
    const balances = await tx
      .selectFrom('account')
      .select((eb) => eb.fn.sum<string | bigint>('balance').as('total'))
      .where('wallet_id', '=', walletId)
      .executeTakeFirst();
    const pending = await tx
      .selectFrom('transaction')
      .select((eb) => eb.fn.sum<string | bigint>('amount').as('total'))
      .where('wallet_id', '=', walletId)
      .where('kind', '=', 'send')
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return toAmount(balances?.total ?? 0n) + toAmount(pending?.total ?? 0n);
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

  // ---- helpers of the money movements above -------------------------------------------------

  #requireBackend(): Backend {
    return requireBackend(this.#ctx);
  }

  #externalAddress(tx: Tx, walletId: number, address: string): Promise<Address> {
    return addresses.externalAddress(tx, walletId, address);
  }

  #insertTransaction(tx: Tx, values: TransactionValues): Promise<Transaction> {
    return insertTransaction(tx, values);
  }
}

// Markers for the parameters of the compiled statements; no constant of theirs equals one.
const amountMarker = -1n;
const accountMarker = -1;
const otherAccountMarker = -2;
const walletMarker = -3;
const labelMarker = '\u0000label';
const timeMarker = '\u0000time';

/** The statements of a transfer (and of every debit), compiled once per ledger. */
function compileTransferStatements(db: Tx) {
  const debit = (allowNegative: boolean) => {
    let query = db
      .updateTable('account')
      .set({ balance: sql`balance - ${amountMarker}` })
      .where('id', '=', accountMarker)
      .where('wallet_id', '=', walletMarker);
    if (!allowNegative) query = query.where('balance', '>=', amountMarker);
    return new QueryTemplate(query, [amountMarker, accountMarker, walletMarker]);
  };
  const credit = db
    .updateTable('account')
    .set({ balance: sql`balance + ${amountMarker}` })
    .where('id', '=', accountMarker)
    .where('wallet_id', '=', walletMarker);
  const insertInternal = db
    .insertInto('transaction')
    .values({
      wallet_id: walletMarker,
      kind: 'internal',
      state: 'internal',
      amount: amountMarker,
      sending_account_id: accountMarker,
      receiving_account_id: otherAccountMarker,
      address_id: null,
      network_transaction_id: null,
      label: labelMarker,
      created_at: timeMarker,
      credited_at: null,
      processed_at: null,
    })
    .returningAll();
  return {
    debit: debit(false),
    debitAllowingNegative: debit(true),
    credit: new QueryTemplate(credit, [amountMarker, accountMarker, walletMarker]),
    insertInternal: new QueryTemplate(insertInternal, [
      walletMarker,
      amountMarker,
      accountMarker,
      otherAccountMarker,
      labelMarker as string | null,
      timeMarker,
    ]),
  };
}
