// Recording the network's view of several transactions at once (`recordDepositObservations`):
// crediting at the confirmation threshold, taking credits back below it, one `txupdate` per
// change, validation before any write, and all or nothing, on every dialect.
import { InvalidValueError } from '@cryptoassets/core';
import {
  type Account,
  type Address,
  BadTransactionState,
  type DepositObservation,
  type DepositObservationResult,
  depositObservationsMax,
  eventBatchSizeMax,
  type Ledger,
  listLimitMax,
  type OutboxEvent,
  type Transaction,
  type TransactionState,
  type TxUpdateData,
  txUpdateOf,
  txUpdatesOf,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  dialectsUnderTest,
  type OfflineBooks,
  openOfflineBooks,
  randomTxid,
} from '@cryptoassets/ledger/testing';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** The coin's crediting depth in these books. */
const thresholdConfirmations = 2;
/** `listOpenDeposits` bound that leaves no deposit network transaction out. */
const anyConfirmationsBelow = 1_000_000_000;
const propertyRunsPerDialect = 30;

type Received = readonly [address: Address | string, amountMinor: bigint];

function observation(
  txid: string,
  confirmations: number,
  ...received: readonly Received[]
): DepositObservation {
  return {
    txid,
    confirmations,
    received: received.map(([address, amount]) => ({
      address: typeof address === 'string' ? address : address.address,
      amount,
    })),
  };
}

/** Every event of the outbox after `afterSequence`, page by page. */
async function readEvents(ledger: Ledger, afterSequence = 0): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  let cursor = afterSequence;
  for (;;) {
    const page = await ledger.events.readAfter(cursor, eventBatchSizeMax);
    events.push(...page);
    if (page.length < eventBatchSizeMax) return events;
    cursor = page[page.length - 1]!.sequence;
  }
}

async function eventData(ledger: Ledger, afterSequence = 0): Promise<TxUpdateData[]> {
  return txUpdatesOf(await readEvents(ledger, afterSequence));
}

async function lastSequence(ledger: Ledger): Promise<number> {
  const events = await readEvents(ledger);
  return events.length === 0 ? 0 : events[events.length - 1]!.sequence;
}

async function balanceOf(ledger: Ledger, account: Account): Promise<bigint | undefined> {
  return (await ledger.getAccountById(account.id))?.balance;
}

async function addressBalanceOf(
  ledger: Ledger,
  wallet: Wallet,
  address: Address,
): Promise<bigint | undefined> {
  return (await ledger.getAddress(wallet, address.address))?.balance;
}

