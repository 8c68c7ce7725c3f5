// What the ledger's modules share: the coin, its backend, the prefixed database, the resolver,
// the event outbox and the compiled statements, plus the clock and the shared limits.
import type { CoinConfig } from '@cryptoassets/core';
import type { Kysely } from 'kysely';
import type { Backend } from './backend.js';
import {
  type BroadcastHoldStatements,
  compileBroadcastHoldStatements,
} from './broadcast-hold-statements.js';
import type { Database } from './database.js';
import { compileDepositStatements, type DepositStatements } from './deposit-statements.js';
import { NoBackend } from './errors.js';
import { EventOutbox } from './events.js';
import type { Account, Wallet } from './records.js';
import { ConflictResolver, type ResolverOptions, type StatementRunner } from './resolver.js';
import type { LedgerTables } from './schema.js';
import { TablePrefixPlugin } from './table-prefix.js';
import { WriteStore } from './write/store.js';
import { type Procedure, type WriteConcurrency, Writer } from './write/writer.js';

export const listLimitDefault = 100;
export const listLimitMax = 10_000;
export const confirmationsMax = 1_000_000_000;
/** Most observations `recordDepositObservations` takes in one transaction. */
export const depositObservationsMax = 1_000;
/** Most receiving addresses one observed transaction may pay. */
export const receivedPerObservationMax = 10_000;

/** The coin's tables, seen through its table prefix; also the type of a unit of work's `tx`. */
export type Tx = Kysely<LedgerTables>;
/** A unit of work's transaction and its runner of compiled statements. */
export type Unit = { readonly tx: Tx; readonly run: StatementRunner };
export type AccountRef = Pick<Account, 'id' | 'walletId' | 'name'>;
export type WalletRef = Pick<Wallet, 'id'>;

export type LedgerOptions = {
  readonly database: Database;
  readonly coin: CoinConfig;
  /** The coin's network; undefined for bookkeeping alone. */
  readonly backend?: Backend | undefined;
  readonly resolver?: ResolverOptions;
  /** How write batches on PostgreSQL stay correct across processes (default `row-locks`). */
  readonly writeConcurrency?: WriteConcurrency;
};

export type LedgerContext = {
  readonly coin: CoinConfig;
  readonly backend: Backend | undefined;
  readonly database: Database;
  /** The coin's tables (prefixed). */
  readonly db: Tx;
  readonly resolver: ConflictResolver<LedgerTables>;
  readonly events: EventOutbox;
  readonly deposits: DepositStatements;
  readonly holds: BroadcastHoldStatements;
  /** The coin's writer: every money movement goes through it, batched with what is waiting. */
  readonly writer: Writer;
  /** Runs `work` in the writer's next batch transaction (retried whole on a conflict). */
  readonly write: <T>(name: string, work: Procedure<T>) => Promise<T>;
};

export function createLedgerContext(options: LedgerOptions): LedgerContext {
  const { coin, database } = options;
  const db = (database.kysely as Kysely<LedgerTables>).withPlugin(
    new TablePrefixPlugin(`${coin.symbol}_`),
  );
  const resolver = new ConflictResolver(db, database.dialect, options.resolver, database.sqlite);
  const events = new EventOutbox({ db, resolver, dialect: database.dialect, coin });
  const writer = new Writer({
    resolver,
    store: new WriteStore({
      prefix: `${coin.symbol}_`,
      dialect: database.dialect,
      sqlite: database.sqlite,
    }),
    hooks: { holdsSettled: (tx, holds) => events.recordHoldUpdates(tx, holds) },
    ...(options.writeConcurrency === undefined ? {} : { concurrency: options.writeConcurrency }),
  });
  return {
    coin,
    backend: options.backend,
    database,
    db,
    resolver,
    events,
    deposits: compileDepositStatements(db),
    holds: compileBroadcastHoldStatements(db),
    writer,
    write: (name, work) => writer.procedure(name, work),
  };
}

/** The coin's backend; `NoBackend` when the books run without one. */
export function requireBackend(ctx: LedgerContext): Backend {
  if (!ctx.backend) throw new NoBackend(ctx.coin.symbol);
  return ctx.backend;
}

export function nowIso(): string {
  return new Date().toISOString();
}
