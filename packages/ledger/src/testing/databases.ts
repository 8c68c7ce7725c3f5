// Test databases: a fresh SQLite file, or a fresh PostgreSQL schema, per suite.
// Under CI=true a PostgreSQL that cannot be reached fails the run instead of skipping.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Database, type DialectName, openDatabase } from '../database.js';

export const postgresTestUrl =
  process.env.CRYPTOASSETS_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type TestDatabase = {
  readonly dialect: DialectName;
  readonly url: string;
  readonly database: Database;
  /** Closes the database and removes everything the test created. */
  readonly drop: () => Promise<void>;
};

let postgresReachable: Promise<boolean> | undefined;

/** True when the test PostgreSQL answers; cached for the process. */
export function isPostgresReachable(): Promise<boolean> {
  postgresReachable ??= (async () => {
    const client = new pg.Client({
      connectionString: postgresTestUrl,
      connectionTimeoutMillis: 3_000,
    });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresReachable;
}

/**
 * The dialects the suites run on: SQLite always; PostgreSQL when reachable. Under CI=true an
 * unreachable PostgreSQL throws, so a missing service fails the run rather than hiding.
 */
export async function dialectsUnderTest(): Promise<DialectName[]> {
  if (await isPostgresReachable()) return ['sqlite', 'postgres'];
  if (process.env.CI === 'true')
    throw new Error(`PostgreSQL is required under CI=true but ${postgresTestUrl} is not reachable`);
  console.warn(
    `PostgreSQL at ${postgresTestUrl} is not reachable: PostgreSQL suites are skipped (set CI=true to fail instead)`,
  );
  return ['sqlite'];
}

/** Requires PostgreSQL: returns false (skip) locally when missing, throws under CI=true. */
export async function requirePostgres(): Promise<boolean> {
  return (await dialectsUnderTest()).includes('postgres');
}

export async function createTestDatabase(
  dialect: DialectName,
  options: { readonly poolSize?: number } = {},
): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cryptoassets-test-'));
    const url = `sqlite:${join(dir, 'books.sqlite')}`;
    const database = openDatabase(url);
    return {
      dialect,
      url,
      database,
      drop: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresTestUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const separator = postgresTestUrl.includes('?') ? '&' : '?';
  const url = `${postgresTestUrl}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const database = openDatabase(
    url,
    options.poolSize === undefined ? {} : { poolSize: options.poolSize },
  );
  const drop = async () => {
    await database.close();
    const cleanup = new pg.Client({ connectionString: postgresTestUrl });
    await cleanup.connect();
    await cleanup.query(`drop schema ${schema} cascade`);
    await cleanup.end();
  };
  return { dialect, url, database, drop };
}
