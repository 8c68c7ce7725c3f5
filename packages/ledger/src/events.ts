// The event outbox of one coin. Events are written in the same database transaction as the
// change they describe; a dispatcher reads them in id order and keeps, per handler, a cursor
// (the last event the handler is done with) and the failed deliveries waiting for a new try.
import { assert, type CoinConfig, formatAmount } from '@cryptoassets/core';
import { type CompiledQuery, type Kysely, type Selectable, sql } from 'kysely';
import type { DialectName } from './database.js';
import { QueryTemplate } from './query-template.js';
import { type Hold, toDate, toId } from './records.js';
import type { ConflictResolver, StatementRunner } from './resolver.js';
import type {
  EventFailureTable,
  EventTable,
  HoldState,
  LedgerTables,
  TransactionState,
} from './schema.js';
import type { Metadata } from './write/commands.js';

/** Most events one read returns. */
export const eventBatchSizeMax = 1_000;
/** Most dead events one listing returns. */
export const deadEventsListedMax = 1_000;
/** Longest error text kept for a failed delivery; the rest is cut. */
export const lastErrorLengthMax = 2_000;
/** Longest handler name (the key under `events` in the configuration). */
export const handlerNameLengthMax = 64;
/** Most transactions one broadcast holds (the ledger's list limit), so most events it writes. */
const transactionsPerBroadcastMax = 10_000;
export const txUpdateEventName = 'txupdate';
export const holdUpdateEventName = 'holdupdate';
// PostgreSQL advisory lock class of event writers ("CAEV"); the second key is the coin's.
const eventLockClass = 0x4341_4556;

type Tx = Kysely<LedgerTables>;

export type EventDirection = 'deposit' | 'broadcast';

/** What a `txupdate` event says about one transaction. Amounts are decimal strings. */
export type TxUpdateData = {
  readonly coin: string;
  readonly transaction_id: number;
  readonly network_transaction_id: number;
  readonly direction: EventDirection;
  readonly txid: string;
  /** The receiving account of a deposit; the sending account of a broadcast. */
  readonly account: string;
  /** Our receiving address for a deposit; the address sent to for a broadcast. */
  readonly address: string;
  /** Decimal string with the coin's decimals, e.g. `0.00005000`. */
  readonly amount: string;
  readonly confirmations: number;
  /** True only once the account has been credited: a deposit at the confirmation threshold. */
  readonly credited: boolean;
  readonly state: TransactionState;
  /** The app's own id of a send, when it gave one. */
  readonly reference?: string;
  /** The metadata an app stored with a send. */
  readonly metadata?: Metadata;
};

/** What a `holdupdate` event says about a hold that ended. Amounts are decimal strings. */
export type HoldUpdateData = {
  readonly coin: string;
  readonly hold_id: number;
  readonly account: string;
  readonly amount: string;
  /** What the capture moved; `0` for a release or expiry. */
  readonly captured: string;
  readonly state: HoldState;
  readonly reference: string | null;
  readonly metadata: Metadata | null;
};

/** A `holdupdate` event: a hold was captured, released, or released at its expiry. */
export type HoldUpdateEvent = {
  readonly id: string;
  readonly name: typeof holdUpdateEventName;
  readonly created_at: string;
  readonly data: HoldUpdateData;
};

/** A `txupdate` event as delivered: the JSON body of a webhook, a script's event data. */
export type TxUpdateEvent = {
  /** `<coin>:<outbox id>`, e.g. `ltc:42`: the same on every delivery, to deduplicate on. */
  readonly id: string;
  readonly name: typeof txUpdateEventName;
  /** When the change was committed, ISO-8601. */
  readonly created_at: string;
  readonly data: TxUpdateData;
};

/** Every event the toolkit delivers. */
export type CryptoassetsEvent = TxUpdateEvent | HoldUpdateEvent;

/** The data of a `txupdate` event; undefined for an event of another name. */
export function txUpdateOf(event: CryptoassetsEvent): TxUpdateData | undefined {
  return event.name === txUpdateEventName ? event.data : undefined;
}

/** The `txupdate` data of outbox events, in order, leaving out events of other names. */
export function txUpdatesOf(events: readonly OutboxEvent[]): TxUpdateData[] {
  return events.flatMap((entry) => {
    const data = txUpdateOf(entry.event);
    return data === undefined ? [] : [data];
  });
}

export type OutboxEvent = {
  /** The outbox row id: a coin's events are delivered to each handler in this order. */
  readonly sequence: number;
  readonly event: CryptoassetsEvent;
};

