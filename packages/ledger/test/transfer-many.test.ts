// transferMany on every dialect: an atomic trade commits whole or not at all (the refusal names
// the leg and carries its error), a non-atomic list fails only its bad legs, in order, and the
// size limit is checked before anything is queued.
import { InvalidValueError } from '@cryptoassets/core';
import {
  type Account,
  AtomicBatchRefused,
  commandsPerBatchMax,
  type Ledger,
  NotEnoughAccountBalance,
  NotFound,
  SameAccount,
  type TransferOptions,
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
  expectCleanAudit,
  expectRefusal,
  freshWallet,
  fundedAccounts,
  refusal,
  rowCounts,
} from './write-support.js';

for (const dialect of await dialectsUnderTest()) {
  describe(`transferMany on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let alice: Account;
    let bob: Account;
    let exchange: Account;
    let empty: Account;

    beforeAll(async () => {
      books = await openOfflineBooks(dialect);
      ledger = books.ledger;
    });
    afterAll(async () => {
      await books.close();
    });
    beforeEach(async () => {
      wallet = await freshWallet(ledger);
      ({ alice, bob, exchange, empty } = (await fundedAccounts(ledger, wallet, {
        alice: 1_000n,
        bob: 500n,
        exchange: 0n,
        empty: 0n,
      })) as Record<'alice' | 'bob' | 'exchange' | 'empty', Account>);
    });

    /** Balances and row counts: what a refused atomic batch must leave exactly as they were. */
    const snapshot = async () => ({
      balances: await balancesOf(ledger, wallet),
      rows: await rowCounts(books, wallet),
    });

    it('commits an atomic trade (two legs and a fee) together', async () => {
      const before = await snapshot();
      const legs: TransferOptions[] = [
        { from: alice, to: bob, amount: 300n, label: 'coin leg' },
        { from: bob, to: alice, amount: 200n, label: 'cash leg' },
        { from: alice, to: exchange, amount: 5n, label: 'fee' },
      ];
      const results = await ledger.transferMany(legs, { atomic: true });
      expect(results).toHaveLength(3);
      const transactions = results.map((result, i) => {
        expect(result.ok).toBe(true);
        if (!result.ok) throw result.error;
        expect(result.transaction).toMatchObject({
          amount: legs[i]!.amount,
          label: legs[i]!.label,
          sendingAccountId: legs[i]!.from.id,
          receivingAccountId: legs[i]!.to.id,
          replayed: false,
        });
        return result.transaction;
      });
      expect(new Set(transactions.map((t) => t.id)).size).toBe(3);
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 895n, held: 0n },
        bob: { balance: 600n, held: 0n },
        exchange: { balance: 5n, held: 0n },
      });
      expect((await rowCounts(books, wallet)).transaction).toBe(before.rows.transaction + 3);
      await expectCleanAudit(ledger);
    });

    it('refuses a whole atomic batch for one bad leg, naming it, and changes nothing', async () => {
      const before = await snapshot();
      // Leg 1 credits bob; leg 2 takes more than bob has even then; legs 0 and 1 must not stay.
      const error = await refusal(
        ledger.transferMany(
          [
            { from: alice, to: exchange, amount: 5n },
            { from: alice, to: bob, amount: 300n },
            { from: bob, to: alice, amount: 801n },
            { from: alice, to: exchange, amount: 1n },
          ],
          { atomic: true },
        ),
        AtomicBatchRefused,
        'ATOMIC_BATCH_REFUSED',
      );
      expect(error.index).toBe(2);
      expectRefusal(error.cause, NotEnoughAccountBalance, 'NOT_ENOUGH_ACCOUNT_BALANCE');
      expect(await snapshot()).toEqual(before);

      const same = await refusal(
        ledger.transferMany(
          [
            { from: alice, to: bob, amount: 1n },
            { from: bob, to: bob, amount: 1n },
          ],
          { atomic: true },
        ),
        AtomicBatchRefused,
        'ATOMIC_BATCH_REFUSED',
      );
      expect(same.index).toBe(1);
      expectRefusal(same.cause, SameAccount, 'SAME_ACCOUNT');

      const missing = await refusal(
        ledger.transferMany(
          [{ from: alice, to: { ...bob, id: 987_654_321, name: 'ghost' }, amount: 1n }],
          { atomic: true },
        ),
        AtomicBatchRefused,
        'ATOMIC_BATCH_REFUSED',
      );
      expect(missing.index).toBe(0);
      expectRefusal(missing.cause, NotFound, 'NOT_FOUND');
      expect(await snapshot()).toEqual(before);
      await expectCleanAudit(ledger);
    });

    it('refuses an atomic batch without failing the calls batched with it', async () => {
      const before = await snapshot();
      const [first, trade, last] = await Promise.allSettled([
        ledger.transfer({ from: alice, to: exchange, amount: 10n }),
        ledger.transferMany(
          [
            { from: bob, to: alice, amount: 100n },
            { from: empty, to: alice, amount: 1n },
          ],
          { atomic: true },
        ),
        ledger.transfer({ from: bob, to: exchange, amount: 20n }),
      ]);
      expect(first.status).toBe('fulfilled');
      expect(last.status).toBe('fulfilled');
      const error = (trade as PromiseRejectedResult).reason;
      expectRefusal(error, AtomicBatchRefused, 'ATOMIC_BATCH_REFUSED');
      expect((error as AtomicBatchRefused).index).toBe(1);
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 990n },
        bob: { balance: 480n },
        exchange: { balance: 30n },
        empty: { balance: 0n },
      });
      expect((await rowCounts(books, wallet)).transaction).toBe(before.rows.transaction + 2);
      await expectCleanAudit(ledger);
    });

    it('fails only the bad legs of a non-atomic list, with results in order', async () => {
      const before = await snapshot();
      const results = await ledger.transferMany([
        { from: alice, to: bob, amount: 100n },
        { from: empty, to: bob, amount: 1n },
        { from: bob, to: empty, amount: 50n },
        { from: alice, to: alice, amount: 1n },
        // `empty` got 50 from leg 2: this leg sees it.
        { from: empty, to: exchange, amount: 50n },
        { from: empty, to: exchange, amount: 1n },
      ]);
      expect(results.map((r) => r.ok)).toEqual([true, false, true, false, true, false]);
      expectRefusal(
        !results[1]!.ok && results[1]!.error,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expectRefusal(!results[3]!.ok && results[3]!.error, SameAccount, 'SAME_ACCOUNT');
      expectRefusal(
        !results[5]!.ok && results[5]!.error,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      const amounts = results.map((r) => (r.ok ? r.transaction.amount : null));
      expect(amounts).toEqual([100n, null, 50n, null, 50n, null]);
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 900n },
        bob: { balance: 550n },
        empty: { balance: 0n },
        exchange: { balance: 50n },
      });
      expect((await rowCounts(books, wallet)).transaction).toBe(before.rows.transaction + 3);
      await expectCleanAudit(ledger);
    });

    it(`refuses more than ${commandsPerBatchMax} transfers, and bad input, before queueing anything`, async () => {
      const before = await snapshot();
      const batchesBefore = ledger.writerCounters.batches;
      const leg: TransferOptions = { from: alice, to: bob, amount: 1n };
      const tooMany = await refusal(
        ledger.transferMany(Array.from({ length: commandsPerBatchMax + 1 }, () => leg)),
        InvalidValueError,
        'INVALID_VALUE',
      );
      expect(tooMany.field).toBe('transfers');
      await refusal(
        ledger.transferMany(
          Array.from({ length: commandsPerBatchMax + 1 }, () => leg),
          { atomic: true },
        ),
        InvalidValueError,
        'INVALID_VALUE',
      );
      // One bad leg (a zero amount) refuses the whole call, atomic or not.
      const badLeg = await refusal(
        ledger.transferMany([leg, leg, { ...leg, amount: 0n }, leg]),
        InvalidValueError,
        'INVALID_VALUE',
      );
      expect(badLeg.field).toBe('transfers[2].amount');
      expect(ledger.writerCounters.batches).toBe(batchesBefore);
      expect(await snapshot()).toEqual(before);
    });

    it(`takes ${commandsPerBatchMax} atomic transfers in one batch`, async () => {
      const before = await snapshot();
      const batchesBefore = ledger.writerCounters.batches;
      const results = await ledger.transferMany(
        Array.from({ length: commandsPerBatchMax }, (_, i) =>
          i % 2 === 0 ? { from: alice, to: bob, amount: 1n } : { from: bob, to: alice, amount: 1n },
        ),
        { atomic: true },
      );
      expect(ledger.writerCounters.batches - batchesBefore).toBe(1);
      expect(results.every((r) => r.ok)).toBe(true);
      const ids = results.map((r) => (r.ok ? r.transaction.id : 0));
      expect(new Set(ids).size).toBe(commandsPerBatchMax);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect((await rowCounts(books, wallet)).transaction).toBe(
        before.rows.transaction + commandsPerBatchMax,
      );
      expect(await balancesOf(ledger, wallet)).toEqual(before.balances);
      await expectCleanAudit(ledger);
    });
  });
}
