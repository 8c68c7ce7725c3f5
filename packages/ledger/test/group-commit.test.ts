// Group commit on every dialect: concurrent calls in one process share database transactions,
// each caller gets its own result or its own typed error, and commands keep their order.
import {
  type Account,
  type Ledger,
  NotEnoughAccountBalance,
  SameAccount,
  type Transaction,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
} from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  balancesOf,
  countRows,
  expectCleanAudit,
  expectRefusal,
  freshWallet,
  fundedAccounts,
} from './write-support.js';

const callers = 64;
const ring = 8;
const opening = 10_000n;

for (const dialect of await dialectsUnderTest()) {
  describe(`group commit on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let accounts: Account[];

    beforeAll(async () => {
      books = await openOfflineBooks(dialect);
      ledger = books.ledger;
    });
    afterAll(async () => {
      await books.close();
    });
    beforeEach(async () => {
      wallet = await freshWallet(ledger);
      const funded = await fundedAccounts(
        ledger,
        wallet,
        Object.fromEntries(Array.from({ length: ring }, (_, i) => [`a${i}`, opening])),
      );
      accounts = Object.values(funded);
    });

    it(`commits ${callers} concurrent transfers in fewer batches, each caller with its own result`, async () => {
      const batchesBefore = ledger.writerCounters.batches;
      const transactionsBefore = await countRows(books, 'transaction', wallet);
      const plan = Array.from({ length: callers }, (_, i) => ({
        from: accounts[i % ring]!,
        to: accounts[(i + 1) % ring]!,
        amount: BigInt(i + 1),
        label: `caller ${i}`,
      }));
      const results = await Promise.all(plan.map((p) => ledger.transfer(p)));

      const batches = ledger.writerCounters.batches - batchesBefore;
      expect(batches).toBeGreaterThan(0);
      expect(batches).toBeLessThan(callers);
      expect(new Set(results.map((t) => t.id)).size).toBe(callers);
      results.forEach((transaction, i) => {
        expect(transaction).toMatchObject({
          kind: 'internal',
          state: 'internal',
          amount: plan[i]!.amount,
          label: plan[i]!.label,
          sendingAccountId: plan[i]!.from.id,
          receivingAccountId: plan[i]!.to.id,
          replayed: false,
        });
      });
      // What each caller got is what the books hold.
      for (const transaction of results) {
        const { replayed: _, ...stored } = transaction;
        expect(await ledger.getTransaction(transaction.id)).toEqual(stored);
      }
      expect(await countRows(books, 'transaction', wallet)).toBe(transactionsBefore + callers);

      const expected = new Map(accounts.map((a) => [a.name, opening]));
      for (const p of plan) {
        expected.set(p.from.name, expected.get(p.from.name)! - p.amount);
        expected.set(p.to.name, expected.get(p.to.name)! + p.amount);
      }
      const balances = await balancesOf(ledger, wallet);
      for (const [name, balance] of expected) expect(balances[name]).toEqual({ balance, held: 0n });
      await expectCleanAudit(ledger);
    });

    it('refuses one call of a batch without failing its neighbours', async () => {
      const poor = await ledger.createAccount(wallet, 'poor');
      const batchesBefore = ledger.writerCounters.batches;
      const calls = Array.from({ length: callers }, (_, i) => {
        if (i === 20) return ledger.transfer({ from: poor, to: accounts[0]!, amount: 1n });
        if (i === 40) return ledger.transfer({ from: accounts[1]!, to: accounts[1]!, amount: 1n });
        return ledger.transfer({
          from: accounts[i % ring]!,
          to: accounts[(i + 3) % ring]!,
          amount: 10n,
        });
      });
      const settled = await Promise.allSettled(calls);
      expect(ledger.writerCounters.batches - batchesBefore).toBeLessThan(callers);

      const refused = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
      expect(refused).toEqual([20, 40]);
      expectRefusal(
        (settled[20] as PromiseRejectedResult).reason,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expectRefusal((settled[40] as PromiseRejectedResult).reason, SameAccount, 'SAME_ACCOUNT');
      const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      expect(done).toHaveLength(callers - 2);
      expect(new Set(done.map((t) => t.id)).size).toBe(callers - 2);

      const balances = await balancesOf(ledger, wallet);
      expect(balances.poor).toEqual({ balance: 0n, held: 0n });
      // Every ring account sent 10 per call it made and received 10 per call aimed at it.
      const expected = new Map(accounts.map((a) => [a.id, opening]));
      for (const t of done) {
        expected.set(t.sendingAccountId!, expected.get(t.sendingAccountId!)! - t.amount);
        expected.set(t.receivingAccountId!, expected.get(t.receivingAccountId!)! + t.amount);
      }
      for (const account of accounts)
        expect(balances[account.name]?.balance).toBe(expected.get(account.id));
      await expectCleanAudit(ledger);
    });

    it('keeps the order of commands on one account within a batch', async () => {
      const middle = await ledger.createAccount(wallet, 'middle');
      const [source, sink] = [accounts[0]!, accounts[1]!];

      // Credit queued before the debit: the debit finds the money.
      let batchesBefore = ledger.writerCounters.batches;
      const [credit, debit] = await Promise.allSettled([
        ledger.transfer({ from: source, to: middle, amount: 500n }),
        ledger.transfer({ from: middle, to: sink, amount: 500n }),
      ]);
      expect(ledger.writerCounters.batches - batchesBefore).toBe(1);
      expect(credit.status).toBe('fulfilled');
      expect(debit.status).toBe('fulfilled');
      const ids = [credit, debit].map((s) => (s as PromiseFulfilledResult<Transaction>).value.id);
      expect(ids[0]).toBeLessThan(ids[1]!);
      expect((await balancesOf(ledger, wallet)).middle).toEqual({ balance: 0n, held: 0n });

      // Debit queued before the credit: the debit finds nothing, the credit still lands.
      batchesBefore = ledger.writerCounters.batches;
      const [early, late] = await Promise.allSettled([
        ledger.transfer({ from: middle, to: sink, amount: 500n }),
        ledger.transfer({ from: source, to: middle, amount: 500n }),
      ]);
      expect(ledger.writerCounters.batches - batchesBefore).toBe(1);
      expectRefusal(
        (early as PromiseRejectedResult).reason,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expect(late.status).toBe('fulfilled');
      const balances = await balancesOf(ledger, wallet);
      expect(balances.middle).toEqual({ balance: 500n, held: 0n });
      expect(balances[source.name]?.balance).toBe(opening - 1_000n);
      expect(balances[sink.name]?.balance).toBe(opening + 500n);

      // A hold queued before a transfer takes what the transfer would have needed.
      const [held, spent] = await Promise.allSettled([
        ledger.hold({ account: middle, amount: 400n }),
        ledger.transfer({ from: middle, to: sink, amount: 200n }),
      ]);
      expect(held.status).toBe('fulfilled');
      expectRefusal(
        (spent as PromiseRejectedResult).reason,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expect((await balancesOf(ledger, wallet)).middle).toEqual({ balance: 500n, held: 400n });
      await expectCleanAudit(ledger);
    });
  });
}
