// Deposits to our receiving addresses: recording the network's view of them (crediting at the
// coin's threshold, taking a credit back below it), marking them processed, and reading them.
import { assert, checkAmount, formatAmount, InvalidValueError } from '@cryptoassets/core';
import { checkConfirmations, checkLimit, checkObservation, checkTxid } from './checks.js';
import {
  confirmationsMax,
  depositObservationsMax,
  type LedgerContext,
  listLimitMax,
  nowIso,
  type Unit,
  type WalletRef,
} from './context.js';
import { observeBatched } from './deposit-batch.js';
import { insertTransaction } from './entries.js';
import { BadTransactionState, NotFound } from './errors.js';
import { listTransactions, type TransactionFilter } from './reads.js';
import {
  type Account,
  type Address,
  mapAddress,
  mapNetworkTransaction,
  mapTransaction,
  type NetworkTransaction,
  type Transaction,
  toAmount,
  toId,
} from './records.js';

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

type Reversal = { readonly txid: string; readonly confirmations: number };

// ---- recording ---------------------------------------------------------------------------------

/**
 * Records what the network says about a deposit to one of our addresses. The first update
 * creates an `incoming` transaction; when confirmations reach the coin's threshold the account
 * and address are credited, exactly once. Updates after that only track confirmations, except
 * that a deposit `reverseDeposit` took back is credited again when it is back at the threshold.
 * Returns undefined when the address is not a receiving address of this coin's books.
 */
export async function recordDeposit(
  ctx: LedgerContext,
  update: DepositUpdate,
): Promise<DepositResult | undefined> {
  const amount = checkAmount(update.amount, 'amount');
  checkTxid(update.txid);
  checkConfirmations(update.confirmations);
  return ctx.write('record deposit', (tx, run) =>
    recordDepositIn(ctx, { tx, run }, { ...update, amount }),
  );
}

/**
 * Brings the books in line with the network's view of several transactions, in one database
 * transaction (one commit for all). Per observation: below the coin's threshold (shallow, back
 * in the mempool, conflicted) any credit of its deposits is taken back first; then every output
 * to one of our receiving addresses is recorded as by `recordDeposit`, credited at the
 * threshold. Results come in the order of the observations. One bad observation fails them all.
 * `batched` reads and writes the common cases in a few statements per batch (see
 * deposit-batch.ts) with the same effects; false records each observation on its own. By default
 * a batch is batched, except a lone observation on SQLite, where the per-observation statements
 * (in-process, cached) cost less than the batched ones.
 */
export async function recordDepositObservations(
  ctx: LedgerContext,
  observations: readonly DepositObservation[],
  options: { readonly batched?: boolean } = {},
): Promise<DepositObservationResult[]> {
  if (observations.length > depositObservationsMax)
    throw new InvalidValueError('observations', `at most ${depositObservationsMax} at once`);
  const checked = observations.map((observation, index) =>
    checkObservation(observation, `observations[${index}]`),
  );
  if (checked.length === 0) return [];
  const batched = options.batched ?? (ctx.database.dialect === 'postgres' || checked.length > 1);
  return ctx.write('record deposits', async (tx, run) => {
    const unit = { tx, run };
    const observeOne = (observation: DepositObservation) => observe(ctx, unit, observation);
    if (batched) return observeBatched(ctx, unit, checked, observeOne);
    const results: DepositObservationResult[] = [];
    for (const observation of checked) results.push(await observeOne(observation));
    return results;
  });
}

