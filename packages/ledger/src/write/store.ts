// The write path's statements per dialect: what a run of commands reads before planning and
// writes after. On PostgreSQL each step is one statement over arrays (`unnest`), so a batch
// costs the same few round trips whatever its size; SQLite runs in-process, so there each row
// gets its own cached statement and the batch shares one commit.
import { assert } from '@cryptoassets/core';
import { CompiledQuery } from 'kysely';
import { type DialectName, preparedStatementMarker } from '../database.js';
import {
  mapHold,
  mapTransaction,
  type Transaction,
  toAmount,
  toId,
  toOptionalId,
} from '../records.js';
import type { StatementRunner } from '../resolver.js';
import type { HoldState, HoldTable, TransactionTable } from '../schema.js';
import type { Command } from './commands.js';
import {
  type AccountState,
  type HoldRow,
  type HoldValues,
  type KeyInsert,
  type KeyRow,
  keyOf,
  type RunState,
  type TransactionValues,
} from './plan.js';

type Row = Record<string, unknown>;

/** The part of a better-sqlite3 connection the SQLite hot path calls. */
export type SqliteConnection = {
  readonly prepare: (sql: string) => {
    readonly run: (...parameters: readonly never[]) => {
      readonly changes: number;
      readonly lastInsertRowid: number | bigint;
    };
  };
};
type Selectable<T> = import('kysely').Selectable<T>;

/** What a run of commands needs loaded: every id and key its commands name. */
export type RunNeeds = {
  readonly accountIds: number[];
  readonly holdIds: number[];
  readonly keys: [number, string][];
  readonly transactionReferences: [number, string][];
  readonly holdReferences: [number, string][];
  readonly feeNetworkTransactionIds: number[];
  readonly externalAddresses: [number, string][];
};

export function needsOf(commands: readonly Command[]): RunNeeds {
  const needs: RunNeeds = {
    accountIds: [],
    holdIds: [],
    keys: [],
    transactionReferences: [],
    holdReferences: [],
    feeNetworkTransactionIds: [],
    externalAddresses: [],
  };
  for (const command of commands) {
    if (command.idempotencyKey !== undefined)
      needs.keys.push([command.walletId, command.idempotencyKey]);
    switch (command.type) {
      case 'transfer':
        needs.accountIds.push(command.from.id, command.to.id);
        if (command.reference !== null)
          needs.transactionReferences.push([command.walletId, command.reference]);
        break;
      case 'send':
        needs.accountIds.push(command.from.id);
        needs.externalAddresses.push([command.walletId, command.address]);
        if (command.reference !== null)
          needs.transactionReferences.push([command.walletId, command.reference]);
        break;
      case 'fee':
        needs.accountIds.push(command.feeAccount.id);
        needs.feeNetworkTransactionIds.push(command.networkTransactionId);
        break;
      case 'hold':
        needs.accountIds.push(command.account.id);
        if (command.reference !== null)
          needs.holdReferences.push([command.walletId, command.reference]);
        break;
      case 'capture':
        needs.accountIds.push(command.to.id);
        needs.holdIds.push(command.holdId);
        break;
      case 'release':
        needs.holdIds.push(command.holdId);
        break;
    }
  }
  return needs;
}

/** The statements of one coin's write path, with its table prefix and dialect. */
export class WriteStore {
  readonly #p: string;
  readonly #pg: boolean;
  readonly #sqlite: SqliteConnection | undefined;

  /** `sqlite`: the connection under the books on SQLite, for the direct hot path. */
  constructor(options: {
    readonly prefix: string;
    readonly dialect: DialectName;
    readonly sqlite?: SqliteConnection | undefined;
  }) {
    this.#p = options.prefix;
    this.#pg = options.dialect === 'postgres';
    this.#sqlite = options.sqlite;
  }

