// The books of one coin: wallets, accounts, addresses, deposits, sends, fees and totals.
// Every money movement runs in one serializable transaction through the conflict resolver.
import { randomBytes } from 'node:crypto';
import {
  assert,
  type CoinConfig,
  checkAmount,
  formatAmount,
  InvalidValueError,
  isValidAddress,
} from '@cryptoassets/core';
import { type Kysely, sql } from 'kysely';
import { type AuditReport, auditBooks } from './audit.js';
import type { Backend } from './backend.js';
import {
  type Broadcast,
  type BroadcastOutput,
  broadcastStatus,
  checkLease,
  holdReasonLengthMax,
  leaseDurationMsMax,
  optionalDate,
} from './broadcasts.js';
import type { Database } from './database.js';
import { compileDepositStatements, type DepositStatements } from './deposit-statements.js';
import {
  AccountExists,
  BadAddress,
  BadTransactionState,
  DuplicateAddress,
  NoBackend,
  NotEnoughAccountBalance,
  NotFound,
  SameAccount,
} from './errors.js';
import { EventOutbox } from './events.js';
import { migrateCoin } from './migrations.js';
import { QueryTemplate } from './query-template.js';
import {
  type Account,
  type Address,
  mapAccount,
  mapAddress,
  mapNetworkTransaction,
  mapTransaction,
  mapWallet,
  type NetworkTransaction,
  type Transaction,
  toAmount,
  toId,
  type Wallet,
} from './records.js';
import { ConflictResolver, type ResolverOptions, type StatementRunner } from './resolver.js';
import type { LedgerTables, TransactionState } from './schema.js';
import { TablePrefixPlugin } from './table-prefix.js';

export const networkFeeAccountName = 'Network fees';
export const listLimitDefault = 100;
export const listLimitMax = 10_000;
const nameLengthMax = 128;
const labelLengthMax = 256;
const txidLengthMax = 128;
const confirmationsMax = 1_000_000_000;
/** Most observations `recordDepositObservations` takes in one transaction. */
export const depositObservationsMax = 1_000;
/** Most receiving addresses one observed transaction may pay. */
export const receivedPerObservationMax = 10_000;

type Tx = Kysely<LedgerTables>;
type TransferStatements = ReturnType<typeof compileTransferStatements>;
type AccountRef = Pick<Account, 'id' | 'walletId' | 'name'>;
type WalletRef = Pick<Wallet, 'id'>;

export type LedgerOptions = {
  readonly database: Database;
  readonly coin: CoinConfig;
  /** The coin's network; undefined for bookkeeping alone. */
  readonly backend?: Backend | undefined;
  readonly resolver?: ResolverOptions;
};

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

export type DepositUpdate = {
  readonly txid: string;
  readonly address: string;
  /** Minor units received at the address in this network transaction. */
  readonly amount: bigint;
  readonly confirmations: number;
};

export type DepositResult = {
  readonly transaction: Transaction;
  readonly networkTransaction: NetworkTransaction;
  /** True when this update credited the account (it happens once per deposit). */
  readonly creditedNow: boolean;
};

/** A deposit network transaction still worth asking the network about. */
export type OpenDeposit = {
  readonly networkTransactionId: number;
  readonly txid: string;
  /** As last recorded; negative when the network reported it conflicted. */
  readonly confirmations: number;
};

/** The network's view of one transaction that may pay our addresses. */
export type DepositObservation = {
  readonly txid: string;
  /** As the node reports them: 0 in the mempool, negative when conflicted. */
  readonly confirmations: number;
  /** Minor units received per address (one entry per address); unknown addresses are ignored. */
  readonly received: readonly { readonly address: string; readonly amount: bigint }[];
};

export type DepositObservationResult = {
  readonly txid: string;
  readonly confirmations: number;
  /** Deposits of the books in this transaction after the update (one per receiving address). */
  readonly deposits: number;
  /** Deposits this update credited. */
  readonly creditedNow: number;
  /** Deposits whose credit this update took back. */
  readonly reversedNow: readonly Transaction[];
};

export type DepositReversalResult = {
  /** Undefined when the books hold no deposit of that txid. */
  readonly networkTransaction: NetworkTransaction | undefined;
  /** Every deposit of the network transaction, after the update. */
  readonly deposits: readonly Transaction[];
  /** Our receiving addresses those deposits went to. */
  readonly addresses: readonly string[];
  /** The deposits whose credit this call took back. */
  readonly reversedNow: readonly Transaction[];
};

