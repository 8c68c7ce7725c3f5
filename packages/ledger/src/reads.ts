// Reading the books: single transactions and network transactions, filtered lists, the audit.
import { type AuditReport, auditBooks } from './audit.js';
import { checkLimit } from './checks.js';
import { type LedgerContext, listLimitDefault, type WalletRef } from './context.js';
import {
  type Account,
  mapNetworkTransaction,
  mapTransaction,
  type NetworkTransaction,
  type Transaction,
} from './records.js';
import type { TransactionState } from './schema.js';

export type TransactionFilter = {
  readonly wallet: WalletRef;
  readonly account?: Pick<Account, 'id'>;
  readonly state?: TransactionState;
  readonly kind?: Transaction['kind'];
  /** Only the transaction with this reference (an app's own id). */
  readonly reference?: string;
  readonly limit?: number;
};

export async function getTransaction(
  ctx: LedgerContext,
  id: number,
): Promise<Transaction | undefined> {
  const row = await ctx.db
    .selectFrom('transaction')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? mapTransaction(row) : undefined;
}

export async function getNetworkTransaction(
  ctx: LedgerContext,
  id: number,
): Promise<NetworkTransaction | undefined> {
  const row = await ctx.db
    .selectFrom('network_transaction')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? mapNetworkTransaction(row) : undefined;
}

/** Transactions of a wallet, filtered by account (either side), kind and state; newest first. */
export async function listTransactions(
  ctx: LedgerContext,
  filter: TransactionFilter,
): Promise<Transaction[]> {
  const limit = checkLimit(filter.limit ?? listLimitDefault);
  let query = ctx.db
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
  if (filter.reference !== undefined) query = query.where('reference', '=', filter.reference);
  return (await query.orderBy('id', 'desc').limit(limit).execute()).map(mapTransaction);
}

/** Recomputes every account and address balance from the transactions. */
export function audit(ctx: LedgerContext): Promise<AuditReport> {
  return ctx.resolver.managed('audit', (tx) => auditBooks(tx));
}
