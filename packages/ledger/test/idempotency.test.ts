// Idempotency keys on every dialect: a replay returns the original result and moves nothing, a
// key reused with other parameters is refused naming what differs, keys outlive the process and
// are per wallet, holds and their captures and releases take keys too, and processes racing one
// key move money once.
import {
  type Account,
  HoldNotActive,
  IdempotencyKeyReused,
  Ledger,
  NotEnoughAccountBalance,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
  testCoin,
} from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  balancesOf,
  buildLedger,
  childPrelude,
  expectCleanAudit,
  freshWallet,
  fundedAccounts,
  refusal,
  rowCounts,
  runChild,
  waitForOutput,
} from './write-support.js';

/** Processes racing on one key, and keys each of them uses in turn. */
const racers = 4;
const raceKeys = 8;

/**
 * A racer: opens the books, waits for `go` on stdin, then transfers 1 from alice to bob under
 * each key in turn and prints what it got, one JSON line per key.
 */
const racerScript = `${childPrelude}
import { createInterface } from 'node:readline';
const [walletName, keyCount] = process.argv.slice(2);
const wallet = await ledger.getWallet(walletName);
const alice = await ledger.requireAccount(wallet, 'alice');
const bob = await ledger.requireAccount(wallet, 'bob');
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\\n');
await new Promise((resolve) => lines.once('line', resolve));
lines.close();
for (let i = 0; i < Number(keyCount); i++) {
  const key = 'race-' + i;
  try {
    const t = await ledger.transfer({ from: alice, to: bob, amount: 1n, idempotencyKey: key });
    process.stdout.write(JSON.stringify({ key, id: t.id, replayed: t.replayed }) + '\\n');
  } catch (error) {
    process.stdout.write(JSON.stringify({ key, error: String(error?.code ?? error) + ': ' + error?.message }) + '\\n');
  }
}
process.stdout.write('done\\n');
await database.close();
`;

