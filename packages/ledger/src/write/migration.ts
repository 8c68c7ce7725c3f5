// Migration 0004: what the write path adds to a coin's books: held amounts on accounts, holds,
// idempotency keys, and references and metadata on transactions.
import { type Kysely, type Migration, sql } from 'kysely';
import type { DialectName } from '../database.js';

type Context = { readonly prefix: string; readonly dialect: DialectName };

export function writePathMigration({ prefix: p, dialect }: Context): Migration {
  const id =
    dialect === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  const ts = dialect === 'postgres' ? sql`timestamptz` : sql`text`;
  return {
    async up(db: Kysely<unknown>) {
      // Wallet names may be as long as account names (SQLite does not enforce varchar lengths).
      if (dialect === 'postgres')
        await db.schema
          .alterTable(`${p}wallet`)
          .alterColumn('name', (c) => c.setDataType('varchar(128)'))
          .execute();
      await db.schema
        .alterTable(`${p}account`)
        .addColumn('held', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      for (const [name, type] of [
        ['reference', 'varchar(128)'],
        ['metadata', 'text'],
        ['hold_id', 'bigint'],
      ] as const) {
        await db.schema.alterTable(`${p}transaction`).addColumn(name, type).execute();
      }
      await db.schema
        .createIndex(`${p}transaction_reference`)
        .on(`${p}transaction`)
        .columns(['wallet_id', 'reference'])
        .unique()
        .where(sql.ref('reference'), 'is not', null)
        .execute();
      await db.schema
        .createTable(`${p}hold`)
        .addColumn('id', id)
        .addColumn('wallet_id', 'bigint', (c) => c.notNull().references(`${p}wallet.id`))
        .addColumn('account_id', 'bigint', (c) => c.notNull().references(`${p}account.id`))
        .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
        .addColumn('captured', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('reference', 'varchar(128)')
        .addColumn('metadata', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('settled_at', ts)
        .execute();
      await db.schema
        .createIndex(`${p}hold_reference`)
        .on(`${p}hold`)
        .columns(['wallet_id', 'reference'])
        .unique()
        .where(sql.ref('reference'), 'is not', null)
        .execute();
      await db.schema
        .createIndex(`${p}hold_by_account`)
        .on(`${p}hold`)
        .columns(['account_id', 'state'])
        .execute();
      await db.schema
        .createIndex(`${p}hold_by_expiry`)
        .on(`${p}hold`)
        .columns(['state', 'expires_at'])
        .execute();
      await db.schema
        .createTable(`${p}idempotency`)
        .addColumn('wallet_id', 'bigint', (c) => c.notNull().references(`${p}wallet.id`))
        .addColumn('idempotency_key', 'varchar(128)', (c) => c.notNull())
        .addColumn('operation', 'varchar(16)', (c) => c.notNull())
        .addColumn('request', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'bigint', (c) => c.references(`${p}transaction.id`))
        .addColumn('hold_id', 'bigint', (c) => c.references(`${p}hold.id`))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint(`${p}idempotency_pk`, ['wallet_id', 'idempotency_key'])
        .execute();
    },
  };
}
