// The batched deposit path: a batch of observations is read in one statement (our receiving
// addresses and the network transactions the books know), plus one for the deposits of those
// known ones with each deposit's last event, decided in memory, and written in one statement per
// run of observations plus one for the events. On PostgreSQL the statements work over arrays
// (`unnest`), so a batch costs the same few round trips whatever its size (five for new
// deposits, six with known ones); on SQLite over JSON arrays (`json_each`).
//
// Only the common cases are decided here: an observation at a depth of 0 or more whose txid
// comes once in the batch, and whose deposits need no reversal, re-credit or amount change.
// Every other observation goes through the per-observation path, in its place in the order.
// Observations of distinct txids touch distinct network transactions, deposits and events, and
// only add to balances, so what was read for the batch stays true around such an observation.
import { assert, formatAmount } from '@cryptoassets/core';
import { CompiledQuery } from 'kysely';
import { type LedgerContext, listLimitMax, nowIso, type Unit } from './context.js';
import type { DialectName } from './database.js';
import type { DepositObservation, DepositObservationResult } from './deposits.js';
import { eventLockKeys, sameUpdate, type TxUpdateData, txUpdateEventName } from './events.js';
import { toAmount, toId } from './records.js';
import type { StatementRunner } from './resolver.js';
import type { TransactionState } from './schema.js';

type Row = Record<string, unknown>;

/** One of our receiving addresses, as the per-observation path finds it (lowest id first). */
type LoadedAddress = {
  readonly id: number;
  readonly walletId: number;
  readonly accountId: number;
  readonly address: string;
  readonly accountName: string;
};

/** A deposit of a known network transaction, with what its last `txupdate` said. */
type LoadedDeposit = {
  readonly id: number;
  readonly state: TransactionState;
  readonly amount: bigint;
  readonly receivingAccountId: number;
  readonly addressId: number;
  /** The address it was received at. */
  readonly address: string;
  /** The name of its receiving account. */
  readonly accountName: string;
  readonly reference: string | null;
  readonly metadata: string | null;
  readonly lastPayload: string | null;
};

type LoadedNetwork = {
  readonly id: number;
  /** In id order. */
  readonly deposits: readonly LoadedDeposit[];
};

type Loaded = {
  readonly addresses: ReadonlyMap<string, LoadedAddress>;
  readonly networks: ReadonlyMap<string, LoadedNetwork>;
};

/** A deposit to insert. */
type NewDeposit = {
  readonly walletId: number;
  readonly state: 'incoming' | 'credited';
  readonly amount: bigint;
  readonly accountId: number;
  readonly addressId: number;
  readonly txid: string;
};

/** A `txupdate` to write; the ids of new rows are filled in once they are inserted. */
type PlannedEvent = {
  readonly deposit: { readonly id: number } | { readonly insert: NewDeposit };
  readonly networkId: number | undefined;
  readonly data: Omit<TxUpdateData, 'transaction_id' | 'network_transaction_id'>;
};

type BalanceMove = {
  readonly accountId: number;
  readonly addressId: number;
  readonly amount: bigint;
};

/** What one observation writes, decided in memory. */
type ObservationPlan = {
  readonly result: DepositObservationResult;
  /** Whether its network transaction is upserted with the observed confirmations. */
  readonly upsert: boolean;
  readonly inserts: readonly NewDeposit[];
  /** Existing incoming deposits that reached the threshold. */
  readonly credits: readonly number[];
  readonly moves: readonly BalanceMove[];
  readonly events: readonly PlannedEvent[];
};

/** The per-observation path, for the observations this one leaves to it. */
export type ObserveOne = (observation: DepositObservation) => Promise<DepositObservationResult>;

/**
 * Records the observations in order with the batched statements, handing each observation the
 * batched path does not decide to `observeOne` in its place. Results come in observation order.
 */
