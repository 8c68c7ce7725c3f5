// Model-based property of group commit, on every dialect: random streams of transfers (some
// allowed below zero, some with references), atomic two-leg trades, holds, captures and releases,
// with and without idempotency keys (repeated, with the same or other parameters), issued
// concurrently in rounds through the writer, give exactly the results, final balances and held
// amounts of the same commands applied one by one, each awaited before the next.
import {
  type Account,
  AtomicBatchRefused,
  type Hold,
  IdempotencyKeyReused,
  type Ledger,
  type Transaction,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
} from '@cryptoassets/ledger/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balancesOf, expectCleanAudit, freshWallet, rowCounts } from './write-support.js';

const accountsPerWallet = 4;
const runsPerDialect = 15;
const roundsMax = 3;
const commandsPerRoundMax = 16;
const keys = ['k0', 'k1', 'k2', 'k3'];
const references = ['r0', 'r1', 'r2'];

type Leg = {
  readonly from: number;
  readonly to: number;
  readonly amount: bigint;
  readonly key: string | null;
  readonly reference: string | null;
};

type Command =
  | ({ readonly type: 'transfer'; readonly allowNegative: boolean } & Leg)
  | { readonly type: 'trade'; readonly legs: readonly [Leg, Leg] }
  | {
      readonly type: 'hold';
      readonly account: number;
      readonly amount: bigint;
      readonly key: string | null;
    }
  | {
      readonly type: 'capture';
      /** Picks one of the holds created in earlier rounds (modulo their number). */
      readonly hold: number;
      readonly to: number;
      readonly amount: bigint | null;
      readonly key: string | null;
    }
  | { readonly type: 'release'; readonly hold: number; readonly key: string | null };

type HoldRow = Hold & { readonly replayed: boolean };
type Row = (Transaction & { readonly replayed: boolean }) | HoldRow;

/** What a command gave: the rows of a result, or the code (and details) of a refusal. */
type Raw =
  | { readonly ok: true; readonly rows: readonly Row[] }
  | { readonly ok: false; readonly code: string; readonly detail: string[] }
  | { readonly skipped: true };

/** What a command gave, with ids replaced by the order in which the run first met them. */
type Seen =
  | {
      readonly ok: true;
      readonly replayed: boolean[];
      readonly ids: string[];
      readonly detail: string[];
    }
  | { readonly ok: false; readonly code: string; readonly detail: string[] }
  | { readonly skipped: true };

const isHold = (row: Row): row is HoldRow => 'captured' in row && !('kind' in row);

const slot = fc.integer({ min: 0, max: accountsPerWallet - 1 });
const amount = fc.bigInt({ min: 1n, max: 400n });
const key = fc.option(fc.constantFrom(...keys), { freq: 2 });
const reference = fc.option(fc.constantFrom(...references), { freq: 3 });
/** Mostly another account than the sender; now and then the same one (refused). */
const offset = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: accountsPerWallet - 1 }), weight: 8 },
  { arbitrary: fc.constant(0), weight: 1 },
);
const leg = fc
  .record({ from: slot, offset, amount, key, reference })
  .map(({ offset: by, ...l }) => ({ ...l, to: (l.from + by) % accountsPerWallet }));

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc
      .tuple(leg, fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, fc.constant(true)))
      .map(([l, allowNegative]) => ({ type: 'transfer' as const, allowNegative, ...l })),
    weight: 5,
  },
  {
    arbitrary: fc
      .tuple(leg, leg)
      .map(([a, b]) => ({ type: 'trade' as const, legs: [a, b] as const })),
    weight: 1,
  },
  {
    arbitrary: fc.record({ type: fc.constant('hold' as const), account: slot, amount, key }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('capture' as const),
      hold: fc.nat(),
      to: slot,
      amount: fc.option(fc.bigInt({ min: 1n, max: 700n }), { freq: 2 }),
      key,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ type: fc.constant('release' as const), hold: fc.nat(), key }),
    weight: 2,
  },
);

/** A command of the stream, or the repetition of an earlier one (a client's retry). */
const step: fc.Arbitrary<Command | { readonly type: 'repeat'; readonly earlier: number }> =
  fc.oneof(
    { arbitrary: command, weight: 3 },
    {
      arbitrary: fc.record({ type: fc.constant('repeat' as const), earlier: fc.nat() }),
      weight: 1,
    },
  );