  /** Reads every row the run's commands touch; holds first, since they name accounts too. */
  async load(run: StatementRunner, needs: RunNeeds): Promise<RunState> {
    const holds = await this.#loadHolds(run, unique(needs.holdIds));
    const accountIds = unique([
      ...needs.accountIds,
      ...[...holds.values()].map((h) => h.accountId),
    ]);
    return {
      accounts: await this.#loadAccounts(run, accountIds),
      holds,
      keys: await this.#loadKeys(run, needs.keys),
      transactionReferences: await this.#loadReferences(
        run,
        'transaction',
        needs.transactionReferences,
      ),
      holdReferences: await this.#loadReferences(run, 'hold', needs.holdReferences),
      fees: await this.#loadFees(run, unique(needs.feeNetworkTransactionIds)),
      externalAddresses: await this.#storeExternalAddresses(run, needs.externalAddresses),
    };
  }

  async #loadAccounts(run: StatementRunner, ids: number[]): Promise<Map<number, AccountState>> {
    const accounts = new Map<number, AccountState>();
    if (ids.length === 0) return accounts;
    const columns = 'id, wallet_id, name, balance, held';
    const rows = await this.#rows(
      run,
      `select ${columns} from ${this.#p}account where id ${this.#inIds(1)}${this.#lock()}`,
      [this.#idList(ids)],
    );
    for (const row of rows) {
      const id = toId(row.id);
      accounts.set(id, {
        id,
        walletId: toId(row.wallet_id),
        name: String(row.name),
        balance: toAmount(row.balance),
        held: toAmount(row.held),
      });
    }
    return accounts;
  }

  async #loadHolds(run: StatementRunner, ids: number[]): Promise<Map<number, HoldRow>> {
    const holds = new Map<number, HoldRow>();
    if (ids.length === 0) return holds;
    const rows = await this.#rows(
      run,
      `select * from ${this.#p}hold where id ${this.#inIds(1)}${this.#lock()}`,
      [this.#idList(ids)],
    );
    for (const row of rows) {
      const hold = mapHold(row as Selectable<HoldTable>);
      holds.set(hold.id, {
        id: hold.id,
        walletId: hold.walletId,
        accountId: hold.accountId,
        amount: hold.amount,
        captured: hold.captured,
        state: hold.state,
        expiresAt: hold.expiresAt?.toISOString() ?? null,
        reference: hold.reference,
        metadata: row.metadata === null ? null : String(row.metadata),
        createdAt: hold.createdAt.toISOString(),
        settledAt: hold.settledAt?.toISOString() ?? null,
      });
    }
    return holds;
  }

  async #loadKeys(run: StatementRunner, keys: [number, string][]): Promise<Map<string, KeyRow>> {
    const found = new Map<string, KeyRow>();
    const rows = await this.#pairLookup(
      run,
      `${this.#p}idempotency`,
      'idempotency_key',
      'wallet_id, idempotency_key, operation, request, transaction_id, hold_id',
      keys,
    );
    for (const row of rows) {
      const walletId = toId(row.wallet_id);
      const key = String(row.idempotency_key);
      found.set(keyOf(walletId, key), {
        walletId,
        key,
        operation: String(row.operation),
        request: String(row.request),
        transactionId: toOptionalId(row.transaction_id),
        holdId: toOptionalId(row.hold_id),
      });
    }
    return found;
  }

  async #loadReferences(
    run: StatementRunner,
    table: 'transaction' | 'hold',
    pairs: [number, string][],
  ): Promise<Set<string>> {
    const rows = await this.#pairLookup(
      run,
      `${this.#p}${table}`,
      'reference',
      'wallet_id, reference',
      pairs,
    );
    return new Set(rows.map((row) => keyOf(toId(row.wallet_id), String(row.reference))));
  }

  /** Rows of `table` whose (wallet_id, `column`) is one of `pairs`. */
  async #pairLookup(
    run: StatementRunner,
    table: string,
    column: string,
    columns: string,
    pairs: [number, string][],
  ): Promise<Row[]> {
    if (pairs.length === 0) return [];
    if (this.#pg) {
      return this.#rows(
        run,
        `select ${columns} from ${table} t join unnest($1::bigint[], $2::text[]) as u(w, v)
           on t.wallet_id = u.w and t.${column} = u.v`,
        [pairs.map(([w]) => String(w)), pairs.map(([, v]) => v)],
      );
    }
    const rows: Row[] = [];
    const statement = `select ${columns} from ${table} where wallet_id = ? and ${column} = ?`;
    for (const [walletId, value] of pairs)
      rows.push(...(await this.#rows(run, statement, [walletId, value])));
    return rows;
  }

  async #loadFees(run: StatementRunner, ids: number[]): Promise<Map<number, Transaction>> {
    const fees = new Map<number, Transaction>();
    if (ids.length === 0) return fees;
    const rows = await this.#rows(
      run,
      `select * from ${this.#p}transaction where kind = 'network_fee'
         and network_transaction_id ${this.#inIds(1)}`,
      [this.#idList(ids)],
    );
    for (const row of rows) {
      const fee = mapTransaction(row as Selectable<TransactionTable>);
      assert(fee.networkTransactionId !== null, 'a fee without its broadcast');
      fees.set(fee.networkTransactionId, fee);
    }
    return fees;
  }

  /** Stores the outside addresses sends pay (once per wallet) and returns their ids. */
  async #storeExternalAddresses(
    run: StatementRunner,
    pairs: [number, string][],
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    if (pairs.length === 0) return ids;
    const now = new Date().toISOString();
    const p = this.#p;
    if (this.#pg) {
      const arrays = [pairs.map(([w]) => String(w)), pairs.map(([, a]) => a)];
      await run(
        this.#statement(
          `insert into ${p}address (wallet_id, account_id, address, label, balance, archived_at, created_at)
           select u.w, null, u.a, null, 0, null, $3 from unnest($1::bigint[], $2::text[]) as u(w, a)
           on conflict (wallet_id, address) do nothing`,
          [...arrays, now],
        ),
      );
      const rows = await this.#pairLookup(
        run,
        `${p}address`,
        'address',
        'id, wallet_id, address',
        pairs,
      );
      for (const row of rows)
        ids.set(keyOf(toId(row.wallet_id), String(row.address)), toId(row.id));
    } else {
      for (const [walletId, address] of pairs) {
        await run(
          this.#statement(
            `insert into ${p}address (wallet_id, account_id, address, label, balance, archived_at, created_at)
             values (?, null, ?, null, 0, null, ?) on conflict (wallet_id, address) do nothing`,
            [walletId, address, now],
          ),
        );
        const [row] = await this.#rows(
          run,
          `select id from ${p}address where wallet_id = ? and address = ?`,
          [walletId, address],
        );
        assert(row !== undefined, 'external address lost');
        ids.set(keyOf(walletId, address), toId(row.id));
      }
    }
    return ids;
  }

  // ---- writing --------------------------------------------------------------------------------

  /** Applies the balance deltas and inserts the transactions; returns their ids in order. */
  async writeTransactions(
    run: StatementRunner,
    deltas: Map<number, { balance: bigint; held: bigint }>,
    transactions: readonly TransactionValues[],
  ): Promise<number[]> {
    const moved = [...deltas].filter(([, d]) => d.balance !== 0n || d.held !== 0n);
    if (!this.#pg) return this.#writeTransactionsSqlite(moved, transactions);
    const deltaArrays = [
      moved.map(([id]) => String(id)),
      moved.map(([, d]) => d.balance.toString()),
      moved.map(([, d]) => d.held.toString()),
    ];
    const update = `update ${this.#p}account a set balance = a.balance + d.b, held = a.held + d.h
      from unnest($1::bigint[], $2::bigint[], $3::bigint[]) as d(id, b, h) where a.id = d.id`;
    if (transactions.length === 0) {
      if (moved.length > 0) await run(this.#statement(update, deltaArrays));
      return [];
    }
    const columns = transactionColumns.map((_, index) =>
      transactions.map((t) => pgValue(transactionRow(t)[index])),
    );
    const rows = await this.#rows(
      run,
      `with d as (${update} returning 1) ${this.#insertTransactionsPostgres(4)}`,
      [...deltaArrays, ...columns],
    );
    return inOrder(rows, transactions.length);
  }

  /** SQLite: each row its own cached statement, called directly on the unit of work's connection. */
  #writeTransactionsSqlite(
    moved: readonly [number, { balance: bigint; held: bigint }][],
    transactions: readonly TransactionValues[],
  ): number[] {
    const sqlite = this.#sqlite;
    assert(sqlite !== undefined, 'the SQLite write path needs the connection');
    const update = sqlite.prepare(
      `update ${this.#p}account set balance = balance + ?, held = held + ? where id = ?`,
    );
    for (const [id, delta] of moved) {
      const { changes } = update.run(...([delta.balance, delta.held, id] as never[]));
      assert(changes === 1, `account ${id}: balance change lost`);
    }
    const insert = sqlite.prepare(this.#insertTransactionSqlite());
    return transactions.map((values) =>
      toId(insert.run(...(transactionRow(values) as never[])).lastInsertRowid),
    );
  }

  #insertTransactionSqlite(): string {
    const marks = transactionColumns.map(() => '?').join(', ');
    return `insert into ${this.#p}transaction (${transactionColumns.join(', ')}) values (${marks})`;
  }

  #insertTransactionsPostgres(first: number): string {
    const params = transactionColumns
      .map((column, index) => `$${first + index}::${transactionTypes[column]}[]`)
      .join(', ');
    const names = transactionColumns.map((_, index) => `c${index}`);
    return `insert into ${this.#p}transaction (${transactionColumns.join(', ')})
      select ${names.join(', ')} from unnest(${params}) with ordinality as u(${names.join(', ')}, o)
      order by o returning id`;
  }

  /** Inserts new holds; returns their ids in order. */
  async insertHolds(run: StatementRunner, holds: readonly HoldValues[]): Promise<number[]> {
    if (holds.length === 0) return [];
    const columns = [
      'wallet_id',
      'account_id',
      'amount',
      'expires_at',
      'reference',
      'metadata',
      'created_at',
    ] as const;
    const all = `${columns.join(', ')}, captured, state`;
    if (!this.#pg) {
      const ids: number[] = [];
      for (const hold of holds) {
        const [row] = await this.#rows(
          run,
          `insert into ${this.#p}hold (${all}) values (?, ?, ?, ?, ?, ?, ?, 0, 'active') returning id`,
          columns.map((column) => hold[column]),
        );
        assert(row !== undefined, 'insert returned no id');
        ids.push(toId(row.id));
      }
      return ids;
    }
    const types = ['bigint', 'bigint', 'bigint', 'timestamptz', 'text', 'text', 'timestamptz'];
    const rows = await this.#rows(
      run,
      `insert into ${this.#p}hold (${all})
       select c0, c1, c2, c3, c4, c5, c6, 0, 'active'
       from unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
         with ordinality as u(c0, c1, c2, c3, c4, c5, c6, o)
       order by o returning id`,
      columns.map((column) => holds.map((hold) => pgValue(hold[column]))),
    );
    return inOrder(rows, holds.length);
  }

  /** Writes the new state of settled holds. */
  async settleHolds(run: StatementRunner, holds: readonly HoldRow[]): Promise<void> {
    if (holds.length === 0) return;
    if (!this.#pg) {
      for (const hold of holds)
        await run(
          this.#statement(
            `update ${this.#p}hold set captured = ?, state = ?, settled_at = ? where id = ? and state = 'active'`,
            [hold.captured, hold.state, hold.settledAt, hold.id],
          ),
        );
      return;
    }
    await run(
      this.#statement(
        `update ${this.#p}hold h set captured = u.c, state = u.s, settled_at = u.t
         from unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[]) as u(id, c, s, t)
         where h.id = u.id and h.state = 'active'`,
        [
          holds.map((h) => String(h.id)),
          holds.map((h) => h.captured.toString()),
          holds.map((h) => h.state),
          holds.map((h) => h.settledAt),
        ],
      ),
    );
  }

  /** Stores idempotency keys with what their commands created. */
  async insertKeys(
    run: StatementRunner,
    keys: readonly (KeyInsert & { transactionId: number | null; holdId: number | null })[],
    nowIso: string,
  ): Promise<void> {
    if (keys.length === 0) return;
    const columns =
      'wallet_id, idempotency_key, operation, request, transaction_id, hold_id, created_at';
    if (!this.#pg) {
      for (const key of keys)
        await run(
          this.#statement(
            `insert into ${this.#p}idempotency (${columns}) values (?, ?, ?, ?, ?, ?, ?)`,
            [
              key.walletId,
              key.key,
              key.operation,
              key.request,
              key.transactionId,
              key.holdId,
              nowIso,
            ],
          ),
        );
      return;
    }
    await run(
      this.#statement(
        `insert into ${this.#p}idempotency (${columns})
         select w, k, o, r, t, h, $7 from unnest($1::bigint[], $2::text[], $3::text[], $4::text[],
           $5::bigint[], $6::bigint[]) as u(w, k, o, r, t, h)`,
        [
          keys.map((k) => String(k.walletId)),
          keys.map((k) => k.key),
          keys.map((k) => k.operation),
          keys.map((k) => k.request),
          keys.map((k) => (k.transactionId === null ? null : String(k.transactionId))),
          keys.map((k) => (k.holdId === null ? null : String(k.holdId))),
          nowIso,
        ],
      ),
    );
  }

  // ---- replays -------------------------------------------------------------------------------

  async transactionsById(run: StatementRunner, ids: number[]): Promise<Map<number, Transaction>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#rows(
      run,
      `select * from ${this.#p}transaction where id ${this.#inIds(1)}`,
      [this.#idList(unique(ids))],
    );
    return new Map(
      rows.map((row) => {
        const transaction = mapTransaction(row as Selectable<TransactionTable>);
        return [transaction.id, transaction];
      }),
    );
  }

  async holdsById(run: StatementRunner, ids: number[]) {
    if (ids.length === 0) return new Map<number, ReturnType<typeof mapHold>>();
    const rows = await this.#rows(run, `select * from ${this.#p}hold where id ${this.#inIds(1)}`, [
      this.#idList(unique(ids)),
    ]);
    return new Map(
      rows.map((row) => {
        const hold = mapHold(row as Selectable<HoldTable>);
        return [hold.id, hold];
      }),
    );
  }

  // ---- helpers --------------------------------------------------------------------------------

  /**
   * PostgreSQL: lock the rows read, in id order (so two writers never wait on each other in a
   * cycle); the writer plans on them and writes them back before anyone else may. SQLite's
   * `begin immediate` already holds the one write lock.
   */
  #lock(): string {
    return this.#pg ? ' order by id for update' : '';
  }

  #inIds(parameter: number): string {
    return this.#pg ? `= any($${parameter}::bigint[])` : 'in (select value from json_each(?))';
  }

  #idList(ids: readonly number[]): unknown {
    return this.#pg ? ids.map(String) : JSON.stringify(ids);
  }

  /**
   * A statement of the write path. On PostgreSQL one that names its columns is marked to be
   * prepared once per connection (see `preparedStatementMarker`).
   */
  #statement(text: string, parameters: readonly unknown[]): CompiledQuery {
    const prepared = this.#pg && !text.includes('*');
    return CompiledQuery.raw(prepared ? `${preparedStatementMarker}${text}` : text, [
      ...parameters,
    ]);
  }

  async #rows(run: StatementRunner, text: string, parameters: readonly unknown[]): Promise<Row[]> {
    const result = await run(this.#statement(text, parameters));
    return result.rows as Row[];
  }
}

