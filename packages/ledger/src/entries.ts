// Writes one row of the transaction table, with nulls for what the entry does not use.
import type { Tx } from './context.js';
import { nowIso } from './context.js';
import { mapTransaction, type Transaction } from './records.js';
import type { TransactionState } from './schema.js';

export type TransactionValues = {
  wallet_id: number;
  kind: Transaction['kind'];
  state: TransactionState;
  amount: bigint;
  sending_account_id?: number;
  receiving_account_id?: number;
  address_id?: number;
  network_transaction_id?: number;
  label: string | null;
};

export async function insertTransaction(tx: Tx, values: TransactionValues): Promise<Transaction> {
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
