// The network half of the conformance suite: what the ledger, the updater and the broadcaster
// must do together over a real network backend (litecoind regtest, a devnet node), with blocks
// mined on demand. A backend package calls `describeNetworkConformance` with a harness.
import { formatAmount } from '@cryptoassets/core';
import { type Account, type Ledger, txUpdatesOf, type Wallet } from '@cryptoassets/ledger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkBackend } from '../backend.js';
import { Broadcaster } from '../broadcaster/broadcaster.js';
import { TransactionUpdater } from '../updater/updater.js';

export type NetworkConformanceBooks = {
  /** Migrated books on the backend; `confirmations` at least 1, `max_confirmation_count` above. */
  readonly ledger: Ledger;
  readonly backend: NetworkBackend;
  /** Mines `blocks` blocks (paying nobody in the books). */
  readonly mine: (blocks: number) => Promise<void>;
  /** Pays `amountMinor` to `address` from a funded wallet outside the books; returns the txid. */
  readonly pay: (address: string, amountMinor: bigint) => Promise<string>;
  /** A fresh address of a wallet outside the books. */
  readonly externalAddress: () => Promise<string>;
  /** What `address` (outside the books) received in transactions at least `minConf` deep. */
  readonly receivedBy: (address: string, minConf: number) => Promise<bigint>;
  readonly close: () => Promise<void>;
};

export type NetworkConformanceHarness = {
  readonly name: string;
  readonly open: () => Promise<NetworkConformanceBooks>;
};

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const coin = 100_000_000n;

