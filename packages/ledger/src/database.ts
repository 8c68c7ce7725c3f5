// Opens the books' database from a URL: `sqlite:PATH` (embedded default) or `postgresql://...`.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { DatabaseError } from './errors.js';

export type DialectName = 'sqlite' | 'postgres';

export type Database = {
  readonly dialect: DialectName;
  /** Untyped handle; each coin's books add their table prefix and types on top. */
  readonly kysely: Kysely<unknown>;
  /** The URL with any password removed, for messages and the status page. */
  readonly displayUrl: string;
  /** SQLite only: the connection under `kysely` (with cached statements), for hot paths. */
  readonly sqlite?: SqliteDatabase.Database;
  readonly close: () => Promise<void>;
};

export type OpenDatabaseOptions = {
  /** PostgreSQL pool size (connections). */
  readonly poolSize?: number;
  /** SQLite: how long a writer waits for another process's lock. */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite: create the file (and its directory) when missing; the default. With false a missing
   * file is an error and nothing is created.
   */
  readonly create?: boolean;
};

export const poolSizeDefault = 10;
export const busyTimeoutMsDefault = 5_000;
const statementCacheSizeMax = 256;
const int8Oid = 20;
const numericOid = 1700;

export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length), options);
  if (url.startsWith('postgresql://') || url.startsWith('postgres://'))
    return openPostgres(url, options);
  throw new DatabaseError(
    `database.url: expected sqlite:PATH or postgresql://..., got ${JSON.stringify(redact(url))}`,
  );
}

function openSqlite(path: string, options: OpenDatabaseOptions): Database {
  if (path.length === 0)
    throw new DatabaseError(
      'database.url: sqlite: needs a file path, e.g. sqlite:./data/cryptoassets.sqlite',
    );
  const busyTimeoutMs = options.busyTimeoutMs ?? busyTimeoutMsDefault;
  const create = options.create ?? true;
  let raw: SqliteDatabase.Database | undefined;
  try {
    if (path !== ':memory:' && create) mkdirSync(dirname(path), { recursive: true });
    raw = new SqliteDatabase(path, { fileMustExist: !create && path !== ':memory:' });
    // First, so that everything after it waits for another process's lock instead of failing.
    raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
    if (path !== ':memory:') setWalMode(raw, busyTimeoutMs);
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    raw.defaultSafeIntegers(true);
  } catch (error) {
    raw?.close();
    throw new DatabaseError(`cannot open SQLite database ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const sqlite = withStatementCache(raw);
  const kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  const displayUrl = `sqlite:${path}`;
  return { dialect: 'sqlite', kysely, sqlite, displayUrl, close: () => kysely.destroy() };
}

const walRetryMs = 20;

/**
 * Switches to WAL. Switching needs the file to itself for a moment: when other processes open
 * the same new file at once SQLite can answer SQLITE_BUSY without waiting for the busy timeout,
 * so try again until that timeout has passed.
 */
function setWalMode(raw: SqliteDatabase.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      raw.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const busy = typeof code === 'string' && code.startsWith('SQLITE_BUSY');
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, walRetryMs);
    }
  }
}

/** better-sqlite3 prepares a statement per query; a bounded cache of prepared statements saves that. */
function withStatementCache(raw: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  const prepare = (sql: string): SqliteDatabase.Statement => {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = raw.prepare(sql);
      if (cache.size >= statementCacheSizeMax) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
    }
    return statement;
  };
  return new Proxy(raw, {
    get(target, property) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Statements whose text starts with this comment are prepared once per connection and then run
 * by name: the write path's statements run thousands of times, and parsing and planning them
 * again each time costs more than running them. They must name their columns (no `*`), so a
 * migration that adds a column does not invalidate a prepared plan's result type.
 */
export const preparedStatementMarker = '/* prepared */ ';

/** A client that runs statements marked with `preparedStatementMarker` as named statements. */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values] = args;
    if (
      args.length === 2 &&
      typeof text === 'string' &&
      text.startsWith(preparedStatementMarker) &&
      Array.isArray(values)
    ) {
      const name = `ca_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      return super.query({ name, text, values } as pg.QueryConfig) as never;
    }
    return (super.query as (...rest: unknown[]) => never)(...args);
  }
}

function openPostgres(url: string, options: OpenDatabaseOptions): Database {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: url,
    max: options.poolSize ?? poolSizeDefault,
    connectionTimeoutMillis: 10_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8Oid || oid === numericOid
          ? (value: string) => value
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it on the next checkout.
  });
  const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  return { dialect: 'postgres', kysely, displayUrl: redact(url), close: () => kysely.destroy() };
}

/** Removes the password from a database URL. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}
