// The writer: one per coin's books in a process. Callers queue commands; the writer takes what
// is waiting (up to `commandsPerBatchMax`) into one database transaction, planned in memory and
// written in a constant number of statements, and answers each caller after the commit with its
// own result or its own error. It never waits to batch: a lone command commits at once.
import { assert } from '@cryptoassets/core';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Hold, Transaction } from '../records.js';
import {
  type ConflictResolver,
  isRetryableConflict,
  type StatementRunner,
  type UnitOptions,
} from '../resolver.js';
import type { LedgerTables } from '../schema.js';
import type { Command } from './commands.js';
import { WriteQueueFull } from './errors.js';
import { type HoldRow, type Outcome, type Plan, type PlanInput, planRun } from './plan.js';
import { needsOf, type WriteStore } from './store.js';

/** Most commands one database transaction takes. */
export const commandsPerBatchMax = 8_000;
/** Most commands waiting for the writer; beyond it a caller gets `WriteQueueFull`. */
export const queuedCommandsMax = 100_000;

/**
 * How batches of commands on PostgreSQL stay correct when several processes write: `row-locks`
 * (the default) reads the accounts and holds a batch touches with `for update`, in id order,
 * under read committed; `serializable` runs every batch serializable and retries it whole on a
 * conflict. SQLite serializes writers with `begin immediate` either way.
 */
export type WriteConcurrency = 'row-locks' | 'serializable';

/** What a command produced: a transaction, a hold, or both (a capture). */
export type CommandValue =
  | { readonly kind: 'transaction'; readonly transaction: Transaction }
  | { readonly kind: 'hold'; readonly hold: Hold }
  | { readonly kind: 'capture'; readonly hold: Hold; readonly transaction: Transaction };

export type CommandResult = {
  readonly value: CommandValue;
  /** True when an idempotency key matched an earlier request: nothing moved this time. */
  readonly replayed: boolean;
};

export type Settled =
  | { readonly ok: true; readonly result: CommandResult }
  | { readonly ok: false; readonly error: unknown };

/** Work run inside the writer's transaction, e.g. a batch of deposit observations. */
export type Procedure<T> = (tx: Kysely<LedgerTables>, run: StatementRunner) => Promise<T>;

/** Hooks a coin's books give the writer: events about settled holds. */
export type WriterHooks = {
  readonly holdsSettled?: (tx: Kysely<LedgerTables>, holds: readonly Hold[]) => Promise<void>;
};

type Entry =
  | {
      readonly kind: 'commands';
      readonly commands: readonly Command[];
      readonly atomic: boolean;
      readonly deliver: (settled: Settled[]) => void;
    }
  | {
      readonly kind: 'procedure';
      readonly name: string;
      readonly work: Procedure<unknown>;
      readonly deliver: (
        settled: { ok: true; value: unknown } | { ok: false; error: unknown },
      ) => void;
    };

type EntryResult = Settled[] | { ok: true; value: unknown } | { ok: false; error: unknown };

export class Writer {
  readonly #resolver: ConflictResolver<LedgerTables>;
  readonly #store: WriteStore;
  readonly #hooks: WriterHooks;
  readonly #concurrency: WriteConcurrency;
  #queue: Entry[] = [];
  #queued = 0;
  #running = false;
  /** Batches committed and commands in them, for the status page and tests. */
  readonly counters = { batches: 0, commands: 0, fallbacks: 0 };

  constructor(options: {
    readonly resolver: ConflictResolver<LedgerTables>;
    readonly store: WriteStore;
    readonly hooks?: WriterHooks;
    readonly concurrency?: WriteConcurrency;
  }) {
    this.#concurrency = options.concurrency ?? 'row-locks';
    this.#resolver = options.resolver;
    this.#store = options.store;
    this.#hooks = options.hooks ?? {};
  }

  /** Queues one command; resolves with its result or rejects with its own error. */
  async submit(command: Command): Promise<CommandResult> {
    const [settled] = await this.submitAll([command], { atomic: false });
    assert(settled !== undefined, 'writer: no result');
    if (!settled.ok) throw settled.error;
    return settled.result;
  }

