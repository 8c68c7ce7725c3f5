// What the ledger commands write when they fail or only read: nothing. Reads never create a
// wallet, bad arguments are refused before the database is touched, concurrent `init-db` runs
// on one new SQLite file all succeed, and a failed `init-db` leaves no new file behind.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseError, Ledger } from '@cryptoassets/ledger';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Run, runInProcess } from './support.js';

const launcher = fileURLToPath(new URL('../bin/cryptoassets.js', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cryptoassets-bad-input-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** A configuration with the books in `file` and the given coins (offline backends). */
function writeConfig(file: string, coins: readonly string[] = ['ltc']): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  const sections = coins.map(
    (coin) => `  ${coin}:\n    network: regtest\n    backend: { type: offline, balance: '1' }\n`,
  );
  writeFileSync(path, `database:\n  url: sqlite:${file}\ncoins:\n${sections.join('')}`);
  return path;
}

function expectOneLineError(result: Run, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

/** Rows of each table, read straight from the file. */
function countRows(file: string, tables: readonly string[]): Record<string, number> {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    return Object.fromEntries(
      tables.map((table) => [
        table,
        Number((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n),
      ]),
    );
  } finally {
    db.close();
  }
}

/** The migration log, every table and index with its SQL, and the journal mode of a file. */
function schemaOf(file: string) {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    const migrations = (
      db.prepare('select name from ltc_migration order by name').all() as { name: string }[]
    ).map((row) => row.name);
    const objects = db
      .prepare("select type, name, sql from sqlite_master where name like 'ltc_%' order by name")
      .all();
    return { migrations, objects, journalMode: db.pragma('journal_mode', { simple: true }) };
  } finally {
    db.close();
  }
}

const bookTables = ['ltc_wallet', 'ltc_account', 'ltc_address', 'ltc_transaction'];
const empty = { ltc_wallet: 0, ltc_account: 0, ltc_address: 0, ltc_transaction: 0 };

async function initDb(config: string): Promise<void> {
  const result = await runInProcess(['--config', config, 'init-db']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

describe('read commands', () => {
  it('name a missing wallet instead of creating it', async () => {
    const file = join(dir, 'books.sqlite');
    const config = writeConfig(file);
    await initDb(config);
    const reads = [
      ['balance'],
      ['balance', '--account', 'alice'],
      ['transactions'],
      ['account', 'list'],
      ['address', 'list'],
    ];
    for (const read of reads) {
      expectOneLineError(
        await runInProcess(['--config', config, '--wallet', 'nope', ...read]),
        /^error: wallet "nope" not found: create an account first/,
      );
      expectOneLineError(
        await runInProcess(['--config', config, ...read]),
        /^error: wallet "default" not found/,
      );
    }
    expect(countRows(file, bookTables)).toEqual(empty);

    // Creating an account creates its wallet; reading another wallet still creates nothing.
    expect((await runInProcess(['--config', config, 'account', 'create', 'alice'])).code).toBe(0);
    expect((await runInProcess(['--config', config, 'balance'])).code).toBe(0);
    for (const read of reads) {
      expectOneLineError(
        await runInProcess(['--config', config, '--wallet', 'nope', ...read]),
        /wallet "nope" not found/,
      );
    }
    expect(countRows(file, ['ltc_wallet', 'ltc_account'])).toEqual({
      ltc_wallet: 1,
      ltc_account: 2, // alice and the wallet's network fee account
    });
  });

  it('do not create a database file that does not exist', async () => {
    const file = join(dir, 'data', 'books.sqlite');
    const config = writeConfig(file);
    expectOneLineError(
      await runInProcess(['--config', config, 'balance']),
      /does not exist: run `cryptoassets init-db` first/,
    );
    expectOneLineError(
      await runInProcess(['--config', config, 'account', 'create', 'alice']),
      /init-db/,
    );
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});

describe('a command given bad input', () => {
  it('writes nothing at all', async () => {
    const file = join(dir, 'books.sqlite');
    const config = writeConfig(file);
    await initDb(config);
    const cli = (...args: string[]) => runInProcess(['--config', config, ...args]);
    expectOneLineError(
      await cli('transfer', '--from', 'a', '--to', 'b', '--amount', 'abc'),
      /--amount: not a decimal amount/,
    );
    expectOneLineError(
      await cli('send', '--from', 'a', '--to', 'somewhere', '--amount', '-1'),
      /--amount: amount must be greater than zero/,
    );
    expectOneLineError(await cli('account', 'create', 'al\nice'), /control characters/);
    expectOneLineError(await cli('account', 'create', 'alice\n'), /account name/);
    expectOneLineError(await cli('--wallet', 'main\n', 'account', 'create', 'alice'), /--wallet/);
    expectOneLineError(
      await cli(
        'transfer',
        '--from',
        'a',
        '--to',
        'b',
        '--amount',
        '1',
        '--label',
        'x'.repeat(300),
      ),
      /--label/,
    );
    // Well-formed, but the accounts do not exist: the wallet is not created for them either.
    expectOneLineError(
      await cli('transfer', '--from', 'a', '--to', 'b', '--amount', '1'),
      /wallet "default" not found/,
    );
    expectOneLineError(await cli('address', 'new', '--account', 'a'), /wallet "default" not found/);
    expectOneLineError(await cli('import-balance', '--account', 'a'), /wallet "default" not found/);
    expect(countRows(file, bookTables)).toEqual(empty);
  });
});

/** Runs the real launcher as a child process. */
function spawnCli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [launcher, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('init-db', () => {
  it('run by several processes at once on one new file: all succeed, each step applied once', async () => {
    // The schema one init-db run makes alone, to compare with.
    const reference = join(dir, 'reference.sqlite');
    await initDb(writeConfig(reference));
    const expected = schemaOf(reference);
    expect(expected.migrations.slice(0, 3)).toEqual([
      '0001_initial',
      '0002_outbox',
      '0003_broadcast_lock',
    ]);
    for (let round = 0; round < 2; round++) {
      const file = join(dir, `books-${round}.sqlite`);
      const config = writeConfig(file);
      const runs = await Promise.all(
        Array.from({ length: 6 }, () => spawnCli(['--config', config, '--json', 'init-db'])),
      );
      for (const result of runs) {
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
      }
      // Every step was applied by exactly one of the runs.
      const applied = runs.flatMap(
        (result) => (JSON.parse(result.stdout) as { applied: { ltc: string[] } }).applied.ltc,
      );
      expect(applied.sort()).toEqual(expected.migrations);
      expect(schemaOf(file)).toEqual(expected);
    }
  });

  /** The second coin's migration fails after the first coin's tables were made. */
  function failSecondCoin(): void {
    const migrate = Ledger.prototype.migrate;
    vi.spyOn(Ledger.prototype, 'migrate').mockImplementation(async function (this: Ledger) {
      if (this.coin.symbol === 'btc')
        throw new DatabaseError('migrating btc tables failed: disk I/O error');
      return migrate.call(this);
    });
  }

  it('that fails leaves no new database file (or directory) behind', async () => {
    const file = join(dir, 'data', 'books', 'books.sqlite');
    const config = writeConfig(file, ['ltc', 'btc']);
    failSecondCoin();
    expectOneLineError(
      await runInProcess(['--config', config, 'init-db']),
      /migrating btc tables failed/,
    );
    expect(readdirSync(dir).filter((name) => !name.endsWith('.yaml'))).toEqual([]);
  });

  it('that fails never removes a database that existed before', async () => {
    mkdirSync(join(dir, 'data'));
    const file = join(dir, 'data', 'books.sqlite');
    await initDb(writeConfig(file));
    expect(
      (await runInProcess(['--config', writeConfig(file), 'account', 'create', 'a'])).code,
    ).toBe(0);
    failSecondCoin();
    expectOneLineError(
      await runInProcess(['--config', writeConfig(file, ['ltc', 'btc']), 'init-db']),
      /migrating btc tables failed/,
    );
    expect(countRows(file, ['ltc_wallet', 'ltc_account'])).toEqual({
      ltc_wallet: 1,
      ltc_account: 2,
    });
  });
});
