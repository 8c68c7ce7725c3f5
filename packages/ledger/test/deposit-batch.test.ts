// The batched deposit path against the per-observation one: the same streams of observations
// (new deposits, confirmation counts across the threshold, several outputs per transaction,
// unknown and shared addresses, conflicts, reversals, re-credits, amount changes, a txid twice
// in a batch) leave the same books, results and events, on every dialect. On PostgreSQL a batch
// costs the same number of statements whatever its size.
import {
  type Account,
  type DepositObservation,
  type DepositObservationResult,
  type Ledger,
  listLimitMax,
  OfflineBackend,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
  randomTxid,
  testCoin,
} from '@cryptoassets/ledger/testing';
import fc from 'fast-check';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLedgerContext, type LedgerContext } from '../src/context.js';
import { recordDepositObservations } from '../src/deposits.js';

const thresholdConfirmations = 2;
const propertyRunsPerDialect = 40;

/** One coin's books with a second context on them, to record deposits by either path. */
type Side = {
  readonly books: OfflineBooks;
  readonly ctx: LedgerContext;
  readonly deposits: Wallet;
};

/** Addresses of the pool: 0-5 are receiving addresses of the books, 6 and 7 nobody's. */
const poolSize = 8;

/**
 * Fresh books. Migrating reads the server's catalog, which fails now and then with "schema does
 * not exist" while other suites on the same PostgreSQL drop theirs: that is tried again.
 */
async function openBooks(dialect: 'sqlite' | 'postgres'): Promise<OfflineBooks> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOfflineBooks(dialect, { coin: { confirmations: thresholdConfirmations } });
    } catch (error) {
      const code = ((error as Error).cause as { code?: unknown } | undefined)?.code;
      if (code !== '3F000' || attempt >= 5) throw error;
    }
  }
}

async function openSide(dialect: 'sqlite' | 'postgres', pool: readonly string[]): Promise<Side> {
  const books = await openBooks(dialect);
  const { ledger } = books;
  const ctx = createLedgerContext({
    database: books.testDatabase.database,
    coin: ledger.coin,
    backend: books.backend,
  });
  const deposits = await ledger.getOrCreateWallet('default');
  const other = await ledger.getOrCreateWallet('other');
  const [alice, bob, carol] = [
    await ledger.createAccount(deposits, 'alice'),
    await ledger.createAccount(deposits, 'bob'),
    await ledger.createAccount(deposits, 'carol'),
  ];
  const dave = await ledger.createAccount(other, 'dave');
  const at = (index: number) => pool[index]!;
  await ledger.importAddress(alice, at(0));
  await ledger.importAddress(alice, at(1));
  await ledger.importAddress(bob, at(2));
  await ledger.importAddress(carol, at(3));
  // The same address in two wallets: a deposit goes to the older receiving address.
  await ledger.importAddress(dave, at(0));
  await ledger.importAddress(dave, at(4));
  await ledger.importAddress(carol, at(4));
  // An outside address of one wallet that is a receiving address of the other.
  await ledger.getOrCreateExternalAddress(deposits, at(5));
  await ledger.importAddress(dave, at(5));
  return { books, ctx, deposits };
}