  /**
   * Queues commands together. Atomic: all commit or none does (each refused one carries its
   * error, the others a `GroupRefused`). Otherwise each succeeds or fails on its own.
   */
  submitAll(
    commands: readonly Command[],
    options: { readonly atomic: boolean },
  ): Promise<Settled[]> {
    assert(
      commands.length <= commandsPerBatchMax,
      `at most ${commandsPerBatchMax} commands at once`,
    );
    if (this.#queued + commands.length > queuedCommandsMax)
      return Promise.reject(new WriteQueueFull({ queued: this.#queued }));
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      if (options.atomic || commands.length === 1) {
        this.#enqueue(
          { kind: 'commands', commands, atomic: options.atomic, deliver: resolve },
          commands.length,
        );
        return;
      }
      const settled: Settled[] = new Array(commands.length);
      let waiting = commands.length;
      commands.forEach((command, index) => {
        this.#enqueue(
          {
            kind: 'commands',
            commands: [command],
            atomic: false,
            deliver: ([one]) => {
              assert(one !== undefined, 'writer: no result');
              settled[index] = one;
              if (--waiting === 0) resolve(settled);
            },
          },
          1,
        );
      });
    });
  }

  /** Runs `work` in the writer's next transaction, after the commands queued before it. */
  procedure<T>(name: string, work: Procedure<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#enqueue(
        {
          kind: 'procedure',
          name,
          work,
          deliver: (settled) => (settled.ok ? resolve(settled.value as T) : reject(settled.error)),
        },
        1,
      );
    });
  }

  #enqueue(entry: Entry, size: number): void {
    this.#queue.push(entry);
    this.#queued += size;
    if (this.#running) return;
    this.#running = true;
    // Callers queueing in this same turn (a loop of calls, `Promise.all`) join the batch; a lone
    // command does not wait for the event loop to come round.
    queueMicrotask(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        const results = await this.#applyOrIsolate(batch);
        for (let index = 0; index < batch.length; index++) deliver(batch[index]!, results[index]);
        // Callers answered now queue their next commands before the next batch is taken.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#running = false;
    }
  }

  #take(): Entry[] {
    let size = 0;
    let count = 0;
    for (const entry of this.#queue) {
      const entrySize = entry.kind === 'commands' ? entry.commands.length : 1;
      if (count > 0 && size + entrySize > commandsPerBatchMax) break;
      size += entrySize;
      count++;
    }
    const batch = this.#queue.slice(0, count);
    this.#queue = this.#queue.slice(count);
    this.#queued -= size;
    return batch;
  }

  /** The batch in one transaction; when it fails for a reason of its own, each entry alone. */
  async #applyOrIsolate(batch: Entry[]): Promise<EntryResult[]> {
    try {
      return await this.#apply(batch);
    } catch (error) {
      if (batch.length === 1 || isRetryableConflict(error) || isUnresolved(error)) {
        const failed = { ok: false as const, error };
        return batch.map((entry) =>
          entry.kind === 'commands' ? entry.commands.map(() => failed) : failed,
        );
      }
      this.counters.fallbacks++;
      const results: EntryResult[] = [];
      for (const entry of batch) results.push((await this.#applyOrIsolate([entry]))[0]!);
      return results;
    }
  }

  #apply(batch: Entry[]): Promise<EntryResult[]> {
    // Commands lock the rows they plan on, so they need no more than read committed; work done
    // by procedures (deposits, voids, imports) reads more than it locks and stays serializable.
    const locking =
      this.#concurrency === 'row-locks' && batch.every((entry) => entry.kind === 'commands');
    const options: UnitOptions = locking
      ? { isolation: 'read committed', retryable: isUniqueViolation }
      : { isolation: 'serializable' };
    return this.#resolver.managed(
      'write batch',
      async (tx, _attempt, run) => {
        const results: EntryResult[] = [];
        for (let index = 0; index < batch.length; ) {
          const entry = batch[index]!;
          if (entry.kind === 'procedure') {
            results.push(await this.#runProcedure(tx, run, entry, batch.length > 1));
            index++;
            continue;
          }
          let end = index;
          while (end < batch.length && batch[end]!.kind === 'commands') end++;
          const entries = batch.slice(index, end) as Extract<Entry, { kind: 'commands' }>[];
          results.push(...(await this.#applyCommands(tx, run, entries)));
          index = end;
        }
        this.counters.batches++;
        this.counters.commands += batch.length;
        return results;
      },
      options,
    );
  }

  async #runProcedure(
    tx: Kysely<LedgerTables>,
    run: StatementRunner,
    entry: Extract<Entry, { kind: 'procedure' }>,
    shared: boolean,
  ): Promise<EntryResult> {
    if (!shared) return { ok: true, value: await entry.work(tx, run) };
    await run(savepoint);
    try {
      const value = await entry.work(tx, run);
      await run(releaseSavepoint);
      return { ok: true, value };
    } catch (error) {
      if (isRetryableConflict(error)) throw error;
      await run(rollbackToSavepoint);
      return { ok: false, error };
    }
  }

  /** A run of command entries: load, plan, write, and the results per entry. */
  async #applyCommands(
    tx: Kysely<LedgerTables>,
    run: StatementRunner,
    entries: Extract<Entry, { kind: 'commands' }>[],
  ): Promise<Settled[][]> {
    const inputs: PlanInput[] = [];
    const starts: number[] = [];
    for (const entry of entries) {
      starts.push(inputs.length);
      const group = entry.atomic ? inputs.length : undefined;
      for (const command of entry.commands)
        inputs.push(group === undefined ? { command } : { command, group });
    }
    const commands = inputs.map((input) => input.command);
    const store = this.#store;
    const state = await store.load(run, needsOf(commands));
    const now = new Date().toISOString();
    const plan = planRun(inputs, state, now);
    const settled = await this.#write(tx, run, plan, state.holds, now);
    return entries.map((entry, index) => {
      const start = starts[index]!;
      return settled.slice(start, start + entry.commands.length);
    });
  }

  async #write(
    tx: Kysely<LedgerTables>,
    run: StatementRunner,
    plan: Plan,
    holds: Map<number, HoldRow>,
    now: string,
  ): Promise<Settled[]> {
    const store = this.#store;
    const transactionIds = await store.writeTransactions(run, plan.deltas, plan.transactions);
    const holdIds = await store.insertHolds(run, plan.holds);
    const settledHolds = [...plan.settledHolds].map((id) => holds.get(id)!);
    await store.settleHolds(run, settledHolds);
    const values = plan.outcomes.map((outcome) =>
      outcome.ok ? plannedValue(outcome, plan, transactionIds, holdIds, holds) : undefined,
    );
    await store.insertKeys(
      run,
      plan.keys.map((key) => {
        const value = values[key.index];
        assert(value !== undefined, 'a key without its result');
        return {
          ...key,
          transactionId: 'transaction' in value ? value.transaction.id : null,
          holdId: 'hold' in value ? value.hold.id : null,
        };
      }),
      now,
    );
    const replays = await this.#replays(run, plan.outcomes);
    if (settledHolds.length > 0 && this.#hooks.holdsSettled)
      await this.#hooks.holdsSettled(tx, settledHolds.map(holdOf));
    return plan.outcomes.map((outcome, index): Settled => {
      if (!outcome.ok) return { ok: false, error: outcome.error };
      const planned = outcome.planned;
      if (planned.kind === 'replay')
        return { ok: true, result: { value: replays.get(index)!, replayed: true } };
      if (planned.kind === 'same') {
        const value = values[planned.index];
        assert(value !== undefined, 'a replay of a refused command');
        return { ok: true, result: { value, replayed: true } };
      }
      const value = values[index];
      assert(value !== undefined, 'a planned command without its value');
      return { ok: true, result: { value, replayed: false } };
    });
  }

  /** The stored results of replayed keys, read in the same transaction. */
  async #replays(
    run: StatementRunner,
    outcomes: readonly Outcome[],
  ): Promise<Map<number, CommandValue>> {
    const keys = new Map<number, { transactionId: number | null; holdId: number | null }>();
    const seen = new Map<number, HoldRow>();
    outcomes.forEach((outcome, index) => {
      if (!outcome.ok || outcome.planned.kind !== 'replay') return;
      keys.set(index, outcome.planned.key);
      if (outcome.planned.hold) seen.set(index, outcome.planned.hold);
    });
    const found = new Map<number, CommandValue>();
    if (keys.size === 0) return found;
    const all = [...keys.values()];
    const transactions = await this.#store.transactionsById(
      run,
      all.flatMap((key) => (key.transactionId === null ? [] : [key.transactionId])),
    );
    const holdsFound = await this.#store.holdsById(
      run,
      all.flatMap((key) => (key.holdId === null ? [] : [key.holdId])),
    );
    for (const [index, key] of keys) {
      const transaction =
        key.transactionId === null ? undefined : transactions.get(key.transactionId);
      // A hold the batch settled after the replay is answered as the replay saw it.
      const snapshot = seen.get(index);
      const hold = snapshot
        ? holdOf(snapshot)
        : key.holdId === null
          ? undefined
          : holdsFound.get(key.holdId);
      if (transaction && hold) found.set(index, { kind: 'capture', hold, transaction });
      else if (transaction) found.set(index, { kind: 'transaction', transaction });
      else if (hold) found.set(index, { kind: 'hold', hold });
      else assert(false, `idempotency key of command ${index} points at nothing`);
    }
    return found;
  }
}

