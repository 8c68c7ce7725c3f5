import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import type { LedgerTables } from './schema.js';
import { TablePrefixPlugin } from './table-prefix.js';

const db = new Kysely<LedgerTables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
}).withPlugin(new TablePrefixPlugin('ltc_'));

describe('TablePrefixPlugin', () => {
  it('prefixes tables in from, joins, qualified references and writes', () => {
    const select = db
      .selectFrom('transaction')
      .innerJoin(
        'network_transaction',
        'network_transaction.id',
        'transaction.network_transaction_id',
      )
      .select('transaction.amount')
      .where('transaction.kind', '=', 'deposit')
      .compile();
    expect(select.sql).toBe(
      'select "ltc_transaction"."amount" from "ltc_transaction" inner join "ltc_network_transaction" on "ltc_network_transaction"."id" = "ltc_transaction"."network_transaction_id" where "ltc_transaction"."kind" = $1',
    );
    const update = db.updateTable('account').set({ name: 'x' }).where('id', '=', 1).compile();
    expect(update.sql).toBe('update "ltc_account" set "name" = $1 where "id" = $2');
  });

  it('keeps two coins apart', () => {
    const btc = db.withoutPlugins().withPlugin(new TablePrefixPlugin('btc_'));
    expect(btc.selectFrom('wallet').selectAll().compile().sql).toBe('select * from "btc_wallet"');
  });
});