/** Everything the books hold, ids of network transactions replaced by their rank. */
async function dump(side: Side) {
  const db = side.books.testDatabase.database.kysely;
  const rows = async (query: ReturnType<typeof sql>) =>
    (await query.execute(db)).rows as Record<string, unknown>[];
  const networks = await rows(
    sql`select id, txid, confirmations from ltc_network_transaction order by id`,
  );
  const rank = new Map(networks.map((row, index) => [String(row.id), index + 1]));
  const network = (id: unknown) => (id === null ? null : rank.get(String(id)));
  const transactions = await rows(sql`
    select id, wallet_id, kind, state, amount, sending_account_id, receiving_account_id,
      address_id, network_transaction_id, label, reference, metadata, hold_id,
      case when credited_at is null then 0 else 1 end as credited_at,
      case when processed_at is null then 0 else 1 end as processed_at
    from ltc_transaction order by id`);
  const events = await rows(
    sql`select id, name, transaction_id, payload from ltc_event order by id`,
  );
  return {
    networks: networks.map((row) => ({ ...row, id: network(row.id) })),
    transactions: transactions.map((row) => ({
      ...row,
      network_transaction_id: network(row.network_transaction_id),
    })),
    accounts: await rows(sql`select id, name, balance, held from ltc_account order by id`),
    addresses: await rows(
      sql`select id, account_id, address, balance from ltc_address order by id`,
    ),
    events: events.map((row) => {
      const payload = JSON.parse(String(row.payload)) as Record<string, unknown>;
      return {
        ...row,
        payload: { ...payload, network_transaction_id: network(payload.network_transaction_id) },
      };
    }),
  };
}

type Outcome =
  | { readonly ok: true; readonly results: unknown[] }
  | { readonly ok: false; readonly error: string };

async function record(
  side: Side,
  observations: readonly DepositObservation[],
  batched: boolean,
): Promise<Outcome> {
  try {
    const results = await recordDepositObservations(side.ctx, observations, { batched });
    return { ok: true, results: results.map(comparable) };
  } catch (error) {
    return {
      ok: false,
      error: `${(error as Error).constructor.name}: ${(error as Error).message}`,
    };
  }
}

function comparable(result: DepositObservationResult) {
  return {
    ...result,
    reversedNow: result.reversedNow.map((deposit) => ({
      id: deposit.id,
      state: deposit.state,
      amount: deposit.amount,
      accountId: deposit.receivingAccountId,
      addressId: deposit.addressId,
    })),
  };
}

/** A step of a stream: a batch of observations, or the app marking a credited deposit processed. */
type Step =
  | {
      readonly kind: 'batch';
      readonly observations: readonly {
        readonly tx: number;
        readonly confirmations: number;
        readonly received: readonly { readonly address: number; readonly changed: boolean }[];
      }[];
    }
  | { readonly kind: 'process'; readonly pick: number };

const txCount = 8;
const observationArb = fc.record({
  tx: fc.integer({ min: 0, max: txCount - 1 }),
  confirmations: fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: -2, max: -1 }) },
    { weight: 8, arbitrary: fc.integer({ min: 0, max: thresholdConfirmations + 2 }) },
  ),
  received: fc.uniqueArray(
    fc.record({
      address: fc.integer({ min: 0, max: poolSize - 1 }),
      // Now and then the node reports another amount for the same output.
      changed: fc.integer({ min: 0, max: 39 }).map((n) => n === 0),
    }),
    { selector: (output) => output.address, maxLength: 4 },
  ),
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      observations: fc.array(observationArb, { minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('process' as const), pick: fc.nat() }),
  },
);

/** An observation of a stream: txid `tx` with outputs to pool addresses (`~n`: amount changed). */
function seen(tx: number, confirmations: number, ...outputs: (number | `~${number}`)[]) {
  return {
    tx,
    confirmations,
    received: outputs.map((output) =>
      typeof output === 'number'
        ? { address: output, changed: false }
        : { address: Number(output.slice(1)), changed: true },
    ),
  };
}
const batch = (...observations: ReturnType<typeof seen>[]): Step => ({
  kind: 'batch',
  observations,
});
const processed = (pick: number): Step => ({ kind: 'process', pick });