export async function observeBatched(
  ctx: LedgerContext,
  unit: Unit,
  observations: readonly DepositObservation[],
  observeOne: ObserveOne,
): Promise<DepositObservationResult[]> {
  const { run } = unit;
  const statements = batchStatementsOf(ctx);
  const counts = new Map<string, number>();
  for (const { txid } of observations) counts.set(txid, (counts.get(txid) ?? 0) + 1);
  // Conflicted observations and txids seen twice are the per-observation path's at any state.
  const candidate = (observation: DepositObservation) =>
    observation.confirmations >= 0 && counts.get(observation.txid) === 1;
  const candidates = observations.filter(candidate);
  const loaded = await statements.load(
    run,
    unique(candidates.flatMap((observation) => observation.received.map((r) => r.address))),
    candidates.map((observation) => observation.txid),
  );
  const results: DepositObservationResult[] = [];
  let pending: ObservationPlan[] = [];
  for (const observation of observations) {
    const plan = candidate(observation) ? planObservation(ctx, loaded, observation) : undefined;
    if (plan) {
      pending.push(plan);
      continue;
    }
    results.push(...(await writePlans(statements, run, pending)));
    pending = [];
    results.push(await observeOne(observation));
  }
  results.push(...(await writePlans(statements, run, pending)));
  return results;
}

// ---- deciding in memory ------------------------------------------------------------------------

/**
 * What the per-observation path would write for the observation, given what the batch read;
 * undefined when it is one for that path (a credit to take back, a reversed deposit to credit
 * again, an amount that changed, too many deposits).
 */
function planObservation(
  ctx: LedgerContext,
  loaded: Loaded,
  observation: DepositObservation,
): ObservationPlan | undefined {
  const { txid, confirmations } = observation;
  assert(confirmations >= 0, 'the batched path takes no conflicted transaction');
  const network = loaded.networks.get(txid);
  const deep = confirmations >= ctx.coin.confirmations;
  const inserts: NewDeposit[] = [];
  const credits: number[] = [];
  const moves: BalanceMove[] = [];
  const events: PlannedEvent[] = [];
  const decimals = ctx.coin.profile.decimals;
  const describe = (
    fields: Pick<TxUpdateData, 'account' | 'address' | 'state'> & { readonly amount: bigint },
  ): PlannedEvent['data'] => ({
    coin: ctx.coin.symbol,
    direction: 'deposit',
    txid,
    account: fields.account,
    address: fields.address,
    amount: formatAmount(fields.amount, decimals),
    confirmations,
    credited: fields.state === 'credited' || fields.state === 'processed',
    state: fields.state,
  });
  /** The existing deposit's event, unless its last one says the same. */
  const update = (deposit: LoadedDeposit, data: PlannedEvent['data'], extra: object = {}) => {
    assert(network !== undefined, 'an existing deposit without its network transaction');
    const planned: PlannedEvent = {
      deposit: { id: deposit.id },
      networkId: network.id,
      data: { ...data, ...extra },
    };
    if (deposit.lastPayload !== null) {
      const last = JSON.parse(deposit.lastPayload) as Partial<TxUpdateData>;
      if (sameUpdate(last, withIds(planned, deposit.id, network.id))) return;
    }
    events.push(planned);
  };
  let upsert = false;
  let recorded = 0;
  let creditedNow = 0;
  let existing = 0;
  if (!deep) {
    // Below the threshold: the network transaction, when known, takes the count, and each of its
    // deposits gets an event when the count changed; only outputs it has no deposit for are new.
    if (network) {
      if (network.deposits.length > listLimitMax) return undefined;
      if (network.deposits.some((d) => d.state === 'credited' || d.state === 'processed'))
        return undefined;
      upsert = true;
      existing = network.deposits.length;
      for (const deposit of network.deposits) {
        // As a `txupdate` read back from the books says it, with the reference and metadata.
        const extra = {
          ...(deposit.reference === null ? {} : { reference: deposit.reference }),
          ...(deposit.metadata === null ? {} : { metadata: JSON.parse(deposit.metadata) }),
        };
        update(deposit, describe({ ...deposit, account: deposit.accountName }), extra);
      }
    }
    const known = new Set(network?.deposits.map((deposit) => deposit.address));
    for (const { address, amount } of observation.received) {
      if (known.has(address)) continue;
      const ours = loaded.addresses.get(address);
      if (!ours) continue;
      upsert = true;
      recorded++;
      const insert = newDeposit(ours, 'incoming', amount, txid);
      inserts.push(insert);
      events.push({
        deposit: { insert },
        networkId: network?.id,
        data: describe({ account: ours.accountName, address, state: 'incoming', amount }),
      });
    }
  } else {
    // At the threshold: every output to one of our addresses is recorded and credited once.
    for (const { address, amount } of observation.received) {
      const ours = loaded.addresses.get(address);
      if (!ours) continue;
      upsert = true;
      recorded++;
      const deposit = network?.deposits.find((d) => d.addressId === ours.id);
      if (!deposit) {
        const insert = newDeposit(ours, 'credited', amount, txid);
        inserts.push(insert);
        moves.push({ accountId: ours.accountId, addressId: ours.id, amount });
        creditedNow++;
        events.push({
          deposit: { insert },
          networkId: network?.id,
          data: describe({ account: ours.accountName, address, state: 'credited', amount }),
        });
        continue;
      }
      if (deposit.amount !== amount || deposit.state === 'reversed') return undefined;
      let state = deposit.state;
      if (state === 'incoming') {
        credits.push(deposit.id);
        moves.push({
          accountId: deposit.receivingAccountId,
          addressId: deposit.addressId,
          amount: deposit.amount,
        });
        creditedNow++;
        state = 'credited';
      }
      update(deposit, describe({ account: ours.accountName, address, state, amount }));
    }
  }
  return {
    result: {
      txid,
      confirmations,
      deposits: existing + recorded,
      creditedNow,
      reversedNow: [],
    },
    upsert,
    inserts,
    credits,
    moves,
    events,
  };
}

