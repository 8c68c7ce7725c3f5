// The conflict resolver: runs a unit of work in one serializable transaction, retrying bounded
// times with jittered backoff when the database reports a serialization failure or deadlock.
import { type Kysely, sql } from 'kysely';
import type { DialectName } from './database.js';
import { CannotResolveDatabaseConflict } from './errors.js';

export const attemptsMaxDefault = 8;
export const retryDelayMsMinDefault = 2;
export const retryDelayMsMaxDefault = 200;

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

export type ResolverOptions = {
  readonly attemptsMax?: number;
  readonly retryDelayMsMin?: number;
  readonly retryDelayMsMax?: number;
};

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
  readonly #begin: string;
  readonly #attemptsMax: number;
  readonly #delayMsMin: number;
  readonly #delayMsMax: number;

  constructor(db: Kysely<DB>, dialect: DialectName, options: ResolverOptions = {}) {
    this.#db = db;
    this.#begin = dialect === 'postgres' ? 'begin isolation level serializable' : 'begin immediate';
    this.#attemptsMax = options.attemptsMax ?? attemptsMaxDefault;
    this.#delayMsMin = options.retryDelayMsMin ?? retryDelayMsMinDefault;
    this.#delayMsMax = options.retryDelayMsMax ?? retryDelayMsMaxDefault;
  }

  /**
   * Runs `work` in a serializable transaction, retried on conflicts. `work` must not touch the
   * network or the file system: it may run several times.
   */
  async managed<T>(
    operation: string,
    work: (tx: Kysely<DB>, attempt: number) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.#once(work, attempt);
        this.counters.successes++;
        return result;
      } catch (error) {
        if (!isRetryableConflict(error)) {
          this.counters.errors++;
          throw error;
        }
        if (attempt >= this.#attemptsMax) {
          this.counters.unresolved++;
          throw new CannotResolveDatabaseConflict(operation, attempt, error);
        }
        this.counters.retries++;
        await sleep(this.#backoffMs(attempt));
      }
    }
  }

  /**
   * Runs `work` in a serializable transaction exactly once: a conflict is raised as
   * `CannotResolveDatabaseConflict` without a retry. For marks that must not be repeated blindly.
   */
  async nonRetryable<T>(operation: string, work: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
    try {
      const result = await this.#once(work, 1);
      this.counters.successes++;
      return result;
    } catch (error) {
      if (!isRetryableConflict(error)) {
        this.counters.errors++;
        throw error;
      }
      this.counters.unresolved++;
      throw new CannotResolveDatabaseConflict(operation, 1, error);
    }
  }

  /** A plain transaction with the database's default isolation: for tests and scripts. */
  plain<T>(work: (tx: Kysely<DB>) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(work);
  }

  #once<T>(work: (tx: Kysely<DB>, attempt: number) => Promise<T>, attempt: number): Promise<T> {
    return this.#db.connection().execute(async (connection) => {
      await sql.raw(this.#begin).execute(connection);
      let result: T;
      try {
        result = await work(connection, attempt);
      } catch (error) {
        await sql
          .raw('rollback')
          .execute(connection)
          .catch(() => undefined);
        throw error;
      }
      try {
        await sql.raw('commit').execute(connection);
      } catch (error) {
        await sql
          .raw('rollback')
          .execute(connection)
          .catch(() => undefined);
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