const savepoint = CompiledQuery.raw('savepoint write_procedure');
const releaseSavepoint = CompiledQuery.raw('release savepoint write_procedure');
const rollbackToSavepoint = CompiledQuery.raw('rollback to savepoint write_procedure');

function deliver(entry: Entry, result: EntryResult | undefined): void {
  assert(result !== undefined, 'writer: an entry without a result');
  if (entry.kind === 'commands') {
    assert(Array.isArray(result), 'writer: commands without their results');
    entry.deliver(result);
  } else {
    assert(!Array.isArray(result), 'writer: a procedure with command results');
    entry.deliver(result);
  }
}

/**
 * A unique index refused a key, reference or fee another writer committed after this batch read:
 * planning the batch again finds it (a replay, or the command's own typed refusal).
 */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

function isUnresolved(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'CANNOT_RESOLVE_DATABASE_CONFLICT';
}

function plannedValue(
  outcome: Extract<Outcome, { ok: true }>,
  plan: Plan,
  transactionIds: readonly number[],
  holdIds: readonly number[],
  holds: Map<number, HoldRow>,
): CommandValue | undefined {
  const planned = outcome.planned;
  switch (planned.kind) {
    case 'transaction':
      return {
        kind: 'transaction',
        transaction: transactionOf(plan, planned.insert, transactionIds),
      };
    case 'existing':
      return { kind: 'transaction', transaction: planned.transaction };
    case 'hold': {
      const values = plan.holds[planned.insert]!;
      const id = holdIds[planned.insert]!;
      return {
        kind: 'hold',
        hold: {
          id,
          walletId: values.wallet_id,
          accountId: values.account_id,
          amount: values.amount,
          captured: 0n,
          state: 'active',
          expiresAt: values.expires_at === null ? null : new Date(values.expires_at),
          reference: values.reference,
          metadata: values.metadata === null ? null : JSON.parse(values.metadata),
          createdAt: new Date(values.created_at),
          settledAt: null,
        },
      };
    }
    case 'capture':
      return {
        kind: 'capture',
        hold: holdOf(holds.get(planned.holdId)!),
        transaction: transactionOf(plan, planned.insert, transactionIds),
      };
    case 'release':
      return { kind: 'hold', hold: holdOf(holds.get(planned.holdId)!) };
    case 'replay':
    case 'same':
      return undefined;
  }
}

function transactionOf(plan: Plan, insert: number, ids: readonly number[]): Transaction {
  const values = plan.transactions[insert];
  const id = ids[insert];
  assert(values !== undefined && id !== undefined, 'a planned transaction without its id');
  return {
    id,
    walletId: values.wallet_id,
    kind: values.kind,
    state: values.state,
    amount: values.amount,
    sendingAccountId: values.sending_account_id,
    receivingAccountId: values.receiving_account_id,
    addressId: values.address_id,
    networkTransactionId: values.network_transaction_id,
    label: values.label,
    createdAt: new Date(values.created_at),
    creditedAt: null,
    processedAt: null,
    reference: values.reference,
    metadata: values.metadata === null ? null : JSON.parse(values.metadata),
    holdId: values.hold_id,
  };
}

function holdOf(row: HoldRow): Hold {
  return {
    id: row.id,
    walletId: row.walletId,
    accountId: row.accountId,
    amount: row.amount,
    captured: row.captured,
    state: row.state,
    expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt),
    reference: row.reference,
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    createdAt: new Date(row.createdAt),
    settledAt: row.settledAt === null ? null : new Date(row.settledAt),
  };
}
