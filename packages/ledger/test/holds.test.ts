// Holds on every dialect: what is held is not available to transfers, sends or other holds; a
// hold ends exactly once (captured in part or whole, released, or expired with a `holdupdate`);
// and the audit checks held amounts and settled holds (and can fail).
import { InvalidValueError } from '@cryptoassets/core';
import {
  type Account,
  HoldNotActive,
  type HoldUpdateData,
  holdUpdateEventName,
  type Ledger,
  NotEnoughAccountBalance,
  NotFound,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
} from '@cryptoassets/ledger/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  balancesOf,
  expectCleanAudit,
  freshWallet,
  fundedAccounts,
  refusal,
  rowCounts,
} from './write-support.js';

for (const dialect of await dialectsUnderTest()) {
  describe(`holds on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let alice: Account;
    let bob: Account;

    beforeAll(async () => {
      books = await openOfflineBooks(dialect);
      ledger = books.ledger;
    });
    afterAll(async () => {
      await books.close();
    });
    beforeEach(async () => {
      wallet = await freshWallet(ledger);
      ({ alice, bob } = (await fundedAccounts(ledger, wallet, {
        alice: 1_000n,
        bob: 0n,
      })) as Record<'alice' | 'bob', Account>);
    });

    /** `holdupdate` events written since `after`, as their data. */
    const holdUpdates = async (after: number): Promise<HoldUpdateData[]> =>
      (await ledger.events.readAfter(after)).flatMap((e) =>
        e.event.name === holdUpdateEventName ? [e.event.data] : [],
      );
    const lastSequence = async () => (await ledger.events.readAfter(0)).at(-1)?.sequence ?? 0;

    it('keeps what is held from transfers, sends and other holds', async () => {
      const held = await ledger.hold({ account: alice, amount: 700n });
      expect(held).toMatchObject({
        accountId: alice.id,
        amount: 700n,
        captured: 0n,
        state: 'active',
      });
      expect((await balancesOf(ledger, wallet)).alice).toEqual({ balance: 1_000n, held: 700n });
      const outside = await ledger.backend!.createAddress({ label: 'outside' });
      const before = await rowCounts(books, wallet);

      await refusal(
        ledger.transfer({ from: alice, to: bob, amount: 301n }),
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      await refusal(
        ledger.send({ from: alice, address: outside, amount: 301n }),
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      await refusal(
        ledger.hold({ account: alice, amount: 301n }),
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      const results = await ledger.transferMany([{ from: alice, to: bob, amount: 301n }]);
      expect(results[0]?.ok).toBe(false);
      expect(await rowCounts(books, wallet)).toEqual(before);

      await ledger.transfer({ from: alice, to: bob, amount: 200n });
      await ledger.send({ from: alice, address: outside, amount: 100n });
      await refusal(
        ledger.transfer({ from: alice, to: bob, amount: 1n }),
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expect((await balancesOf(ledger, wallet)).alice).toEqual({ balance: 700n, held: 700n });
      // A transfer allowed below zero may take held money; the audit lists the account as overheld.
      await ledger.transfer({ from: alice, to: bob, amount: 50n, allowNegativeBalance: true });
      const report = await ledger.audit();
      expect(report.mismatches).toEqual([]);
      expect(report.overheld).toEqual([{ id: alice.id, name: 'alice', balance: 650n, held: 700n }]);
      await ledger.releaseHold(held.id, { wallet });
      expect((await ledger.audit()).overheld).toEqual([]);
    });

    it('captures part of a hold and releases the rest', async () => {
      const held = await ledger.hold({
        account: alice,
        amount: 600n,
        reference: 'cart-9',
        metadata: { cart: '9' },
      });
      const after = await lastSequence();
      const { hold, transaction, replayed } = await ledger.captureHold(held.id, {
        to: bob,
        amount: 250n,
        label: 'part',
      });
      expect(replayed).toBe(false);
      expect(hold).toMatchObject({ id: held.id, state: 'captured', captured: 250n, amount: 600n });
      expect(hold.settledAt).toBeInstanceOf(Date);
      expect(transaction).toMatchObject({
        kind: 'internal',
        amount: 250n,
        label: 'part',
        sendingAccountId: alice.id,
        receivingAccountId: bob.id,
        holdId: held.id,
      });
      expect(await ledger.getHold(held.id)).toMatchObject({ state: 'captured', captured: 250n });
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 750n, held: 0n },
        bob: { balance: 250n, held: 0n },
      });
      expect(await holdUpdates(after)).toEqual([
        {
          coin: 'ltc',
          hold_id: held.id,
          account: 'alice',
          amount: '0.00000600',
          captured: '0.00000250',
          state: 'captured',
          reference: 'cart-9',
          metadata: { cart: '9' },
        },
      ]);
      await expectCleanAudit(ledger);
    });

    it('captures a whole hold, and refuses a capture above it', async () => {
      const held = await ledger.hold({ account: alice, amount: 400n });
      const over = await refusal(
        ledger.captureHold(held.id, { to: bob, amount: 401n }),
        InvalidValueError,
        'INVALID_VALUE',
      );
      expect(over.field).toBe('amount');
      expect((await ledger.getHold(held.id))?.state).toBe('active');
      const { hold, transaction } = await ledger.captureHold(held.id, { to: bob });
      expect(hold).toMatchObject({ state: 'captured', captured: 400n });
      expect(transaction.amount).toBe(400n);
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 600n, held: 0n },
        bob: { balance: 400n, held: 0n },
      });
      await expectCleanAudit(ledger);
    });

    it('releases a hold: the amount is available again and nothing moves', async () => {
      const held = await ledger.hold({ account: alice, amount: 1_000n });
      const transactions = (await rowCounts(books, wallet)).transaction;
      const after = await lastSequence();
      const released = await ledger.releaseHold(held.id, { wallet });
      expect(released).toMatchObject({
        id: held.id,
        state: 'released',
        captured: 0n,
        replayed: false,
      });
      expect((await balancesOf(ledger, wallet)).alice).toEqual({ balance: 1_000n, held: 0n });
      expect((await rowCounts(books, wallet)).transaction).toBe(transactions);
      expect(await holdUpdates(after)).toMatchObject([
        { hold_id: held.id, state: 'released', captured: '0.00000000' },
      ]);
      await ledger.transfer({ from: alice, to: bob, amount: 1_000n });
      await expectCleanAudit(ledger);
    });

    it('ends a hold exactly once', async () => {
      const captured = await ledger.hold({ account: alice, amount: 100n });
      const released = await ledger.hold({ account: alice, amount: 100n });
      await ledger.captureHold(captured.id, { to: bob, amount: 10n });
      await ledger.releaseHold(released.id, { wallet });
      const before = {
        balances: await balancesOf(ledger, wallet),
        rows: await rowCounts(books, wallet),
      };

      const again = await refusal(
        ledger.captureHold(captured.id, { to: bob }),
        HoldNotActive,
        'HOLD_NOT_ACTIVE',
      );
      expect(again).toMatchObject({ holdId: captured.id, state: 'captured' });
      await refusal(ledger.releaseHold(captured.id, { wallet }), HoldNotActive, 'HOLD_NOT_ACTIVE');
      const afterRelease = await refusal(
        ledger.captureHold(released.id, { to: bob }),
        HoldNotActive,
        'HOLD_NOT_ACTIVE',
      );
      expect(afterRelease.state).toBe('released');
      await refusal(ledger.releaseHold(released.id, { wallet }), HoldNotActive, 'HOLD_NOT_ACTIVE');

      // Two captures of one hold in one batch: the first queued wins.
      const contested = await ledger.hold({ account: alice, amount: 50n });
      const [first, second] = await Promise.allSettled([
        ledger.captureHold(contested.id, { to: bob, amount: 20n }),
        ledger.releaseHold(contested.id, { wallet }),
      ]);
      expect(first.status).toBe('fulfilled');
      expect((second as PromiseRejectedResult).reason).toBeInstanceOf(HoldNotActive);
      expect((await balancesOf(ledger, wallet)).alice).toEqual({
        balance: before.balances.alice!.balance - 20n,
        held: 0n,
      });

      // A hold of another wallet is not found from this one.
      const other = await freshWallet(ledger);
      const { carol } = (await fundedAccounts(ledger, other, { carol: 0n })) as Record<
        'carol',
        Account
      >;
      const foreign = await ledger.hold({ account: alice, amount: 1n });
      await refusal(ledger.captureHold(foreign.id, { to: carol }), NotFound, 'NOT_FOUND');
      await refusal(ledger.releaseHold(foreign.id, { wallet: other }), NotFound, 'NOT_FOUND');
      expect((await ledger.getHold(foreign.id))?.state).toBe('active');
      await expectCleanAudit(ledger);
    });

    it('releases expired holds with a holdupdate, leaving settled and unexpired ones alone', async () => {
      const expiring = await ledger.hold({
        account: alice,
        amount: 100n,
        expiresInS: 60,
        reference: 'exp-1',
      });
      const capturedFirst = await ledger.hold({ account: alice, amount: 200n, expiresInS: 60 });
      const later = await ledger.hold({ account: alice, amount: 300n, expiresInS: 3_600 });
      const forever = await ledger.hold({ account: alice, amount: 50n });
      expect(expiring.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
      await ledger.captureHold(capturedFirst.id, { to: bob, amount: 200n });
      expect(await ledger.expireHolds()).toEqual([]);

      const after = await lastSequence();
      const expired = await ledger.expireHolds({ now: new Date(Date.now() + 120_000) });
      expect(expired.map((h) => [h.id, h.state])).toEqual([[expiring.id, 'expired']]);
      expect(await holdUpdates(after)).toEqual([
        {
          coin: 'ltc',
          hold_id: expiring.id,
          account: 'alice',
          amount: '0.00000100',
          captured: '0.00000000',
          state: 'expired',
          reference: 'exp-1',
          metadata: null,
        },
      ]);
      expect(await ledger.getHold(capturedFirst.id)).toMatchObject({
        state: 'captured',
        captured: 200n,
      });
      expect((await ledger.getHold(later.id))?.state).toBe('active');
      expect((await ledger.getHold(forever.id))?.state).toBe('active');
      expect((await balancesOf(ledger, wallet)).alice).toEqual({ balance: 800n, held: 350n });
      expect(await ledger.expireHolds({ now: new Date(Date.now() + 120_000) })).toEqual([]);
      await refusal(ledger.captureHold(expiring.id, { to: bob }), HoldNotActive, 'HOLD_NOT_ACTIVE');
      expect((await ledger.listHolds({ wallet, state: 'active' })).map((h) => h.id)).toEqual([
        forever.id,
        later.id,
      ]);
      await expectCleanAudit(ledger);
    });

    it('reports a held amount that is not the sum of active holds', async () => {
      await ledger.hold({ account: alice, amount: 300n });
      await expectCleanAudit(ledger);
      const { kysely } = books.testDatabase.database;
      await sql`update ltc_account set held = held + 5 where id = ${alice.id}`.execute(kysely);
      try {
        expect((await ledger.audit()).mismatches).toEqual([
          { kind: 'held', id: alice.id, name: 'alice', recorded: 305n, expected: 300n },
        ]);
      } finally {
        await sql`update ltc_account set held = held - 5 where id = ${alice.id}`.execute(kysely);
      }
      await expectCleanAudit(ledger);

      // A captured hold that says it captured more than its capture transaction moved.
      const held = await ledger.hold({ account: alice, amount: 100n });
      await ledger.captureHold(held.id, { to: bob, amount: 40n });
      await sql`update ltc_hold set captured = 41 where id = ${held.id}`.execute(kysely);
      try {
        expect((await ledger.audit()).mismatches).toEqual([
          {
            kind: 'hold',
            id: held.id,
            name: `hold ${held.id} (captured)`,
            recorded: 41n,
            expected: 40n,
          },
        ]);
      } finally {
        await sql`update ltc_hold set captured = 40 where id = ${held.id}`.execute(kysely);
      }
      await expectCleanAudit(ledger);
    });
  });
}