const scenario = fc.record({
  opening: fc.array(fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1_000n })), {
    minLength: accountsPerWallet,
    maxLength: accountsPerWallet,
  }),
  rounds: fc
    .array(fc.array(step, { minLength: 1, maxLength: commandsPerRoundMax }), {
      minLength: 1,
      maxLength: roundsMax,
    })
    .map((rounds) => {
      // A repetition copies an earlier command of the stream (with none before it, a release).
      const given: Command[] = [];
      return rounds.map((round) =>
        round.map((s): Command => {
          const c =
            s.type !== 'repeat'
              ? s
              : (given[s.earlier % Math.max(given.length, 1)] ?? {
                  type: 'release' as const,
                  hold: s.earlier,
                  key: null,
                });
          given.push(c);
          return c;
        }),
      );
    }),
});

/** One wallet that runs a scenario, and what it has seen so far. */
class Side {
  readonly ledger: Ledger;
  readonly wallet: Wallet;
  readonly accounts: readonly Account[];
  /** Holds made when the wallet was opened and by earlier rounds, in the order made. */
  readonly holds: number[] = [];
  readonly #names = new Map<string, number>();

  constructor(ledger: Ledger, wallet: Wallet, accounts: readonly Account[]) {
    this.ledger = ledger;
    this.wallet = wallet;
    this.accounts = accounts;
  }

  static async open(ledger: Ledger, opening: readonly bigint[]): Promise<Side> {
    const wallet = await freshWallet(ledger);
    const bank = await ledger.createAccount(wallet, 'bank');
    const accounts: Account[] = [];
    for (let i = 0; i < accountsPerWallet; i++)
      accounts.push(await ledger.createAccount(wallet, `a${i}`));
    const funding = opening.flatMap((value, i) =>
      value > 0n
        ? [{ from: bank, to: accounts[i]!, amount: value, allowNegativeBalance: true }]
        : [],
    );
    if (funding.length > 0) await ledger.transferMany(funding, { atomic: true });
    const side = new Side(ledger, wallet, accounts);
    // A quarter of each opening balance held, so that captures and releases have holds from the start.
    for (let i = 0; i < accountsPerWallet; i++) {
      const amount = opening[i]! / 4n;
      if (amount > 0n) side.holds.push((await ledger.hold({ account: accounts[i]!, amount })).id);
    }
    return side;
  }

  /** Starts the command at once (the writer queues it before this returns), or skips it. */
  issue(command: Command): Promise<Raw> {
    const { ledger, accounts } = this;
    const legOptions = (l: Leg) => ({
      from: accounts[l.from]!,
      to: accounts[l.to]!,
      amount: l.amount,
      ...(l.key === null ? {} : { idempotencyKey: l.key }),
      ...(l.reference === null ? {} : { reference: l.reference }),
    });
    const withKey = (k: string | null) => (k === null ? {} : { idempotencyKey: k });
    const pickHold = (pick: number) => this.holds[pick % this.holds.length];
    switch (command.type) {
      case 'transfer':
        return raw(
          ledger.transfer({ ...legOptions(command), allowNegativeBalance: command.allowNegative }),
          (t) => [t],
        );
      case 'trade':
        return raw(ledger.transferMany(command.legs.map(legOptions), { atomic: true }), (results) =>
          results.map((r) => {
            if (!r.ok) throw new Error('an atomic batch that committed with a refused leg');
            return r.transaction;
          }),
        );
      case 'hold':
        return raw(
          ledger.hold({
            account: accounts[command.account]!,
            amount: command.amount,
            ...withKey(command.key),
          }),
          (h) => [h],
        );
      case 'capture': {
        const hold = pickHold(command.hold);
        if (hold === undefined) return Promise.resolve({ skipped: true });
        return raw(
          ledger.captureHold(hold, {
            to: accounts[command.to]!,
            ...(command.amount === null ? {} : { amount: command.amount }),
            ...withKey(command.key),
          }),
          (c) => [
            { ...c.hold, replayed: c.replayed },
            { ...c.transaction, replayed: c.replayed },
          ],
        );
      }
      case 'release': {
        const hold = pickHold(command.hold);
        if (hold === undefined) return Promise.resolve({ skipped: true });
        return raw(
          ledger.releaseHold(hold, { wallet: this.wallet, ...withKey(command.key) }),
          (h) => [h],
        );
      }
    }
  }