export function describeNetworkConformance(harness: NetworkConformanceHarness): void {
  describe(`network conformance: ${harness.name}`, () => {
    let books: NetworkConformanceBooks;
    let ledger: Ledger;
    let wallet: Wallet;
    let updater: TransactionUpdater;

    beforeEach(async () => {
      books = await harness.open();
      ledger = books.ledger;
      const { confirmations, maxConfirmationCount } = ledger.coin;
      expect(confirmations).toBeGreaterThanOrEqual(1);
      expect(maxConfirmationCount).toBeGreaterThan(confirmations);
      wallet = await ledger.getOrCreateWallet('default');
      updater = new TransactionUpdater({ ledger, backend: books.backend, logger: quiet });
    });
    afterEach(async () => {
      await books.close();
    });

    const broadcaster = () =>
      new Broadcaster({ ledger, backend: books.backend, wallet, logger: quiet });

    /** Pays an account's receiving address over the network and buries it to the threshold. */
    async function deposit(account: Account, amount: bigint): Promise<string> {
      const address = await ledger.createReceivingAddress(account);
      const txid = await books.pay(address.address, amount);
      await books.mine(ledger.coin.confirmations);
      await updater.handleTxid(txid);
      return txid;
    }

    async function balance(account: Account): Promise<bigint> {
      return (await ledger.getAccountById(account.id))?.balance ?? -1n;
    }

    it('sends to an external address over the network', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      await deposit(alice, 2n * coin);
      const payee = await books.externalAddress();
      const send = await ledger.send({ from: alice, address: payee, amount: coin / 2n });
      expect(send.state).toBe('pending');
      const run = await broadcaster().runOnce();
      expect(run.broadcasts).toEqual([expect.objectContaining({ result: 'sent' })]);
      await books.mine(1);
      expect(await books.receivedBy(payee, 1)).toBe(coin / 2n);
      expect((await ledger.getTransaction(send.id))?.state).toBe('broadcasted');
    });

    it('counts the confirmations of a broadcast and tells the app', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      await deposit(alice, coin);
      const send = await ledger.send({
        from: alice,
        address: await books.externalAddress(),
        amount: coin / 4n,
      });
      await broadcaster().runOnce();
      const networkId = (await ledger.getTransaction(send.id))?.networkTransactionId ?? -1;
      await books.mine(2);
      const summary = await updater.pollConfirmations();
      expect(summary.broadcastsUpdated).toBe(1);
      expect((await ledger.getNetworkTransaction(networkId))?.confirmations).toBe(2);
      const events = await ledger.events.readAfter(0, 1_000);
      const last = txUpdatesOf(events)
        .filter((data) => data.direction === 'broadcast')
        .at(-1);
      expect(last).toMatchObject({ transaction_id: send.id, confirmations: 2 });
      // Nothing changed, nothing written.
      expect((await updater.pollConfirmations()).broadcastsUpdated).toBe(0);
    });

    it('charges the network fee of a batched broadcast exactly once', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      await deposit(alice, 3n * coin);
      for (let i = 0; i < 3; i++)
        await ledger.send({
          from: alice,
          address: await books.externalAddress(),
          amount: coin / 10n,
        });
      const sender = broadcaster();
      const run = await sender.runOnce();
      expect(run.broadcasts).toHaveLength(1);
      const sent = run.broadcasts[0];
      if (sent?.result !== 'sent') throw new Error('expected one broadcast sent');
      expect(sent.outputs).toBe(3);
      const fee = (await books.backend.getTransaction(sent.txid))?.fee;
      expect(fee).toBeGreaterThan(0n);
      await sender.runOnce();
      const feeAccount = await ledger.getNetworkFeeAccount(wallet);
      expect(await balance(feeAccount)).toBe(-(fee ?? 0n));
      expect((await ledger.audit()).mismatches).toEqual([]);
    });

    it('receives from outside and sends back out, balances exact', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const txid = await deposit(alice, coin);
      expect(await balance(alice)).toBe(coin);
      const [credited] = await ledger.listTransactions({ wallet, account: alice, kind: 'deposit' });
      expect(credited).toMatchObject({ state: 'credited', amount: coin });
      expect(txid).toMatch(/^[0-9a-f]{64}$/);
      const payee = await books.externalAddress();
      await ledger.send({ from: alice, address: payee, amount: coin / 2n });
      await broadcaster().runOnce();
      await books.mine(1);
      expect(await books.receivedBy(payee, 1)).toBe(coin / 2n);
      expect(await balance(alice)).toBe(coin / 2n);
      expect((await ledger.audit()).mismatches).toEqual([]);
    });

    it('finds a deposit made while nothing listened, by scanning', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const address = await ledger.createReceivingAddress(alice);
      const txid = await books.pay(address.address, coin / 5n);
      await books.mine(ledger.coin.confirmations);
      const scan = await updater.rescan();
      expect(scan.results.map((result) => result.txid)).toContain(txid);
      expect(scan.creditedNow).toBe(1);
      expect(await balance(alice)).toBe(coin / 5n);
      expect((await updater.rescan()).creditedNow).toBe(0);
    });

    it('updates confirmations: seen, credited at the threshold, tracked to the maximum', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const address = await ledger.createReceivingAddress(alice);
      const txid = await books.pay(address.address, coin / 3n);
      const seen = await updater.handleTxid(txid);
      expect(seen).toMatchObject({ confirmations: 0, creditedNow: 0 });
      expect(await balance(alice)).toBe(0n);
      expect(await ledger.unconfirmedBalance({ wallet, account: alice })).toBe(coin / 3n);
      await books.mine(ledger.coin.confirmations);
      expect((await updater.pollConfirmations()).creditedNow).toBe(1);
      expect(await balance(alice)).toBe(coin / 3n);
      await books.mine(ledger.coin.maxConfirmationCount);
      await updater.pollConfirmations();
      const [open] = await ledger.listOpenDeposits({
        confirmationsBelow: ledger.coin.maxConfirmationCount,
        limit: 10,
      });
      expect(open).toBeUndefined();
      const events = await ledger.events.readAfter(0, 1_000);
      const updates = txUpdatesOf(events).filter((data) => data.txid === txid);
      expect(updates.filter((data) => data.credited && data.confirmations === 0)).toEqual([]);
      expect(updates.at(-1)).toMatchObject({
        direction: 'deposit',
        credited: true,
        amount: formatAmount(coin / 3n, ledger.coin.profile.decimals),
      });
      expect(updates.at(-1)?.confirmations).toBeGreaterThanOrEqual(
        ledger.coin.maxConfirmationCount,
      );
    });
  });
}
