// The conflict resolver against real databases: provoked serialization failures and write skew on
// PostgreSQL, retries, errors and exhausted retries, and a SQLite writer lock held by another
// connection.
import {
  CannotResolveDatabaseConflict,
  ConflictResolver,
  isRetryableConflict,
  Ledger,
  OfflineBackend,
  openDatabase,
} from '@cryptoassets/ledger';
import {
  createTestDatabase,
  randomTxid,
  requirePostgres,
  type TestDatabase,
  testCoin,
} from '@cryptoassets/ledger/testing';
import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

type Tables = {
  /** Doctors on call: the classic write-skew example (at least one must stay on call). */
  shift: { id: number; doctor: string; on_call: boolean };
  counter: { id: number; value: number };
  note: { id: number; text: string };
};

const barrierTimeoutMs = 10_000;

/** Resolves for everyone once `parties` callers have arrived; fails after a timeout. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return async () => {
    arrived++;
    if (arrived === parties) open();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`barrier: ${arrived} of ${parties} arrived`)),
        barrierTimeoutMs,
      );
    });
    try {
      await Promise.race([opened, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

const postgres = await requirePostgres();

describe.skipIf(!postgres)('conflict resolver on PostgreSQL', () => {
  let testDatabase: TestDatabase;
  let db: Kysely<Tables>;

  beforeAll(async () => {
    testDatabase = await createTestDatabase('postgres');
    db = testDatabase.database.kysely.withTables<Tables>();
    await db.schema
      .createTable('shift')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('doctor', 'text', (c) => c.notNull())
      .addColumn('on_call', 'boolean', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('counter')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('value', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('note')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('text', 'text', (c) => c.notNull())
      .execute();
  });

  afterAll(async () => {
    await testDatabase?.drop();
  });

  beforeEach(async () => {
    await db.deleteFrom('shift').execute();
    await db.deleteFrom('counter').execute();
    await db.deleteFrom('note').execute();
    await db
      .insertInto('shift')
      .values([
        { id: 1, doctor: 'alice', on_call: true },
        { id: 2, doctor: 'bob', on_call: true },
      ])
      .execute();
    await db.insertInto('counter').values({ id: 1, value: 0 }).execute();
  });

  const onCallCount = async (tx: Kysely<Tables>): Promise<number> =>
    (await tx.selectFrom('shift').select('id').where('on_call', '=', true).execute()).length;

  const goOffCall = (tx: Kysely<Tables>, id: number) =>
    tx.updateTable('shift').set({ on_call: false }).where('id', '=', id).execute();

  /**
   * A unit of work that always meets a serialization failure: it reads the counter (taking its
   * snapshot), lets another connection update and commit the same row, then updates it itself.
   */
  const alwaysConflicting = (calls: { count: number }) => async (tx: Kysely<Tables>) => {
    calls.count++;
    await tx.selectFrom('counter').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
    await db.updateTable('counter').set({ value: sql`value + 1` }).where('id', '=', 1).execute();
    await tx.updateTable('counter').set({ value: sql`value + 100` }).where('id', '=', 1).execute();
  };

  it('classifies a provoked write-skew serialization failure as retryable (40001)', async () => {
    const bothRead = barrier(2);
    const takeLeave = (id: number) =>
      db.connection().execute(async (connection) => {
        await sql`begin isolation level serializable`.execute(connection);
        try {
          const count = await onCallCount(connection);
          await bothRead();
          if (count >= 2) await goOffCall(connection, id);
          await sql`commit`.execute(connection);
        } catch (error) {
          await sql`rollback`.execute(connection).catch(() => undefined);
          throw error;
        }
      });
    const outcomes = await Promise.allSettled([takeLeave(1), takeLeave(2)]);
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failures.length).toBe(1);
    const failure: unknown = failures[0]?.reason;
    expect(codeOf(failure)).toBe('40001');
    expect(isRetryableConflict(failure)).toBe(true);
    // The database kept the rule both transactions checked: one doctor is still on call.
    expect(await onCallCount(db)).toBe(1);
  });

  it('does not classify other database errors or plain errors as retryable', async () => {
    const duplicate = await db
      .insertInto('counter')
      .values({ id: 1, value: 1 })
      .execute()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(codeOf(duplicate)).toBe('23505');
    expect(isRetryableConflict(duplicate)).toBe(false);
    expect(isRetryableConflict(new Error('boom'))).toBe(false);
    expect(isRetryableConflict(null)).toBe(false);
    expect(isRetryableConflict({ code: 40001 })).toBe(false);
    expect(isRetryableConflict({ code: '40P01' })).toBe(true);
  });

  it('resolves two conflicting writers with exactly one retry', async () => {
    const resolver = new ConflictResolver(db, 'postgres');
    const bothRead = barrier(2);
    const attempts: number[] = [];
    const takeLeave = (id: number) =>
      resolver.managed('take leave', async (tx, attempt) => {
        attempts.push(attempt);
        const count = await onCallCount(tx);
        if (attempt === 1) await bothRead();
        if (count < 2) return false;
        await goOffCall(tx, id);
        return true;
      });
    const results = await Promise.all([takeLeave(1), takeLeave(2)]);
    expect(resolver.counters).toEqual({ successes: 2, retries: 1, errors: 0, unresolved: 0 });
    expect(attempts.sort()).toEqual([1, 1, 2]);
    // The retried writer saw the other's commit and stayed on call.
    expect(results.sort()).toEqual([false, true]);
    expect(await onCallCount(db)).toBe(1);
  });

  it('re-raises a non-database error as is, rolls back and does not retry', async () => {
    const resolver = new ConflictResolver(db, 'postgres');
    const boom = new Error('not a database problem');
    let calls = 0;
    const outcome = resolver.managed('explode', async (tx) => {
      calls++;
      await tx.insertInto('note').values({ id: 1, text: 'written before the error' }).execute();
      throw boom;
    });
    await expect(outcome).rejects.toBe(boom);
    expect(calls).toBe(1);
    expect(resolver.counters).toEqual({ successes: 0, retries: 0, errors: 1, unresolved: 0 });
    expect(await db.selectFrom('note').selectAll().execute()).toEqual([]);
  });

  it('gives up with CannotResolveDatabaseConflict when every attempt conflicts', async () => {
    const resolver = new ConflictResolver(db, 'postgres', {
      attemptsMax: 2,
      retryDelayMsMin: 1,
      retryDelayMsMax: 5,
    });
    const calls = { count: 0 };
    const error = await resolver.managed('always conflicts', alwaysConflicting(calls)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CannotResolveDatabaseConflict);
    expect((error as CannotResolveDatabaseConflict).attempts).toBe(2);
    expect(codeOf((error as CannotResolveDatabaseConflict).cause)).toBe('40001');
    expect(calls.count).toBe(2);
    expect(resolver.counters).toEqual({ successes: 0, retries: 1, errors: 0, unresolved: 1 });
    // Only the other connection's increments committed.
    const row = await db.selectFrom('counter').select('value').executeTakeFirstOrThrow();
    expect(row.value).toBe(2);
  });

  it('gives up after attemptsMax on an error that carries a retryable code', async () => {
    const resolver = new ConflictResolver(db, 'postgres', {
      attemptsMax: 3,
      retryDelayMsMin: 1,
      retryDelayMsMax: 5,
    });
    const conflict = Object.assign(new Error('simulated serialization failure'), {
      code: '40001',
    });
    let calls = 0;
    const outcome = resolver.managed('simulated', async () => {
      calls++;
      throw conflict;
    });
    await expect(outcome).rejects.toSatisfy(
      (e: unknown) =>
        e instanceof CannotResolveDatabaseConflict && e.attempts === 3 && e.cause === conflict,
    );
    expect(calls).toBe(3);
    expect(resolver.counters).toEqual({ successes: 0, retries: 2, errors: 0, unresolved: 1 });
  });

  it('nonRetryable raises CannotResolveDatabaseConflict on the first conflict', async () => {
    const resolver = new ConflictResolver(db, 'postgres');
    const calls = { count: 0 };
    const error = await resolver.nonRetryable('mark once', alwaysConflicting(calls)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CannotResolveDatabaseConflict);
    expect((error as CannotResolveDatabaseConflict).attempts).toBe(1);
    expect(codeOf((error as CannotResolveDatabaseConflict).cause)).toBe('40001');
    expect(calls.count).toBe(1);
    expect(resolver.counters).toEqual({ successes: 0, retries: 0, errors: 0, unresolved: 1 });
    const row = await db.selectFrom('counter').select('value').executeTakeFirstOrThrow();
    expect(row.value).toBe(1);
  });

  it('nonRetryable commits when there is no conflict and re-raises other errors', async () => {
    const resolver = new ConflictResolver(db, 'postgres');
    await resolver.nonRetryable('write a note', (tx) =>
      tx.insertInto('note').values({ id: 1, text: 'once' }).execute(),
    );
    const boom = new Error('refused');
    await expect(resolver.nonRetryable('refuse', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(resolver.counters).toEqual({ successes: 1, retries: 0, errors: 1, unresolved: 0 });
    expect((await db.selectFrom('note').select('text').execute()).map((r) => r.text)).toEqual([
      'once',
    ]);
  });
});