function newDeposit(
  address: LoadedAddress,
  state: NewDeposit['state'],
  amount: bigint,
  txid: string,
): NewDeposit {
  return {
    walletId: address.walletId,
    state,
    amount,
    accountId: address.accountId,
    addressId: address.id,
    txid,
  };
}

/** The event's data with its ids, keys in the order every `txupdate` has them. */
function withIds(event: PlannedEvent, transactionId: number, networkId: number): TxUpdateData {
  const { coin, ...rest } = event.data;
  return { coin, transaction_id: transactionId, network_transaction_id: networkId, ...rest };
}

// ---- writing -----------------------------------------------------------------------------------

/** Writes a run of planned observations: one statement for the rows, one for the events. */
async function writePlans(
  statements: DepositBatchStatements,
  run: StatementRunner,
  plans: readonly ObservationPlan[],
): Promise<DepositObservationResult[]> {
  if (plans.length === 0) return [];
  const upserts = plans.filter((plan) => plan.upsert).map((plan) => plan.result);
  if (upserts.length === 0) return plans.map((plan) => plan.result);
  const inserts = plans.flatMap((plan) => plan.inserts);
  const events = plans.flatMap((plan) => plan.events);
  const accounts = new Map<number, bigint>();
  const addresses = new Map<number, bigint>();
  for (const { accountId, addressId, amount } of plans.flatMap((plan) => plan.moves)) {
    accounts.set(accountId, (accounts.get(accountId) ?? 0n) + amount);
    addresses.set(addressId, (addresses.get(addressId) ?? 0n) + amount);
  }
  const now = nowIso();
  const written = await statements.write(run, {
    networks: upserts.map(({ txid, confirmations }) => ({ txid, confirmations })),
    inserts,
    credits: plans.flatMap((plan) => plan.credits),
    accounts,
    addresses,
    lock: events.length > 0,
    now,
  });
  const insertedIds = new Map(inserts.map((insert, index) => [insert, written.depositIds[index]]));
  await statements.insertEvents(
    run,
    events.map((event) => {
      const id = 'id' in event.deposit ? event.deposit.id : insertedIds.get(event.deposit.insert);
      const networkId = event.networkId ?? written.networkIds.get(event.data.txid);
      assert(id !== undefined && networkId !== undefined, 'an event without its ids');
      return { transactionId: id, payload: JSON.stringify(withIds(event, id, networkId)) };
    }),
    now,
  );
  return plans.map((plan) => plan.result);
}

