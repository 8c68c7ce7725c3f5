// The transaction updater against a real regtest litecoind, on every dialect: hints, polling to
// the threshold and past it, forged txids, rescans, and a reorg reversed and credited again.
import { createLogger } from '@cryptoassets/core';
import {
  type Account,
  Ledger,
  type Transaction,
  txUpdatesOf,
  type Wallet,
} from '@cryptoassets/ledger';
import {
  createTestDatabase,
  dialectsUnderTest,
  randomTxid,
  type TestDatabase,
  testCoin,
} from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BitcoindBackend } from '../src/bitcoind/backend.js';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  requireLitecoind,
  startLitecoind,
} from '../src/testing/litecoind.js';
import { type RescanProgress, TransactionUpdater } from '../src/updater/index.js';

const threshold = 2;
const trackedUntil = 4;
const silent = createLogger({ write: () => undefined });

describe.runIf(requireLitecoind())('transaction updater on litecoind regtest', async () => {
  const dialects = await dialectsUnderTest();
  let node: Litecoind;

  beforeAll(async () => {
    node = await startLitecoind();
    await node.mine(coinbaseMaturityBlocks + 9);
  });
  afterAll(async () => {
    await node?.stop();
  });

  for (const dialect of dialects) {
    describe(dialect, () => {
      let testDatabase: TestDatabase;
      let ledger: Ledger;
      let updater: TransactionUpdater;
      let wallet: Wallet;
      let alice: Account;

      beforeAll(async () => {
        testDatabase = await createTestDatabase(dialect);
        const nodeWallet = await node.createWallet();
        const coin = testCoin({
          confirmations: threshold,
          maxConfirmationCount: trackedUntil,
          backend: { type: 'bitcoind', url: nodeWallet.url, timeout_ms: 10_000 },
        });
        const backend = new BitcoindBackend({ coin });
        ledger = new Ledger({ database: testDatabase.database, coin, backend });
        await ledger.migrate();
        updater = new TransactionUpdater({ ledger, backend, logger: silent });
        wallet = await ledger.getOrCreateWallet('default');
        alice = await ledger.createAccount(wallet, 'alice');
      });
      afterAll(async () => {
        await testDatabase?.drop();
      });

      const balance = async () => (await ledger.getAccountById(alice.id))?.balance;
      const expectAuditClean = async () => expect((await ledger.audit()).mismatches).toEqual([]);
      const pay = async (amount: string) => {
        const address = await ledger.createReceivingAddress(alice);
        const txid = (await node.rpc('sendtoaddress', address.address, amount)) as string;
        return { address, txid };
      };
      const depositOf = async (txid: string): Promise<Transaction | undefined> => {
        const open = await ledger.listDeposits({ wallet, limit: 1_000 });
        for (const deposit of open) {
          const network = await ledger.getNetworkTransaction(deposit.networkTransactionId ?? 0);
          if (network?.txid === txid) return deposit;
        }
        return undefined;
      };
      const eventsOf = async (txid: string) =>
        txUpdatesOf(await ledger.events.readAfter(0)).filter((d) => d.txid === txid);
      const openTxids = async () =>
        (await ledger.listOpenDeposits({ confirmationsBelow: trackedUntil, limit: 100 })).map(
          (d) => d.txid,
        );

      it('records a payment incoming, credits it once at the threshold, tracks it to the max', async () => {
        const { txid } = await pay('1.25');
        const hinted = await updater.handleTxid(txid);
        expect(hinted).toMatchObject({ status: 'updated', confirmations: 0, deposits: 1 });
        expect(hinted.creditedNow).toBe(0);
        expect((await depositOf(txid))?.state).toBe('incoming');
        expect(await balance()).toBe(0n);
        await expectAuditClean();

        await node.mine(1);
        const once = await updater.pollConfirmations();
        expect(once.creditedNow).toBe(0);
        expect(once.results.find((r) => r.txid === txid)?.confirmations).toBe(1);

        await node.mine(1);
        const credited = await updater.pollConfirmations();
        expect(credited.creditedNow).toBe(1);
        expect(credited.failed).toBe(0);
        expect(await balance()).toBe(125_000_000n);
        expect((await depositOf(txid))?.state).toBe('credited');
        expect((await updater.handleTxid(txid)).creditedNow).toBe(0);
        expect((await updater.pollConfirmations()).creditedNow).toBe(0);
        expect(await balance()).toBe(125_000_000n);
        expect(await openTxids()).toContain(txid);
        await expectAuditClean();

        await node.mine(trackedUntil - threshold);
        const last = await updater.pollConfirmations();
        expect(last.results.find((r) => r.txid === txid)?.confirmations).toBe(trackedUntil);
        expect(await openTxids()).not.toContain(txid);
        const events = await eventsOf(txid);
        expect(events.map((e) => [e.confirmations, e.credited])).toEqual([
          [0, false],
          [1, false],
          [threshold, true],
          [trackedUntil, true],
        ]);
        expect(await balance()).toBe(125_000_000n);
        await expectAuditClean();
      });

      it('changes nothing for a forged, foreign or malformed txid', async () => {
        const before = await ledger.listTransactions({ wallet, limit: 1_000 });
        const eventsBefore = (await ledger.events.readAfter(0)).length;
        expect(await updater.handleTxid(randomTxid())).toMatchObject({ status: 'unknown' });
        const foreign = (await node.rpc(
          'sendtoaddress',
          (await node.rpc('getnewaddress')) as string,
          '0.1',
        )) as string;
        expect(await updater.handleTxid(foreign)).toMatchObject({ status: 'unknown' });
        const malformed = await updater.handleTxid('not a txid');
        expect(malformed.status).toBe('failed');
        expect(malformed.error).toBeInstanceOf(Error);
        expect(await ledger.listTransactions({ wallet, limit: 1_000 })).toEqual(before);
        expect((await ledger.events.readAfter(0)).length).toBe(eventsBefore);
        await expectAuditClean();
      });

      it('rescans: credits a payment made while nothing listened, reporting progress', async () => {
        const before = await balance();
        const { txid } = await pay('0.3');
        await node.mine(threshold);
        expect(await depositOf(txid)).toBeUndefined();
        const progress: RescanProgress[] = [];
        const result = await updater.rescan({ onProgress: (p) => progress.push(p) });
        expect(result.failed).toBe(0);
        expect(result.creditedNow).toBe(1);
        expect(result.results.map((r) => r.txid)).toContain(txid);
        expect(new Set(result.results.map((r) => r.txid)).size).toBe(result.results.length);
        expect(progress[0]).toEqual({ done: 0, total: result.results.length });
        expect(progress.map((p) => p.done)).toEqual(progress.map((_p, i) => i));
        expect(progress.at(-1)).toEqual({
          done: result.results.length,
          total: result.results.length,
        });
        expect((await depositOf(txid))?.state).toBe('credited');
        expect(await balance()).toBe((before ?? 0n) + 30_000_000n);
        expect(updater.rescanCursor).toBe(result.lastBlock);

        const again = await updater.rescan();
        expect(again.creditedNow).toBe(0);
        expect(again.results.map((r) => r.txid)).not.toContain(txid);
        expect(await balance()).toBe((before ?? 0n) + 30_000_000n);
        await expectAuditClean();
      });

      it('reverses a credit its block took away, and credits it again, once, when it returns', async () => {
        const before = (await balance()) ?? 0n;
        const { address, txid } = await pay('0.5');
        const [block] = await node.mine(threshold);
        expect((await updater.handleTxid(txid)).creditedNow).toBe(1);
        expect(await balance()).toBe(before + 50_000_000n);

        await node.rpc('invalidateblock', block!);
        const dropped = await updater.pollConfirmations();
        expect(dropped.reversedNow).toBe(1);
        expect(dropped.failed).toBe(0);
        const reversed = await depositOf(txid);
        expect(reversed).toMatchObject({ state: 'reversed', amount: 50_000_000n });
        expect(await balance()).toBe(before);
        const entries = await ledger.listTransactions({ wallet, kind: 'deposit_reversal' });
        expect(entries).toEqual([
          expect.objectContaining({
            sendingAccountId: alice.id,
            addressId: address.id,
            networkTransactionId: reversed?.networkTransactionId,
            amount: 50_000_000n,
          }),
        ]);
        expect((await eventsOf(txid)).at(-1)).toMatchObject({
          state: 'reversed',
          credited: false,
          confirmations: 0,
        });
        expect((await ledger.getAccountById(alice.id))?.balance).toBe(before);
        await expectAuditClean();
        expect((await updater.pollConfirmations()).reversedNow).toBe(0);
        expect(await ledger.listTransactions({ wallet, kind: 'deposit_reversal' })).toHaveLength(1);
        expect(await openTxids()).toContain(txid);

        await node.rpc('reconsiderblock', block!);
        const back = await updater.pollConfirmations();
        expect(back.creditedNow).toBe(1);
        expect((await depositOf(txid))?.state).toBe('credited');
        expect(await balance()).toBe(before + 50_000_000n);
        expect((await updater.pollConfirmations()).creditedNow).toBe(0);
        expect((await updater.handleTxid(txid)).creditedNow).toBe(0);
        expect(await ledger.listTransactions({ wallet, kind: 'deposit_recredit' })).toHaveLength(1);
        expect((await eventsOf(txid)).at(-1)).toMatchObject({ state: 'credited', credited: true });
        await expectAuditClean();
      });

      it('reverses a credit whose transaction a double spend replaced, and credits the replacement', async () => {
        const before = (await balance()) ?? 0n;
        const address = await ledger.createReceivingAddress(alice);
        const txid = (await node.rpc(
          'sendtoaddress',
          address.address,
          '0.7',
          '',
          '',
          false,
          true,
        )) as string;
        const [block] = await node.mine(threshold);
        expect((await updater.handleTxid(txid)).creditedNow).toBe(1);
        await node.rpc('invalidateblock', block!);
        const { txid: replacement } = (await node.rpc('bumpfee', txid)) as { txid: string };
        // A block holding exactly the replacement, so the original is the one conflicted.
        const { hex } = (await node.rpc('gettransaction', replacement)) as { hex: string };
        await node.rpc('generateblock', (await node.rpc('getnewaddress')) as string, [hex]);

        const conflicted = await updater.handleTxid(txid);
        expect(conflicted.confirmations).toBeLessThan(0);
        expect(conflicted.reversedNow).toBe(1);
        expect((await depositOf(txid))?.state).toBe('reversed');
        expect((await eventsOf(txid)).at(-1)).toMatchObject({ state: 'reversed', credited: false });
        expect(await balance()).toBe(before);
        await expectAuditClean();

        expect((await updater.handleTxid(replacement)).creditedNow).toBe(0);
        await node.mine(threshold - 1);
        const polled = await updater.pollConfirmations();
        expect(polled.creditedNow).toBe(1);
        expect(polled.reversedNow).toBe(0);
        expect((await depositOf(replacement))?.state).toBe('credited');
        expect((await depositOf(txid))?.state).toBe('reversed');
        expect(await balance()).toBe(before + 70_000_000n);
        await expectAuditClean();

        await node.mine(trackedUntil);
        await updater.pollConfirmations();
        const open = await openTxids();
        expect(open).not.toContain(txid);
        expect(open).not.toContain(replacement);
        expect((await depositOf(txid))?.state).toBe('reversed');
        expect(await balance()).toBe(before + 70_000_000n);
        await expectAuditClean();
      });
    });
  }
});
