// Broadcasts held for an operator: holding one, and settling it as sent (resolve) or never
// sent (void, giving each send back to its sender).
import { assert } from '@cryptoassets/core';
import { requireBroadcast } from './broadcast-queue.js';
import { type Broadcast, holdReasonLengthMax } from './broadcasts.js';
import { checkTxid } from './checks.js';
import { type LedgerContext, listLimitMax, nowIso, type Tx, type Unit } from './context.js';
import { insertTransaction } from './entries.js';
import { BadTransactionState, NotFound } from './errors.js';
import {
  mapNetworkTransaction,
  mapTransaction,
  type NetworkTransaction,
  type Transaction,
} from './records.js';

/**
 * Marks an opened, unclosed broadcast as needing an operator, with the reason; holding it
 * again only updates the reason. The broadcaster leaves held broadcasts alone.
 */
export async function holdBroadcast(
  ctx: LedgerContext,
  networkTransactionId: number,
  reason: string,
): Promise<Broadcast> {
  const text = reason.slice(0, holdReasonLengthMax);
  await ctx.resolver.managed('hold broadcast', async (tx) => {
    const network = await openBroadcast(tx, networkTransactionId);
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
  return requireBroadcast(ctx, networkTransactionId);
}

/**
 * An operator found that a held broadcast was sent as `txid`: closes it with that txid and
 * its sends become `broadcasted`. The network fee is charged separately (`chargeNetworkFee`).
 */
export async function resolveBroadcast(
  ctx: LedgerContext,
  networkTransactionId: number,
  txid: string,
): Promise<Broadcast> {
  checkTxid(txid);
  await ctx.resolver.nonRetryable('resolve broadcast', async (tx) => {
    await settleHold(tx, networkTransactionId, 'resolved');
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
    await ctx.events.recordBroadcastUpdates(tx, networkTransactionId);
  });
  return requireBroadcast(ctx, networkTransactionId);
}

/**
 * An operator found that a held broadcast was never sent: gives each send back to its sender
 * with a compensating `send_void` entry and closes the broadcast without a txid. The original
 * sends keep their amounts and accounts (the debit stays in the books); only their state moves
 * from `pending` to `voided`, so nothing counts them as waiting to be sent.
 */
export async function voidBroadcast(
  ctx: LedgerContext,
  networkTransactionId: number,
): Promise<Transaction[]> {
  return ctx.write('void broadcast', async (tx, run) => {
    await settleHold(tx, networkTransactionId, 'voided');
    const sends = await pendingSends(tx, networkTransactionId);
    const compensations: Transaction[] = [];
    for (const send of sends)
      compensations.push(await voidSend(ctx, { tx, run }, send, networkTransactionId));
    if (sends.length > 0) {
      const voided = await tx
        .updateTable('transaction')
        .set({ state: 'voided' })
        .where(
          'id',
          'in',
          sends.map((send) => send.id),
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

/** The broadcast's sends still `pending`, oldest first. */
async function pendingSends(tx: Tx, networkTransactionId: number): Promise<Transaction[]> {
  const rows = await tx
    .selectFrom('transaction')
    .selectAll()
    .where('network_transaction_id', '=', networkTransactionId)
    .where('kind', '=', 'send')
    .where('state', '=', 'pending')
    .orderBy('id')
    .limit(listLimitMax + 1)
    .execute();
  assert(rows.length <= listLimitMax, `broadcast ${networkTransactionId}: too many sends`);
  return rows.map(mapTransaction);
}

/** Credits a send's amount back to its sender and records the `send_void` entry. */
async function voidSend(
  ctx: LedgerContext,
  unit: Unit,
  send: Transaction,
  networkTransactionId: number,
): Promise<Transaction> {
  const sender = send.sendingAccountId;
  assert(sender !== null, `send ${send.id} has no sending account`);
  const credited = await unit.run(
    ctx.holds.credit.bind({ amount: send.amount, account: sender, wallet: send.walletId }),
  );
  assert(credited.numAffectedRows === 1n, `send ${send.id}: sender account is missing`);
  return insertTransaction(unit.tx, {
    wallet_id: send.walletId,
    kind: 'send_void',
    state: 'voided',
    amount: send.amount,
    receiving_account_id: sender,
    ...(send.addressId === null ? {} : { address_id: send.addressId }),
    network_transaction_id: networkTransactionId,
    label: `void of send ${send.id}`,
  });
}

/** Moves a held broadcast to its final hold state; refuses one that is not held or not open. */
async function settleHold(
  tx: Tx,
  networkTransactionId: number,
  state: 'resolved' | 'voided',
): Promise<void> {
  await openBroadcast(tx, networkTransactionId);
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
async function openBroadcast(tx: Tx, networkTransactionId: number): Promise<NetworkTransaction> {
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