describe('conflict resolver on SQLite: a writer lock held by another connection', () => {
  const busyTimeoutMs = 50;
  let testDatabase: TestDatabase;
  let ledger: Ledger;
  let close: () => Promise<void>;
  let path: string;

  beforeEach(async () => {
    testDatabase = await createTestDatabase('sqlite');
    path = testDatabase.url.slice('sqlite:'.length);
    const database = openDatabase(testDatabase.url, { busyTimeoutMs });
    const coin = testCoin();
    ledger = new Ledger({
      database,
      coin,
      backend: new OfflineBackend({ coin: coin.profile, network: coin.network }),
    });
    close = database.close;
    await ledger.migrate();
  });

  afterEach(async () => {
    await close();
    await testDatabase.drop();
  });

  /** Another connection to the same file, holding the write lock until released. */
  function holdWriteLock(): { readonly release: () => void } {
    const other = new SqliteDatabase(path);
    other.exec('BEGIN IMMEDIATE');
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        other.exec('ROLLBACK');
        other.close();
      },
    };
  }

  async function fundedAccounts() {
    const wallet = await ledger.getOrCreateWallet('default');
    const alice = await ledger.createAccount(wallet, 'alice');
    const bob = await ledger.createAccount(wallet, 'bob');
    const address = await ledger.createReceivingAddress(alice);
    await ledger.recordDeposit({
      txid: randomTxid(),
      address: address.address,
      amount: 1_000n,
      confirmations: ledger.coin.confirmations,
    });
    return { wallet, alice, bob };
  }

  it('sees SQLITE_BUSY as a retryable conflict', async () => {
    await fundedAccounts();
    const lock = holdWriteLock();
    try {
      const error = await ledger.resolver
        .nonRetryable('probe', (tx) => tx.selectFrom('account').select('id').execute())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(CannotResolveDatabaseConflict);
      const cause = (error as CannotResolveDatabaseConflict).cause;
      expect(codeOf(cause)).toBe('SQLITE_BUSY');
      expect(isRetryableConflict(cause)).toBe(true);
    } finally {
      lock.release();
    }
  });

  it('retries a managed transfer until the lock is released, then succeeds', async () => {
    const { wallet, alice, bob } = await fundedAccounts();
    const before = { ...ledger.resolver.counters };
    const lock = holdWriteLock();
    let released = false;
    // Release once the resolver has met the lock and scheduled a retry.
    const watcher = setInterval(() => {
      if (ledger.resolver.counters.retries > before.retries) {
        released = true;
        lock.release();
        clearInterval(watcher);
      }
    }, 1);
    try {
      const transfer = await ledger.transfer({ from: alice, to: bob, amount: 300n });
      expect(released).toBe(true);
      expect(transfer.amount).toBe(300n);
    } finally {
      clearInterval(watcher);
      lock.release();
    }
    const after = ledger.resolver.counters;
    expect(after.retries - before.retries).toBeGreaterThanOrEqual(1);
    expect(after.successes - before.successes).toBe(1);
    expect(after.unresolved).toBe(before.unresolved);
    expect(after.errors).toBe(before.errors);
    expect((await ledger.getAccountById(alice.id))?.balance).toBe(700n);
    expect((await ledger.getAccountById(bob.id))?.balance).toBe(300n);
    expect(await ledger.walletTotal(wallet)).toBe(1_000n);
    expect((await ledger.audit()).mismatches).toEqual([]);
  });
});
