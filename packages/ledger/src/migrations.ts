// Migrations of one coin's tables. Each coin keeps its own tables and its own migration log.
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { DialectName } from './database.js';
import { DatabaseError } from './errors.js';
import { writePathMigration } from './write/migration.js';

type Context = { readonly prefix: string; readonly dialect: DialectName };

function idColumn(dialect: DialectName) {
  return dialect === 'postgres'
    ? sql`bigserial primary key`
    : sql`integer primary key autoincrement`;
}

function timestamp(dialect: DialectName) {
  return dialect === 'postgres' ? sql`timestamptz` : sql`text`;
}

function initial({ prefix: p, dialect }: Context): Migration {
  const id = idColumn(dialect);
  const ts = timestamp(dialect);
  const ref = (table: string) => `${p}${table}.id`;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable(`${p}wallet`)
        .addColumn('id', id)
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable(`${p}account`)
        .addColumn('id', id)
        .addColumn('wallet_id', 'bigint', (c) => c.notNull().references(ref('wallet')))
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('user'))
        .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint(`${p}account_wallet_name`, ['wallet_id', 'name'])
        .execute();
      await db.schema
        .createTable(`${p}address`)
        .addColumn('id', id)
        .addColumn('wallet_id', 'bigint', (c) => c.notNull().references(ref('wallet')))
        .addColumn('account_id', 'bigint', (c) => c.references(ref('account')))
        .addColumn('address', 'varchar(128)', (c) => c.notNull())
        .addColumn('label', 'varchar(256)')
        .addColumn('balance', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('archived_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint(`${p}address_wallet_address`, ['wallet_id', 'address'])
        .execute();
      await db.schema
        .createIndex(`${p}address_by_address`)
        .on(`${p}address`)
        .column('address')
        .execute();
      await db.schema
        .createIndex(`${p}address_by_account`)
        .on(`${p}address`)
        .column('account_id')
        .execute();
      await db.schema
        .createTable(`${p}network_transaction`)
        .addColumn('id', id)
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('txid', 'varchar(128)')
        .addColumn('confirmations', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('opened_at', ts)
        .addColumn('closed_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addUniqueConstraint(`${p}network_transaction_type_txid`, ['type', 'txid'])
        .execute();
      await db.schema
        .createTable(`${p}transaction`)
        .addColumn('id', id)
        .addColumn('wallet_id', 'bigint', (c) => c.notNull().references(ref('wallet')))
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
        .addColumn('sending_account_id', 'bigint', (c) => c.references(ref('account')))
        .addColumn('receiving_account_id', 'bigint', (c) => c.references(ref('account')))
        .addColumn('address_id', 'bigint', (c) => c.references(ref('address')))
        .addColumn('network_transaction_id', 'bigint', (c) =>
          c.references(ref('network_transaction')),
        )
        .addColumn('label', 'varchar(256)')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('credited_at', ts)
        .addColumn('processed_at', ts)
        .execute();
      const tx = `${p}transaction`;
      await db.schema
        .createIndex(`${tx}_by_wallet_state`)
        .on(tx)
        .columns(['wallet_id', 'state'])
        .execute();
      await db.schema.createIndex(`${tx}_by_sender`).on(tx).column('sending_account_id').execute();
      await db.schema
        .createIndex(`${tx}_by_receiver`)
        .on(tx)
        .column('receiving_account_id')
        .execute();
      await db.schema.createIndex(`${tx}_by_address`).on(tx).column('address_id').execute();
      await db.schema
        .createIndex(`${tx}_one_deposit_per_output`)
        .on(tx)
        .columns(['network_transaction_id', 'address_id'])
        .unique()
        .where(sql.ref('kind'), '=', sql.lit('deposit'))
        .execute();
      await db.schema
        .createIndex(`${tx}_one_fee_per_broadcast`)
        .on(tx)
        .column('network_transaction_id')
        .unique()
        .where(sql.ref('kind'), '=', sql.lit('network_fee'))
        .execute();
    },
  };
}

/** The event outbox: events, each handler's cursor, and failed or dead deliveries. */
function outbox({ prefix: p, dialect }: Context): Migration {
  const ts = timestamp(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable(`${p}event`)
        .addColumn('id', idColumn(dialect))
        .addColumn('name', 'varchar(32)', (c) => c.notNull())
        .addColumn('transaction_id', 'bigint', (c) => c.references(`${p}transaction.id`))
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex(`${p}event_by_transaction`)
        .on(`${p}event`)
        .columns(['transaction_id', 'id'])
        .execute();
      await db.schema
        .createTable(`${p}event_cursor`)
        .addColumn('handler', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('last_event_id', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable(`${p}event_failure`)
        .addColumn('handler', 'varchar(64)', (c) => c.notNull())
        .addColumn('event_id', 'bigint', (c) => c.notNull().references(`${p}event.id`))
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', ts, (c) => c.notNull())
        .addColumn('last_error', 'text', (c) => c.notNull())
        .addColumn('dead_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint(`${p}event_failure_pk`, ['handler', 'event_id'])
        .execute();
    },
  };
}

/**
 * Broadcasts waiting for an operator (held, then resolved or voided), and leases: a named lock
 * with an owner and an expiry, used so that only one broadcaster of a wallet runs at a time.
 */
function broadcastHoldsAndLeases({ prefix: p, dialect }: Context): Migration {
  const ts = timestamp(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable(`${p}broadcast_hold`)
        .addColumn('network_transaction_id', 'bigint', (c) =>
          c.primaryKey().references(`${p}network_transaction.id`),
        )
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('held_at', ts, (c) => c.notNull())
        .addColumn('settled_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable(`${p}lease`)
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('owner', 'varchar(128)', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('acquired_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  };
}

function migrationsFor(context: Context): Record<string, Migration> {
  return {
    '0001_initial': initial(context),
    '0002_outbox': outbox(context),
    '0003_broadcast_lock': broadcastHoldsAndLeases(context),
    '0004_write_path': writePathMigration(context),
  };
}

/**
 * Creates or upgrades the tables of one coin. Safe to run again: applied steps are skipped.
 * Safe to run from several processes at once: on PostgreSQL the migrator takes an advisory
 * lock; on SQLite (where it takes none) the whole run is one `BEGIN IMMEDIATE` transaction, so
 * runs queue on the write lock (for up to the busy timeout), a later run finds the steps done,
 * and a step that fails leaves nothing of the run behind.
 */
export async function migrateCoin(options: {
  readonly db: Kysely<unknown>;
  readonly dialect: DialectName;
  readonly coin: string;
}): Promise<{ readonly applied: string[] }> {
  if (options.dialect !== 'sqlite') return migratePostgres(options.db, options);
  // One connection for the whole run: nothing else of this process runs inside the transaction.
  return options.db.connection().execute(async (db) => {
    await sql`begin immediate`.execute(db);
    try {
      const result = await migrateToLatest(db, options);
      await sql`commit`.execute(db);
      return result;
    } catch (error) {
      await sql`rollback`.execute(db).catch(() => {
        // Nothing to roll back: the failure ended the transaction already.
      });
      throw error;
    }
  });
}

/** Most tries of a PostgreSQL migration that lost a race with another schema being dropped. */
const migrateAttemptsMax = 3;

/**
 * The migrator looks tables up across the catalog; a schema another client drops meanwhile can
 * make that lookup fail with `3F000` although ours is fine: such a run changed nothing, so it is
 * tried again, a bounded number of times.
 */
async function migratePostgres(
  db: Kysely<unknown>,
  options: { readonly dialect: DialectName; readonly coin: string },
): Promise<{ readonly applied: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateToLatest(db, options);
    } catch (error) {
      const failure = error as { code?: unknown; cause?: { code?: unknown } };
      const code = failure.cause?.code ?? failure.code;
      if (code !== '3F000' || attempt >= migrateAttemptsMax) throw error;
    }
  }
}

async function migrateToLatest(
  db: Kysely<unknown>,
  options: { readonly dialect: DialectName; readonly coin: string },
): Promise<{ readonly applied: string[] }> {
  const prefix = `${options.coin}_`;
  const provider: MigrationProvider = {
    getMigrations: async () => migrationsFor({ prefix, dialect: options.dialect }),
  };
  // On PostgreSQL the migration log lives in the current schema; without naming it, another
  // schema's log of the same name would be taken for ours.
  const schema = options.dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: `${prefix}migration`,
    migrationLockTableName: `${prefix}migration_lock`,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error)
    throw new DatabaseError(
      `migrating ${options.coin} tables failed: ${(error as Error).message}`,
      { cause: error },
    );
  return {
    applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}

async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(
    db,
  );
  const schema = result.rows[0]?.schema;
  if (!schema) throw new DatabaseError('PostgreSQL has no current schema: check search_path');
  return schema;
}
