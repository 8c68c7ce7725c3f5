// The statement of voiding a held broadcast, compiled once per ledger: the credit that gives a
// send back to its sender.
import { sql } from 'kysely';
import type { Tx } from './context.js';
import { QueryTemplate } from './query-template.js';

// Markers for the parameters of the compiled statement; no constant of it equals one.
const amountMarker = -1n;
const accountMarker = -1;
const walletMarker = -3;

export type BroadcastHoldStatements = ReturnType<typeof compileBroadcastHoldStatements>;

/** The statements of voiding a broadcast, compiled once per ledger. */
export function compileBroadcastHoldStatements(db: Tx) {
  const credit = db
    .updateTable('account')
    .set({ balance: sql`balance + ${amountMarker}` })
    .where('id', '=', accountMarker)
    .where('wallet_id', '=', walletMarker);
  return {
    /** Gives a voided send back to its sender. */
    credit: new QueryTemplate(credit, {
      amount: amountMarker,
      account: accountMarker,
      wallet: walletMarker,
    }),
  };
}