/** The next event a handler should get, and how its earlier attempts went. */
export type PendingDelivery = {
  readonly event: OutboxEvent;
  /** Failed attempts so far (0 for a first try). */
  readonly attempts: number;
  /** Not before this time; undefined for a first try. */
  readonly nextAttemptAt: Date | undefined;
  /** A dead event put back with `redeliver`: delivered before, and out of, the id order. */
  readonly redelivery: boolean;
};

export type DeadEvent = {
  readonly handler: string;
  readonly event: OutboxEvent;
  readonly attempts: number;
  readonly lastError: string;
  readonly deadAt: Date;
};

export type FailedDelivery = {
  readonly handler: string;
  readonly sequence: number;
  /** Failed attempts including this one. */
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly error: string;
  /** Give up: the event goes dead and the handler moves on to the next one. */
  readonly dead: boolean;
};

export type HandlerBacklog = {
  /** Events the handler has not had yet, and dead events put back for redelivery. */
  readonly waiting: number;
  /** Events the handler gave up on. */
  readonly dead: number;
};

export type EventOutboxOptions = {
  /** The coin's database with its table prefix. */
  readonly db: Tx;
  readonly resolver: ConflictResolver<LedgerTables>;
  readonly dialect: DialectName;
  readonly coin: CoinConfig;
};

export class EventOutbox {
  readonly coin: CoinConfig;
  readonly #db: Tx;
  readonly #resolver: ConflictResolver<LedgerTables>;
  readonly #dialect: DialectName;
  readonly #lockKey: number;
  readonly #statements: ReturnType<typeof compileEventStatements>;

  constructor(options: EventOutboxOptions) {
    this.coin = options.coin;
    this.#db = options.db;
    this.#resolver = options.resolver;
    this.#dialect = options.dialect;
    this.#lockKey = hash32(options.coin.symbol);
    this.#statements = compileEventStatements(this.#db, this.#lockKey);
  }

  // ---- writing, inside the ledger's transactions ----------------------------------------------

  /**
   * Writes a `txupdate` about a deposit or broadcast transaction in `tx`, unless the last event
   * about it says the same (confirmations, state, amount). Returns true when one was written.
   */
  async recordTransactionUpdate(tx: Tx, transactionId: number): Promise<boolean> {
    const [data] = await this.#describe(tx, { transactionId });
    assert(data !== undefined, `txupdate: transaction ${transactionId} is not a network one`);
    const last = await tx
      .selectFrom('event')
      .select('payload')
      .where('transaction_id', '=', transactionId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last && sameUpdate(JSON.parse(last.payload) as Partial<TxUpdateData>, data)) return false;
    await this.#append(tx, [data]);
    return true;
  }

  /**
   * The hot path of `recordTransactionUpdate` for a deposit, whose description the caller already
   * holds: writes it unless the last event about the transaction says the same (`first`: there is
   * none yet). Runs compiled statements on the unit of work's connection. True when written.
   */
  async recordDepositUpdate(
    run: StatementRunner,
    data: TxUpdateData,
    options: { readonly first: boolean },
  ): Promise<boolean> {
    assert(
      data.direction === 'deposit' && data.coin === this.coin.symbol,
      'a deposit of this coin',
    );
    const statements = this.#statements;
    if (!options.first) {
      const { rows } = await run(statements.lastPayload.bind({ transaction: data.transaction_id }));
      const last = rows[0];
      if (last && sameUpdate(JSON.parse(last.payload) as Partial<TxUpdateData>, data)) return false;
    }
    if (this.#dialect === 'postgres') await run(statements.lock);
    const payload = JSON.stringify(data);
    await run(
      statements.insert.bind({ transaction: data.transaction_id, payload, createdAt: nowIso() }),
    );
    return true;
  }

  /** Writes one `txupdate` per transaction of a broadcast in `tx`. Returns how many. */
  async recordBroadcastUpdates(tx: Tx, networkTransactionId: number): Promise<number> {
    const updates = await this.#describe(tx, { networkTransactionId });
    await this.#append(tx, updates);
    return updates.length;
  }

  async #describe(
    tx: Tx,
    filter: { readonly transactionId: number } | { readonly networkTransactionId: number },
  ): Promise<TxUpdateData[]> {
    let query = tx
      .selectFrom('transaction')
      .innerJoin(
        'network_transaction',
        'network_transaction.id',
        'transaction.network_transaction_id',
      )
      .innerJoin('address', 'address.id', 'transaction.address_id')
      .innerJoin('account', (join) =>
        join.on((eb) =>
          eb.or([
            eb('account.id', '=', eb.ref('transaction.receiving_account_id')),
            eb('account.id', '=', eb.ref('transaction.sending_account_id')),
          ]),
        ),
      )
      .select([
        'transaction.id as transaction_id',
        'transaction.kind as kind',
        'transaction.state as state',
        'transaction.amount as amount',
        'network_transaction.id as network_transaction_id',
        'network_transaction.txid as txid',
        'network_transaction.confirmations as confirmations',
        'address.address as address',
        'account.name as account',
        'transaction.reference as reference',
        'transaction.metadata as metadata',
      ])
      .where('transaction.kind', 'in', ['deposit', 'send']);
    query =
      'transactionId' in filter
        ? query.where('transaction.id', '=', filter.transactionId)
        : query.where('transaction.network_transaction_id', '=', filter.networkTransactionId);
    const rows = await query
      .orderBy('transaction.id')
      .limit(transactionsPerBroadcastMax + 1)
      .execute();
    assert(rows.length <= transactionsPerBroadcastMax, 'txupdate: too many transactions');
    return rows.map((row) => {
      assert(row.txid !== null, `txupdate: transaction ${row.transaction_id} has no txid`);
      const deposit = row.kind === 'deposit';
      return {
        coin: this.coin.symbol,
        transaction_id: toId(row.transaction_id),
        network_transaction_id: toId(row.network_transaction_id),
        direction: deposit ? 'deposit' : 'broadcast',
        txid: row.txid,
        account: row.account,
        address: row.address,
        amount: formatAmount(BigInt(row.amount), this.coin.profile.decimals),
        confirmations: Number(row.confirmations),
        credited: deposit && (row.state === 'credited' || row.state === 'processed'),
        state: row.state,
        ...(row.reference === null ? {} : { reference: row.reference }),
        ...(row.metadata === null ? {} : { metadata: JSON.parse(row.metadata) as Metadata }),
      };
    });
  }

