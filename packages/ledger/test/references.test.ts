// References and metadata on every dialect: stored with a movement and returned by reads, a
// reference taken once per wallet (also within one batch), bad metadata refused before anything
// is written, and a send's reference and metadata carried into its broadcast's events.
import { InvalidValueError } from '@cryptoassets/core';
import {
  type Account,
  AtomicBatchRefused,
  DuplicateReference,
  type Ledger,
  metadataBytesMax,
  NotEnoughAccountBalance,
  txUpdatesOf,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
  randomTxid,
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
  describe(`references and metadata on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let alice: Account;
    let bob: Account;
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
      ({ alice, bob, empty } = (await fundedAccounts(ledger, wallet, {
        alice: 10_000n,
        bob: 10_000n,
        empty: 0n,
      })) as Record<'alice' | 'bob' | 'empty', Account>);
    });

    const snapshot = async () => ({
      balances: await balancesOf(ledger, wallet),
      rows: await rowCounts(books, wallet),
    });

    it('stores a reference and metadata and returns them from reads', async () => {
      const metadata = { order: '42', note: 'ünïcode ✓', empty: '' };
      const moved = await ledger.transfer({
        from: alice,
        to: bob,
        amount: 10n,
        reference: 'inv-42',
        metadata,
      });
      expect(moved).toMatchObject({ reference: 'inv-42', metadata });
      const { replayed: _, ...transaction } = moved;
      expect(await ledger.getTransaction(moved.id)).toEqual(transaction);
      expect(await ledger.listTransactions({ wallet, reference: 'inv-42' })).toEqual([transaction]);
      expect(await ledger.listTransactions({ wallet, reference: 'inv-43' })).toEqual([]);
      const plain = await ledger.transfer({ from: alice, to: bob, amount: 1n });
      expect(await ledger.getTransaction(plain.id)).toMatchObject({
        reference: null,
        metadata: null,
      });
      const held = await ledger.hold({
        account: alice,
        amount: 5n,
        reference: 'cart-1',
        metadata: { cart: '1' },
      });
      expect(held).toMatchObject({ reference: 'cart-1', metadata: { cart: '1' } });
      expect(await ledger.getHold(held.id)).toMatchObject({
        reference: 'cart-1',
        metadata: { cart: '1' },
      });
    });

    it('refuses a reference taken in the wallet, and takes it in another wallet', async () => {
      await ledger.transfer({ from: alice, to: bob, amount: 10n, reference: 'once' });
      const before = await snapshot();
      const error = await refusal(
        ledger.transfer({ from: bob, to: alice, amount: 5n, reference: 'once' }),
        DuplicateReference,
        'DUPLICATE_REFERENCE',
      );
      expect(error.reference).toBe('once');
      expect(await snapshot()).toEqual(before);

      const other = await freshWallet(ledger);
      const { carol, dave } = (await fundedAccounts(ledger, other, {
        carol: 100n,
        dave: 0n,
      })) as Record<'carol' | 'dave', Account>;
      expect(
        await ledger.transfer({ from: carol, to: dave, amount: 5n, reference: 'once' }),
      ).toMatchObject({
        reference: 'once',
      });

      await ledger.hold({ account: alice, amount: 1n, reference: 'hold-ref' });
      await refusal(
        ledger.hold({ account: alice, amount: 1n, reference: 'hold-ref' }),
        DuplicateReference,
        'DUPLICATE_REFERENCE',
      );
      expect((await balancesOf(ledger, wallet)).alice?.held).toBe(1n);
    });

    it('refuses a reference used twice within one batch', async () => {
      const before = await snapshot();
      const results = await ledger.transferMany([
        { from: alice, to: bob, amount: 1n, reference: 'twice' },
        { from: alice, to: bob, amount: 2n, reference: 'twice' },
        { from: alice, to: bob, amount: 3n, reference: 'other' },
      ]);
      expect(results.map((r) => r.ok)).toEqual([true, false, true]);
      expectRefusal(
        !results[1]!.ok && results[1]!.error,
        DuplicateReference,
        'DUPLICATE_REFERENCE',
      );

      const atomic = await refusal(
        ledger.transferMany(
          [
            { from: alice, to: bob, amount: 1n, reference: 'atomic-1' },
            { from: alice, to: bob, amount: 1n, reference: 'atomic-1' },
          ],
          { atomic: true },
        ),
        AtomicBatchRefused,
        'ATOMIC_BATCH_REFUSED',
      );
      expect(atomic.index).toBe(1);
      expectRefusal(atomic.cause, DuplicateReference, 'DUPLICATE_REFERENCE');

      // Separate callers in one batch: the first queued gets the reference.
      const [first, second] = await Promise.allSettled([
        ledger.transfer({ from: bob, to: alice, amount: 7n, reference: 'race' }),
        ledger.transfer({ from: alice, to: bob, amount: 9n, reference: 'race' }),
      ]);
      expect(first.status).toBe('fulfilled');
      expectRefusal(
        (second as PromiseRejectedResult).reason,
        DuplicateReference,
        'DUPLICATE_REFERENCE',
      );

      expect((await rowCounts(books, wallet)).transaction).toBe(before.rows.transaction + 3);
      expect((await balancesOf(ledger, wallet)).alice?.balance).toBe(10_000n - 4n + 7n);
      await expectCleanAudit(ledger);
    });

    it('frees the reference of a command refused in the batch for the commands after it', async () => {
      // A refused transfer takes no reference: the next one in the batch may use it.
      const results = await ledger.transferMany([
        { from: empty, to: bob, amount: 1n, reference: 'retry-me' },
        { from: alice, to: bob, amount: 1n, reference: 'retry-me' },
      ]);
      expectRefusal(
        !results[0]!.ok && results[0]!.error,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expect(results[1]!.ok).toBe(true);

      // Likewise a refused hold, and a refused atomic batch batched with a later caller.
      const [hold, holdAgain] = await Promise.allSettled([
        ledger.hold({ account: empty, amount: 1n, reference: 'hold-retry' }),
        ledger.hold({ account: alice, amount: 1n, reference: 'hold-retry' }),
      ]);
      expectRefusal(
        (hold as PromiseRejectedResult).reason,
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expect(holdAgain.status).toBe('fulfilled');
      const [trade, later] = await Promise.allSettled([
        ledger.transferMany(
          [
            { from: alice, to: bob, amount: 1n, reference: 'trade-ref' },
            { from: empty, to: bob, amount: 1n },
          ],
          { atomic: true },
        ),
        ledger.transfer({ from: bob, to: alice, amount: 1n, reference: 'trade-ref' }),
      ]);
      expectRefusal(
        (trade as PromiseRejectedResult).reason,
        AtomicBatchRefused,
        'ATOMIC_BATCH_REFUSED',
      );
      expect(later.status).toBe('fulfilled');
      expect(await ledger.listTransactions({ wallet, reference: 'trade-ref' })).toHaveLength(1);
      await expectCleanAudit(ledger);
    });

    it(`refuses metadata over ${metadataBytesMax} bytes or with other than string values, writing nothing`, async () => {
      const before = await snapshot();
      const batchesBefore = ledger.writerCounters.batches;
      // {"k":"..."} is 8 bytes around the value.
      const fits = { k: 'x'.repeat(metadataBytesMax - 8) };
      const over = { k: 'x'.repeat(metadataBytesMax - 7) };
      const multibyte = { k: 'é'.repeat((metadataBytesMax - 8) / 2 + 1) };
      const cases: [unknown, string][] = [
        [over, 'metadata'],
        [multibyte, 'metadata'],
        [{ n: 1 }, 'metadata.n'],
        [{ nested: { a: 'b' } }, 'metadata.nested'],
        [{ flag: null }, 'metadata.flag'],
        [['a'], 'metadata'],
        ['text', 'metadata'],
      ];
      for (const [metadata, field] of cases) {
        const transfer = await refusal(
          ledger.transfer({
            from: alice,
            to: bob,
            amount: 1n,
            metadata: metadata as Record<string, string>,
          }),
          InvalidValueError,
          'INVALID_VALUE',
        );
        expect(transfer.field).toBe(field);
        await refusal(
          ledger.hold({ account: alice, amount: 1n, metadata: metadata as Record<string, string> }),
          InvalidValueError,
          'INVALID_VALUE',
        );
        const many = await refusal(
          ledger.transferMany([
            { from: alice, to: bob, amount: 1n },
            { from: alice, to: bob, amount: 1n, metadata: metadata as Record<string, string> },
          ]),
          InvalidValueError,
          'INVALID_VALUE',
        );
        expect(many.field).toBe(`transfers[1].${field}`);
      }
      for (const reference of ['', 'r'.repeat(129), 'tab\there']) {
        const error = await refusal(
          ledger.transfer({ from: alice, to: bob, amount: 1n, reference }),
          InvalidValueError,
          'INVALID_VALUE',
        );
        expect(error.field).toBe('reference');
      }
      expect(ledger.writerCounters.batches).toBe(batchesBefore);
      expect(await snapshot()).toEqual(before);

      const stored = await ledger.transfer({ from: alice, to: bob, amount: 1n, metadata: fits });
      expect((await ledger.getTransaction(stored.id))?.metadata).toEqual(fits);
    });

    it('carries a send’s reference and metadata into its broadcast’s txupdate events', async () => {
      const outside = [
        await ledger.backend!.createAddress({ label: 'outside 1' }),
        await ledger.backend!.createAddress({ label: 'outside 2' }),
      ];
      const sent = await ledger.send({
        from: alice,
        address: outside[0]!,
        amount: 1_000n,
        reference: 'payout-1',
        metadata: { user: 'u-9', batch: 'b-1' },
        idempotencyKey: 'payout-1',
      });
      expect(sent).toMatchObject({
        kind: 'send',
        state: 'pending',
        reference: 'payout-1',
        replayed: false,
      });
      const plain = await ledger.send({ from: alice, address: outside[1]!, amount: 500n });
      // The same send again is a replay; the same reference on another send is refused.
      expect(
        await ledger.send({
          from: alice,
          address: outside[0]!,
          amount: 1_000n,
          reference: 'payout-1',
          metadata: { batch: 'b-1', user: 'u-9' },
          idempotencyKey: 'payout-1',
        }),
      ).toMatchObject({ id: sent.id, replayed: true });
      await refusal(
        ledger.send({ from: alice, address: outside[1]!, amount: 1n, reference: 'payout-1' }),
        DuplicateReference,
        'DUPLICATE_REFERENCE',
      );
      expect((await balancesOf(ledger, wallet)).alice?.balance).toBe(8_500n);

      const before = (await ledger.events.readAfter(0)).at(-1)?.sequence ?? 0;
      const broadcast = await ledger.prepareBroadcast(wallet);
      expect(broadcast?.transactions.map((t) => t.id).sort((a, b) => a - b)).toEqual([
        sent.id,
        plain.id,
      ]);
      await ledger.markBroadcastOpened(broadcast!.networkTransaction.id);
      const txid = randomTxid();
      await ledger.markBroadcastClosed(broadcast!.networkTransaction.id, txid);
      const updates = txUpdatesOf(await ledger.events.readAfter(before));
      expect(updates).toHaveLength(2);
      const ofSent = updates.find((u) => u.transaction_id === sent.id);
      const ofPlain = updates.find((u) => u.transaction_id === plain.id);
      expect(ofSent).toMatchObject({
        direction: 'broadcast',
        txid,
        address: outside[0],
        state: 'broadcasted',
        reference: 'payout-1',
        metadata: { user: 'u-9', batch: 'b-1' },
      });
      expect(ofPlain).toMatchObject({ direction: 'broadcast', txid, address: outside[1] });
      expect(ofPlain).not.toHaveProperty('reference');
      expect(ofPlain).not.toHaveProperty('metadata');
      expect(await ledger.getTransaction(sent.id)).toMatchObject({
        state: 'broadcasted',
        reference: 'payout-1',
        metadata: { user: 'u-9', batch: 'b-1' },
      });
      await expectCleanAudit(ledger);
    });
  });
}