  /**
   * After a round, in the order its commands were given: names the rows they gave, and makes
   * the holds they created available to later rounds.
   */
  endRound(results: readonly Raw[]): Seen[] {
    return results.map((result) => {
      if ('skipped' in result || !result.ok) return result;
      for (const row of result.rows)
        if (isHold(row) && row.state === 'active' && !this.holds.includes(row.id))
          this.holds.push(row.id);
      return {
        ok: true,
        replayed: result.rows.map((row) => row.replayed),
        ids: result.rows.map((row) => this.#name(row)),
        // A replayed hold is read when its batch commits: a capture or release later in the same
        // batch shows in it. Its state is compared at the end, with every other hold's.
        detail: result.rows.map((row) =>
          isHold(row)
            ? `hold ${row.amount}${row.replayed ? '' : ` ${row.state} ${row.captured}`}`
            : `${row.kind} ${row.amount}`,
        ),
      };
    });
  }

  /** Every hold of the wallet in the order made: account slot, amount, state and captured. */
  async finalHolds(): Promise<string[]> {
    const holds = await this.ledger.listHolds({ wallet: this.wallet, limit: 1_000 });
    const slots = new Map(this.accounts.map((a, i) => [a.id, i]));
    return holds
      .sort((a, b) => a.id - b.id)
      .map((h) => `a${slots.get(h.accountId)} ${h.amount} ${h.state} ${h.captured}`);
  }

  /** A name for a row that is the same on both sides: its kind and the order of first meeting. */
  #name(row: Row): string {
    const kind = isHold(row) ? 'hold' : 'transaction';
    const raw = `${kind}:${row.id}`;
    let n = this.#names.get(raw);
    if (n === undefined) {
      n = this.#names.size;
      this.#names.set(raw, n);
    }
    return `${kind}#${n}`;
  }
}

async function raw<T>(outcome: Promise<T>, rows: (value: T) => readonly Row[]): Promise<Raw> {
  try {
    return { ok: true, rows: rows(await outcome) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const detail: string[] = [];
    if (error instanceof AtomicBatchRefused)
      detail.push(String(error.index), String((error.cause as { code?: unknown })?.code));
    if (error instanceof IdempotencyKeyReused) detail.push(...error.differences);
    return { ok: false, code: typeof code === 'string' ? code : String(error), detail };
  }
}

for (const dialect of await dialectsUnderTest()) {
  describe(`group commit against one-by-one on ${dialect}`, () => {
    let books: OfflineBooks;

    beforeAll(async () => {
      books = await openOfflineBooks(dialect);
    });
    afterAll(async () => {
      await books.close();
    });

    it('gives every command the result and the books the balances of the commands applied one by one', {
      timeout: 120_000,
    }, async () => {
      const { ledger } = books;
      await fc.assert(
        fc.asyncProperty(scenario, async ({ opening, rounds }) => {
          const together = await Side.open(ledger, opening);
          const alone = await Side.open(ledger, opening);
          const batchesBefore = ledger.writerCounters.batches;
          const seenTogether: Seen[] = [];
          for (const round of rounds) {
            // Every call of the round is started before any is awaited: one writer queue, in order.
            const results = await Promise.all(round.map((c) => together.issue(c)));
            seenTogether.push(...together.endRound(results));
          }
          const batchesTogether = ledger.writerCounters.batches - batchesBefore;
          const seenAlone: Seen[] = [];
          for (const round of rounds) {
            const results: Raw[] = [];
            for (const c of round) results.push(await alone.issue(c));
            seenAlone.push(...alone.endRound(results));
          }

          expect(seenTogether).toEqual(seenAlone);
          const issued = seenAlone.filter((s) => !('skipped' in s)).length;
          expect(batchesTogether).toBeLessThanOrEqual(Math.max(issued, 1));
          const slots = async (side: Side) => {
            const balances = await balancesOf(ledger, side.wallet);
            return side.accounts.map((a) => balances[a.name]);
          };
          expect(await slots(together)).toEqual(await slots(alone));
          expect(await together.finalHolds()).toEqual(await alone.finalHolds());
          expect(await rowCounts(books, together.wallet)).toEqual(
            await rowCounts(books, alone.wallet),
          );
          await expectCleanAudit(ledger);
        }),
        // A failure shrinks for at most a minute, then reports what it has.
        { numRuns: runsPerDialect, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
      );
    });
  });
}