  /** Writes one `holdupdate` per hold that ended, in `tx`. */
  async recordHoldUpdates(tx: Tx, holds: readonly Hold[]): Promise<void> {
    if (holds.length === 0) return;
    const ids = [...new Set(holds.map((hold) => hold.accountId))];
    const names = new Map(
      (await tx.selectFrom('account').select(['id', 'name']).where('id', 'in', ids).execute()).map(
        (row) => [toId(row.id), row.name],
      ),
    );
    const decimals = this.coin.profile.decimals;
    const updates = holds.map((hold): HoldUpdateData => {
      const account = names.get(hold.accountId);
      assert(account !== undefined, `holdupdate: account ${hold.accountId} is missing`);
      return {
        coin: this.coin.symbol,
        hold_id: hold.id,
        account,
        amount: formatAmount(hold.amount, decimals),
        captured: formatAmount(hold.captured, decimals),
        state: hold.state,
        reference: hold.reference,
        metadata: hold.metadata,
      };
    });
    await this.#append(tx, updates, holdUpdateEventName);
  }

  async #append(
    tx: Tx,
    updates: readonly (TxUpdateData | HoldUpdateData)[],
    name: CryptoassetsEvent['name'] = txUpdateEventName,
  ): Promise<void> {
    if (updates.length === 0) return;
    // On PostgreSQL ids come from a sequence, so a later id could commit before an earlier one
    // and a reader past it would skip the earlier one for good. Writers take this lock until
    // commit, so ids commit in order. SQLite writers are serialized already.
    if (this.#dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(${eventLockClass}::int4, ${this.#lockKey}::int4)`.execute(
        tx,
      );
    const now = nowIso();
    await tx
      .insertInto('event')
      .values(
        updates.map((data) => ({
          name,
          transaction_id: 'transaction_id' in data ? data.transaction_id : null,
          payload: JSON.stringify(data),
          created_at: now,
        })),
      )
      .execute();
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** Events after `afterSequence` in id order, at most `limit` (up to `eventBatchSizeMax`). */
  async readAfter(
    afterSequence: number,
    limit: number = eventBatchSizeMax,
  ): Promise<OutboxEvent[]> {
    assert(Number.isSafeInteger(afterSequence) && afterSequence >= 0, 'bad event sequence');
    assert(
      Number.isInteger(limit) && limit > 0 && limit <= eventBatchSizeMax,
      `limit must be 1..${eventBatchSizeMax}`,
    );
    const rows = await this.#db
      .selectFrom('event')
      .selectAll()
      .where('id', '>', afterSequence)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => this.#map(row));
  }

  /** The id of the last event the handler is done with; 0 when it has had none. */
  async cursor(handler: string): Promise<number> {
    checkHandler(handler);
    const row = await this.#db
      .selectFrom('event_cursor')
      .select('last_event_id')
      .where('handler', '=', handler)
      .executeTakeFirst();
    return row ? toId(row.last_event_id) : 0;
  }

  /**
   * The next event for the handler: a dead event put back for redelivery first, otherwise the
   * first event after its cursor. Undefined when there is nothing to deliver.
   */
  async nextDelivery(handler: string): Promise<PendingDelivery | undefined> {
    const cursor = await this.cursor(handler);
    const failure = await this.#db
      .selectFrom('event_failure')
      .selectAll()
      .where('handler', '=', handler)
      .where('dead_at', 'is', null)
      .orderBy('event_id')
      .limit(1)
      .executeTakeFirst();
    const failedSequence = failure ? toId(failure.event_id) : undefined;
    if (failure && failedSequence !== undefined && failedSequence <= cursor) {
      const event = await this.#event(failedSequence);
      return { event, ...retryOf(failure), redelivery: true };
    }
    const [head] = await this.readAfter(cursor, 1);
    if (!head) return undefined;
    if (failure && failedSequence === head.sequence)
      return { event: head, ...retryOf(failure), redelivery: false };
    return { event: head, attempts: 0, nextAttemptAt: undefined, redelivery: false };
  }

  /** Events the handler gave up on, oldest first. */
  async listDead(
    options: { readonly handler?: string; readonly limit?: number } = {},
  ): Promise<DeadEvent[]> {
    const limit = options.limit ?? deadEventsListedMax;
    assert(
      Number.isInteger(limit) && limit > 0 && limit <= deadEventsListedMax,
      `limit must be 1..${deadEventsListedMax}`,
    );
    let query = this.#db.selectFrom('event_failure').selectAll().where('dead_at', 'is not', null);
    if (options.handler !== undefined) query = query.where('handler', '=', options.handler);
    const failures = await query.orderBy('event_id').orderBy('handler').limit(limit).execute();
    if (failures.length === 0) return [];
    const ids = [...new Set(failures.map((row) => toId(row.event_id)))];
    const events = new Map(
      (await this.#db.selectFrom('event').selectAll().where('id', 'in', ids).execute()).map(
        (row) => [toId(row.id), this.#map(row)],
      ),
    );
    return failures.map((row) => {
      const event = events.get(toId(row.event_id));
      assert(event !== undefined && row.dead_at !== null, 'dead event without its event');
      return {
        handler: row.handler,
        event,
        attempts: Number(row.attempts),
        lastError: row.last_error,
        deadAt: toDate(row.dead_at),
      };
    });
  }

  /** How many events wait for the handler, and how many it gave up on. */
  async backlog(handler: string): Promise<HandlerBacklog> {
    const cursor = await this.cursor(handler);
    const ahead = await this.#db
      .selectFrom('event')
      .select((eb) => eb.fn.countAll<number | bigint | string>().as('count'))
      .where('id', '>', cursor)
      .executeTakeFirst();
    const failures = await this.#db
      .selectFrom('event_failure')
      .select((eb) => [
        eb.fn.count<number | bigint | string>('dead_at').as('dead'),
        eb.fn.countAll<number | bigint | string>().as('all'),
      ])
      .where('handler', '=', handler)
      .where((eb) => eb.or([eb('dead_at', 'is not', null), eb('event_id', '<=', cursor)]))
      .executeTakeFirst();
    const dead = Number(failures?.dead ?? 0);
    const redeliveries = Number(failures?.all ?? 0) - dead;
    return { waiting: Number(ahead?.count ?? 0) + redeliveries, dead };
  }

  // ---- delivery state, each change in its own transaction --------------------------------------

  /** The handler has the event: forget its failures and move the cursor past it. */
  async markDelivered(handler: string, sequence: number): Promise<void> {
    checkHandler(handler);
    await this.#resolver.managed('event delivered', async (tx) => {
      await tx
        .deleteFrom('event_failure')
        .where('handler', '=', handler)
        .where('event_id', '=', sequence)
        .execute();
      await advanceCursor(tx, handler, sequence);
    });
  }

  /** Records a failed delivery; a dead one moves the cursor past the event. */
  async recordFailure(failure: FailedDelivery): Promise<void> {
    checkHandler(failure.handler);
    assert(Number.isSafeInteger(failure.attempts) && failure.attempts > 0, 'bad attempts');
    const now = nowIso();
    const values = {
      attempts: failure.attempts,
      next_attempt_at: failure.nextAttemptAt.toISOString(),
      last_error: failure.error.slice(0, lastErrorLengthMax),
      dead_at: failure.dead ? now : null,
      updated_at: now,
    };
    await this.#resolver.managed('event delivery failed', async (tx) => {
      await tx
        .insertInto('event_failure')
        .values({
          handler: failure.handler,
          event_id: failure.sequence,
          created_at: now,
          ...values,
        })
        .onConflict((oc) => oc.columns(['handler', 'event_id']).doUpdateSet(values))
        .execute();
      if (failure.dead) await advanceCursor(tx, failure.handler, failure.sequence);
    });
  }

  /** Puts a dead event back for the handler: it is tried again, first. False if not dead. */
  async redeliver(handler: string, sequence: number): Promise<boolean> {
    checkHandler(handler);
    const now = nowIso();
    return this.#resolver.managed('redeliver event', async (tx) => {
      const result = await tx
        .updateTable('event_failure')
        .set({ dead_at: null, attempts: 0, next_attempt_at: now, updated_at: now })
        .where('handler', '=', handler)
        .where('event_id', '=', sequence)
        .where('dead_at', 'is not', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    });
  }

  async #event(sequence: number): Promise<OutboxEvent> {
    const row = await this.#db
      .selectFrom('event')
      .selectAll()
      .where('id', '=', sequence)
      .executeTakeFirstOrThrow();
    return this.#map(row);
  }

  #map(row: Selectable<EventTable>): OutboxEvent {
    const sequence = toId(row.id);
    const common = {
      id: `${this.coin.symbol}:${sequence}`,
      created_at: toDate(row.created_at).toISOString(),
    };
    if (row.name === holdUpdateEventName)
      return {
        sequence,
        event: {
          ...common,
          name: holdUpdateEventName,
          data: JSON.parse(row.payload) as HoldUpdateData,
        },
      };
    assert(row.name === txUpdateEventName, `unknown event ${row.name}`);
    return {
      sequence,
      event: { ...common, name: txUpdateEventName, data: JSON.parse(row.payload) as TxUpdateData },
    };
  }
}