const transactionColumns = [
  'wallet_id',
  'kind',
  'state',
  'amount',
  'sending_account_id',
  'receiving_account_id',
  'address_id',
  'network_transaction_id',
  'label',
  'created_at',
  'reference',
  'metadata',
  'hold_id',
] as const satisfies readonly (keyof TransactionValues)[];

const transactionTypes: Record<(typeof transactionColumns)[number], string> = {
  wallet_id: 'bigint',
  kind: 'text',
  state: 'text',
  amount: 'bigint',
  sending_account_id: 'bigint',
  receiving_account_id: 'bigint',
  address_id: 'bigint',
  network_transaction_id: 'bigint',
  label: 'text',
  created_at: 'timestamptz',
  reference: 'text',
  metadata: 'text',
  hold_id: 'bigint',
};

function transactionRow(values: TransactionValues): unknown[] {
  return transactionColumns.map((column) => values[column]);
}

/** A value as the pg driver sends it inside an array: text, or null. */
function pgValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

/** Ids returned by a multi-row insert, in insertion order (a sequence hands them out in it). */
function inOrder(rows: readonly Row[], count: number): number[] {
  assert(rows.length === count, `insert returned ${rows.length} ids, expected ${count}`);
  return rows.map((row) => toId(row.id)).sort((a, b) => a - b);
}

function unique(ids: readonly number[]): number[] {
  return [...new Set(ids)];
}

export type { HoldState };