// ---- statements --------------------------------------------------------------------------------

type Writes = {
  /** Network transactions to upsert, in observation order (distinct txids). */
  readonly networks: readonly { readonly txid: string; readonly confirmations: number }[];
  /** New deposits in the order their ids must come. */
  readonly inserts: readonly NewDeposit[];
  /** Incoming deposits to mark credited. */
  readonly credits: readonly number[];
  /** Balance changes per account and per address. */
  readonly accounts: ReadonlyMap<number, bigint>;
  readonly addresses: ReadonlyMap<number, bigint>;
  /** Take the event writers' lock (events follow). */
  readonly lock: boolean;
  readonly now: string;
};

type Written = {
  readonly networkIds: ReadonlyMap<string, number>;
  /** Ids of the new deposits, in the order of `inserts`. */
  readonly depositIds: readonly number[];
};

const statementsByContext = new WeakMap<LedgerContext, DepositBatchStatements>();

function batchStatementsOf(ctx: LedgerContext): DepositBatchStatements {
  let statements = statementsByContext.get(ctx);
  if (!statements) {
    statements = new DepositBatchStatements({
      prefix: `${ctx.coin.symbol}_`,
      dialect: ctx.database.dialect,
      coin: ctx.coin.symbol,
    });
    statementsByContext.set(ctx, statements);
  }
  return statements;
}

/** The batched statements of one coin's books, with its table prefix and dialect. */
export class DepositBatchStatements {
  readonly #p: string;
  readonly #pg: boolean;
  readonly #lockKeys: readonly [number, number];

  constructor(options: {
    readonly prefix: string;
    readonly dialect: DialectName;
    readonly coin: string;
  }) {
    this.#p = options.prefix;
    this.#pg = options.dialect === 'postgres';
    this.#lockKeys = eventLockKeys(options.coin);
  }