/** Streams through each case the per-observation path keeps, next to batched ones. */
const examples: [Step[]][] = [
  // A processed deposit back below the threshold, then credited again.
  [
    [
      batch(seen(0, 2, 0), seen(1, 0, 1)),
      processed(0),
      batch(seen(0, 1, 0), seen(1, 1, 1), seen(2, 2, 3)),
      batch(seen(2, 3, 3), seen(0, 2, 0, 2), seen(1, 2, 1)),
    ],
  ],
  // Reversed in the mempool, credited again next to new deposits.
  [
    [
      batch(seen(0, 3, 0)),
      batch(seen(0, 0, 0), seen(1, 2, 3)),
      batch(seen(1, 3, 3), seen(0, 2, 0), seen(2, 2, 4, 6)),
    ],
  ],
  // An incoming amount changes, then is credited; a credited amount that changes fails all.
  [
    [
      batch(seen(0, 1, 0)),
      batch(seen(0, 1, '~0'), seen(1, 2, 1)),
      batch(seen(0, 2, '~0'), seen(2, 0, 2)),
      batch(seen(1, 3, 1), seen(0, 3, 0), seen(3, 2, 3)),
    ],
  ],
  // The same txid twice in a batch, between others.
  [[batch(seen(0, 0, 0, 1), seen(1, 2, 2), seen(0, 2, 0, 1), seen(2, 1, 5))]],
  // Conflicted with a new output, then deep again.
  [
    [
      batch(seen(0, 2, 0)),
      batch(seen(0, -1, 0, 1), seen(1, 1, 2)),
      batch(seen(0, 2, 0, 1), seen(1, 2, 2)),
    ],
  ],
  // Below the threshold every deposit of the transaction is updated; at it only those reported.
  [
    [
      batch(seen(0, 0, 0, 1)),
      batch(seen(0, 1, 2)),
      batch(seen(0, 1, 0)),
      batch(seen(0, 2, 1), seen(1, 0, 6, 7)),
      batch(seen(0, 3, 0, 1, 2)),
    ],
  ],
  // Nobody's addresses only, and shared addresses.
  [[batch(seen(0, 2, 6, 7), seen(1, 0, 6)), batch(seen(0, 1, 7), seen(2, 2, 0, 4, 5))]],
];

/** Marks the `pick`-th credited deposit processed, when there is one; the same in both books. */
async function processOne(ledger: Ledger, wallet: Wallet, pick: number): Promise<void> {
  const credited = await ledger.listTransactions({
    wallet,
    kind: 'deposit',
    state: 'credited',
    limit: listLimitMax,
  });
  if (credited.length === 0) return;
  const sorted = credited.map((deposit) => deposit.id).sort((a, b) => a - b);
  await ledger.markProcessed(sorted[pick % sorted.length]!);
}

for (const dialect of await dialectsUnderTest()) {
  describe(`batched deposit observations on ${dialect}`, () => {
    it('leave the same books, results and events as the per-observation path', async () => {
      const coin = testCoin();
      const addressMaker = new OfflineBackend({ coin: coin.profile, network: coin.network });
      const pool: string[] = [];
      for (let index = 0; index < poolSize; index++)
        pool.push(await addressMaker.createAddress({ label: `pool-${index}` }));
      // Both books get the same operations, so they stay equal from run to run (each run has
      // txids of its own); after a failed run they are opened afresh, for a clean shrink.
      const open = async () => ({
        batched: await openSide(dialect, pool),
        single: await openSide(dialect, pool),
      });
      const close = async (pair: { batched: Side; single: Side }) => {
        await pair.batched.books.close();
        await pair.single.books.close();
      };
      let pair = await open();
      let diverged = false;
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (steps) => {
            if (diverged) {
              await close(pair);
              pair = await open();
              diverged = false;
            }
            const { batched, single } = pair;
            diverged = true;
            const txids = Array.from({ length: txCount }, () => randomTxid());
            for (const step of steps) {
              if (step.kind === 'process') {
                await processOne(batched.books.ledger, batched.deposits, step.pick);
                await processOne(single.books.ledger, single.deposits, step.pick);
                continue;
              }
              const observations = step.observations.map(
                (entry): DepositObservation => ({
                  txid: txids[entry.tx]!,
                  confirmations: entry.confirmations,
                  received: entry.received.map(({ address, changed }) => ({
                    address: pool[address]!,
                    amount: BigInt(1_000 * (entry.tx + 1) + address) + (changed ? 7n : 0n),
                  })),
                }),
              );
              const outcome = await record(batched, observations, true);
              expect(outcome).toEqual(await record(single, observations, false));
              expect(await dump(batched)).toEqual(await dump(single));
            }
            expect((await batched.books.ledger.audit()).mismatches).toEqual([]);
            diverged = false;
          }),
          { numRuns: propertyRunsPerDialect, examples },
        );
      } finally {
        await close(pair);
      }
    });
  });
}

