// The ledger's event outbox on every dialect: migration 0002, txupdate events written in the
// transaction of the change, and the per-handler delivery state the dispatcher keeps.
import type { Account, Ledger, OutboxEvent, TxUpdateData, Wallet } from '@cryptoassets/ledger';
import { openLedger, txUpdateOf } from '@cryptoassets/ledger';
import {
  createTestDatabase,
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
  randomTxid,
  testCoin,
} from '@cryptoassets/ledger/testing';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

for (const dialect of await dialectsUnderTest()) {
  describe(`event outbox on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let alice: Account;

    beforeEach(async () => {
      books = await openOfflineBooks(dialect);
      ledger = books.ledger;
      wallet = await ledger.getOrCreateWallet('default');
      alice = await ledger.createAccount(wallet, 'alice');
    });
    afterEach(async () => {
      await books.close();
    });

    const events = () => ledger.events.readAfter(0);
    const data = (event: OutboxEvent | undefined): TxUpdateData | undefined =>
      event === undefined ? undefined : txUpdateOf(event.event);

    it('applies migration 0002 on fresh books, and not again', async () => {
      const fresh = await createTestDatabase(dialect);
      try {
        const books2 = openLedger({ database: fresh.database, coin: testCoin() });
        const { applied } = await books2.migrate();
        expect(applied.slice(0, 2)).toEqual(['0001_initial', '0002_outbox']);
        expect(await books2.migrate()).toEqual({ applied: [] });
        expect(await books2.events.readAfter(0)).toEqual([]);
        expect(await books2.events.backlog('shop')).toEqual({ waiting: 0, dead: 0 });
      } finally {
        await fresh.drop();
      }
    });

    it('writes one txupdate per change of a deposit, credited only at the threshold', async () => {
      const address = await ledger.createReceivingAddress(alice);
      const txid = randomTxid();
      const threshold = ledger.coin.confirmations;
      const deposit = (confirmations: number) =>
        ledger.recordDeposit({ txid, address: address.address, amount: 5_000n, confirmations });

      const seen = await deposit(0);
      expect((await events()).length).toBe(1);
      await deposit(0);
      expect((await events()).length).toBe(1);
      await deposit(1);
      expect((await events()).map((e) => [data(e)?.confirmations, data(e)?.credited])).toEqual([
        [0, false],
        [1, false],
      ]);
      await deposit(threshold);
      await deposit(threshold);
      const all = await events();
      expect(all.length).toBe(3);
      expect(all.map((e) => e.sequence)).toEqual(
        [...all.map((e) => e.sequence)].sort((a, b) => a - b),
      );
      const last = all[2]!;
      expect(last.event).toEqual({
        id: `ltc:${last.sequence}`,
        name: 'txupdate',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        data: {
          coin: 'ltc',
          transaction_id: seen!.transaction.id,
          network_transaction_id: seen!.networkTransaction.id,
          direction: 'deposit',
          txid,
          account: 'alice',
          address: address.address,
          amount: '0.00005000',
          confirmations: threshold,
          credited: true,
          state: 'credited',
        },
      });
    });

    it('keeps writing updates after mark-processed without crashing', async () => {
      const address = await ledger.createReceivingAddress(alice);
      const txid = randomTxid();
      const threshold = ledger.coin.confirmations;
      const credited = await ledger.recordDeposit({
        txid,
        address: address.address,
        amount: 7n,
        confirmations: threshold,
      });
      await ledger.markProcessed(credited!.transaction.id);
      const late = await ledger.recordDeposit({
        txid,
        address: address.address,
        amount: 7n,
        confirmations: threshold + 4,
      });
      expect(late?.transaction.state).toBe('processed');
      expect(late?.creditedNow).toBe(false);
      const all = await events();
      expect(all.map((e) => [data(e)?.state, data(e)?.credited, data(e)?.confirmations])).toEqual([
        ['credited', true, threshold],
        ['processed', true, threshold + 4],
      ]);
      expect(data(all[1])?.amount).toBe('0.00000007');
      expect((await ledger.getAccountById(alice.id))?.balance).toBe(7n);
    });

    it('writes no event when the deposit transaction rolls back', async () => {
      await poisonEventInserts(books, dialect);
      const address = await ledger.createReceivingAddress(alice);
      const good = randomTxid();
      await ledger.recordDeposit({
        txid: good,
        address: address.address,
        amount: 1n,
        confirmations: 0,
      });
      await expect(
        ledger.recordDeposit({
          txid: `poison${randomTxid()}`,
          address: address.address,
          amount: 9_000n,
          confirmations: ledger.coin.confirmations,
        }),
      ).rejects.toThrow(/poisoned event/);
      // The failing event insert took the credit, the deposit and its network record with it.
      expect((await ledger.getAccountById(alice.id))?.balance).toBe(0n);
      const deposits = await ledger.listDeposits({ wallet });
      expect(deposits.map((d) => d.amount)).toEqual([1n]);
      expect((await events()).map((e) => data(e)?.txid)).toEqual([good]);
      expect((await ledger.audit()).mismatches).toEqual([]);
    });

    it('writes one broadcast event per transaction when a broadcast closes', async () => {
      const address = await ledger.createReceivingAddress(alice);
      await ledger.recordDeposit({
        txid: randomTxid(),
        address: address.address,
        amount: 100_000n,
        confirmations: ledger.coin.confirmations,
      });
      const outside = [
        await ledger.backend!.createAddress({ label: 'a' }),
        await ledger.backend!.createAddress({ label: 'b' }),
      ];
      const sends = [
        await ledger.send({
          from: alice,
          address: outside[0]!,
          amount: 1_000n,
          forceExternal: true,
        }),
        await ledger.send({
          from: alice,
          address: outside[1]!,
          amount: 2_500n,
          forceExternal: true,
        }),
      ];
      const before = (await events()).at(-1)!.sequence;
      const broadcast = await ledger.prepareBroadcast(wallet);
      await ledger.markBroadcastOpened(broadcast!.networkTransaction.id);
      expect(await ledger.events.readAfter(before)).toEqual([]);
      const txid = randomTxid();
      await ledger.markBroadcastClosed(broadcast!.networkTransaction.id, txid);
      const written = await ledger.events.readAfter(before);
      expect(written.map((e) => e.event.data)).toEqual([
        {
          coin: 'ltc',
          transaction_id: sends[0]!.id,
          network_transaction_id: broadcast!.networkTransaction.id,
          direction: 'broadcast',
          txid,
          account: 'alice',
          address: outside[0],
          amount: '0.00001000',
          confirmations: 0,
          credited: false,
          state: 'broadcasted',
        },
        {
          coin: 'ltc',
          transaction_id: sends[1]!.id,
          network_transaction_id: broadcast!.networkTransaction.id,
          direction: 'broadcast',
          txid,
          account: 'alice',
          address: outside[1],
          amount: '0.00002500',
          confirmations: 0,
          credited: false,
          state: 'broadcasted',
        },
      ]);
    });

    it('keeps a cursor and failures per handler, and puts dead events back', async () => {
      const address = await ledger.createReceivingAddress(alice);
      for (let i = 0; i < 3; i++)
        await ledger.recordDeposit({
          txid: randomTxid(),
          address: address.address,
          amount: 10n,
          confirmations: 0,
        });
      const [e1, e2, e3] = (await events()).map((e) => e.sequence);
      const outbox = ledger.events;
      expect((await outbox.readAfter(0, 2)).length).toBe(2);
      await expect(outbox.readAfter(0, 0)).rejects.toThrow(/limit/);
      expect(await outbox.nextDelivery('shop')).toMatchObject({
        event: { sequence: e1 },
        attempts: 0,
        redelivery: false,
      });

      const later = new Date(Date.now() + 60_000);
      await outbox.recordFailure({
        handler: 'shop',
        sequence: e1!,
        attempts: 1,
        nextAttemptAt: later,
        error: 'connection refused',
        dead: false,
      });
      const retry = await outbox.nextDelivery('shop');
      expect(retry).toMatchObject({ event: { sequence: e1 }, attempts: 1, redelivery: false });
      expect(retry?.nextAttemptAt?.getTime()).toBe(later.getTime());
      expect(await outbox.backlog('shop')).toEqual({ waiting: 3, dead: 0 });

      await outbox.recordFailure({
        handler: 'shop',
        sequence: e1!,
        attempts: 2,
        nextAttemptAt: later,
        error: 'x'.repeat(5_000),
        dead: true,
      });
      expect(await outbox.cursor('shop')).toBe(e1);
      expect(await outbox.nextDelivery('shop')).toMatchObject({ event: { sequence: e2 } });
      expect(await outbox.backlog('shop')).toEqual({ waiting: 2, dead: 1 });
      const [dead] = await outbox.listDead({ handler: 'shop' });
      expect(dead).toMatchObject({ handler: 'shop', event: { sequence: e1 }, attempts: 2 });
      expect(dead?.lastError.length).toBe(2_000);

      await outbox.markDelivered('shop', e2!);
      expect(await outbox.cursor('shop')).toBe(e2);
      expect(await outbox.redeliver('shop', e1!)).toBe(true);
      expect(await outbox.redeliver('shop', e1!)).toBe(false);
      expect(await outbox.backlog('shop')).toEqual({ waiting: 2, dead: 0 });
      expect(await outbox.nextDelivery('shop')).toMatchObject({
        event: { sequence: e1 },
        attempts: 0,
        redelivery: true,
      });
      await outbox.markDelivered('shop', e1!);
      expect(await outbox.cursor('shop')).toBe(e2);
      expect(await outbox.nextDelivery('shop')).toMatchObject({ event: { sequence: e3 } });
      expect(await outbox.listDead()).toEqual([]);

      // Another handler keeps its own place.
      expect(await outbox.cursor('audit')).toBe(0);
      expect(await outbox.backlog('audit')).toEqual({ waiting: 3, dead: 0 });
    });
  });
}

/** Makes the database refuse any event whose payload mentions "poison". */
async function poisonEventInserts(books: OfflineBooks, dialect: string): Promise<void> {
  const db = books.testDatabase.database.kysely;
  if (dialect === 'sqlite') {
    await sql`create trigger ltc_event_poison before insert on ltc_event
      when new.payload like '%poison%'
      begin select raise(abort, 'poisoned event'); end`.execute(db);
    return;
  }
  await sql`create function poison_event() returns trigger language plpgsql as $$
    begin
      if new.payload like '%poison%' then raise exception 'poisoned event'; end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger ltc_event_poison before insert on ltc_event
    for each row execute function poison_event()`.execute(db);
}