// Markers for the compiled statements' parameters.
const transactionMarker = -21;
const payloadMarker = '\u0000payload';
const timeMarker = '\u0000time';

/** The statements of the deposit hot path, compiled once per outbox. */
function compileEventStatements(db: Tx, lockKey: number) {
  const lastPayload = db
    .selectFrom('event')
    .select('payload')
    .where('transaction_id', '=', transactionMarker)
    .orderBy('id', 'desc')
    .limit(1);
  const insert = db.insertInto('event').values({
    name: txUpdateEventName,
    transaction_id: transactionMarker,
    payload: payloadMarker,
    created_at: timeMarker,
  });
  const lock: CompiledQuery =
    sql`select pg_advisory_xact_lock(${eventLockClass}::int4, ${lockKey}::int4)`.compile(db);
  return {
    lastPayload: new QueryTemplate(lastPayload, { transaction: transactionMarker }),
    insert: new QueryTemplate(insert, {
      transaction: transactionMarker,
      payload: payloadMarker,
      createdAt: timeMarker,
    }),
    lock,
  };
}

async function advanceCursor(tx: Tx, handler: string, sequence: number): Promise<void> {
  const row = await tx
    .selectFrom('event_cursor')
    .select('last_event_id')
    .where('handler', '=', handler)
    .executeTakeFirst();
  if (row && toId(row.last_event_id) >= sequence) return;
  const now = nowIso();
  await tx
    .insertInto('event_cursor')
    .values({ handler, last_event_id: sequence, updated_at: now })
    .onConflict((oc) =>
      oc.column('handler').doUpdateSet({ last_event_id: sequence, updated_at: now }),
    )
    .execute();
}

function retryOf(failure: Selectable<EventFailureTable>) {
  return { attempts: Number(failure.attempts), nextAttemptAt: toDate(failure.next_attempt_at) };
}

/** True when `next` says nothing the previous `txupdate` about the transaction did not. */
export function sameUpdate(previous: Partial<TxUpdateData>, next: TxUpdateData): boolean {
  return (
    previous.confirmations === next.confirmations &&
    previous.state === next.state &&
    previous.amount === next.amount &&
    previous.credited === next.credited &&
    previous.txid === next.txid
  );
}

function checkHandler(handler: string): void {
  assert(
    typeof handler === 'string' && handler.length > 0 && handler.length <= handlerNameLengthMax,
    `handler names are 1..${handlerNameLengthMax} characters`,
  );
}

/**
 * The two keys of the PostgreSQL advisory lock a coin's event writers take before inserting
 * events (see `#append`), for statements that take it themselves.
 */
export function eventLockKeys(coin: string): readonly [number, number] {
  return [eventLockClass, hash32(coin)];
}

/** FNV-1a of a string as a signed 32-bit integer. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

function nowIso(): string {
  return new Date().toISOString();
}