  /**
   * Our receiving addresses among `addresses` (per address the lowest id with an account, as the
   * per-observation path finds it) and the deposit network transactions of `txids` the books
   * know, in one statement; then, only when some are known, their deposits in a second one.
   */
  async load(
    run: StatementRunner,
    addresses: readonly string[],
    txids: readonly string[],
  ): Promise<Loaded> {
    const p = this.#p;
    const found = {
      addresses: new Map<string, LoadedAddress>(),
      networks: new Map<string, LoadedNetwork>(),
    };
    if (addresses.length === 0 && txids.length === 0) return found;
    const ours = this.#pg
      ? `select distinct on (a.address) a.id, a.wallet_id, a.account_id, a.address, c.name
         from ${p}address a join ${p}account c on c.id = a.account_id
         where a.address = any($1::text[]) order by a.address, a.id`
      : `select a.id, a.wallet_id, a.account_id, a.address, c.name
         from ${p}address a join ${p}account c on c.id = a.account_id
         where a.id in (select min(id) from ${p}address
                        where address in (select value from json_each(?))
                          and account_id is not null
                        group by address)`;
    const rows = await rowsOf(
      run,
      `select 'address' as k, id, wallet_id, account_id, address as text, name from (${ours}) o
       union all
       select 'network', id, null, null, txid, null from ${p}network_transaction
       where type = 'deposit' and txid ${this.#pg ? '= any($2::text[])' : 'in (select value from json_each(?))'}`,
      [this.#list(addresses), this.#list(txids)],
    );
    const networks = new Map<number, { readonly id: number; deposits: LoadedDeposit[] }>();
    for (const row of rows) {
      const text = String(row.text);
      if (row.k === 'network') {
        const network = { id: toId(row.id), deposits: [] };
        networks.set(network.id, network);
        found.networks.set(text, network);
        continue;
      }
      found.addresses.set(text, {
        id: toId(row.id),
        walletId: toId(row.wallet_id),
        accountId: toId(row.account_id),
        address: text,
        accountName: String(row.name),
      });
    }
    if (networks.size === 0) return found;
    const deposits = await rowsOf(
      run,
      `select t.id, t.network_transaction_id, t.state, t.amount, t.receiving_account_id,
              t.address_id, t.reference, t.metadata,
              (select a.address from ${p}address a where a.id = t.address_id) as address,
              (select c.name from ${p}account c where c.id = t.receiving_account_id) as name,
              (select e.payload from ${p}event e where e.transaction_id = t.id
               order by e.id desc limit 1) as last_payload
       from ${p}transaction t
       where t.kind = 'deposit' and t.network_transaction_id ${this.#pg ? '= any($1::bigint[])' : 'in (select value from json_each(?))'}
       order by t.id`,
      [this.#pg ? [...networks.keys()].map(String) : JSON.stringify([...networks.keys()])],
    );
    for (const row of deposits) {
      const network = networks.get(toId(row.network_transaction_id));
      assert(
        network !== undefined && row.address !== null && row.name !== null,
        `deposit ${row.id} without its network transaction, address or account`,
      );
      network.deposits.push({
        id: toId(row.id),
        state: row.state as TransactionState,
        amount: toAmount(row.amount),
        receivingAccountId: toId(row.receiving_account_id),
        addressId: toId(row.address_id),
        address: String(row.address),
        accountName: String(row.name),
        reference: row.reference === null ? null : String(row.reference),
        metadata: row.metadata === null ? null : String(row.metadata),
        lastPayload: row.last_payload === null ? null : String(row.last_payload),
      });
    }
    return found;
  }

  /** Upserts the network transactions, inserts and credits deposits, moves balances. */
  write(run: StatementRunner, writes: Writes): Promise<Written> {
    return this.#pg ? this.#writePostgres(run, writes) : this.#writeSqlite(run, writes);
  }

  /** One statement: each step a data-modifying `with` over arrays, only the steps needed. */
  async #writePostgres(run: StatementRunner, writes: Writes): Promise<Written> {
    const p = this.#p;
    const { inserts } = writes;
    const parameters: unknown[] = [];
    /** The next parameter, cast to `type`. */
    const $ = (value: unknown, type: string) => `$${parameters.push(value)}::${type}`;
    const now = $(writes.now, 'timestamptz');
    const steps = [
      `n as (
         insert into ${p}network_transaction
           (type, txid, confirmations, opened_at, closed_at, created_at, updated_at)
         select 'deposit', u.txid, u.c, null, null, ${now}, ${now}
         from unnest(${$(
           writes.networks.map((n) => n.txid),
           'text[]',
         )}, ${$(
           writes.networks.map((n) => n.confirmations),
           'int4[]',
         )}) with ordinality as u(txid, c, o)
         order by u.o
         on conflict (type, txid)
           do update set confirmations = excluded.confirmations, updated_at = excluded.updated_at
         returning id, txid)`,
    ];
    const results = [`select 'network' as k, id, txid from n`];
    if (inserts.length > 0) {
      const columns = [
        $(
          inserts.map((d) => String(d.walletId)),
          'bigint[]',
        ),
        $(
          inserts.map((d) => d.state),
          'text[]',
        ),
        $(
          inserts.map((d) => d.amount.toString()),
          'bigint[]',
        ),
        $(
          inserts.map((d) => String(d.accountId)),
          'bigint[]',
        ),
        $(
          inserts.map((d) => String(d.addressId)),
          'bigint[]',
        ),
        $(
          inserts.map((d) => d.txid),
          'text[]',
        ),
      ];
      steps.push(`d as (
         insert into ${p}transaction (wallet_id, kind, state, amount, sending_account_id,
           receiving_account_id, address_id, network_transaction_id, label, created_at,
           credited_at, processed_at)
         select u.w, 'deposit', u.s, u.a, null, u.acc, u.addr, n.id, null, ${now},
           case when u.s = 'credited' then ${now} end, null
         from unnest(${columns.join(', ')}) with ordinality as u(w, s, a, acc, addr, txid, o)
         join n on n.txid = u.txid
         order by u.o
         returning id)`);
      results.push(`select 'deposit', id, null from d`);
    }
    if (writes.credits.length > 0) {
      steps.push(`c as (
         update ${p}transaction t set state = 'credited', credited_at = ${now}
         from unnest(${$(writes.credits.map(String), 'bigint[]')}) as u(id)
         where t.id = u.id and t.state = 'incoming'
         returning t.id)`);
      results.push(`select 'credited', count(*), null from c`);
    }
    for (const [name, table, deltas] of [
      ['accounts', 'account', writes.accounts],
      ['addresses', 'address', writes.addresses],
    ] as const) {
      if (deltas.size === 0) continue;
      const ids = $([...deltas.keys()].map(String), 'bigint[]');
      const amounts = $([...deltas.values()].map(String), 'bigint[]');
      steps.push(`${name} as (
         update ${p}${table} r set balance = r.balance + u.b
         from unnest(${ids}, ${amounts}) as u(id, b) where r.id = u.id
         returning r.id)`);
      results.push(`select '${name}', count(*), null from ${name}`);
    }
    // The lock that keeps event ids committing in order, taken before the events' statement.
    if (writes.lock) {
      const [lockClass, lockKey] = this.#lockKeys;
      results.push(
        `select 'lock', null, pg_advisory_xact_lock(${$(lockClass, 'int4')}, ${$(lockKey, 'int4')})::text`,
      );
    }
    const rows = await rowsOf(
      run,
      `with ${steps.join(', ')} ${results.join(' union all ')}`,
      parameters,
    );
    const networkIds = new Map<string, number>();
    const depositIds: number[] = [];
    const counts = new Map<string, number>();
    for (const row of rows) {
      const kind = String(row.k);
      if (kind === 'network') networkIds.set(String(row.txid), toId(row.id));
      else if (kind === 'deposit') depositIds.push(toId(row.id));
      else if (kind !== 'lock') counts.set(kind, Number(row.id));
    }
    checkWritten(writes, networkIds, depositIds, {
      credited: counts.get('credited') ?? 0,
      accounts: counts.get('accounts') ?? 0,
      addresses: counts.get('addresses') ?? 0,
    });
    return { networkIds, depositIds: ascending(depositIds) };
  }

  /** SQLite runs in-process: one statement per step, each over a JSON array. */
  async #writeSqlite(run: StatementRunner, writes: Writes): Promise<Written> {
    const p = this.#p;
    const { now, inserts } = writes;
    // `where true` tells SQLite the `on conflict` is the upsert's, not a join's.
    const networks = await rowsOf(
      run,
      `insert into ${p}network_transaction
         (type, txid, confirmations, opened_at, closed_at, created_at, updated_at)
       select 'deposit', j.value ->> 0, j.value ->> 1, null, null, ?, ?
       from json_each(?) j where true order by j.key
       on conflict (type, txid)
         do update set confirmations = excluded.confirmations, updated_at = excluded.updated_at
       returning id, txid`,
      [now, now, JSON.stringify(writes.networks.map((n) => [n.txid, n.confirmations]))],
    );
    const networkIds = new Map(networks.map((row) => [String(row.txid), toId(row.id)]));
    let depositIds: number[] = [];
    if (inserts.length > 0) {
      const rows = await rowsOf(
        run,
        `insert into ${p}transaction (wallet_id, kind, state, amount, sending_account_id,
           receiving_account_id, address_id, network_transaction_id, label, created_at,
           credited_at, processed_at)
         select j.value ->> 0, 'deposit', j.value ->> 1, cast(j.value ->> 2 as integer), null,
           j.value ->> 3, j.value ->> 4, j.value ->> 5, null, ?,
           case when j.value ->> 1 = 'credited' then ? end, null
         from json_each(?) j order by j.key
         returning id`,
        [
          now,
          now,
          JSON.stringify(
            inserts.map((d) => {
              const networkId = networkIds.get(d.txid);
              assert(networkId !== undefined, `deposit of ${d.txid} without its network row`);
              return [
                d.walletId,
                d.state,
                d.amount.toString(),
                d.accountId,
                d.addressId,
                networkId,
              ];
            }),
          ),
        ],
      );
      depositIds = rows.map((row) => toId(row.id));
    }
    const credited =
      writes.credits.length === 0
        ? 0
        : await changesOf(
            run,
            `update ${p}transaction set state = 'credited', credited_at = ?
             where id in (select value from json_each(?)) and state = 'incoming'`,
            [now, JSON.stringify(writes.credits)],
          );
    const move = (table: string, deltas: ReadonlyMap<number, bigint>) =>
      deltas.size === 0
        ? Promise.resolve(0)
        : changesOf(
            run,
            `update ${p}${table} set balance = balance + cast(j.value ->> 1 as integer)
             from json_each(?) j where ${p}${table}.id = j.value ->> 0`,
            [JSON.stringify([...deltas].map(([id, delta]) => [id, delta.toString()]))],
          );
    const accounts = await move('account', writes.accounts);
    const addresses = await move('address', writes.addresses);
    checkWritten(writes, networkIds, depositIds, { credited, accounts, addresses });
    return { networkIds, depositIds: ascending(depositIds) };
  }

