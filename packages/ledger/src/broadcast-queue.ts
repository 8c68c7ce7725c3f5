// The queue of external sends: grouping pending sends into broadcasts, opening and closing them,
// what they pay, listing them by status, and tracking their confirmations and fees.
import { assert, InvalidValueError } from '@cryptoassets/core';
import {
  type Broadcast,
  type BroadcastOutput,
  broadcastStatus,
  optionalDate,
} from './broadcasts.js';
import { checkLimit, checkTxid } from './checks.js';
import {
  type LedgerContext,
  listLimitDefault,
  listLimitMax,
  nowIso,
  type Tx,
  type WalletRef,
} from './context.js';
import { BadTransactionState, NotFound } from './errors.js';
import { listTransactions } from './reads.js';
import {
  mapNetworkTransaction,
  mapTransaction,
  type NetworkTransaction,
  type Transaction,
  toAmount,
  toId,
} from './records.js';

export type PreparedBroadcast = {
  readonly networkTransaction: NetworkTransaction;
  readonly transactions: Transaction[];
};

/** External sends waiting to be broadcast, oldest first. */
export function listPendingOutgoing(
  ctx: LedgerContext,
  wallet: WalletRef,
  limit = listLimitDefault,
): Promise<Transaction[]> {
  return listTransactions(ctx, { wallet, kind: 'send', state: 'pending', limit });
}

/**
 * Groups the wallet's pending external sends that no broadcast holds yet into a new broadcast
 * network transaction (no txid yet). Returns undefined when nothing is pending.
 */
export async function prepareBroadcast(
  ctx: LedgerContext,
  wallet: WalletRef,
  limit = listLimitDefault,
): Promise<PreparedBroadcast | undefined> {
  checkLimit(limit);
  return ctx.resolver.managed('prepare broadcast', async (tx) => {
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
    const network = await insertBroadcast(tx);
    const ids = pending.map((row) => toId(row.id));
    const rows = await tx
      .updateTable('transaction')
      .set({ network_transaction_id: network.id })
      .where('id', 'in', ids)
      .returningAll()
      .execute();
    assert(rows.length === ids.length, 'broadcast lost a transaction');
    return { networkTransaction: network, transactions: rows.map(mapTransaction) };
  });
}

async function insertBroadcast(tx: Tx): Promise<NetworkTransaction> {
  const now = nowIso();
  const row = await tx
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
  return mapNetworkTransaction(row);
}

/** Commits that a broadcast is about to be sent. Not retried: the caller must know it happened. */
export async function markBroadcastOpened(
  ctx: LedgerContext,
  networkTransactionId: number,
): Promise<NetworkTransaction> {
  return ctx.resolver.nonRetryable('open broadcast', async (tx) => {
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
export async function markBroadcastClosed(
  ctx: LedgerContext,
  networkTransactionId: number,
  txid: string,
): Promise<NetworkTransaction> {
  checkTxid(txid);
  return ctx.resolver.nonRetryable('close broadcast', async (tx) => {
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
    await ctx.events.recordBroadcastUpdates(tx, networkTransactionId);
    return mapNetworkTransaction(row);
  });
}

/** What a broadcast pays: its sends' amounts summed per address, in the order first seen. */
export async function broadcastOutputs(
  ctx: LedgerContext,
  networkTransactionId: number,
): Promise<BroadcastOutput[]> {
  const rows = await ctx.db
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
export async function getBroadcast(
  ctx: LedgerContext,
  networkTransactionId: number,
): Promise<Broadcast | undefined> {
  const [found] = await listBroadcasts(ctx, { id: networkTransactionId, limit: 1 });
  return found;
}

/** Like `getBroadcast`, but a missing broadcast is a `NotFound` error. */
export async function requireBroadcast(
  ctx: LedgerContext,
  networkTransactionId: number,
): Promise<Broadcast> {
  const broadcast = await getBroadcast(ctx, networkTransactionId);
  if (!broadcast) throw new NotFound(`broadcast ${networkTransactionId}`);
  return broadcast;
}

export type BroadcastFilter = {
  readonly wallet?: WalletRef | undefined;
  readonly id?: number;
  /** `open`: opened and not closed; `opened`: the same, unless held; `held`: held. */
  readonly status?: 'prepared' | 'opened' | 'open' | 'held';
  readonly limit?: number;
};

/** Broadcasts with their status and hold, oldest first. */
export async function listBroadcasts(
  ctx: LedgerContext,
  filter: BroadcastFilter,
): Promise<Broadcast[]> {
  let query = ctx.db
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
 * Closed broadcasts still below `confirmationsBelow` confirmations, oldest first: what the
 * confirmation poller asks the node about.
 */
export async function listUnconfirmedBroadcasts(
  ctx: LedgerContext,
  options: { readonly confirmationsBelow: number; readonly limit: number },
): Promise<NetworkTransaction[]> {
  const rows = await ctx.db
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
export async function recordBroadcastConfirmations(
  ctx: LedgerContext,
  options: { readonly networkTransactionId: number; readonly confirmations: number },
): Promise<boolean> {
  const { networkTransactionId, confirmations } = options;
  if (!Number.isSafeInteger(confirmations) || confirmations < 0)
    throw new InvalidValueError('confirmations', 'expected a whole number of at least 0');
  return ctx.resolver.managed('record broadcast confirmations', async (tx) => {
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
    await ctx.events.recordBroadcastUpdates(tx, networkTransactionId);
    return true;
  });
}

/**
 * Closed broadcasts of `wallet` whose network fee was never charged (the process stopped
 * between closing and charging, or the node could not tell the fee yet), newest first.
 */
export async function listBroadcastsWithoutFee(
  ctx: LedgerContext,
  wallet: WalletRef,
  limit = listLimitDefault,
): Promise<NetworkTransaction[]> {
  const rows = await ctx.db
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