describe.runIf((await dialectsUnderTest()).includes('postgres'))(
  'batched deposit observations on postgres: round trips',
  () => {
    let books: OfflineBooks;
    let ctx: LedgerContext;
    let accounts: Account[];

    beforeEach(async () => {
      books = await openBooks('postgres');
      const { ledger } = books;
      ctx = createLedgerContext({
        database: books.testDatabase.database,
        coin: ledger.coin,
        backend: books.backend,
      });
      const wallet = await ledger.getOrCreateWallet('default');
      accounts = [];
      for (let index = 0; index < 5; index++)
        accounts.push(await ledger.createAccount(wallet, `customer-${index}`));
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await books.close();
    });

    /** `count` new deposits to new addresses of the accounts, `confirmations` deep. */
    async function newDeposits(count: number): Promise<DepositObservation[]> {
      const observations: DepositObservation[] = [];
      for (let index = 0; index < count; index++) {
        const address = await books.ledger.createReceivingAddress(
          accounts[index % accounts.length]!,
        );
        observations.push({
          txid: randomTxid(),
          confirmations: 0,
          received: [{ address: address.address, amount: 100_000n }],
        });
      }
      return observations;
    }

    /** Statements sent to PostgreSQL while `work` runs (begin and commit included). */
    async function statementsOf(work: () => Promise<unknown>): Promise<number> {
      const query = vi.spyOn(pg.Client.prototype, 'query');
      try {
        await work();
        return query.mock.calls.length;
      } finally {
        query.mockRestore();
      }
    }

    it('costs the same five or six statements for 1, 10 or 100 deposits, new or credited', async () => {
      const counts: Record<string, number> = {};
      for (const size of [1, 10, 100]) {
        const seen = await newDeposits(size);
        counts[`seen ${size}`] = await statementsOf(() =>
          recordDepositObservations(ctx, seen, { batched: true }),
        );
        const deep = seen.map((observation) => ({
          ...observation,
          confirmations: thresholdConfirmations,
        }));
        counts[`credited ${size}`] = await statementsOf(async () => {
          const results = await recordDepositObservations(ctx, deep, { batched: true });
          expect(results.every((result) => result.creditedNow === 1)).toBe(true);
        });
        const fresh = (await newDeposits(size)).map((observation) => ({
          ...observation,
          confirmations: 3,
        }));
        counts[`new and credited ${size}`] = await statementsOf(() =>
          recordDepositObservations(ctx, fresh, { batched: true }),
        );
      }
      // New deposits: begin, our addresses and known network transactions, the writes, the
      // events, commit. Known ones: their deposits and last events are read too.
      expect(counts).toEqual({
        'seen 1': 5,
        'seen 10': 5,
        'seen 100': 5,
        'credited 1': 6,
        'credited 10': 6,
        'credited 100': 6,
        'new and credited 1': 5,
        'new and credited 10': 5,
        'new and credited 100': 5,
      });
      const perObservation = await newDeposits(100);
      const single = await statementsOf(() =>
        recordDepositObservations(ctx, perObservation, { batched: false }),
      );
      expect(single).toBeGreaterThan(700);
      expect((await books.ledger.audit()).mismatches).toEqual([]);
    });
  },
);
