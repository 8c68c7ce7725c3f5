// Many concurrent writers moving money between the same accounts: no lost update, no negative
// balance, the wallet total conserved, a clean audit, and every conflict resolved by a retry.
import {
  type Account,
  type Ledger,
  NotEnoughAccountBalance,
  type ResolverCounters,
  type Transaction,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  type OfflineBooks,
  openOfflineBooks,
  randomTxid,
  requirePostgres,
} from '@cryptoassets/ledger/testing';
import { afterEach, describe, expect, it } from 'vitest';

type Scenario = {
  readonly workers: number;
  readonly transfersPerWorker: number;
  readonly accounts: number;
  /** Each account's opening deposit is `fundingStep * (its index + 1)`. */
  readonly fundingStep: bigint;
  /** Transfer amounts are drawn from 1..amountMax. */
  readonly amountMax: number;
};

type WorkerOutcome = { readonly done: Transaction[]; readonly refused: number };

/** A small seeded generator (mulberry32), so each worker's sequence of requests is repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function fundAccounts(
  ledger: Ledger,
  wallet: Wallet,
  scenario: Scenario,
): Promise<{ accounts: Account[]; opening: Map<number, bigint> }> {
  const accounts: Account[] = [];
  const opening = new Map<number, bigint>();
  for (let index = 0; index < scenario.accounts; index++) {
    const account = await ledger.createAccount(wallet, `account-${index}`);
    const address = await ledger.createReceivingAddress(account);
    const amount = scenario.fundingStep * BigInt(index + 1);
    const deposit = await ledger.recordDeposit({
      txid: randomTxid(),
      address: address.address,
      amount,
      confirmations: ledger.coin.confirmations,
    });
    expect(deposit?.creditedNow).toBe(true);
    accounts.push(account);
    opening.set(account.id, amount);
  }
  return { accounts, opening };
}

async function runWorker(
  ledger: Ledger,
  accounts: readonly Account[],
  scenario: Scenario,
  seed: number,
): Promise<WorkerOutcome> {
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const done: Transaction[] = [];
  let refused = 0;
  for (let i = 0; i < scenario.transfersPerWorker; i++) {
    const fromIndex = pick(accounts.length);
    const toIndex = (fromIndex + 1 + pick(accounts.length - 1)) % accounts.length;
    const amount = BigInt(1 + pick(scenario.amountMax));
    try {
      done.push(
        await ledger.transfer({ from: accounts[fromIndex]!, to: accounts[toIndex]!, amount }),
      );
    } catch (error) {
      if (!(error instanceof NotEnoughAccountBalance)) throw error;
      refused++;
    }
  }
  return { done, refused };
}

function delta(after: ResolverCounters, before: ResolverCounters): ResolverCounters {
  return {
    successes: after.successes - before.successes,
    retries: after.retries - before.retries,
    errors: after.errors - before.errors,
    unresolved: after.unresolved - before.unresolved,
  };
}

async function runScenario(books: OfflineBooks, scenario: Scenario): Promise<ResolverCounters> {
  const { ledger } = books;
  const wallet = await ledger.getOrCreateWallet('default');
  const { accounts, opening } = await fundAccounts(ledger, wallet, scenario);
  const openingTotal = [...opening.values()].reduce((a, b) => a + b, 0n);
  const before = { ...ledger.resolver.counters };

  const outcomes = await Promise.all(
    Array.from({ length: scenario.workers }, (_, worker) =>
      runWorker(ledger, accounts, scenario, 1_000 + worker),
    ),
  );
  const counters = delta(ledger.resolver.counters, before);

  const done = outcomes.flatMap((o) => o.done);
  const refused = outcomes.reduce((n, o) => n + o.refused, 0);
  expect(done.length + refused).toBe(scenario.workers * scenario.transfersPerWorker);
  expect(done.length).toBeGreaterThan(0);
  // Group commit: concurrent transfers share batches, so fewer commits than transfers; a refusal
  // (not enough balance) is decided in the batch and is no database error.
  expect(counters.successes).toBeGreaterThan(0);
  expect(counters.successes).toBeLessThanOrEqual(done.length + refused);
  expect(counters.errors).toBe(0);
  expect(counters.unresolved).toBe(0);

  // Each successful transfer is exactly one committed transaction, even when it was retried.
  const recorded = await ledger.listTransactions({ wallet, kind: 'internal', limit: 10_000 });
  expect(recorded.map((t) => t.id).sort((a, b) => a - b)).toEqual(
    done.map((t) => t.id).sort((a, b) => a - b),
  );

  const expected = new Map(opening);
  for (const t of done) {
    expect(t.kind).toBe('internal');
    const from = t.sendingAccountId!;
    const to = t.receivingAccountId!;
    expected.set(from, expected.get(from)! - t.amount);
    expected.set(to, expected.get(to)! + t.amount);
  }
  const actual = new Map(
    (await ledger.listAccounts(wallet))
      .filter((a) => a.kind === 'user')
      .map((a) => [a.id, a.balance]),
  );
  expect(actual).toEqual(expected);
  for (const balance of actual.values()) expect(balance).toBeGreaterThanOrEqual(0n);

  expect(await ledger.walletTotal(wallet)).toBe(openingTotal);
  const audit = await ledger.audit();
  expect(audit.mismatches).toEqual([]);
  expect(audit.total).toBe(openingTotal);
  return counters;
}

const postgres = await requirePostgres();

/**
 * Eight writers over twenty accounts: most transfers overlap an in-flight one on some account, and
 * a few needed more than the default 8 attempts; the retries are what this test is about.
 */
const contendedAttemptsMax = 64;
const postgresTimeoutMs = 300_000;

describe('concurrent transfers', () => {
  let books: OfflineBooks | undefined;

  afterEach(async () => {
    await books?.close();
    books = undefined;
  });

  it.skipIf(!postgres)(
    'on PostgreSQL: 8 workers x 1,000 transfers over 20 accounts',
    { timeout: postgresTimeoutMs },
    async () => {
      books = await openOfflineBooks('postgres', {
        poolSize: 10,
        resolver: { attemptsMax: contendedAttemptsMax },
      });
      const counters = await runScenario(books, {
        workers: 8,
        transfersPerWorker: 1_000,
        accounts: 20,
        fundingStep: 500n,
        amountMax: 2_000,
      });
      console.info('resolver counters, PostgreSQL:', counters);
    },
  );

  it('on SQLite: 8 workers x 200 transfers over 20 accounts in one process', async () => {
    books = await openOfflineBooks('sqlite');
    const counters = await runScenario(books, {
      workers: 8,
      transfersPerWorker: 200,
      accounts: 20,
      fundingStep: 500n,
      amountMax: 2_000,
    });
    console.info('resolver counters, SQLite:', counters);
  });
});