  /** Inserts the events in order (ids from a sequence, so in the same order). */
  async insertEvents(
    run: StatementRunner,
    events: readonly { readonly transactionId: number; readonly payload: string }[],
    now: string,
  ): Promise<void> {
    if (events.length === 0) return;
    const p = this.#p;
    if (this.#pg) {
      await run(
        CompiledQuery.raw(
          `insert into ${p}event (name, transaction_id, payload, created_at)
           select $1, u.t, u.p, $2::timestamptz
           from unnest($3::bigint[], $4::text[]) with ordinality as u(t, p, o)
           order by u.o`,
          [
            txUpdateEventName,
            now,
            events.map((event) => String(event.transactionId)),
            events.map((event) => event.payload),
          ],
        ),
      );
      return;
    }
    await run(
      CompiledQuery.raw(
        `insert into ${p}event (name, transaction_id, payload, created_at)
         select ?, j.value ->> 0, j.value ->> 1, ? from json_each(?) j order by j.key`,
        [
          txUpdateEventName,
          now,
          JSON.stringify(events.map((event) => [event.transactionId, event.payload])),
        ],
      ),
    );
  }

  #list(values: readonly string[]): unknown {
    return this.#pg ? values : JSON.stringify(values);
  }
}

/** Every row a write meant to touch was touched. */
function checkWritten(
  writes: Writes,
  networkIds: ReadonlyMap<string, number>,
  depositIds: readonly number[],
  counts: { readonly credited: number; readonly accounts: number; readonly addresses: number },
): void {
  assert(networkIds.size === writes.networks.length, 'deposits: a network upsert returned no row');
  assert(depositIds.length === writes.inserts.length, 'deposits: an insert returned no row');
  assert(counts.credited === writes.credits.length, 'deposits: credited by someone else');
  assert(
    counts.accounts === writes.accounts.size && counts.addresses === writes.addresses.size,
    'deposits: balance change lost',
  );
}

async function rowsOf(
  run: StatementRunner,
  text: string,
  parameters: readonly unknown[],
): Promise<Row[]> {
  return (await run(CompiledQuery.raw(text, [...parameters]))).rows as Row[];
}

async function changesOf(
  run: StatementRunner,
  text: string,
  parameters: readonly unknown[],
): Promise<number> {
  return Number((await run(CompiledQuery.raw(text, [...parameters]))).numAffectedRows ?? 0n);
}

/** Ids a multi-row insert returned, in insertion order (a sequence hands them out in it). */
function ascending(ids: readonly number[]): number[] {
  return [...ids].sort((a, b) => a - b);
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