async function observe(
  ctx: LedgerContext,
  unit: Unit,
  observation: DepositObservation,
): Promise<DepositObservationResult> {
  const { txid, confirmations } = observation;
  const reversal =
    confirmations < ctx.coin.confirmations
      ? await reverseDepositIn(ctx, unit, { txid, confirmations })
      : undefined;
  const known = new Set(reversal?.addresses ?? []);
  let recorded = 0;
  let creditedNow = 0;
  for (const { address, amount } of observation.received) {
    if (known.has(address)) continue;
    // A conflicted transaction's new outputs get their event from the reversal below.
    const result = await recordDepositIn(
      ctx,
      unit,
      { txid, address, amount, confirmations: Math.max(0, confirmations) },
      { event: confirmations >= 0 },
    );
    if (!result) continue;
    recorded++;
    if (result.creditedNow) creditedNow++;
  }
  // New outputs of a conflicted transaction were recorded at 0: record the conflict too.
  if (confirmations < 0 && recorded > 0) await reverseDepositIn(ctx, unit, { txid, confirmations });
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
async function recordDepositIn(
  ctx: LedgerContext,
  unit: Unit,
  update: DepositUpdate,
  options: { readonly event: boolean } = { event: true },
): Promise<DepositResult | undefined> {
  const { run } = unit;
  const statements = ctx.deposits;
  const [addressRow] = (await run(statements.findAddress.bind({ address: update.address }))).rows;
  if (!addressRow) return undefined;
  const address = mapAddress(addressRow);
  assert(address.accountId !== null, 'deposit to an external address');
  const now = nowIso();
  const upserted = await run(
    statements.upsertNetwork.bind({
      txid: update.txid,
      confirmations: update.confirmations,
      now,
    }),
  );
  assert(upserted.rows[0] !== undefined, 'deposit: the upsert returned no row');
  const network = mapNetworkTransaction(upserted.rows[0]);
  const deep = update.confirmations >= ctx.coin.confirmations;
  const [existing] = (
    await run(statements.findDeposit.bind({ networkTransaction: network.id, address: address.id }))
  ).rows;
  if (!existing) {
    const inserted = await run(
      statements.insertDeposit.bind({
        wallet: address.walletId,
        state: deep ? 'credited' : 'incoming',
        amount: update.amount,
        account: address.accountId,
        address: address.id,
        networkTransaction: network.id,
        now,
        creditedAt: deep ? now : null,
      }),
    );
    assert(inserted.rows[0] !== undefined, 'deposit: the insert returned no row');
    const transaction = mapTransaction(inserted.rows[0]);
    if (deep) await moveDepositBalances(ctx, unit, transaction, transaction.amount);
    if (options.event) await depositEvent(ctx, unit, { transaction, network, address }, true);
    return { transaction, networkTransaction: network, creditedNow: deep };
  }
  let transaction = await checkDepositAmount(unit, mapTransaction(existing), update.amount);
  if (transaction.state === 'reversed' && deep)
    return recreditDeposit(ctx, unit, transaction, network);
  const creditedNow = transaction.state === 'incoming' && deep;
  if (creditedNow) {
    const credited = await run(
      statements.creditTransaction.bind({ transaction: transaction.id, now }),
    );
    assert(credited.rows[0] !== undefined, 'deposit: credited by someone else');
    transaction = mapTransaction(credited.rows[0]);
    await moveDepositBalances(ctx, unit, transaction, transaction.amount);
  }
  if (options.event) await depositEvent(ctx, unit, { transaction, network, address }, false);
  return { transaction, networkTransaction: network, creditedNow };
}

/** Adds `deltaMinor` (negative to take back) to the deposit's account and address balances. */
async function moveDepositBalances(
  ctx: LedgerContext,
  { run }: Unit,
  deposit: Transaction,
  deltaMinor: bigint,
): Promise<void> {
  const { receivingAccountId: accountId, addressId } = deposit;
  assert(accountId !== null && addressId !== null, 'a deposit without account or address');
  const statements = ctx.deposits;
  const account = await run(
    statements.creditAccount.bind({ amount: deltaMinor, account: accountId }),
  );
  const address = await run(
    statements.creditAddress.bind({ amount: deltaMinor, address: addressId }),
  );
  assert(
    account.numAffectedRows === 1n && address.numAffectedRows === 1n,
    'deposit: balance change lost',
  );
}

/** Writes the deposit's `txupdate` unless the last one says the same. */
async function depositEvent(
  ctx: LedgerContext,
  { run }: Unit,
  found: {
    readonly transaction: Transaction;
    readonly network: NetworkTransaction;
    readonly address: Address;
  },
  first: boolean,
): Promise<void> {
  const { transaction: deposit, network, address } = found;
  assert(address.accountId !== null && network.txid !== null, 'deposit event of our address');
  const [account] = (await run(ctx.deposits.accountName.bind({ account: address.accountId }))).rows;
  assert(account !== undefined, `deposit: account ${address.accountId} is missing`);
  await ctx.events.recordDepositUpdate(
    run,
    {
      coin: ctx.coin.symbol,
      transaction_id: deposit.id,
      network_transaction_id: network.id,
      direction: 'deposit',
      txid: network.txid,
      account: account.name,
      address: address.address,
      amount: formatAmount(deposit.amount, ctx.coin.profile.decimals),
      confirmations: network.confirmations,
      credited: deposit.state === 'credited' || deposit.state === 'processed',
      state: deposit.state,
    },
    { first },
  );
}

/** The network may change what an uncredited output pays (it cannot once credited). */
async function checkDepositAmount(
  { tx }: Unit,
  deposit: Transaction,
  amount: bigint,
): Promise<Transaction> {
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

// ---- reversals: shallow, back in the mempool or conflicted -----------------------------------

/**
 * Records that the network holds a deposit's transaction below the crediting depth, with the
 * node's `confirmations` (negative: conflicted; 0 also when the node no longer knows it). A
 * credited or processed deposit of it is reversed: its state becomes `reversed`, a compensating
 * `deposit_reversal` debits the account (even below zero) and the address, and a `txupdate`
 * says so. An uncredited deposit stays uncredited. Idempotent. `recordDeposit` credits a
 * reversed deposit again, once, when its transaction is back at the threshold.
 */
export async function reverseDeposit(
  ctx: LedgerContext,
  update: Reversal,
): Promise<DepositReversalResult> {
  checkTxid(update.txid);
  const { confirmations } = update;
  if (
    !Number.isSafeInteger(confirmations) ||
    confirmations < -confirmationsMax ||
    confirmations >= ctx.coin.confirmations
  ) {
    throw new InvalidValueError(
      'confirmations',
      `expected a whole number -${confirmationsMax}..${ctx.coin.confirmations - 1}`,
    );
  }
  return ctx.write('reverse deposit', (tx, run) => reverseDepositIn(ctx, { tx, run }, update));
}

async function reverseDepositIn(
  ctx: LedgerContext,
  unit: Unit,
  update: Reversal,
): Promise<DepositReversalResult> {
  const { tx } = unit;
  const { confirmations } = update;
  const row = await tx
    .updateTable('network_transaction')
    .set({ confirmations, updated_at: nowIso() })
    .where('type', '=', 'deposit')
    .where('txid', '=', update.txid)
    .returningAll()
    .executeTakeFirst();
  if (!row) return { networkTransaction: undefined, deposits: [], addresses: [], reversedNow: [] };
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
      deposit = await reverseCredit(ctx, unit, deposit, network.id);
      reversedNow.push(deposit);
    }
    await ctx.events.recordTransactionUpdate(tx, deposit.id);
    deposits.push(deposit);
  }
  const addresses = rows.map((found) => found.received_at);
  return { networkTransaction: network, deposits, addresses, reversedNow };
}

