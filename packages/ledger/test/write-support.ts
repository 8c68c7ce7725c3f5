// Helpers shared by the write path's suites: funding accounts, counting rows with raw SQL,
// asserting typed refusals, and child processes that open the same books.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Account, Ledger, Wallet } from '@cryptoassets/ledger';
import { type OfflineBooks, randomTxid } from '@cryptoassets/ledger/testing';
import { sql } from 'kysely';
import { expect } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const ledgerDist = join(repoRoot, 'packages', 'ledger', 'dist', 'index.js');

/** Credits `amount` to the account through a deposit at the confirmation threshold. */
export async function fund(ledger: Ledger, account: Account, amount: bigint): Promise<void> {
  const address = await ledger.createReceivingAddress(account);
  const result = await ledger.recordDeposit({
    txid: randomTxid(),
    address: address.address,
    amount,
    confirmations: ledger.coin.confirmations,
  });
  expect(result?.creditedNow).toBe(true);
}

/** Creates accounts `names` in the wallet, each funded with the amount at the same index. */
export async function fundedAccounts(
  ledger: Ledger,
  wallet: Wallet,
  amounts: Readonly<Record<string, bigint>>,
): Promise<Record<string, Account>> {
  const accounts: Record<string, Account> = {};
  for (const [name, amount] of Object.entries(amounts)) {
    const account = await ledger.createAccount(wallet, name);
    if (amount > 0n) await fund(ledger, account, amount);
    accounts[name] = account;
  }
  return accounts;
}

/** Balance and held amount of each account, by name, read back from the books. */
export async function balancesOf(
  ledger: Ledger,
  wallet: Wallet,
): Promise<Record<string, { balance: bigint; held: bigint }>> {
  const rows = await ledger.listAccounts(wallet);
  return Object.fromEntries(rows.map((a) => [a.name, { balance: a.balance, held: a.held }]));
}

/** A wallet of its own for each test, so that suites can share one database per dialect. */
export async function freshWallet(ledger: Ledger): Promise<Wallet> {
  walletsMade++;
  return ledger.getOrCreateWallet(`w${walletsMade}-${randomTxid().slice(0, 8)}`);
}
let walletsMade = 0;

export type CountedTable = 'transaction' | 'hold' | 'idempotency';

/** A wallet's rows in one of the coin's tables, counted in SQL. */
export async function countRows(
  books: OfflineBooks,
  table: CountedTable,
  wallet: Pick<Wallet, 'id'>,
): Promise<number> {
  const { rows } = await sql<{ n: string | number | bigint }>`select count(*) as n from ${sql.table(
    `ltc_${table}`,
  )} where wallet_id = ${wallet.id}`.execute(books.testDatabase.database.kysely);
  return Number(rows[0]?.n ?? 0);
}

/** A wallet's transactions, holds and idempotency keys: what a refused call must not change. */
export async function rowCounts(
  books: OfflineBooks,
  wallet: Pick<Wallet, 'id'>,
): Promise<Record<CountedTable, number>> {
  return {
    transaction: await countRows(books, 'transaction', wallet),
    hold: await countRows(books, 'hold', wallet),
    idempotency: await countRows(books, 'idempotency', wallet),
  };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The error of a promise that must reject with `type` and `code`; returned for more checks. */
export async function refusal<E extends ErrorClass>(
  outcome: Promise<unknown>,
  type: E,
  code: string,
): Promise<InstanceType<E>> {
  let caught: unknown;
  try {
    await outcome;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${type.name}`).toBeInstanceOf(type);
  expect((caught as { code?: unknown }).code).toBe(code);
  return caught as InstanceType<E>;
}

/** Same check for a value already caught (e.g. an entry of `transferMany`'s results). */
export function expectRefusal(error: unknown, type: ErrorClass, code: string): void {
  expect(error).toBeInstanceOf(type);
  expect((error as { code?: unknown }).code).toBe(code);
}

/** Asserts the audit finds nothing. */
export async function expectCleanAudit(ledger: Ledger): Promise<void> {
  const report = await ledger.audit();
  expect(report.mismatches).toEqual([]);
}

// ---- child processes ----------------------------------------------------------------------------

/** Builds the ledger package (incremental, quick when up to date): children run its `dist`. */
export async function buildLedger(): Promise<void> {
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [tsc, '-b', join(repoRoot, 'packages', 'ledger')], {
      stdio: 'ignore',
    });
    child.on('exit', resolve);
  });
  expect(code).toBe(0);
  expect(existsSync(ledgerDist)).toBe(true);
}

export type ChildRun = {
  /** Everything the child wrote to stdout so far. */
  stdout: string;
  stderr: string;
  readonly pid: number;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly kill: (signal: NodeJS.Signals) => void;
  /** Writes a line to the child's standard input. */
  readonly send: (line: string) => void;
};

/**
 * Runs an ES module `script` in a child Node process with the repository as working directory,
 * so it imports `@cryptoassets/ledger` as built. `args` reach it as `process.argv.slice(1)`.
 */
export function runChild(script: string, args: readonly string[]): ChildRun {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run: ChildRun = {
    stdout: '',
    stderr: '',
    pid: child.pid ?? -1,
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: (signal) => {
      child.kill(signal);
    },
    send: (line) => {
      child.stdin.write(`${line}\n`);
    },
  };
  child.stdin.on('error', () => undefined);
  child.stdout.on('data', (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  return run;
}

/**
 * The opening of a child's script: imports the built ledger and opens the books at `process.argv[1]`
 * as `ledger` (LTC regtest, as `testCoin()`; without the testing entry, which loads the test runner).
 */
export const childPrelude = `
import { getCoinProfile } from '@cryptoassets/core';
import { openDatabase, openLedger } from '@cryptoassets/ledger';
const coin = {
  symbol: 'ltc',
  profile: getCoinProfile('ltc'),
  network: 'regtest',
  confirmations: 3,
  maxConfirmationCount: 15,
  backend: { type: 'offline' },
};
const database = openDatabase(process.argv[1]);
const ledger = openLedger({ database, coin });
`;

/** Waits until the child printed `text`; fails with what it printed if it exits or takes long. */
export async function waitForOutput(
  child: ChildRun,
  text: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exit.then(() => {
    exited = true;
  });
  while (!child.stdout.includes(text)) {
    if (exited || Date.now() > deadline)
      throw new Error(
        `child did not print ${JSON.stringify(text)}: ${child.stdout}${child.stderr}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
