// The conflict resolver: runs a unit of work in one serializable transaction, retrying bounded
// times with jittered backoff when the database reports a serialization failure or deadlock.
import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { DialectName } from './database.js';
import { CannotResolveDatabaseConflict } from './errors.js';

export const attemptsMaxDefault = 16;
export const retryDelayMsMinDefault = 2;
export const retryDelayMsMaxDefault = 250;

export type ResolverCounters = {
  /** Units of work that committed. */
  successes: number;
  /** Attempts that hit a conflict and were tried again. */
  retries: number;
  /** Units of work that failed with an error other than a conflict. */
  errors: number;
  /** Units of work that gave up with `CannotResolveDatabaseConflict`. */
  unresolved: number;
};

/**
 * Runs a compiled statement on the unit of work's connection. On SQLite it calls the driver
 * directly and synchronously (the unit of work holds the connection), skipping the query
 * builder's per-statement layers; on PostgreSQL it goes through the connection's Kysely.
 */
export type StatementRunner = <R>(query: CompiledQuery<R>) => Promise<QueryResult<R>>;

/** A unit of work: may run several times, so it must not touch the network or files. */
export type UnitOfWork<DB, T> = (
  tx: Kysely<DB>,
  attempt: number,
  run: StatementRunner,
) => Promise<T>;

/** The part of a better-sqlite3 database the direct runner needs. */
export type SqliteHandle = {
  readonly prepare: (sql: string) => {
    readonly reader: boolean;
    readonly all: (parameters: readonly unknown[]) => unknown[];
    readonly run: (parameters: readonly unknown[]) => { readonly changes: number };
  };
};

/** A runner that executes on the raw SQLite connection, synchronously. */
export function sqliteStatementRunner(handle: SqliteHandle): StatementRunner {
  return <R>(query: CompiledQuery<R>): Promise<QueryResult<R>> => {
    try {
      const statement = handle.prepare(query.sql);
      if (statement.reader)
        return Promise.resolve({ rows: statement.all(query.parameters) as R[] });
      const { changes } = statement.run(query.parameters);
      return Promise.resolve({ numAffectedRows: BigInt(changes), rows: [] });
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** How a unit of work is isolated on PostgreSQL (SQLite always takes the write lock at begin). */
export type Isolation = 'serializable' | 'read committed';

/** Per unit of work: its isolation, and which further errors mean "try the whole unit again". */
export type UnitOptions = {
  readonly isolation?: Isolation;
  readonly retryable?: (error: unknown) => boolean;
};

export type ResolverOptions = {
  readonly attemptsMax?: number;
  readonly retryDelayMsMin?: number;
  readonly retryDelayMsMax?: number;
};

// Compiled once: the transaction statements run on every unit of work.
const commit = CompiledQuery.raw('commit');
const rollback = CompiledQuery.raw('rollback');
const postgresRetryableCodes = new Set(['40001', '40P01']);
const sqliteRetryableCodes = new Set([
  'SQLITE_BUSY',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_RECOVERY',
  'SQLITE_LOCKED',
]);

/** True when the error is a serialization failure or deadlock that a retry can resolve. */
export function isRetryableConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return postgresRetryableCodes.has(code) || sqliteRetryableCodes.has(code);
}

export class ConflictResolver<DB> {
  readonly counters: ResolverCounters = { successes: 0, retries: 0, errors: 0, unresolved: 0 };
  readonly #db: Kysely<DB>;
  readonly #begin: CompiledQuery;
  readonly #beginReadCommitted: CompiledQuery;
  readonly #attemptsMax: number;
  readonly #delayMsMin: number;
  readonly #delayMsMax: number;
  readonly #direct: StatementRunner | undefined;

  /** `sqlite`, when given, is the raw connection under `db`, for the direct statement runner. */
  constructor(
    db: Kysely<DB>,
    dialect: DialectName,
    options: ResolverOptions = {},
    sqlite?: SqliteHandle,
  ) {
    this.#db = db;
    this.#direct = sqlite === undefined ? undefined : sqliteStatementRunner(sqlite);
    this.#begin = CompiledQuery.raw(
      dialect === 'postgres' ? 'begin isolation level serializable' : 'begin immediate',
    );
    this.#beginReadCommitted = CompiledQuery.raw(
      dialect === 'postgres' ? 'begin isolation level read committed' : 'begin immediate',
    );
    this.#attemptsMax = options.attemptsMax ?? attemptsMaxDefault;
    this.#delayMsMin = options.retryDelayMsMin ?? retryDelayMsMinDefault;
    this.#delayMsMax = options.retryDelayMsMax ?? retryDelayMsMaxDefault;
  }

  /**
   * Runs `work` in a serializable transaction, retried on conflicts. `work` must not touch the
   * network or the file system: it may run several times.
   */
  managed<T>(operation: string, work: UnitOfWork<DB, T>, options: UnitOptions = {}): Promise<T> {
    return this.#attempt(operation, work, this.#attemptsMax, options);
  }

  /**
   * Runs `work` in a serializable transaction exactly once: a conflict is raised as
   * `CannotResolveDatabaseConflict` without a retry. For marks that must not be repeated blindly.
   */
  nonRetryable<T>(operation: string, work: UnitOfWork<DB, T>): Promise<T> {
    return this.#attempt(operation, work, 1);
  }

  async #attempt<T>(
    operation: string,
    work: UnitOfWork<DB, T>,
    attemptsMax: number,
    options: UnitOptions = {},
  ): Promise<T> {
    const begin = options.isolation === 'read committed' ? this.#beginReadCommitted : this.#begin;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.#once(work, attempt, begin);
        this.counters.successes++;
        return result;
      } catch (error) {
        if (!isRetryableConflict(error) && !(options.retryable?.(error) ?? false)) {
          this.counters.errors++;
          throw error;
        }
        if (attempt >= attemptsMax) {
          this.counters.unresolved++;
          throw new CannotResolveDatabaseConflict(operation, attempt, error);
        }
        this.counters.retries++;
        await sleep(this.#backoffMs(attempt));
      }
    }
  }

  /** A plain transaction with the database's default isolation: for tests and scripts. */
  plain<T>(work: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  #once<T>(work: UnitOfWork<DB, T>, attempt: number, begin: CompiledQuery): Promise<T> {
    return this.#db.connection().execute(async (connection) => {
      const run: StatementRunner = this.#direct ?? ((query) => connection.executeQuery(query));
      await run(begin);
      let result: T;
      try {
        result = await work(connection, attempt, run);
      } catch (error) {
        await run(rollback).catch(() => undefined);
        throw error;
      }
      try {
        await run(commit);
      } catch (error) {
        await run(rollback).catch(() => undefined);
        throw error;
      }
      return result;
    });
  }

  #backoffMs(attempt: number): number {
    const ceiling = Math.min(this.#delayMsMax, this.#delayMsMin * 2 ** attempt);
    return this.#delayMsMin + Math.random() * (ceiling - this.#delayMsMin);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