for (const dialect of await dialectsUnderTest()) {
  describe(`idempotency keys on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let alice: Account;
    let bob: Account;
    let carol: Account;

    beforeAll(async () => {
      books = await openOfflineBooks(dialect, { poolSize: 4 });
      ledger = books.ledger;
    });
    afterAll(async () => {
      await books.close();
    });
    beforeEach(async () => {
      wallet = await freshWallet(ledger);
      ({ alice, bob, carol } = (await fundedAccounts(ledger, wallet, {
        alice: 1_000n,
        bob: 1_000n,
        carol: 0n,
      })) as Record<'alice' | 'bob' | 'carol', Account>);
    });

    it('replays a transfer: the original transaction, nothing moved again', async () => {
      const options = {
        from: alice,
        to: bob,
        amount: 100n,
        label: 'order 7',
        idempotencyKey: 'order-7',
        reference: 'ref-7',
        metadata: { order: '7', customer: 'c-1' },
      };
      const first = await ledger.transfer(options);
      expect(first.replayed).toBe(false);
      const rows = await rowCounts(books, wallet);
      const balances = await balancesOf(ledger, wallet);

      const again = await ledger.transfer(options);
      // Metadata is compared as canonical JSON: the order of its keys does not matter.
      const reordered = await ledger.transfer({
        ...options,
        metadata: { customer: 'c-1', order: '7' },
      });
      for (const replay of [again, reordered]) {
        expect(replay.replayed).toBe(true);
        const { replayed: _, ...transaction } = replay;
        const { replayed: __, ...original } = first;
        expect(transaction).toEqual(original);
      }
      expect(await rowCounts(books, wallet)).toEqual(rows);
      expect(await balancesOf(ledger, wallet)).toEqual(balances);
      expect(balances.alice?.balance).toBe(900n);
      await expectCleanAudit(ledger);
    });

    it('refuses a key reused with other parameters, naming exactly what differs', async () => {
      const base = { from: alice, to: bob, amount: 100n, idempotencyKey: 'k-1' };
      await ledger.transfer(base);
      const rows = await rowCounts(books, wallet);
      const balances = await balancesOf(ledger, wallet);
      const cases: [Parameters<Ledger['transfer']>[0], string[]][] = [
        [{ ...base, amount: 101n }, ['amount']],
        [{ ...base, to: carol }, ['to']],
        [{ ...base, amount: 5n, label: 'x' }, ['amount', 'label']],
        [{ ...base, allowNegativeBalance: true }, ['allow_negative_balance']],
        [{ ...base, reference: 'r' }, ['reference']],
        [{ ...base, metadata: { a: 'b' } }, ['metadata']],
        [{ ...base, from: bob, to: alice }, ['from', 'to']],
      ];
      for (const [options, differences] of cases) {
        const error = await refusal(
          ledger.transfer(options),
          IdempotencyKeyReused,
          'IDEMPOTENCY_KEY_REUSED',
        );
        expect(error.differences).toEqual(differences);
        expect(error.idempotencyKey).toBe('k-1');
      }
      // Another kind of command under the same key.
      const other = await refusal(
        ledger.hold({ account: alice, amount: 100n, idempotencyKey: 'k-1' }),
        IdempotencyKeyReused,
        'IDEMPOTENCY_KEY_REUSED',
      );
      expect(other.differences).toEqual(['operation']);
      expect(await rowCounts(books, wallet)).toEqual(rows);
      expect(await balancesOf(ledger, wallet)).toEqual(balances);
    });

    it('keeps keys across a new Ledger on the same database', async () => {
      const options = { from: alice, to: bob, amount: 250n, idempotencyKey: 'restart-1' };
      const first = await ledger.transfer(options);
      const reopened = new Ledger({
        database: books.testDatabase.database,
        coin: testCoin(),
        backend: books.backend,
      });
      const replay = await reopened.transfer(options);
      expect(replay).toMatchObject({ id: first.id, amount: 250n, replayed: true });
      await refusal(
        reopened.transfer({ ...options, amount: 1n }),
        IdempotencyKeyReused,
        'IDEMPOTENCY_KEY_REUSED',
      );
      expect((await balancesOf(reopened, wallet)).alice?.balance).toBe(750n);
    });

    it('scopes keys to a wallet', async () => {
      const other = await freshWallet(ledger);
      const { dave, erin } = (await fundedAccounts(ledger, other, {
        dave: 300n,
        erin: 0n,
      })) as Record<'dave' | 'erin', Account>;
      const here = await ledger.transfer({
        from: alice,
        to: bob,
        amount: 10n,
        idempotencyKey: 'shared',
      });
      // The same key with other parameters in another wallet is no reuse: it moves there.
      const there = await ledger.transfer({
        from: dave,
        to: erin,
        amount: 30n,
        idempotencyKey: 'shared',
      });
      expect(there.replayed).toBe(false);
      expect(there.id).not.toBe(here.id);
      expect(
        await ledger.transfer({ from: alice, to: bob, amount: 10n, idempotencyKey: 'shared' }),
      ).toMatchObject({
        id: here.id,
        replayed: true,
      });
      expect(
        await ledger.transfer({ from: dave, to: erin, amount: 30n, idempotencyKey: 'shared' }),
      ).toMatchObject({
        id: there.id,
        replayed: true,
      });
      expect((await balancesOf(ledger, wallet)).alice?.balance).toBe(990n);
      expect((await balancesOf(ledger, other)).dave?.balance).toBe(270n);
      expect((await rowCounts(books, wallet)).idempotency).toBe(1);
      expect((await rowCounts(books, other)).idempotency).toBe(1);
    });

    it('replays holds, captures and releases under their keys', async () => {
      const held = await ledger.hold({ account: alice, amount: 400n, idempotencyKey: 'hold-1' });
      const heldAgain = await ledger.hold({
        account: alice,
        amount: 400n,
        idempotencyKey: 'hold-1',
      });
      expect(heldAgain).toMatchObject({ id: held.id, state: 'active', replayed: true });
      expect((await balancesOf(ledger, wallet)).alice).toEqual({ balance: 1_000n, held: 400n });
      const reused = await refusal(
        ledger.hold({ account: alice, amount: 401n, idempotencyKey: 'hold-1' }),
        IdempotencyKeyReused,
        'IDEMPOTENCY_KEY_REUSED',
      );
      expect(reused.differences).toEqual(['amount']);

      const captured = await ledger.captureHold(held.id, {
        to: carol,
        amount: 150n,
        idempotencyKey: 'cap-1',
      });
      expect(captured.replayed).toBe(false);
      const rows = await rowCounts(books, wallet);
      const capturedAgain = await ledger.captureHold(held.id, {
        to: carol,
        amount: 150n,
        idempotencyKey: 'cap-1',
      });
      expect(capturedAgain.replayed).toBe(true);
      expect(capturedAgain.transaction.id).toBe(captured.transaction.id);
      expect(capturedAgain.hold).toMatchObject({ id: held.id, state: 'captured', captured: 150n });
      // Without its key a second capture is a second request, and the hold has ended.
      await refusal(
        ledger.captureHold(held.id, { to: carol, amount: 150n }),
        HoldNotActive,
        'HOLD_NOT_ACTIVE',
      );
      const capReused = await refusal(
        ledger.captureHold(held.id, { to: bob, amount: 150n, idempotencyKey: 'cap-1' }),
        IdempotencyKeyReused,
        'IDEMPOTENCY_KEY_REUSED',
      );
      expect(capReused.differences).toEqual(['to']);
      expect(await rowCounts(books, wallet)).toEqual(rows);
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 850n, held: 0n },
        carol: { balance: 150n, held: 0n },
      });

      const second = await ledger.hold({ account: bob, amount: 100n });
      const released = await ledger.releaseHold(second.id, { wallet, idempotencyKey: 'rel-1' });
      const releasedAgain = await ledger.releaseHold(second.id, {
        wallet,
        idempotencyKey: 'rel-1',
      });
      expect(released).toMatchObject({ id: second.id, state: 'released', replayed: false });
      expect(releasedAgain).toMatchObject({ id: second.id, state: 'released', replayed: true });
      await refusal(ledger.releaseHold(second.id, { wallet }), HoldNotActive, 'HOLD_NOT_ACTIVE');
      const third = await ledger.hold({ account: bob, amount: 100n });
      const relReused = await refusal(
        ledger.releaseHold(third.id, { wallet, idempotencyKey: 'rel-1' }),
        IdempotencyKeyReused,
        'IDEMPOTENCY_KEY_REUSED',
      );
      expect(relReused.differences).toEqual(['hold']);
      expect((await balancesOf(ledger, wallet)).bob).toEqual({ balance: 1_000n, held: 100n });
      await expectCleanAudit(ledger);
    });

    it('replays a key repeated within one batch', async () => {
      const options = { from: alice, to: bob, amount: 70n, idempotencyKey: 'twice' };
      const batchesBefore = ledger.writerCounters.batches;
      const [first, second, changed] = await Promise.allSettled([
        ledger.transfer(options),
        ledger.transfer(options),
        ledger.transfer({ ...options, amount: 71n }),
      ]);
      expect(ledger.writerCounters.batches - batchesBefore).toBe(1);
      const a = (first as PromiseFulfilledResult<{ id: number; replayed: boolean }>).value;
      const b = (second as PromiseFulfilledResult<{ id: number; replayed: boolean }>).value;
      expect(a).toMatchObject({ replayed: false });
      expect(b).toMatchObject({ id: a.id, replayed: true });
      const error = (changed as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(IdempotencyKeyReused);
      expect((error as IdempotencyKeyReused).differences).toEqual(['amount']);
      expect((await balancesOf(ledger, wallet)).alice?.balance).toBe(930n);
      expect((await rowCounts(books, wallet)).idempotency).toBe(1);
    });

    it('leaves the key of a refused call unused', async () => {
      const options = { from: carol, to: bob, amount: 50n, idempotencyKey: 'later' };
      await refusal(
        ledger.transfer(options),
        NotEnoughAccountBalance,
        'NOT_ENOUGH_ACCOUNT_BALANCE',
      );
      expect((await rowCounts(books, wallet)).idempotency).toBe(0);
      await ledger.transfer({ from: alice, to: carol, amount: 50n });
      expect(await ledger.transfer(options)).toMatchObject({ amount: 50n, replayed: false });
      expect((await balancesOf(ledger, wallet)).carol?.balance).toBe(0n);
    });

    it(`moves money once when ${racers} processes race on the same keys`, {
      timeout: 60_000,
    }, async () => {
      await buildLedger();
      const rows = await rowCounts(books, wallet);
      const children = Array.from({ length: racers }, () =>
        runChild(racerScript, [books.testDatabase.url, wallet.name, String(raceKeys)]),
      );
      for (const child of children) await waitForOutput(child, 'ready\n');
      for (const child of children) child.send('go');
      const exits = await Promise.all(children.map((child) => child.exit));
      children.forEach((child, i) => {
        expect(exits[i], child.stderr).toEqual({ code: 0, signal: null });
      });
      type Line = { key: string; id?: number; replayed?: boolean; error?: string };
      const results = children.map((child) =>
        child.stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Line),
      );
      for (let i = 0; i < raceKeys; i++) {
        const key = `race-${i}`;
        const got = results.map((lines) => lines.find((line) => line.key === key));
        for (const line of got) expect(line?.error, `${key}: ${line?.error}`).toBeUndefined();
        expect(new Set(got.map((line) => line?.id)).size, key).toBe(1);
        expect(got.filter((line) => line?.replayed === false).length, key).toBe(1);
      }
      expect(await rowCounts(books, wallet)).toEqual({
        ...rows,
        transaction: rows.transaction + raceKeys,
        idempotency: rows.idempotency + raceKeys,
      });
      expect(await balancesOf(ledger, wallet)).toMatchObject({
        alice: { balance: 1_000n - BigInt(raceKeys) },
        bob: { balance: 1_000n + BigInt(raceKeys) },
      });
      await expectCleanAudit(ledger);
    });
  });
}