export type TransactionFilter = {
  readonly wallet: WalletRef;
  readonly account?: Pick<Account, 'id'>;
  readonly state?: TransactionState;
  readonly kind?: Transaction['kind'];
  readonly limit?: number;
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
  readonly #database: Database;
  readonly #db: Tx;
  readonly #statements: TransferStatements;
  readonly #deposits: DepositStatements;

  constructor(options: LedgerOptions) {
    this.coin = options.coin;
    this.backend = options.backend;
    this.#database = options.database;
    this.#db = (options.database.kysely as Kysely<LedgerTables>).withPlugin(
      new TablePrefixPlugin(`${options.coin.symbol}_`),
    );
    this.resolver = new ConflictResolver(
      this.#db,
      options.database.dialect,
      options.resolver,
      options.database.sqlite,
    );
    this.#statements = compileTransferStatements(this.#db);
    this.#deposits = compileDepositStatements(this.#db);
    const { coin, database } = options;
    this.events = new EventOutbox({
      db: this.#db,
      resolver: this.resolver,
      dialect: database.dialect,
      coin,
    });
  }

  /** Creates or upgrades this coin's tables; safe to run again. */
  migrate(): Promise<{ readonly applied: string[] }> {
    return migrateCoin({
      db: this.#database.kysely,
      dialect: this.#database.dialect,
      coin: this.coin.symbol,
    });
  }

  // ---- wallets -------------------------------------------------------------------------------

  /** Returns the wallet of that name, creating it (with its network fee account) if missing. */
  async getOrCreateWallet(name: string): Promise<Wallet> {
    checkName(name, 'wallet');
    const existing = await this.getWallet(name);
    if (existing) return existing;
    return this.resolver.managed('create wallet', async (tx) => {
      const now = nowIso();
      await tx
        .insertInto('wallet')
        .values({ name, created_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const wallet = mapWallet(
        await tx
          .selectFrom('wallet')
          .selectAll()
          .where('name', '=', name)
          .executeTakeFirstOrThrow(),
      );
      await tx
        .insertInto('account')
        .values({
          wallet_id: wallet.id,
          name: networkFeeAccountName,
          kind: 'network_fees',
          balance: 0n,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['wallet_id', 'name']).doNothing())
        .execute();
      return wallet;
    });
  }

  async getWallet(name: string): Promise<Wallet | undefined> {
    const row = await this.#db
      .selectFrom('wallet')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? mapWallet(row) : undefined;
  }

  async listWallets(): Promise<Wallet[]> {
    return (
      await this.#db.selectFrom('wallet').selectAll().orderBy('id').limit(listLimitMax).execute()
    ).map(mapWallet);
  }

  /** Sum of the wallet's account balances (derived on read; no row holds it). */
  async walletTotal(wallet: WalletRef): Promise<bigint> {
    const row = await this.#db
      .selectFrom('account')
      .select((eb) => eb.fn.sum<string | bigint>('balance').as('total'))
      .where('wallet_id', '=', wallet.id)
      .executeTakeFirst();
    return toAmount(row?.total ?? 0n);
  }

  // ---- accounts ------------------------------------------------------------------------------

  async createAccount(wallet: WalletRef, name: string): Promise<Account> {
    checkName(name, 'account');
    return this.resolver.managed('create account', async (tx) => {
      const existing = await tx
        .selectFrom('account')
        .select('id')
        .where('wallet_id', '=', wallet.id)
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) throw new AccountExists(name);
      const row = await tx
        .insertInto('account')
        .values({ wallet_id: wallet.id, name, kind: 'user', balance: 0n, created_at: nowIso() })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapAccount(row);
    });
  }

  async getAccount(wallet: WalletRef, name: string): Promise<Account | undefined> {
    const row = await this.#db
      .selectFrom('account')
      .selectAll()
      .where('wallet_id', '=', wallet.id)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? mapAccount(row) : undefined;
  }

  /** Like `getAccount`, but a missing account is a `NotFound` error. */
  async requireAccount(wallet: WalletRef, name: string): Promise<Account> {
    const account = await this.getAccount(wallet, name);
    if (!account) throw new NotFound(`account ${JSON.stringify(name)}`);
    return account;
  }

  async getAccountById(id: number): Promise<Account | undefined> {
    const row = await this.#db
      .selectFrom('account')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? mapAccount(row) : undefined;
  }

  async getOrCreateAccount(wallet: WalletRef, name: string): Promise<Account> {
    const existing = await this.getAccount(wallet, name);
    if (existing) return existing;
    try {
      return await this.createAccount(wallet, name);
    } catch (error) {
      if (error instanceof AccountExists) return this.requireAccount(wallet, name);
      throw error;
    }
  }

  async listAccounts(wallet: WalletRef): Promise<Account[]> {
    const rows = await this.#db
      .selectFrom('account')
      .selectAll()
      .where('wallet_id', '=', wallet.id)
      .orderBy('id')
      .limit(listLimitMax)
      .execute();
    return rows.map(mapAccount);
  }

  /** The wallet's special account that network fees are charged to. */
  async getNetworkFeeAccount(wallet: WalletRef): Promise<Account> {
    const row = await this.#db
      .selectFrom('account')
      .selectAll()
      .where('wallet_id', '=', wallet.id)
      .where('kind', '=', 'network_fees')
      .executeTakeFirst();
    if (!row) throw new NotFound(`network fee account of wallet ${wallet.id}`);
    return mapAccount(row);
  }

  // ---- addresses -----------------------------------------------------------------------------

  /** Asks the backend for a new address and records it as a receiving address of the account. */
  async createReceivingAddress(
    account: AccountRef,
    options: { readonly label?: string } = {},
  ): Promise<Address> {
    const backend = this.#requireBackend();
    const label = options.label ?? `${account.name}-${randomBytes(6).toString('hex')}`;
    checkLabel(label);
    const address = await backend.createAddress({ label });
    assert(
      this.isValidAddress(address),
      `backend ${backend.type} returned an invalid address ${address}`,
    );
    return this.importAddress(account, address, { label });
  }

  /** Adds an existing address of the coin to the account; a duplicate is `DuplicateAddress`. */
  async importAddress(
    account: AccountRef,
    address: string,
    options: { readonly label?: string } = {},
  ): Promise<Address> {
    this.#checkAddress(address);
    if (options.label !== undefined) checkLabel(options.label);
    return this.resolver.managed('import address', async (tx) => {
      const existing = await tx
        .selectFrom('address')
        .select('id')
        .where('wallet_id', '=', account.walletId)
        .where('address', '=', address)
        .executeTakeFirst();
      if (existing) throw new DuplicateAddress(address);
      const row = await tx
        .insertInto('address')
        .values({
          wallet_id: account.walletId,
          account_id: account.id,
          address,
          label: options.label ?? null,
          balance: 0n,
          archived_at: null,
          created_at: nowIso(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapAddress(row);
    });
  }

  /** Returns the wallet's record of an outside address, creating it if missing. */
  async getOrCreateExternalAddress(wallet: WalletRef, address: string): Promise<Address> {
    this.#checkAddress(address);
    return this.resolver.managed('external address', (tx) =>
      this.#externalAddress(tx, wallet.id, address),
    );
  }

  async #externalAddress(tx: Tx, walletId: number, address: string): Promise<Address> {
    await tx
      .insertInto('address')
      .values({
        wallet_id: walletId,
        account_id: null,
        address,
        label: null,
        balance: 0n,
        archived_at: null,
        created_at: nowIso(),
      })
      .onConflict((oc) => oc.columns(['wallet_id', 'address']).doNothing())
      .execute();
    const row = await tx
      .selectFrom('address')
      .selectAll()
      .where('wallet_id', '=', walletId)
      .where('address', '=', address)
      .executeTakeFirstOrThrow();
    return mapAddress(row);
  }

  /** Archives a receiving address: it keeps receiving, but is no longer listed by default. */
  async archiveAddress(address: Pick<Address, 'id'>): Promise<Address> {
    return this.resolver.managed('archive address', async (tx) => {
      const row = await tx
        .updateTable('address')
        .set({ archived_at: nowIso() })
        .where('id', '=', address.id)
        .where('archived_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row) return mapAddress(row);
      const current = await tx
        .selectFrom('address')
        .selectAll()
        .where('id', '=', address.id)
        .executeTakeFirst();
      if (!current) throw new NotFound(`address ${address.id}`);
      return mapAddress(current);
    });
  }

  /** Receiving addresses of a wallet, or of one account; archived ones only when asked. */
  async listReceivingAddresses(options: {
    readonly wallet: WalletRef;
    readonly account?: Pick<Account, 'id'>;
    readonly includeArchived?: boolean;
  }): Promise<Address[]> {
    let query = this.#db
      .selectFrom('address')
      .selectAll()
      .where('wallet_id', '=', options.wallet.id)
      .where('account_id', 'is not', null);
    if (options.account) query = query.where('account_id', '=', options.account.id);
    if (!options.includeArchived) query = query.where('archived_at', 'is', null);
    return (await query.orderBy('id').limit(listLimitMax).execute()).map(mapAddress);
  }

  async getAddress(wallet: WalletRef, address: string): Promise<Address | undefined> {
    const row = await this.#db
      .selectFrom('address')
      .selectAll()
      .where('wallet_id', '=', wallet.id)
      .where('address', '=', address)
      .executeTakeFirst();
    return row ? mapAddress(row) : undefined;
  }

  /** The account that owns a receiving address of the wallet, or undefined. */
  async findAccountByAddress(wallet: WalletRef, address: string): Promise<Account | undefined> {
    const found = await this.getAddress(wallet, address);
    if (!found || found.accountId === null) return undefined;
    return this.getAccountById(found.accountId);
  }

  isValidAddress(address: string): boolean {
    return (
      isValidAddress(this.coin.profile, this.coin.network, address) &&
      (this.backend?.validateAddress(address) ?? true)
    );
  }

  #checkAddress(address: string): void {
    if (typeof address !== 'string' || !this.isValidAddress(address)) {
      throw new BadAddress(String(address), this.coin.symbol, this.coin.network);
    }
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

  /** External sends waiting to be broadcast, oldest first. */
  async listPendingOutgoing(wallet: WalletRef, limit = listLimitDefault): Promise<Transaction[]> {
    return this.listTransactions({ wallet, kind: 'send', state: 'pending', limit });
  }

  /**
   * Groups the wallet's pending external sends that no broadcast holds yet into a new broadcast
   * network transaction (no txid yet). Returns undefined when nothing is pending.
   */
  async prepareBroadcast(
    wallet: WalletRef,
    limit = listLimitDefault,
  ): Promise<
    | { readonly networkTransaction: NetworkTransaction; readonly transactions: Transaction[] }
    | undefined
  > {
    assert(
      Number.isInteger(limit) && limit > 0 && limit <= listLimitMax,
      `limit must be 1..${listLimitMax}`,
    );
    return this.resolver.managed('prepare broadcast', async (tx) => {
      const pending = await tx
        .selectFrom('transaction')
        .select('id')
        .where('wallet_id', '=', wallet.id)
        .where('kind', '=', 'send')
        .where('state', '=', 'pending')
        .where('network_transaction_id', 'is', null)
        .orderBy('id')
        .limit(limit)
        .execute();
      if (pending.length === 0) return undefined;
      const now = nowIso();
      const network = await tx
        .insertInto('network_transaction')
        .values({
          type: 'broadcast',
          txid: null,
          confirmations: 0,
          opened_at: null,
          closed_at: null,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const ids = pending.map((row) => toId(row.id));
      const rows = await tx
        .updateTable('transaction')
        .set({ network_transaction_id: toId(network.id) })
        .where('id', 'in', ids)
        .returningAll()
        .execute();
      assert(rows.length === ids.length, 'broadcast lost a transaction');
      return {
        networkTransaction: mapNetworkTransaction(network),
        transactions: rows.map(mapTransaction),
      };
    });
  }

  /** Commits that a broadcast is about to be sent. Not retried: the caller must know it happened. */
  async markBroadcastOpened(networkTransactionId: number): Promise<NetworkTransaction> {
    return this.resolver.nonRetryable('open broadcast', async (tx) => {
      const now = nowIso();
      const row = await tx
        .updateTable('network_transaction')
        .set({ opened_at: now, updated_at: now })
        .where('id', '=', networkTransactionId)
        .where('type', '=', 'broadcast')
        .where('opened_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row)
        throw new BadTransactionState(
          `broadcast ${networkTransactionId} is missing or already opened`,
        );
      return mapNetworkTransaction(row);
    });
  }

  /** Commits the txid of a sent broadcast; its transactions become `broadcasted`. Not retried. */
  async markBroadcastClosed(
    networkTransactionId: number,
    txid: string,
  ): Promise<NetworkTransaction> {
    checkTxid(txid);
    return this.resolver.nonRetryable('close broadcast', async (tx) => {
      const now = nowIso();
      const row = await tx
        .updateTable('network_transaction')
        .set({ txid, closed_at: now, updated_at: now })
        .where('id', '=', networkTransactionId)
        .where('type', '=', 'broadcast')
        .where('opened_at', 'is not', null)
        .where('closed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (!row)
        throw new BadTransactionState(
          `broadcast ${networkTransactionId} is missing, not opened or already closed`,
        );
      await tx
        .updateTable('transaction')
        .set({ state: 'broadcasted' })
        .where('network_transaction_id', '=', networkTransactionId)
        .where('state', '=', 'pending')
        .execute();
      await this.events.recordBroadcastUpdates(tx, networkTransactionId);
      return mapNetworkTransaction(row);
    });
  }

  // ---- broadcasts: outputs, reconciliation, operator holds, the broadcaster lease ------------

  /** What a broadcast pays: its sends' amounts summed per address, in the order first seen. */
  async broadcastOutputs(networkTransactionId: number): Promise<BroadcastOutput[]> {
    const rows = await this.#db
      .selectFrom('transaction')
      .innerJoin('address', 'address.id', 'transaction.address_id')
      .select(['address.address as address', 'transaction.amount as amount'])
      .where('transaction.network_transaction_id', '=', networkTransactionId)
      .where('transaction.kind', '=', 'send')
      .orderBy('transaction.id')
      .limit(listLimitMax + 1)
      .execute();
    assert(rows.length <= listLimitMax, `broadcast ${networkTransactionId} has too many sends`);
    const sums = new Map<string, bigint>();
    for (const row of rows) {
      sums.set(row.address, (sums.get(row.address) ?? 0n) + toAmount(row.amount));
    }
    return [...sums].map(([address, amount]) => ({ address, amount }));
  }

  /** A broadcast with its status, or undefined. */
  async getBroadcast(networkTransactionId: number): Promise<Broadcast | undefined> {
    const [found] = await this.#listBroadcasts({ id: networkTransactionId, limit: 1 });
    return found;
  }

  /** Broadcasts grouped but never opened (a crash before opening): safe to send as they are. */
  listUnopenedBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return this.#listBroadcasts({ wallet, status: 'prepared' });
  }

  /**
   * Broadcasts opened but never closed, that no operator holds yet: the process stopped between
   * committing `opened_at` and committing the txid. Reconcile them before sending anything new.
   */
  listInterruptedBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return this.#listBroadcasts({ wallet, status: 'opened' });
  }

  /** Broadcasts opened and not closed: interrupted, in flight, or held for an operator. */
  listOpenBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return this.#listBroadcasts({ wallet, status: 'open' });
  }

  /**
   * Closed broadcasts still below `confirmationsBelow` confirmations, oldest first: what the
   * confirmation poller asks the node about.
   */
  async listUnconfirmedBroadcasts(options: {
    readonly confirmationsBelow: number;
    readonly limit: number;
  }): Promise<NetworkTransaction[]> {
    const rows = await this.#db
      .selectFrom('network_transaction')
      .selectAll()
      .where('type', '=', 'broadcast')
      .where('closed_at', 'is not', null)
      .where('txid', 'is not', null)
      .where('confirmations', '<', options.confirmationsBelow)
      .orderBy('id')
      .limit(Math.min(options.limit, listLimitMax))
      .execute();
    return rows.map(mapNetworkTransaction);
  }

  /**
   * Records how deep a closed broadcast is. When the count changed, one `txupdate` event per
   * send it carries is written in the same database transaction; returns whether it changed.
   */
  async recordBroadcastConfirmations(options: {
    readonly networkTransactionId: number;
    readonly confirmations: number;
  }): Promise<boolean> {
    const { networkTransactionId, confirmations } = options;
    if (!Number.isSafeInteger(confirmations) || confirmations < 0)
      throw new InvalidValueError('confirmations', 'expected a whole number of at least 0');
    return this.resolver.managed('record broadcast confirmations', async (tx) => {
      const row = await tx
        .updateTable('network_transaction')
        .set({ confirmations, updated_at: nowIso() })
        .where('id', '=', networkTransactionId)
        .where('type', '=', 'broadcast')
        .where('closed_at', 'is not', null)
        .where('confirmations', '!=', confirmations)
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await this.events.recordBroadcastUpdates(tx, networkTransactionId);
      return true;
    });
  }

  /**
   * Closed broadcasts of `wallet` whose network fee was never charged (the process stopped
   * between closing and charging, or the node could not tell the fee yet), newest first.
   */
  async listBroadcastsWithoutFee(
    wallet: WalletRef,
    limit = listLimitDefault,
  ): Promise<NetworkTransaction[]> {
    const rows = await this.#db
      .selectFrom('network_transaction')
      .selectAll()
      .where('type', '=', 'broadcast')
      .where('closed_at', 'is not', null)
      .where('txid', 'is not', null)
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('transaction')
          .select('network_transaction_id')
          .where('wallet_id', '=', wallet.id)
          .where('kind', '=', 'send'),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('transaction')
              .select('transaction.id')
              .where('transaction.kind', '=', 'network_fee')
              .whereRef('transaction.network_transaction_id', '=', 'network_transaction.id'),
          ),
        ),
      )
      .orderBy('id', 'desc')
      .limit(Math.min(limit, listLimitMax))
      .execute();
    return rows.map(mapNetworkTransaction);
  }

  /** Broadcasts waiting for an operator to `resolveBroadcast` or `voidBroadcast` them. */
  listHeldBroadcasts(wallet?: WalletRef): Promise<Broadcast[]> {
    return this.#listBroadcasts({ wallet, status: 'held' });
  }

  async #listBroadcasts(filter: {
    readonly wallet?: WalletRef | undefined;
    readonly id?: number;
    readonly status?: 'prepared' | 'opened' | 'open' | 'held';
    readonly limit?: number;
  }): Promise<Broadcast[]> {
    let query = this.#db
      .selectFrom('network_transaction')
      .leftJoin('broadcast_hold', 'broadcast_hold.network_transaction_id', 'network_transaction.id')
      .selectAll('network_transaction')
      .select([
        'broadcast_hold.state as hold_state',
        'broadcast_hold.reason as hold_reason',
        'broadcast_hold.held_at as held_at',
      ])
      .where('network_transaction.type', '=', 'broadcast');
    if (filter.id !== undefined) query = query.where('network_transaction.id', '=', filter.id);
    const wallet = filter.wallet;
    if (wallet)
      query = query.where('network_transaction.id', 'in', (eb) =>
        eb
          .selectFrom('transaction')
          .select('transaction.network_transaction_id')
          .where('transaction.wallet_id', '=', wallet.id)
          .where('transaction.kind', '=', 'send'),
      );
    const status = filter.status;
    if (status === 'prepared') query = query.where('network_transaction.opened_at', 'is', null);
    if (status === 'opened' || status === 'open' || status === 'held')
      query = query
        .where('network_transaction.opened_at', 'is not', null)
        .where('network_transaction.closed_at', 'is', null);
    if (status === 'opened')
      query = query.where((eb) =>
        eb.or([eb('broadcast_hold.state', 'is', null), eb('broadcast_hold.state', '!=', 'held')]),
      );
    if (status === 'held') query = query.where('broadcast_hold.state', '=', 'held');
    const rows = await query
      .orderBy('network_transaction.id')
      .limit(filter.limit ?? listLimitMax)
      .execute();
    return rows.map((row) => {
      const networkTransaction = mapNetworkTransaction(row);
      return {
        networkTransaction,
        status: broadcastStatus(networkTransaction, row.hold_state),
        holdReason: row.hold_reason,
        heldAt: optionalDate(row.held_at),
      };
    });
  }

  /**
   * Marks an opened, unclosed broadcast as needing an operator, with the reason; holding it
   * again only updates the reason. The broadcaster leaves held broadcasts alone.
   */
  async holdBroadcast(networkTransactionId: number, reason: string): Promise<Broadcast> {
    const text = reason.slice(0, holdReasonLengthMax);
    await this.resolver.managed('hold broadcast', async (tx) => {
      const network = await this.#openBroadcast(tx, networkTransactionId);
      const now = nowIso();
      await tx
        .insertInto('broadcast_hold')
        .values({
          network_transaction_id: network.id,
          state: 'held',
          reason: text,
          held_at: now,
          settled_at: null,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.column('network_transaction_id').doUpdateSet({ reason: text, updated_at: now }),
        )
        .execute();
    });
    return this.#requireBroadcast(networkTransactionId);
  }

  /**
   * An operator found that a held broadcast was sent as `txid`: closes it with that txid and
   * its sends become `broadcasted`. The network fee is charged separately (`chargeNetworkFee`).
   */
  async resolveBroadcast(networkTransactionId: number, txid: string): Promise<Broadcast> {
    checkTxid(txid);
    await this.resolver.nonRetryable('resolve broadcast', async (tx) => {
      await this.#settleHold(tx, networkTransactionId, 'resolved');
      const now = nowIso();
      await tx
        .updateTable('network_transaction')
        .set({ txid, closed_at: now, updated_at: now })
        .where('id', '=', networkTransactionId)
        .execute();
      await tx
        .updateTable('transaction')
        .set({ state: 'broadcasted' })
        .where('network_transaction_id', '=', networkTransactionId)
        .where('kind', '=', 'send')
        .where('state', '=', 'pending')
        .execute();
      await this.events.recordBroadcastUpdates(tx, networkTransactionId);
    });
    return this.#requireBroadcast(networkTransactionId);
  }

  /**
   * An operator found that a held broadcast was never sent: gives each send back to its sender
   * with a compensating `send_void` entry and closes the broadcast without a txid. The original
   * sends keep their amounts and accounts (the debit stays in the books); only their state moves
   * from `pending` to `voided`, so nothing counts them as waiting to be sent.
   */
  async voidBroadcast(networkTransactionId: number): Promise<Transaction[]> {
    return this.resolver.managed('void broadcast', async (tx, _attempt, run) => {
      await this.#settleHold(tx, networkTransactionId, 'voided');
      const sends = await tx
        .selectFrom('transaction')
        .selectAll()
        .where('network_transaction_id', '=', networkTransactionId)
        .where('kind', '=', 'send')
        .where('state', '=', 'pending')
        .orderBy('id')
        .limit(listLimitMax + 1)
        .execute();
      assert(sends.length <= listLimitMax, `broadcast ${networkTransactionId}: too many sends`);
      const compensations: Transaction[] = [];
      for (const send of sends.map(mapTransaction)) {
        const sender = send.sendingAccountId;
        assert(sender !== null, `send ${send.id} has no sending account`);
        const credited = await run(
          this.#statements.credit.bind(send.amount, sender, send.walletId),
        );
        assert(credited.numAffectedRows === 1n, `send ${send.id}: sender account is missing`);
        compensations.push(
          await this.#insertTransaction(tx, {
            wallet_id: send.walletId,
            kind: 'send_void',
            state: 'voided',
            amount: send.amount,
            receiving_account_id: sender,
            ...(send.addressId === null ? {} : { address_id: send.addressId }),
            network_transaction_id: networkTransactionId,
            label: `void of send ${send.id}`,
          }),
        );
      }
      if (sends.length > 0) {
        const voided = await tx
          .updateTable('transaction')
          .set({ state: 'voided' })
          .where(
            'id',
            'in',
            sends.map((row) => toId(row.id)),
          )
          .where('state', '=', 'pending')
          .executeTakeFirst();
        assert(voided.numUpdatedRows === BigInt(sends.length), 'void broadcast: a send moved');
      }
      const now = nowIso();
      await tx
        .updateTable('network_transaction')
        .set({ closed_at: now, updated_at: now })
        .where('id', '=', networkTransactionId)
        .execute();
      return compensations;
    });
  }

  /** Moves a held broadcast to its final hold state; refuses one that is not held or not open. */
  async #settleHold(
    tx: Tx,
    networkTransactionId: number,
    state: 'resolved' | 'voided',
  ): Promise<void> {
    await this.#openBroadcast(tx, networkTransactionId);
    const now = nowIso();
    const settled = await tx
      .updateTable('broadcast_hold')
      .set({ state, settled_at: now, updated_at: now })
      .where('network_transaction_id', '=', networkTransactionId)
      .where('state', '=', 'held')
      .executeTakeFirst();
    if (settled.numUpdatedRows !== 1n)
      throw new BadTransactionState(`broadcast ${networkTransactionId} is not held`);
  }

  /** The broadcast, which must be opened and not closed. */
  async #openBroadcast(tx: Tx, networkTransactionId: number): Promise<NetworkTransaction> {
    const row = await tx
      .selectFrom('network_transaction')
      .selectAll()
      .where('id', '=', networkTransactionId)
      .where('type', '=', 'broadcast')
      .executeTakeFirst();
    if (!row) throw new NotFound(`broadcast ${networkTransactionId}`);
    const network = mapNetworkTransaction(row);
    if (network.openedAt === null || network.closedAt !== null)
      throw new BadTransactionState(
        `broadcast ${networkTransactionId} is ${network.closedAt ? 'closed' : 'not opened'}`,
      );
    return network;
  }

  async #requireBroadcast(networkTransactionId: number): Promise<Broadcast> {
    const broadcast = await this.getBroadcast(networkTransactionId);
    if (!broadcast) throw new NotFound(`broadcast ${networkTransactionId}`);
    return broadcast;
  }

  // Only one broadcaster of a wallet may run at a time, across processes. We use a lease row
  // (name, owner, expiry) rather than PostgreSQL's pg_try_advisory_lock: it works the same on
  // SQLite and PostgreSQL, needs no connection pinned for as long as the broadcaster runs (an
  // advisory lock lives and dies with one session, which a pool may recycle), and the status
  // page can show who holds it until when. A holder that dies stops renewing, so its lease
  // expires and another process takes over; the duration must exceed the longest step between
  // renewals (a send's timeout) plus the clock difference between hosts.

  /**
   * Takes the lease `name` for `owner` for `durationMs` when it is free, expired or already
   * `owner`'s (then it is renewed). Returns false when another owner holds it.
   */
  async acquireLease(options: {
    readonly name: string;
    readonly owner: string;
    readonly durationMs: number;
    /** Takes the lease from this owner even before it expires (its process is known dead). */
    readonly takeOverFrom?: string;
  }): Promise<boolean> {
    const { name, owner, durationMs } = options;
    checkLease(name, owner);
    assert(
      Number.isSafeInteger(durationMs) && durationMs > 0 && durationMs <= leaseDurationMsMax,
      `lease duration must be 1..${leaseDurationMsMax} ms`,
    );
    return this.resolver.managed('acquire lease', async (tx) => {
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      const expiresAt = new Date(nowMs + durationMs).toISOString();
      await tx
        .insertInto('lease')
        .values({ name, owner, expires_at: expiresAt, acquired_at: now, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await tx
        .selectFrom('lease')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      if (row.owner === owner) {
        await tx
          .updateTable('lease')
          .set({ expires_at: expiresAt, updated_at: now })
          .where('name', '=', name)
          .execute();
        return true;
      }
      const expired = (optionalDate(row.expires_at)?.getTime() ?? 0) <= nowMs;
      if (!expired && row.owner !== options.takeOverFrom) return false;
      await tx
        .updateTable('lease')
        .set({ owner, expires_at: expiresAt, acquired_at: now, updated_at: now })
        .where('name', '=', name)
        .execute();
      return true;
    });
  }

  /** Gives the lease up if `owner` holds it; returns whether it did. */
  async releaseLease(options: { readonly name: string; readonly owner: string }): Promise<boolean> {
    checkLease(options.name, options.owner);
    return this.resolver.managed('release lease', async (tx) => {
      const result = await tx
        .deleteFrom('lease')
        .where('name', '=', options.name)
        .where('owner', '=', options.owner)
        .executeTakeFirst();
      return result.numDeletedRows === 1n;
    });
  }

  /** Who holds the lease until when; undefined when nobody ever took it or it was released. */
  async getLease(
    name: string,
  ): Promise<{ readonly owner: string; readonly expiresAt: Date } | undefined> {
    const row = await this.#db
      .selectFrom('lease')
      .select(['owner', 'expires_at'])
      .where('name', '=', name)
      .executeTakeFirst();
    return row
      ? { owner: row.owner, expiresAt: optionalDate(row.expires_at) ?? new Date(0) }
      : undefined;
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

  // ---- deposits ------------------------------------------------------------------------------

  /**
   * Records what the network says about a deposit to one of our addresses. The first update
   * creates an `incoming` transaction; when confirmations reach the coin's threshold the account
   * and address are credited, exactly once. Updates after that only track confirmations, except
   * that a deposit `reverseDeposit` took back is credited again when it is back at the threshold.
   * Returns undefined when the address is not a receiving address of this coin's books.
   */
  async recordDeposit(update: DepositUpdate): Promise<DepositResult | undefined> {
    const amount = checkAmount(update.amount, 'amount');
    checkTxid(update.txid);
    checkConfirmations(update.confirmations);
    return this.resolver.managed('record deposit', (tx, _attempt, run) =>
      this.#recordDepositIn(tx, run, { ...update, amount }),
    );
  }

  /**
   * Brings the books in line with the network's view of several transactions, in one database
   * transaction (one commit for all). Per observation: below the coin's threshold (shallow, back
   * in the mempool, conflicted) any credit of its deposits is taken back first; then every output
   * to one of our receiving addresses is recorded as by `recordDeposit`, credited at the
   * threshold. Results come in the order of the observations. One bad observation fails them all.
   */
  async recordDepositObservations(
    observations: readonly DepositObservation[],
  ): Promise<DepositObservationResult[]> {
    if (observations.length > depositObservationsMax)
      throw new InvalidValueError('observations', `at most ${depositObservationsMax} at once`);
    const checked = observations.map((observation, index) =>
      checkObservation(observation, `observations[${index}]`),
    );
    if (checked.length === 0) return [];
    return this.resolver.managed('record deposits', async (tx, _attempt, run) => {
      const results: DepositObservationResult[] = [];
      for (const observation of checked) results.push(await this.#observe(tx, run, observation));
      return results;
    });
  }

  async #observe(
    tx: Tx,
    run: StatementRunner,
    observation: DepositObservation,
  ): Promise<DepositObservationResult> {
    const { txid, confirmations } = observation;
    const reversal =
      confirmations < this.coin.confirmations
        ? await this.#reverseDepositIn(tx, run, { txid, confirmations })
        : undefined;
    const known = new Set(reversal?.addresses ?? []);
    let recorded = 0;
    let creditedNow = 0;
    for (const { address, amount } of observation.received) {
      if (known.has(address)) continue;
      // A conflicted transaction's new outputs get their event from the reversal below.
      const result = await this.#recordDepositIn(
        tx,
        run,
        { txid, address, amount, confirmations: Math.max(0, confirmations) },
        { event: confirmations >= 0 },
      );
      if (!result) continue;
      recorded++;
      if (result.creditedNow) creditedNow++;
    }
    // New outputs of a conflicted transaction were recorded at 0: record the conflict too.
    if (confirmations < 0 && recorded > 0)
      await this.#reverseDepositIn(tx, run, { txid, confirmations });
    return {
      txid,
      confirmations,
      deposits: (reversal?.deposits.length ?? 0) + recorded,
      creditedNow,
      reversedNow: reversal?.reversedNow ?? [],
    };
  }

  /**
   * One deposit update on compiled statements: a new deposit is inserted already credited when it
   * is deep enough; an existing one is brought to the update's depth and credited once.
   */
  async #recordDepositIn(
    tx: Tx,
    run: StatementRunner,
    update: DepositUpdate,
    options: { readonly event: boolean } = { event: true },
  ): Promise<DepositResult | undefined> {
    const statements = this.#deposits;
    const [addressRow] = (await run(statements.findAddress.bind(update.address))).rows;
    if (!addressRow) return undefined;
    const address = mapAddress(addressRow);
    assert(address.accountId !== null, 'deposit to an external address');
    const now = nowIso();
    const upserted = await run(
      statements.upsertNetwork.bind(update.txid, update.confirmations, now),
    );
    assert(upserted.rows[0] !== undefined, 'deposit: the upsert returned no row');
    const network = mapNetworkTransaction(upserted.rows[0]);
    const deep = update.confirmations >= this.coin.confirmations;
    const [existing] = (await run(statements.findDeposit.bind(network.id, address.id))).rows;
    if (!existing) {
      const inserted = await run(
        statements.insertDeposit.bind(
          address.walletId,
          deep ? 'credited' : 'incoming',
          update.amount,
          address.accountId,
          address.id,
          network.id,
          now,
          deep ? now : null,
        ),
      );
      assert(inserted.rows[0] !== undefined, 'deposit: the insert returned no row');
      const transaction = mapTransaction(inserted.rows[0]);
      if (deep) await this.#moveDepositBalances(run, transaction, transaction.amount);
      if (options.event) await this.#depositEvent(run, transaction, network, address, true);
      return { transaction, networkTransaction: network, creditedNow: deep };
    }
    let transaction = await this.#checkDepositAmount(tx, mapTransaction(existing), update.amount);
    if (transaction.state === 'reversed' && deep)
      return this.#recreditDeposit(tx, run, transaction, network);
    const creditedNow = transaction.state === 'incoming' && deep;
    if (creditedNow) {
      const credited = await run(statements.creditTransaction.bind(transaction.id, now));
      assert(credited.rows[0] !== undefined, 'deposit: credited by someone else');
      transaction = mapTransaction(credited.rows[0]);
      await this.#moveDepositBalances(run, transaction, transaction.amount);
    }
    if (options.event) await this.#depositEvent(run, transaction, network, address, false);
    return { transaction, networkTransaction: network, creditedNow };
  }

  /** Adds `deltaMinor` (negative to take back) to the deposit's account and address balances. */
  async #moveDepositBalances(run: StatementRunner, deposit: Transaction, deltaMinor: bigint) {
    const { receivingAccountId: accountId, addressId } = deposit;
    assert(accountId !== null && addressId !== null, 'a deposit without account or address');
    const statements = this.#deposits;
    const account = await run(statements.creditAccount.bind(deltaMinor, accountId));
    const address = await run(statements.creditAddress.bind(deltaMinor, addressId));
    assert(
      account.numAffectedRows === 1n && address.numAffectedRows === 1n,
      'deposit: balance change lost',
    );
  }

  /** Writes the deposit's `txupdate` unless the last one says the same. */
  async #depositEvent(
    run: StatementRunner,
    deposit: Transaction,
    network: NetworkTransaction,
    address: Address,
    first: boolean,
  ): Promise<void> {
    assert(address.accountId !== null && network.txid !== null, 'deposit event of our address');
    const [account] = (await run(this.#deposits.accountName.bind(address.accountId))).rows;
    assert(account !== undefined, `deposit: account ${address.accountId} is missing`);
    await this.events.recordDepositUpdate(
      run,
      {
        coin: this.coin.symbol,
        transaction_id: deposit.id,
        network_transaction_id: network.id,
        direction: 'deposit',
        txid: network.txid,
        account: account.name,
        address: address.address,
        amount: formatAmount(deposit.amount, this.coin.profile.decimals),
        confirmations: network.confirmations,
        credited: deposit.state === 'credited' || deposit.state === 'processed',
        state: deposit.state,
      },
      { first },
    );
  }

  /** The network may change what an uncredited output pays (it cannot once credited). */
  async #checkDepositAmount(tx: Tx, deposit: Transaction, amount: bigint): Promise<Transaction> {
    if (deposit.amount === amount) return deposit;
    if (deposit.state !== 'incoming') {
      throw new BadTransactionState(
        `deposit ${deposit.id} was credited with ${deposit.amount}; the network now reports ${amount}`,
      );
    }
    const row = await tx
      .updateTable('transaction')
      .set({ amount })
      .where('id', '=', deposit.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapTransaction(row);
  }

  /** Marks a credited deposit as processed by the app. Idempotent; an uncredited one is refused. */
  async markProcessed(transactionId: number): Promise<Transaction> {
    return this.resolver.managed('mark processed', async (tx) => {
      const row = await tx
        .selectFrom('transaction')
        .selectAll()
        .where('id', '=', transactionId)
        .executeTakeFirst();
      if (row?.kind !== 'deposit') throw new NotFound(`deposit ${transactionId}`);
      if (row.state === 'processed') return mapTransaction(row);
      if (row.state !== 'credited')
        throw new BadTransactionState(`deposit ${transactionId} is ${row.state}, not credited yet`);
      const updated = await tx
        .updateTable('transaction')
        .set({ state: 'processed', processed_at: nowIso() })
        .where('id', '=', transactionId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapTransaction(updated);
    });
  }

  /** Deposits of the wallet (optionally one account), newest first. */
  listDeposits(options: Omit<TransactionFilter, 'kind'>): Promise<Transaction[]> {
    return this.listTransactions({ ...options, kind: 'deposit' });
  }

  /** Deposits seen on the network but not yet credited. */
  listUnconfirmedDeposits(
    options: Omit<TransactionFilter, 'kind' | 'state'>,
  ): Promise<Transaction[]> {
    return this.listTransactions({ ...options, kind: 'deposit', state: 'incoming' });
  }

  /** Sum of deposits seen but not yet credited, for a wallet or one account. */
  async unconfirmedBalance(options: {
    readonly wallet: WalletRef;
    readonly account?: Pick<Account, 'id'>;
  }): Promise<bigint> {
    let query = this.#db
      .selectFrom('transaction')
      .select((eb) => eb.fn.sum<string | bigint>('amount').as('total'))
      .where('wallet_id', '=', options.wallet.id)
      .where('kind', '=', 'deposit')
      .where('state', '=', 'incoming');
    if (options.account) query = query.where('receiving_account_id', '=', options.account.id);
    return toAmount((await query.executeTakeFirst())?.total ?? 0n);
  }

  /** Total received at an address in deposits with at least `confirmations` confirmations. */
  async addressReceived(
    address: Pick<Address, 'id'>,
    options: { readonly confirmations: number },
  ): Promise<bigint> {
    checkConfirmations(options.confirmations);
    const row = await this.#db
      .selectFrom('transaction')
      .innerJoin(
        'network_transaction',
        'network_transaction.id',
        'transaction.network_transaction_id',
      )
      .select((eb) => eb.fn.sum<string | bigint>('transaction.amount').as('total'))
      .where('transaction.kind', '=', 'deposit')
      .where('transaction.address_id', '=', address.id)
      .where('network_transaction.confirmations', '>=', options.confirmations)
      .executeTakeFirst();
    return toAmount(row?.total ?? 0n);
  }

  // ---- deposit tracking: confirmations and reorgs ------------------------------------------

  /**
   * Deposit network transactions recorded with fewer than `confirmationsBelow` confirmations,
   * least recently updated first: what a confirmation poller should ask the network about again.
   * One conflicted at least that deep (confirmations ≤ -confirmationsBelow) is left out for good.
   */
  async listOpenDeposits(options: {
    readonly confirmationsBelow: number;
    readonly limit: number;
  }): Promise<OpenDeposit[]> {
    const { confirmationsBelow, limit } = options;
    assert(
      Number.isSafeInteger(confirmationsBelow) &&
        confirmationsBelow > 0 &&
        confirmationsBelow <= confirmationsMax,
      `confirmationsBelow must be 1..${confirmationsMax}`,
    );
    assert(
      Number.isInteger(limit) && limit > 0 && limit <= listLimitMax,
      `limit must be 1..${listLimitMax}`,
    );
    const rows = await this.#db
      .selectFrom('network_transaction')
      .select(['id', 'txid', 'confirmations'])
      .where('type', '=', 'deposit')
      .where('confirmations', '<', confirmationsBelow)
      .where('confirmations', '>', -confirmationsBelow)
      .orderBy('updated_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => {
      assert(row.txid !== null, `deposit network transaction ${row.id} has no txid`);
      return {
        networkTransactionId: toId(row.id),
        txid: row.txid,
        confirmations: Number(row.confirmations),
      };
    });
  }

  /**
   * Records that the network holds a deposit's transaction below the crediting depth, with the
   * node's `confirmations` (negative: conflicted; 0 also when the node no longer knows it). A
   * credited or processed deposit of it is reversed: its state becomes `reversed`, a compensating
   * `deposit_reversal` debits the account (even below zero) and the address, and a `txupdate`
   * says so. An uncredited deposit stays uncredited. Idempotent. `recordDeposit` credits a
   * reversed deposit again, once, when its transaction is back at the threshold.
   */
  async reverseDeposit(update: {
    readonly txid: string;
    readonly confirmations: number;
  }): Promise<DepositReversalResult> {
    checkTxid(update.txid);
    const { confirmations } = update;
    if (
      !Number.isSafeInteger(confirmations) ||
      confirmations < -confirmationsMax ||
      confirmations >= this.coin.confirmations
    ) {
      throw new InvalidValueError(
        'confirmations',
        `expected a whole number -${confirmationsMax}..${this.coin.confirmations - 1}`,
      );
    }
    return this.resolver.managed('reverse deposit', (tx, _attempt, run) =>
      this.#reverseDepositIn(tx, run, update),
    );
  }

  async #reverseDepositIn(
    tx: Tx,
    run: StatementRunner,
    update: { readonly txid: string; readonly confirmations: number },
  ): Promise<DepositReversalResult> {
    const { confirmations } = update;
    const row = await tx
      .updateTable('network_transaction')
      .set({ confirmations, updated_at: nowIso() })
      .where('type', '=', 'deposit')
      .where('txid', '=', update.txid)
      .returningAll()
      .executeTakeFirst();
    if (!row)
      return { networkTransaction: undefined, deposits: [], addresses: [], reversedNow: [] };
    const network = mapNetworkTransaction(row);
    const rows = await tx
      .selectFrom('transaction')
      .innerJoin('address', 'address.id', 'transaction.address_id')
      .selectAll('transaction')
      .select('address.address as received_at')
      .where('transaction.kind', '=', 'deposit')
      .where('transaction.network_transaction_id', '=', network.id)
      .orderBy('transaction.id')
      .limit(listLimitMax + 1)
      .execute();
    assert(rows.length <= listLimitMax, `network transaction ${network.id}: too many deposits`);
    const deposits: Transaction[] = [];
    const reversedNow: Transaction[] = [];
    for (const found of rows) {
      let deposit = mapTransaction(found);
      if (deposit.state === 'credited' || deposit.state === 'processed') {
        deposit = await this.#reverseCredit(tx, run, deposit, network.id);
        reversedNow.push(deposit);
      }
      await this.events.recordTransactionUpdate(tx, deposit.id);
      deposits.push(deposit);
    }
    const addresses = rows.map((found) => found.received_at);
    return { networkTransaction: network, deposits, addresses, reversedNow };
  }

  /** Takes a deposit's credit back with a compensating `deposit_reversal` entry. */
  async #reverseCredit(
    tx: Tx,
    run: StatementRunner,
    deposit: Transaction,
    networkTransactionId: number,
  ): Promise<Transaction> {
    const { receivingAccountId: accountId, addressId } = deposit;
    assert(accountId !== null && addressId !== null, 'reversal of a deposit without account');
    const row = await tx
      .updateTable('transaction')
      .set({ state: 'reversed' })
      .where('id', '=', deposit.id)
      .where('state', 'in', ['credited', 'processed'])
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#moveDepositBalances(run, deposit, -deposit.amount);
    await this.#insertTransaction(tx, {
      wallet_id: deposit.walletId,
      kind: 'deposit_reversal',
      state: 'deposit_reversal',
      amount: deposit.amount,
      sending_account_id: accountId,
      address_id: addressId,
      network_transaction_id: networkTransactionId,
      label: null,
    });
    return mapTransaction(row);
  }

  /** Credits a reversed deposit again with a `deposit_recredit` entry, and says so. */
  async #recreditDeposit(
    tx: Tx,
    run: StatementRunner,
    deposit: Transaction,
    network: NetworkTransaction,
  ): Promise<DepositResult> {
    const { receivingAccountId: accountId, addressId } = deposit;
    assert(accountId !== null && addressId !== null, 'credit of a deposit without account');
    const row = await tx
      .updateTable('transaction')
      .set({ state: 'credited', credited_at: nowIso() })
      .where('id', '=', deposit.id)
      .where('state', '=', 'reversed')
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#moveDepositBalances(run, deposit, deposit.amount);
    await this.#insertTransaction(tx, {
      wallet_id: deposit.walletId,
      kind: 'deposit_recredit',
      state: 'deposit_recredit',
      amount: deposit.amount,
      receiving_account_id: accountId,
      address_id: addressId,
      network_transaction_id: network.id,
      label: null,
    });
    const credited = mapTransaction(row);
    await this.events.recordTransactionUpdate(tx, credited.id);
    return { transaction: credited, networkTransaction: network, creditedNow: true };
  }

  // ---- reading -------------------------------------------------------------------------------

  async getTransaction(id: number): Promise<Transaction | undefined> {
    const row = await this.#db
      .selectFrom('transaction')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? mapTransaction(row) : undefined;
  }

  async getNetworkTransaction(id: number): Promise<NetworkTransaction | undefined> {
    const row = await this.#db
      .selectFrom('network_transaction')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? mapNetworkTransaction(row) : undefined;
  }

  /** Transactions of a wallet, filtered by account (either side), kind and state; newest first. */
  async listTransactions(filter: TransactionFilter): Promise<Transaction[]> {
    const limit = filter.limit ?? listLimitDefault;
    assert(
      Number.isInteger(limit) && limit > 0 && limit <= listLimitMax,
      `limit must be 1..${listLimitMax}`,
    );
    let query = this.#db
      .selectFrom('transaction')
      .selectAll()
      .where('wallet_id', '=', filter.wallet.id);
    const account = filter.account;
    if (account)
      query = query.where((eb) =>
        eb.or([
          eb('sending_account_id', '=', account.id),
          eb('receiving_account_id', '=', account.id),
        ]),
      );
    if (filter.kind) query = query.where('kind', '=', filter.kind);
    if (filter.state) query = query.where('state', '=', filter.state);
    return (await query.orderBy('id', 'desc').limit(limit).execute()).map(mapTransaction);
  }

  /** Recomputes every account and address balance from the transactions. */
  audit(): Promise<AuditReport> {
    return this.resolver.managed('audit', (tx) => auditBooks(tx));
  }

  #requireBackend(): Backend {
    if (!this.backend) throw new NoBackend(this.coin.symbol);
    return this.backend;
  }

  async #insertTransaction(
    tx: Tx,
    values: {
      wallet_id: number;
      kind: Transaction['kind'];
      state: TransactionState;
      amount: bigint;
      sending_account_id?: number;
      receiving_account_id?: number;
      address_id?: number;
      network_transaction_id?: number;
      label: string | null;
    },
  ): Promise<Transaction> {
    const row = await tx
      .insertInto('transaction')
      .values({
        sending_account_id: null,
        receiving_account_id: null,
        address_id: null,
        network_transaction_id: null,
        credited_at: null,
        processed_at: null,
        ...values,
        created_at: nowIso(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapTransaction(row);
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

function nowIso(): string {
  return new Date().toISOString();
}

function checkName(name: string, what: string): void {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > nameLengthMax ||
    name.trim() !== name
  ) {
    throw new InvalidValueError(
      what,
      `name must be 1..${nameLengthMax} characters without surrounding spaces`,
    );
  }
}

function checkLabel(label: string): void {
  if (typeof label !== 'string' || label.length > labelLengthMax)
    throw new InvalidValueError('label', `at most ${labelLengthMax} characters`);
}

function checkTxid(txid: string): void {
  if (typeof txid !== 'string' || txid.length === 0 || txid.length > txidLengthMax)
    throw new InvalidValueError('txid', 'expected a transaction id');
}

function checkObservation(observation: DepositObservation, field: string): DepositObservation {
  const { txid } = observation;
  if (typeof txid !== 'string' || txid.length === 0 || txid.length > txidLengthMax)
    throw new InvalidValueError(`${field}.txid`, 'expected a transaction id');
  const { confirmations, received } = observation;
  if (
    !Number.isSafeInteger(confirmations) ||
    confirmations < -confirmationsMax ||
    confirmations > confirmationsMax
  ) {
    throw new InvalidValueError(
      `${field}.confirmations`,
      `expected a whole number -${confirmationsMax}..${confirmationsMax}`,
    );
  }
  if (!Array.isArray(received) || received.length > receivedPerObservationMax)
    throw new InvalidValueError(
      `${field}.received`,
      `expected at most ${receivedPerObservationMax}`,
    );
  const addresses = new Set<string>();
  const checked = received.map(({ address, amount }, index) => {
    if (typeof address !== 'string' || address.length === 0 || addresses.has(address))
      throw new InvalidValueError(
        `${field}.received[${index}].address`,
        'expected distinct addresses',
      );
    addresses.add(address);
    return { address, amount: checkAmount(amount, `${field}.received[${index}].amount`) };
  });
  return { txid: observation.txid, confirmations, received: checked };
}

function checkConfirmations(confirmations: number): void {
  if (
    !Number.isSafeInteger(confirmations) ||
    confirmations < 0 ||
    confirmations > confirmationsMax
  ) {
    throw new InvalidValueError('confirmations', `expected a whole number 0..${confirmationsMax}`);
  }
}
