// The statements of a deposit update, compiled once per ledger: a burst of deposits runs them
// thousands of times, where building each query anew would cost more than the database takes.
import { type Kysely, sql } from 'kysely';
import { QueryTemplate } from './query-template.js';
import type { LedgerTables, TransactionState } from './schema.js';

type Tx = Kysely<LedgerTables>;

// Markers for the parameters; no constant of these statements equals one.
const amountMarker = -1n;
const idMarker = -11;
const otherIdMarker = -12;
const walletMarker = -13;
const accountMarker = -14;
const confirmationsMarker = -15;
const addressMarker = '\u0000address';
const txidMarker = '\u0000txid';
const stateMarker = '\u0000state' as TransactionState;
const timeMarker = '\u0000time';
const creditedAtMarker = '\u0000credited_at' as string | null;

export type DepositStatements = ReturnType<typeof compileDepositStatements>;

export function compileDepositStatements(db: Tx) {
  const findAddress = db
    .selectFrom('address')
    .selectAll()
    .where('address', '=', addressMarker)
    .where('account_id', 'is not', null)
    .orderBy('id')
    .limit(1);
  const upsertNetwork = db
    .insertInto('network_transaction')
    .values({
      type: 'deposit',
      txid: txidMarker,
      confirmations: confirmationsMarker,
      opened_at: null,
      closed_at: null,
      created_at: timeMarker,
      updated_at: timeMarker,
    })
    .onConflict((oc) =>
      oc
        .columns(['type', 'txid'])
        .doUpdateSet({ confirmations: confirmationsMarker, updated_at: timeMarker }),
    )
    .returningAll();
  const findDeposit = db
    .selectFrom('transaction')
    .selectAll()
    .where('kind', '=', 'deposit')
    .where('network_transaction_id', '=', idMarker)
    .where('address_id', '=', otherIdMarker)
    .limit(1);
  const insertDeposit = db
    .insertInto('transaction')
    .values({
      wallet_id: walletMarker,
      kind: 'deposit',
      state: stateMarker,
      amount: amountMarker,
      sending_account_id: null,
      receiving_account_id: accountMarker,
      address_id: idMarker,
      network_transaction_id: otherIdMarker,
      label: null,
      created_at: timeMarker,
      credited_at: creditedAtMarker,
      processed_at: null,
    })
    .returningAll();
  const creditTransaction = db
    .updateTable('transaction')
    .set({ state: 'credited', credited_at: timeMarker })
    .where('id', '=', idMarker)
    .where('state', '=', 'incoming')
    .returningAll();
  const creditAccount = db
    .updateTable('account')
    .set({ balance: sql`balance + ${amountMarker}` })
    .where('id', '=', idMarker);
  const creditAddress = db
    .updateTable('address')
    .set({ balance: sql`balance + ${amountMarker}` })
    .where('id', '=', idMarker);
  const accountName = db.selectFrom('account').select('name').where('id', '=', idMarker);
  return {
    findAddress: new QueryTemplate(findAddress, { address: addressMarker }),
    upsertNetwork: new QueryTemplate(upsertNetwork, {
      txid: txidMarker,
      confirmations: confirmationsMarker,
      now: timeMarker,
    }),
    findDeposit: new QueryTemplate(findDeposit, {
      networkTransaction: idMarker,
      address: otherIdMarker,
    }),
    insertDeposit: new QueryTemplate(insertDeposit, {
      wallet: walletMarker,
      state: stateMarker,
      amount: amountMarker,
      account: accountMarker,
      address: idMarker,
      networkTransaction: otherIdMarker,
      now: timeMarker,
      creditedAt: creditedAtMarker,
    }),
    creditTransaction: new QueryTemplate(creditTransaction, {
      transaction: idMarker,
      now: timeMarker,
    }),
    /** Adds the amount (negative to take back) to an account's balance. */
    creditAccount: new QueryTemplate(creditAccount, { amount: amountMarker, account: idMarker }),
    /** Adds the amount (negative to take back) to an address's balance. */
    creditAddress: new QueryTemplate(creditAddress, { amount: amountMarker, address: idMarker }),
    accountName: new QueryTemplate(accountName, { account: idMarker }),
  };
}