/** Takes a deposit's credit back with a compensating `deposit_reversal` entry. */
async function reverseCredit(
  ctx: LedgerContext,
  unit: Unit,
  deposit: Transaction,
  networkTransactionId: number,
): Promise<Transaction> {
  const { receivingAccountId: accountId, addressId } = deposit;
  assert(accountId !== null && addressId !== null, 'reversal of a deposit without account');
  const row = await unit.tx
    .updateTable('transaction')
    .set({ state: 'reversed' })
    .where('id', '=', deposit.id)
    .where('state', 'in', ['credited', 'processed'])
    .returningAll()
    .executeTakeFirstOrThrow();
  await moveDepositBalances(ctx, unit, deposit, -deposit.amount);
  await insertTransaction(unit.tx, {
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
async function recreditDeposit(
  ctx: LedgerContext,
  unit: Unit,
  deposit: Transaction,
  network: NetworkTransaction,
): Promise<DepositResult> {
  const { receivingAccountId: accountId, addressId } = deposit;
  assert(accountId !== null && addressId !== null, 'credit of a deposit without account');
  const row = await unit.tx
    .updateTable('transaction')
    .set({ state: 'credited', credited_at: nowIso() })
    .where('id', '=', deposit.id)
    .where('state', '=', 'reversed')
    .returningAll()
    .executeTakeFirstOrThrow();
  await moveDepositBalances(ctx, unit, deposit, deposit.amount);
  await insertTransaction(unit.tx, {
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
  await ctx.events.recordTransactionUpdate(unit.tx, credited.id);
  return { transaction: credited, networkTransaction: network, creditedNow: true };
}

// ---- after crediting, and reading ----------------------------------------------------------

/** Marks a credited deposit as processed by the app. Idempotent; an uncredited one is refused. */
export async function markProcessed(
  ctx: LedgerContext,
  transactionId: number,
): Promise<Transaction> {
  return ctx.resolver.managed('mark processed', async (tx) => {
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
export function listDeposits(
  ctx: LedgerContext,
  options: Omit<TransactionFilter, 'kind'>,
): Promise<Transaction[]> {
  return listTransactions(ctx, { ...options, kind: 'deposit' });
}

/** Deposits seen on the network but not yet credited. */
export function listUnconfirmedDeposits(
  ctx: LedgerContext,
  options: Omit<TransactionFilter, 'kind' | 'state'>,
): Promise<Transaction[]> {
  return listTransactions(ctx, { ...options, kind: 'deposit', state: 'incoming' });
}

/** Sum of deposits seen but not yet credited, for a wallet or one account. */
export async function unconfirmedBalance(
  ctx: LedgerContext,
  options: { readonly wallet: WalletRef; readonly account?: Pick<Account, 'id'> },
): Promise<bigint> {
  let query = ctx.db
    .selectFrom('transaction')
    .select((eb) => eb.fn.sum<string | bigint>('amount').as('total'))
    .where('wallet_id', '=', options.wallet.id)
    .where('kind', '=', 'deposit')
    .where('state', '=', 'incoming');
  if (options.account) query = query.where('receiving_account_id', '=', options.account.id);
  return toAmount((await query.executeTakeFirst())?.total ?? 0n);
}

/** Total received at an address in deposits with at least `confirmations` confirmations. */
export async function addressReceived(
  ctx: LedgerContext,
  address: Pick<Address, 'id'>,
  options: { readonly confirmations: number },
): Promise<bigint> {
  checkConfirmations(options.confirmations);
  const row = await ctx.db
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

/**
 * Deposit network transactions recorded with fewer than `confirmationsBelow` confirmations,
 * least recently updated first: what a confirmation poller should ask the network about again.
 * One conflicted at least that deep (confirmations ≤ -confirmationsBelow) is left out for good.
 */
export async function listOpenDeposits(
  ctx: LedgerContext,
  options: { readonly confirmationsBelow: number; readonly limit: number },
): Promise<OpenDeposit[]> {
  const { confirmationsBelow } = options;
  assert(
    Number.isSafeInteger(confirmationsBelow) &&
      confirmationsBelow > 0 &&
      confirmationsBelow <= confirmationsMax,
    `confirmationsBelow must be 1..${confirmationsMax}`,
  );
  const limit = checkLimit(options.limit);
  const rows = await ctx.db
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
