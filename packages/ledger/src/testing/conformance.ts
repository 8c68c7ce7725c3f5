// The ledger conformance suite: what every backend must support, run against real books.
// A backend package calls `describeLedgerConformance` with a harness that opens fresh books.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BadAddress, DuplicateAddress, NotEnoughAccountBalance, SameAccount } from '../errors.js';
import type { Ledger } from '../ledger.js';
import type { Account, Wallet } from '../records.js';

export type ConformanceBooks = {
  /** Migrated books with a backend; the coin's `confirmations` must be at least 1. */
  readonly ledger: Ledger;
  /** Makes the backend's wallet hold `amountMinor` more than it does now. */
  readonly fundBackend: (amountMinor: bigint) => Promise<void>;
  readonly close: () => Promise<void>;
};

export type ConformanceHarness = {
  readonly name: string;
  readonly open: () => Promise<ConformanceBooks>;
};

export function describeLedgerConformance(harness: ConformanceHarness): void {
  describe(`ledger conformance: ${harness.name}`, () => {
    let books: ConformanceBooks;
    let ledger: Ledger;
    let wallet: Wallet;

    beforeEach(async () => {
      books = await harness.open();
      ledger = books.ledger;
      expect(ledger.coin.confirmations).toBeGreaterThanOrEqual(1);
      wallet = await ledger.getOrCreateWallet('default');
    });
    afterEach(async () => {
      await books.close();
    });

    /** Credits an account through a spoofed deposit at the confirmation threshold. */
    async function fund(account: Account, amount: bigint): Promise<void> {
      const address = await ledger.createReceivingAddress(account);
      const result = await ledger.recordDeposit({
        txid: randomTxid(),
        address: address.address,
        amount,
        confirmations: ledger.coin.confirmations,
      });
      expect(result?.creditedNow).toBe(true);
    }

    const balanceOf = async (account: Account) =>
      (await ledger.getAccountById(account.id))?.balance;

    it('gets the same wallet by name', async () => {
      const again = await ledger.getOrCreateWallet('default');
      expect(again.id).toBe(wallet.id);
      expect(await ledger.getWallet('nope')).toBeUndefined();
    });

    it('creates a receiving address through the backend', async () => {
      const account = await ledger.createAccount(wallet, 'alice');
      const address = await ledger.createReceivingAddress(account, { label: 'invoice 1' });
      expect(ledger.isValidAddress(address.address)).toBe(true);
      expect(address.accountId).toBe(account.id);
      expect(address.label).toBe('invoice 1');
      expect((await ledger.findAccountByAddress(wallet, address.address))?.id).toBe(account.id);
    });

    it('gives automatic, unique labels', async () => {
      const account = await ledger.createAccount(wallet, 'alice');
      const first = await ledger.createReceivingAddress(account);
      const second = await ledger.createReceivingAddress(account);
      expect(first.label).toBeTruthy();
      expect(second.label).toBeTruthy();
      expect(first.label).not.toBe(second.label);
    });

    it('lists receiving addresses per wallet and per account', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const bob = await ledger.createAccount(wallet, 'bob');
      const a1 = await ledger.createReceivingAddress(alice);
      const a2 = await ledger.createReceivingAddress(alice);
      const b1 = await ledger.createReceivingAddress(bob);
      const ids = (list: { id: number }[]) => list.map((a) => a.id).sort();
      expect(ids(await ledger.listReceivingAddresses({ wallet }))).toEqual(ids([a1, a2, b1]));
      expect(ids(await ledger.listReceivingAddresses({ wallet, account: alice }))).toEqual(
        ids([a1, a2]),
      );
      await ledger.archiveAddress(a2);
      expect(ids(await ledger.listReceivingAddresses({ wallet, account: alice }))).toEqual(
        ids([a1]),
      );
      expect(
        ids(await ledger.listReceivingAddresses({ wallet, account: alice, includeArchived: true })),
      ).toEqual(ids([a1, a2]));
    });

    it('starts a new account at zero', async () => {
      const account = await ledger.createAccount(wallet, 'alice');
      expect(account.balance).toBe(0n);
      expect(await balanceOf(account)).toBe(0n);
    });

    it('moves money internally with exactly one transaction', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const bob = await ledger.createAccount(wallet, 'bob');
      await fund(alice, 10_000n);
      const before = await ledger.listTransactions({ wallet });
      const transfer = await ledger.transfer({
        from: alice,
        to: bob,
        amount: 2_500n,
        label: 'rent',
      });
      expect(transfer.state).toBe('internal');
      expect(await balanceOf(alice)).toBe(7_500n);
      expect(await balanceOf(bob)).toBe(2_500n);
      const after = await ledger.listTransactions({ wallet });
      expect(after.length).toBe(before.length + 1);
      expect(await ledger.walletTotal(wallet)).toBe(10_000n);
    });

    it('routes a send to an address of the same wallet internally', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const bob = await ledger.createAccount(wallet, 'bob');
      await fund(alice, 1_000n);
      const bobAddress = await ledger.createReceivingAddress(bob);
      const sent = await ledger.send({ from: alice, address: bobAddress.address, amount: 400n });
      expect(sent.kind).toBe('internal');
      expect(await balanceOf(bob)).toBe(400n);
      expect(await ledger.listPendingOutgoing(wallet)).toEqual([]);
    });

    it('refuses a transfer above the balance, and allows it when negative balances are allowed', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const bob = await ledger.createAccount(wallet, 'bob');
      await fund(alice, 100n);
      await expect(ledger.transfer({ from: alice, to: bob, amount: 101n })).rejects.toBeInstanceOf(
        NotEnoughAccountBalance,
      );
      expect(await balanceOf(alice)).toBe(100n);
      expect(await balanceOf(bob)).toBe(0n);
      await ledger.transfer({ from: alice, to: bob, amount: 150n, allowNegativeBalance: true });
      expect(await balanceOf(alice)).toBe(-50n);
    });

    it('refuses a transfer to the same account', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      await fund(alice, 100n);
      await expect(ledger.transfer({ from: alice, to: alice, amount: 1n })).rejects.toBeInstanceOf(
        SameAccount,
      );
    });

    it('refuses to import an address twice', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const address = await ledger.createReceivingAddress(alice);
      await expect(ledger.importAddress(alice, address.address)).rejects.toBeInstanceOf(
        DuplicateAddress,
      );
    });

    it('refuses a bad address', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      await fund(alice, 1_000n);
      await expect(ledger.importAddress(alice, 'not-an-address')).rejects.toBeInstanceOf(
        BadAddress,
      );
      await expect(
        ledger.send({ from: alice, address: '1BoatSLRHtKNngkdXEeobR76b53LETtpyX', amount: 1n }),
      ).rejects.toBeInstanceOf(BadAddress);
      expect(await balanceOf(alice)).toBe(1_000n);
    });

    it('imports the backend balance nobody accounted for, once', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      await books.fundBackend(123_456n);
      const imported = await ledger.importBalance(alice);
      expect(imported?.state).toBe('balance_import');
      const backendBalance = await ledger.backend!.getBalance();
      expect(await ledger.walletTotal(wallet)).toBe(backendBalance);
      expect(await ledger.importBalance(alice)).toBeUndefined();
    });

    it('has an empty broadcast queue at first', async () => {
      expect(await ledger.listPendingOutgoing(wallet)).toEqual([]);
    });

    it('credits a deposit once at the threshold, then marks it processed', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const address = await ledger.createReceivingAddress(alice);
      const txid = randomTxid();
      const threshold = ledger.coin.confirmations;
      const seen = await ledger.recordDeposit({
        txid,
        address: address.address,
        amount: 5_000n,
        confirmations: 0,
      });
      expect(seen?.transaction.state).toBe('incoming');
      expect(seen?.creditedNow).toBe(false);
      expect(await balanceOf(alice)).toBe(0n);
      expect(await ledger.unconfirmedBalance({ wallet, account: alice })).toBe(5_000n);
      expect((await ledger.listUnconfirmedDeposits({ wallet })).map((t) => t.id)).toEqual([
        seen?.transaction.id,
      ]);

      const credited = await ledger.recordDeposit({
        txid,
        address: address.address,
        amount: 5_000n,
        confirmations: threshold,
      });
      expect(credited?.creditedNow).toBe(true);
      expect(credited?.transaction.state).toBe('credited');
      const again = await ledger.recordDeposit({
        txid,
        address: address.address,
        amount: 5_000n,
        confirmations: threshold + 1,
      });
      expect(again?.creditedNow).toBe(false);
      expect(await balanceOf(alice)).toBe(5_000n);
      expect((await ledger.getAddress(wallet, address.address))?.balance).toBe(5_000n);
      expect(await ledger.walletTotal(wallet)).toBe(5_000n);
      expect(await ledger.unconfirmedBalance({ wallet })).toBe(0n);
      expect(await ledger.addressReceived(address, { confirmations: threshold + 1 })).toBe(5_000n);
      expect(await ledger.addressReceived(address, { confirmations: threshold + 2 })).toBe(0n);

      const processed = await ledger.markProcessed(credited!.transaction.id);
      expect(processed.state).toBe('processed');
      const late = await ledger.recordDeposit({
        txid,
        address: address.address,
        amount: 5_000n,
        confirmations: threshold + 5,
      });
      expect(late?.transaction.state).toBe('processed');
      expect(await balanceOf(alice)).toBe(5_000n);
      expect((await ledger.audit()).mismatches).toEqual([]);
    });

    it('ignores a deposit to an address that is not ours', async () => {
      const stranger = await ledger.backend!.createAddress({ label: 'stranger' });
      expect(
        await ledger.recordDeposit({
          txid: randomTxid(),
          address: stranger,
          amount: 1n,
          confirmations: 9,
        }),
      ).toBeUndefined();
    });

    it('does not count internal and broadcast transactions as deposits', async () => {
      const alice = await ledger.createAccount(wallet, 'alice');
      const bob = await ledger.createAccount(wallet, 'bob');
      await fund(alice, 10_000n);
      await ledger.transfer({ from: alice, to: bob, amount: 100n });
      const outside = await ledger.backend!.createAddress({ label: 'outside' });
      const pending = await ledger.send({
        from: alice,
        address: outside,
        amount: 200n,
        forceExternal: true,
      });
      expect(pending.state).toBe('pending');
      expect((await ledger.listPendingOutgoing(wallet)).map((t) => t.id)).toEqual([pending.id]);
      const deposits = await ledger.listDeposits({ wallet });
      expect(deposits.length).toBe(1);
      expect(deposits.every((t) => t.kind === 'deposit')).toBe(true);
      expect(await balanceOf(alice)).toBe(9_700n);
    });

    it('charges a broadcast fee once to the network fee account', async () => {
      const fees = await ledger.getNetworkFeeAccount(wallet);
      const first = await ledger.chargeNetworkFee({
        wallet,
        networkTransactionId: await broadcastId(ledger),
        fee: 300n,
      });
      expect(first?.state).toBe('network_fee');
      expect(await balanceOf(fees)).toBe(-1_300n);
      await ledger.chargeNetworkFee({
        wallet,
        networkTransactionId: first!.networkTransactionId!,
        fee: 300n,
      });
      expect(await balanceOf(fees)).toBe(-1_300n);
      expect((await ledger.audit()).mismatches).toEqual([]);
    });
  });
}

/** Queues a send and runs a broadcast through open and close, as the broadcaster does. */
async function broadcastId(ledger: Ledger): Promise<number> {
  const wallet = await ledger.getOrCreateWallet('default');
  const payer = await ledger.getOrCreateAccount(wallet, 'payer');
  const outside = await ledger.backend!.createAddress({ label: 'outside' });
  await ledger.transfer({
    from: await ledger.getNetworkFeeAccount(wallet),
    to: payer,
    amount: 1_000n,
    allowNegativeBalance: true,
  });
  await ledger.send({ from: payer, address: outside, amount: 1_000n, forceExternal: true });
  const broadcast = await ledger.prepareBroadcast(wallet);
  await ledger.markBroadcastOpened(broadcast!.networkTransaction.id);
  await ledger.markBroadcastClosed(broadcast!.networkTransaction.id, randomTxid());
  expect((await ledger.listTransactions({ wallet, kind: 'send' }))[0]?.state).toBe('broadcasted');
  return broadcast!.networkTransaction.id;
}

export function randomTxid(): string {
  return randomBytes(32).toString('hex');
}