/** The deposit of `txid` to `address`. */
async function depositOf(
  ledger: Ledger,
  wallet: Wallet,
  txid: string,
  address: Address,
): Promise<Transaction> {
  const open = await ledger.listOpenDeposits({
    confirmationsBelow: anyConfirmationsBelow,
    limit: listLimitMax,
  });
  const network = open.find((entry) => entry.txid === txid);
  expect(network, `network transaction ${txid}`).toBeDefined();
  const deposits = await ledger.listDeposits({ wallet, limit: listLimitMax });
  const found = deposits.filter(
    (deposit) =>
      deposit.networkTransactionId === network!.networkTransactionId &&
      deposit.addressId === address.id,
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The `txupdate` payload the books should write for a deposit in the given condition. */
function depositPayload(options: {
  readonly deposit: Transaction;
  readonly txid: string;
  readonly account: Account;
  readonly address: Address;
  readonly amount: string;
  readonly confirmations: number;
  readonly state: TransactionState;
}): TxUpdateData {
  return {
    coin: 'ltc',
    transaction_id: options.deposit.id,
    network_transaction_id: options.deposit.networkTransactionId!,
    direction: 'deposit',
    txid: options.txid,
    account: options.account.name,
    address: options.address.address,
    amount: options.amount,
    confirmations: options.confirmations,
    credited: options.state === 'credited' || options.state === 'processed',
    state: options.state,
  };
}

/** What a batch wrote, to compare before and after a batch that must write nothing. */
async function snapshot(ledger: Ledger, wallet: Wallet) {
  return {
    transactions: await ledger.listTransactions({ wallet, limit: listLimitMax }),
    accounts: await ledger.listAccounts(wallet),
    addresses: await ledger.listReceivingAddresses({ wallet }),
    events: await readEvents(ledger),
    networkTransactions: await ledger.listOpenDeposits({
      confirmationsBelow: anyConfirmationsBelow,
      limit: listLimitMax,
    }),
  };
}

async function expectInvalidValue(outcome: Promise<unknown>, field: string): Promise<void> {
  const error = await outcome.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(InvalidValueError);
  expect((error as InvalidValueError).field).toBe(field);
}

async function expectCleanAudit(ledger: Ledger): Promise<void> {
  expect((await ledger.audit()).mismatches).toEqual([]);
}

/** A result without the reversed deposits, which the tests check on their own. */
function summary(result: DepositObservationResult) {
  return {
    txid: result.txid,
    confirmations: result.confirmations,
    deposits: result.deposits,
    creditedNow: result.creditedNow,
    reversed: result.reversedNow.length,
  };
}

for (const dialect of await dialectsUnderTest()) {
  describe(`recordDepositObservations on ${dialect}`, () => {
    let books: OfflineBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let alice: Account;
    let bob: Account;
    let aliceFirst: Address;
    let aliceSecond: Address;
    let bobAddress: Address;

    beforeEach(async () => {
      books = await openOfflineBooks(dialect, {
        coin: { confirmations: thresholdConfirmations },
      });
      ledger = books.ledger;
      wallet = await ledger.getOrCreateWallet('default');
      alice = await ledger.createAccount(wallet, 'alice');
      bob = await ledger.createAccount(wallet, 'bob');
      aliceFirst = await ledger.createReceivingAddress(alice);
      aliceSecond = await ledger.createReceivingAddress(alice);
      bobAddress = await ledger.createReceivingAddress(bob);
    });
    afterEach(async () => {
      await books.close();
    });

    it('records a batch of new transactions in order, crediting only the deep ones', async () => {
      const stranger = await books.backend.createAddress({ label: 'not ours' });
      const known = await ledger.getOrCreateExternalAddress(
        wallet,
        await books.backend.createAddress({ label: 'external' }),
      );
      const deep = randomTxid();
      const shallow = randomTxid();
      const notOurs = randomTxid();
      const atThreshold = randomTxid();
      const mempool = randomTxid();

      const results = await ledger.recordDepositObservations([
        observation(deep, 5, [aliceFirst, 100_000_000n]),
        observation(shallow, 1, [bobAddress, 25_000n]),
        observation(notOurs, 3, [stranger, 7n]),
        observation(
          atThreshold,
          thresholdConfirmations,
          [aliceSecond, 50_000n],
          [known, 999n],
          [bobAddress, 12_345n],
        ),
        observation(mempool, 0, [aliceFirst, 1n]),
      ]);

      expect(results.map(summary)).toEqual([
        { txid: deep, confirmations: 5, deposits: 1, creditedNow: 1, reversed: 0 },
        { txid: shallow, confirmations: 1, deposits: 1, creditedNow: 0, reversed: 0 },
        { txid: notOurs, confirmations: 3, deposits: 0, creditedNow: 0, reversed: 0 },
        { txid: atThreshold, confirmations: 2, deposits: 2, creditedNow: 2, reversed: 0 },
        { txid: mempool, confirmations: 0, deposits: 1, creditedNow: 0, reversed: 0 },
      ]);

      expect(await balanceOf(ledger, alice)).toBe(100_050_000n);
      expect(await balanceOf(ledger, bob)).toBe(12_345n);
      expect(await addressBalanceOf(ledger, wallet, aliceFirst)).toBe(100_000_000n);
      expect(await addressBalanceOf(ledger, wallet, aliceSecond)).toBe(50_000n);
      expect(await addressBalanceOf(ledger, wallet, bobAddress)).toBe(12_345n);
      expect((await ledger.getAddress(wallet, known.address))?.balance).toBe(0n);
      expect(await ledger.unconfirmedBalance({ wallet, account: alice })).toBe(1n);
      expect(await ledger.unconfirmedBalance({ wallet, account: bob })).toBe(25_000n);

      // The transaction that pays no receiving address of ours leaves no trace.
      const recorded = await ledger.listOpenDeposits({
        confirmationsBelow: anyConfirmationsBelow,
        limit: listLimitMax,
      });
      expect(recorded.map((entry) => entry.txid).sort()).toEqual(
        [deep, shallow, atThreshold, mempool].sort(),
      );
      expect(await ledger.listDeposits({ wallet, limit: listLimitMax })).toHaveLength(5);

      const deposits = {
        deep: await depositOf(ledger, wallet, deep, aliceFirst),
        shallow: await depositOf(ledger, wallet, shallow, bobAddress),
        thresholdAlice: await depositOf(ledger, wallet, atThreshold, aliceSecond),
        thresholdBob: await depositOf(ledger, wallet, atThreshold, bobAddress),
        mempool: await depositOf(ledger, wallet, mempool, aliceFirst),
      };
      expect(deposits.deep.state).toBe('credited');
      expect(deposits.deep.creditedAt).not.toBeNull();
      expect(deposits.shallow.state).toBe('incoming');
      expect(deposits.shallow.creditedAt).toBeNull();

      expect(await eventData(ledger)).toEqual([
        depositPayload({
          deposit: deposits.deep,
          txid: deep,
          account: alice,
          address: aliceFirst,
          amount: '1.00000000',
          confirmations: 5,
          state: 'credited',
        }),
        depositPayload({
          deposit: deposits.shallow,
          txid: shallow,
          account: bob,
          address: bobAddress,
          amount: '0.00025000',
          confirmations: 1,
          state: 'incoming',
        }),
        depositPayload({
          deposit: deposits.thresholdAlice,
          txid: atThreshold,
          account: alice,
          address: aliceSecond,
          amount: '0.00050000',
          confirmations: 2,
          state: 'credited',
        }),
        depositPayload({
          deposit: deposits.thresholdBob,
          txid: atThreshold,
          account: bob,
          address: bobAddress,
          amount: '0.00012345',
          confirmations: 2,
          state: 'credited',
        }),
        depositPayload({
          deposit: deposits.mempool,
          txid: mempool,
          account: alice,
          address: aliceFirst,
          amount: '0.00000001',
          confirmations: 0,
          state: 'incoming',
        }),
      ]);
      const events = await readEvents(ledger);
      expect(events.map((entry) => entry.event.name)).toEqual(Array(5).fill('txupdate'));
      expect(events.map((entry) => entry.event.id)).toEqual(
        events.map((entry) => `ltc:${entry.sequence}`),
      );
      await expectCleanAudit(ledger);
    });

    it('writes the same event payload as recordDeposit for the same kind of deposit', async () => {
      for (const confirmations of [1, thresholdConfirmations]) {
        const single = randomTxid();
        const batched = randomTxid();
        const before = await lastSequence(ledger);
        await ledger.recordDeposit({
          txid: single,
          address: aliceFirst.address,
          amount: 5_000n,
          confirmations,
        });
        await ledger.recordDepositObservations([
          observation(batched, confirmations, [aliceSecond, 5_000n]),
        ]);
        const [older, newer, ...rest] = await readEvents(ledger, before);
        expect(rest).toEqual([]);
        expect(older?.event.data).toMatchObject({ txid: single, address: aliceFirst.address });
        expect(newer?.event.data).toMatchObject({ txid: batched, address: aliceSecond.address });
        // Field names and their order (the JSON a webhook gets) and every value but the ids.
        expect(Object.keys(newer!.event.data)).toEqual(Object.keys(older!.event.data));
        const generic = (data: TxUpdateData) => ({
          ...data,
          transaction_id: 0,
          network_transaction_id: 0,
          txid: '',
          address: '',
        });
        expect(generic(txUpdateOf(newer!.event)!)).toEqual(generic(txUpdateOf(older!.event)!));
        expect(newer!.event.name).toBe(older!.event.name);
        expect(txUpdateOf(newer!.event)?.confirmations).toBe(confirmations);
      }
    });

    it('changes nothing when the same observations come again', async () => {
      const first = randomTxid();
      const second = randomTxid();
      const shallow = randomTxid();
      const batch = [
        observation(first, thresholdConfirmations, [aliceFirst, 10_000n]),
        observation(second, 3, [aliceSecond, 20_000n], [bobAddress, 30_000n]),
        observation(shallow, 1, [bobAddress, 40_000n]),
      ];
      await ledger.recordDepositObservations(batch);
      const before = await snapshot(ledger, wallet);
      expect(before.events).toHaveLength(4);

      const again = await ledger.recordDepositObservations(batch);

      expect(again.map(summary)).toEqual([
        { txid: first, confirmations: 2, deposits: 1, creditedNow: 0, reversed: 0 },
        { txid: second, confirmations: 3, deposits: 2, creditedNow: 0, reversed: 0 },
        { txid: shallow, confirmations: 1, deposits: 1, creditedNow: 0, reversed: 0 },
      ]);
      const after = await snapshot(ledger, wallet);
      expect(after.events).toEqual(before.events);
      expect(after.transactions).toEqual(before.transactions);
      expect(after.accounts).toEqual(before.accounts);
      expect(after.addresses).toEqual(before.addresses);
      await expectCleanAudit(ledger);
    });

    it('writes one event per deposit when confirmations grow, without crediting again', async () => {
      const first = randomTxid();
      const second = randomTxid();
      await ledger.recordDepositObservations([
        observation(first, thresholdConfirmations, [aliceFirst, 10_000n]),
        observation(second, 3, [aliceSecond, 20_000n], [bobAddress, 30_000n]),
      ]);
      const sequence = await lastSequence(ledger);
      const transactions = await ledger.listTransactions({ wallet, limit: listLimitMax });

      const deeper = [
        observation(first, 3, [aliceFirst, 10_000n]),
        observation(second, 4, [aliceSecond, 20_000n], [bobAddress, 30_000n]),
      ];
      const results = await ledger.recordDepositObservations(deeper);

      expect(results.map(summary)).toEqual([
        { txid: first, confirmations: 3, deposits: 1, creditedNow: 0, reversed: 0 },
        { txid: second, confirmations: 4, deposits: 2, creditedNow: 0, reversed: 0 },
      ]);
      const events = await eventData(ledger, sequence);
      expect(events.map((data) => [data.txid, data.address, data.confirmations])).toEqual([
        [first, aliceFirst.address, 3],
        [second, aliceSecond.address, 4],
        [second, bobAddress.address, 4],
      ]);
      expect(events.every((data) => data.state === 'credited' && data.credited)).toBe(true);
      expect(await balanceOf(ledger, alice)).toBe(30_000n);
      expect(await balanceOf(ledger, bob)).toBe(30_000n);
      expect(await ledger.listTransactions({ wallet, limit: listLimitMax })).toEqual(transactions);

      // And once more at that depth: nothing new.
      const settled = await lastSequence(ledger);
      await ledger.recordDepositObservations(deeper);
      expect(await readEvents(ledger, settled)).toEqual([]);
      await expectCleanAudit(ledger);
    });

    it('takes a credit back below the threshold and credits it again once when deep', async () => {
      const txid = randomTxid();
      const paid = observation(txid, thresholdConfirmations, [aliceFirst, 40_000n]);
      const [credited] = await ledger.recordDepositObservations([paid]);
      expect(credited?.creditedNow).toBe(1);
      expect(await balanceOf(ledger, alice)).toBe(40_000n);
      const deposit = await depositOf(ledger, wallet, txid, aliceFirst);

      let sequence = await lastSequence(ledger);
      const [reorged] = await ledger.recordDepositObservations([
        observation(txid, 0, [aliceFirst, 40_000n]),
      ]);

      expect(reorged && summary(reorged)).toEqual({
        txid,
        confirmations: 0,
        deposits: 1,
        creditedNow: 0,
        reversed: 1,
      });
      expect(reorged?.reversedNow[0]).toMatchObject({
        id: deposit.id,
        state: 'reversed',
        amount: 40_000n,
      });
      expect(await balanceOf(ledger, alice)).toBe(0n);
      expect(await addressBalanceOf(ledger, wallet, aliceFirst)).toBe(0n);
      expect(await ledger.unconfirmedBalance({ wallet, account: alice })).toBe(0n);
      const reversals = await ledger.listTransactions({ wallet, kind: 'deposit_reversal' });
      expect(reversals).toHaveLength(1);
      expect(reversals[0]).toMatchObject({
        amount: 40_000n,
        sendingAccountId: alice.id,
        addressId: aliceFirst.id,
        networkTransactionId: deposit.networkTransactionId,
      });
      expect(await eventData(ledger, sequence)).toEqual([
        depositPayload({
          deposit,
          txid,
          account: alice,
          address: aliceFirst,
          amount: '0.00040000',
          confirmations: 0,
          state: 'reversed',
        }),
      ]);
      await expectCleanAudit(ledger);

      sequence = await lastSequence(ledger);
      const [recredited] = await ledger.recordDepositObservations([paid]);

      expect(recredited && summary(recredited)).toEqual({
        txid,
        confirmations: thresholdConfirmations,
        deposits: 1,
        creditedNow: 1,
        reversed: 0,
      });
      expect(await balanceOf(ledger, alice)).toBe(40_000n);
      expect(await addressBalanceOf(ledger, wallet, aliceFirst)).toBe(40_000n);
      expect(await ledger.listTransactions({ wallet, kind: 'deposit_recredit' })).toHaveLength(1);
      expect(await eventData(ledger, sequence)).toEqual([
        depositPayload({
          deposit,
          txid,
          account: alice,
          address: aliceFirst,
          amount: '0.00040000',
          confirmations: thresholdConfirmations,
          state: 'credited',
        }),
      ]);

      sequence = await lastSequence(ledger);
      const [repeated] = await ledger.recordDepositObservations([paid]);
      expect(repeated?.creditedNow).toBe(0);
      expect(await balanceOf(ledger, alice)).toBe(40_000n);
      expect(await ledger.listTransactions({ wallet, kind: 'deposit_recredit' })).toHaveLength(1);
      expect(await readEvents(ledger, sequence)).toEqual([]);
      await expectCleanAudit(ledger);
    });

    it('reverses a processed deposit the node reports conflicted, and records new outputs', async () => {
      const txid = randomTxid();
      await ledger.recordDepositObservations([
        observation(txid, thresholdConfirmations, [aliceFirst, 8_000n]),
      ]);
      const deposit = await depositOf(ledger, wallet, txid, aliceFirst);
      await ledger.markProcessed(deposit.id);

      // The node now knows the transaction only as conflicted and reports an output to a second
      // address of ours that the books had not recorded.
      const [result] = await ledger.recordDepositObservations([
        observation(txid, -2, [aliceSecond, 3_000n]),
      ]);

      expect(result && summary(result)).toEqual({
        txid,
        confirmations: -2,
        deposits: 2,
        creditedNow: 0,
        reversed: 1,
      });
      expect(result?.reversedNow[0]).toMatchObject({ id: deposit.id, state: 'reversed' });
      expect(await balanceOf(ledger, alice)).toBe(0n);
      const network = await ledger.getNetworkTransaction(deposit.networkTransactionId!);
      expect(network?.confirmations).toBe(-2);
      const added = await depositOf(ledger, wallet, txid, aliceSecond);
      expect(added).toMatchObject({ state: 'incoming', amount: 3_000n });
      // Conflicted as deep as the threshold: no longer worth asking the network about.
      expect(
        await ledger.listOpenDeposits({
          confirmationsBelow: thresholdConfirmations,
          limit: listLimitMax,
        }),
      ).toEqual([]);
      await expectCleanAudit(ledger);
    });

    it('records a new conflicted transaction uncredited with negative confirmations', async () => {
      const txid = randomTxid();
      const [result] = await ledger.recordDepositObservations([
        observation(txid, -1, [bobAddress, 60_000n]),
      ]);

      expect(result && summary(result)).toEqual({
        txid,
        confirmations: -1,
        deposits: 1,
        creditedNow: 0,
        reversed: 0,
      });
      const deposit = await depositOf(ledger, wallet, txid, bobAddress);
      expect(deposit).toMatchObject({ state: 'incoming', amount: 60_000n, creditedAt: null });
      expect(await balanceOf(ledger, bob)).toBe(0n);
      expect(await addressBalanceOf(ledger, wallet, bobAddress)).toBe(0n);
      expect(await ledger.unconfirmedBalance({ wallet, account: bob })).toBe(60_000n);
      expect(
        (await ledger.getNetworkTransaction(deposit.networkTransactionId!))?.confirmations,
      ).toBe(-1);
      expect(
        await ledger.listOpenDeposits({
          confirmationsBelow: thresholdConfirmations,
          limit: listLimitMax,
        }),
      ).toEqual([{ networkTransactionId: deposit.networkTransactionId, txid, confirmations: -1 }]);
      const events = await eventData(ledger);
      expect(events.at(-1)).toEqual(
        depositPayload({
          deposit,
          txid,
          account: bob,
          address: bobAddress,
          amount: '0.00060000',
          confirmations: -1,
          state: 'incoming',
        }),
      );
      // One event, at the count the node reported: none for a state that was never committed.
      expect(events.filter((data) => data.transaction_id === deposit.id)).toHaveLength(1);
      expect(events.every((data) => data.transaction_id === deposit.id && !data.credited)).toBe(
        true,
      );
      await expectCleanAudit(ledger);
    });

    it('writes nothing of a batch whose last observation is refused', async () => {
      const credited = randomTxid();
      const waiting = randomTxid();
      await ledger.recordDepositObservations([
        observation(credited, thresholdConfirmations, [aliceFirst, 1_000n]),
        observation(waiting, 1, [bobAddress, 500n]),
      ]);
      const creditedDeposit = await depositOf(ledger, wallet, credited, aliceFirst);
      const networkBefore = await ledger.getNetworkTransaction(
        creditedDeposit.networkTransactionId!,
      );
      const before = await snapshot(ledger, wallet);

      const fresh = randomTxid();
      const freshShallow = randomTxid();
      const valid = [
        observation(fresh, 3, [aliceSecond, 700n]),
        observation(freshShallow, 0, [bobAddress, 300n]),
        observation(waiting, thresholdConfirmations, [bobAddress, 500n]),
      ];
      await expect(
        ledger.recordDepositObservations([
          ...valid,
          observation(credited, 3, [aliceFirst, 2_000n]),
        ]),
      ).rejects.toBeInstanceOf(BadTransactionState);

      const after = await snapshot(ledger, wallet);
      expect(after.transactions).toEqual(before.transactions);
      expect(after.accounts).toEqual(before.accounts);
      expect(after.addresses).toEqual(before.addresses);
      expect(after.events).toEqual(before.events);
      expect(after.networkTransactions).toEqual(before.networkTransactions);
      expect(await ledger.getNetworkTransaction(creditedDeposit.networkTransactionId!)).toEqual(
        networkBefore,
      );
      await expectCleanAudit(ledger);

      // The rest of the batch was fine on its own.
      const results = await ledger.recordDepositObservations(valid);
      expect(results.map((result) => result.creditedNow)).toEqual([1, 0, 1]);
      expect(await balanceOf(ledger, alice)).toBe(1_700n);
      expect(await balanceOf(ledger, bob)).toBe(500n);
      await expectCleanAudit(ledger);
    });

    it('refuses a bad batch before writing anything, naming the field', async () => {
      const good = observation(randomTxid(), thresholdConfirmations, [aliceFirst, 1_000n]);
      const tooMany = Array.from({ length: depositObservationsMax + 1 }, () =>
        observation(randomTxid(), thresholdConfirmations),
      );
      await expectInvalidValue(ledger.recordDepositObservations(tooMany), 'observations');
      await expectInvalidValue(
        ledger.recordDepositObservations([
          good,
          observation(randomTxid(), 3, [aliceSecond, 1n], [aliceSecond, 2n]),
        ]),
        'observations[1].received[1].address',
      );
      for (const amount of [0n, -5n]) {
        await expectInvalidValue(
          ledger.recordDepositObservations([
            good,
            observation(randomTxid(), 3, [bobAddress, 1n], [aliceSecond, amount]),
          ]),
          'observations[1].received[1].amount',
        );
      }
      for (const confirmations of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        await expectInvalidValue(
          ledger.recordDepositObservations([
            good,
            observation(randomTxid(), confirmations, [bobAddress, 1n]),
          ]),
          'observations[1].confirmations',
        );
      }
      for (const txid of ['', 'f'.repeat(129)]) {
        await expectInvalidValue(
          ledger.recordDepositObservations([good, observation(txid, 3, [bobAddress, 1n])]),
          'observations[1].txid',
        );
      }

      expect(await readEvents(ledger)).toEqual([]);
      expect(await ledger.listTransactions({ wallet, limit: listLimitMax })).toEqual([]);
      expect(
        await ledger.listOpenDeposits({
          confirmationsBelow: anyConfirmationsBelow,
          limit: listLimitMax,
        }),
      ).toEqual([]);
      expect(await balanceOf(ledger, alice)).toBe(0n);
    });

    it('returns no results for no observations, and takes the most it allows', async () => {
      expect(await ledger.recordDepositObservations([])).toEqual([]);

      const most = Array.from({ length: depositObservationsMax }, () =>
        observation(randomTxid(), thresholdConfirmations),
      );
      const results = await ledger.recordDepositObservations(most);
      expect(results).toHaveLength(depositObservationsMax);
      expect(results.map((result) => result.txid)).toEqual(most.map((entry) => entry.txid));
      expect(results.every((result) => result.deposits === 0)).toBe(true);
      expect(await readEvents(ledger)).toEqual([]);
    });
  });

  describe(`recordDepositObservations property on ${dialect}`, () => {
    it('keeps one deposit credited exactly when its last count is deep enough', async () => {
      const books = await openOfflineBooks(dialect, {
        coin: { confirmations: thresholdConfirmations },
      });
      try {
        const { ledger } = books;
        const wallet = await ledger.getOrCreateWallet('default');
        let run = 0;
        const countArb = fc.integer({ min: -3, max: thresholdConfirmations + 3 });
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.array(countArb, { minLength: 1, maxLength: 3 }), {
              minLength: 1,
              maxLength: 8,
            }),
            fc.bigInt({ min: 1n, max: 10n ** 12n }),
            async (batches, amount) => {
              run++;
              const account = await ledger.createAccount(wallet, `run-${run}`);
              const address = await ledger.createReceivingAddress(account);
              const txid = randomTxid();
              const sequence = await lastSequence(ledger);
              let credited = false;
              let everCredited = false;
              let reversals = 0;
              let recredits = 0;
              let lastCount = 0;
              for (const counts of batches) {
                // The same transaction may come several times in one batch.
                const results = await ledger.recordDepositObservations(
                  counts.map((count) => observation(txid, count, [address, amount])),
                );
                counts.forEach((count, index) => {
                  const deep = count >= thresholdConfirmations;
                  expect(summary(results[index]!)).toEqual({
                    txid,
                    confirmations: count,
                    deposits: 1,
                    creditedNow: deep && !credited ? 1 : 0,
                    reversed: !deep && credited ? 1 : 0,
                  });
                  if (!deep && credited) reversals++;
                  if (deep && !credited && everCredited) recredits++;
                  credited = deep;
                  everCredited ||= deep;
                  lastCount = count;
                });
                const expected = credited ? amount : 0n;
                expect(await balanceOf(ledger, account)).toBe(expected);
                expect(await addressBalanceOf(ledger, wallet, address)).toBe(expected);
              }
              const kinds = async (kind: Transaction['kind']) =>
                (await ledger.listTransactions({ wallet, account, kind })).length;
              expect(await kinds('deposit')).toBe(1);
              expect(await kinds('deposit_reversal')).toBe(reversals);
              expect(await kinds('deposit_recredit')).toBe(recredits);
              const events = await eventData(ledger, sequence);
              expect(events.at(-1)).toMatchObject({
                txid,
                confirmations: lastCount,
                credited,
                state: credited ? 'credited' : everCredited ? 'reversed' : 'incoming',
              });
              await expectCleanAudit(ledger);
            },
          ),
          { numRuns: propertyRunsPerDialect },
        );
      } finally {
        await books.close();
      }
    });
  });
}
