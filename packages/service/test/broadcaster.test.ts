// The broadcaster against a real regtest litecoind, on every dialect: batched withdrawals with
// one fee, crashes between opening and closing reconciled at start-up, operator holds resolved
// or voided, refused sends held, and one broadcaster per wallet.
import { type CoinConfig, formatAmount, parseAmount } from '@cryptoassets/core';
import { type Account, BadTransactionState, Ledger, type Wallet } from '@cryptoassets/ledger';
import type { TestDatabase } from '@cryptoassets/ledger/testing';
import { createTestDatabase, dialectsUnderTest, testCoin } from '@cryptoassets/ledger/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BitcoindBackend } from '../src/bitcoind/backend.js';
import { Broadcaster, type BroadcastPausePoint } from '../src/broadcaster/broadcaster.js';
import {
  coinbaseMaturityBlocks,
  type Litecoind,
  type LitecoindWallet,
  requireLitecoind,
  startLitecoind,
} from '../src/testing/litecoind.js';

const decimals = 8;
const ltc = (text: string): bigint => parseAmount(text, { field: 'test', decimals });
const quietLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
/** A lease short enough to expire within a test, standing in for a crashed holder. */
const shortLeaseMs = 300;

type Books = {
  readonly ledger: Ledger;
  readonly backend: BitcoindBackend;
  readonly nodeWallet: LitecoindWallet;
  readonly wallet: Wallet;
  readonly alice: Account;
  readonly bob: Account;
  readonly payee: LitecoindWallet;
  readonly database: TestDatabase;
};

/** A pause hook that stops the run at `point` until `crash()` makes it throw. */
function crashAt(point: BroadcastPausePoint) {
  let reached: () => void = () => {};
  let crash: (error: Error) => void = () => {};
  const atPoint = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const stopped = new Promise<void>((_resolve, reject) => {
    crash = reject;
  });
  return {
    pauseAt: async (at: BroadcastPausePoint) => {
      if (at !== point) return;
      reached();
      await stopped;
    },
    atPoint,
    crash: () => crash(new Error('simulated crash')),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(requireLitecoind())('broadcaster on litecoind regtest', async () => {
  let node: Litecoind;

  beforeAll(async () => {
    node = await startLitecoind();
    await node.mine(coinbaseMaturityBlocks + 9);
  });
  afterAll(async () => {
    await node?.stop();
  });

  for (const dialect of await dialectsUnderTest()) {
    describe(`on ${dialect}`, () => {
      const opened: Books[] = [];
      afterAll(async () => {
        for (const books of opened) await books.database.drop();
      });

      /** Books over a fresh node wallet holding `funds`, all imported into alice's account. */
      async function openBooks(funds = ltc('10')): Promise<Books> {
        const nodeWallet = await node.createWallet();
        const coin: CoinConfig = testCoin({
          confirmations: 1,
          backend: { type: 'bitcoind', url: nodeWallet.url, timeout_ms: 10_000 },
        });
        const backend = new BitcoindBackend({ coin });
        const database = await createTestDatabase(dialect);
        const ledger = new Ledger({ database: database.database, coin, backend });
        await ledger.migrate();
        const funding = await backend.createAddress({ label: 'funding' });
        await node.rpc('sendtoaddress', funding, formatAmount(funds, decimals));
        await node.mine(1);
        const wallet = await ledger.getOrCreateWallet('default');
        const alice = await ledger.createAccount(wallet, 'alice');
        const bob = await ledger.createAccount(wallet, 'bob');
        await ledger.importBalance(alice);
        const payee = await node.createWallet();
        const books = { ledger, backend, nodeWallet, wallet, alice, bob, payee, database };
        opened.push(books);
        return books;
      }

      const broadcaster = (books: Books, extra: Partial<{ leaseMs: number }> = {}) =>
        new Broadcaster({
          ledger: books.ledger,
          backend: books.backend,
          wallet: books.wallet,
          logger: quietLogger,
          ...extra,
        });

      /** Txids of the node wallet's outgoing transactions. */
      async function sendsOnNode(books: Books): Promise<string[]> {
        const entries = (await books.nodeWallet.rpc('listtransactions', '*', 1000, 0, true)) as {
          category: string;
          txid: string;
        }[];
        return [...new Set(entries.filter((e) => e.category === 'send').map((e) => e.txid))];
      }

      const newPayeeAddress = async (books: Books) =>
        (await books.payee.rpc('getnewaddress')) as string;

      const balance = async (books: Books, account: Account) =>
        (await books.ledger.getAccountById(account.id))?.balance;

      async function expectCleanAudit(books: Books): Promise<void> {
        expect((await books.ledger.audit()).mismatches).toEqual([]);
      }

      it('sends several withdrawals in one broadcast and charges its fee exactly once', async () => {
        const books = await openBooks();
        const { ledger, alice, bob } = books;
        await ledger.transfer({ from: alice, to: bob, amount: ltc('3') });
        const [first, second] = [await newPayeeAddress(books), await newPayeeAddress(books)];
        await ledger.send({ from: alice, address: first, amount: ltc('1.25') });
        await ledger.send({ from: bob, address: first, amount: ltc('0.5') });
        await ledger.send({ from: alice, address: second, amount: ltc('0.12345678') });
        await ledger.send({ from: bob, address: second, amount: ltc('2') });

        const run = await broadcaster(books).runOnce();
        expect(run.leased).toBe(true);
        expect(run.reconciled).toEqual([]);
        expect(run.broadcasts).toHaveLength(1);
        const sent = run.broadcasts[0];
        if (sent?.result !== 'sent') throw new Error(`not sent: ${JSON.stringify(sent)}`);
        expect(sent.outputs).toBe(2);

        expect(await sendsOnNode(books)).toEqual([sent.txid]);
        const onNode = await books.backend.getTransaction(sent.txid);
        const byAddress = <T extends { address: string }>(list: readonly T[]) =>
          [...list].sort((a, b) => a.address.localeCompare(b.address));
        expect(byAddress(onNode?.sent ?? [])).toEqual(
          byAddress([
            { address: first, amount: ltc('1.75') },
            { address: second, amount: ltc('2.12345678') },
          ]),
        );
        const fee = onNode?.fee;
        expect(fee).toBeGreaterThan(0n);
        expect(sent.fee).toBe(fee);
        const feeAccount = await ledger.getNetworkFeeAccount(books.wallet);
        expect(feeAccount.balance).toBe(-(fee ?? 0n));
        const fees = await ledger.listTransactions({ wallet: books.wallet, kind: 'network_fee' });
        expect(fees.map((t) => [t.amount, t.networkTransactionId])).toEqual([
          [fee, sent.networkTransactionId],
        ]);
        const sends = await ledger.listTransactions({ wallet: books.wallet, kind: 'send' });
        expect(sends.map((t) => t.state)).toEqual(Array(4).fill('broadcasted'));
        const network = await ledger.getNetworkTransaction(sent.networkTransactionId);
        expect(network?.txid).toBe(sent.txid);
        expect(network?.closedAt).not.toBeNull();
        expect(await ledger.listOpenBroadcasts(books.wallet)).toEqual([]);

        const again = await broadcaster(books).runOnce();
        expect(again.broadcasts).toEqual([]);
        expect(await sendsOnNode(books)).toEqual([sent.txid]);
        await expectCleanAudit(books);
      });

      it('holds a broadcast interrupted before sending, and voiding it gives the money back', async () => {
        const books = await openBooks();
        const { ledger, alice } = books;
        const before = await balance(books, alice);
        await ledger.send({ from: alice, address: await newPayeeAddress(books), amount: ltc('1') });
        await ledger.send({ from: alice, address: await newPayeeAddress(books), amount: ltc('2') });

        const crash = crashAt('opened');
        const running = new Broadcaster({
          ledger,
          backend: books.backend,
          wallet: books.wallet,
          logger: quietLogger,
          leaseMs: shortLeaseMs,
          pauseAt: crash.pauseAt,
        }).runOnce();
        await crash.atPoint;
        const [interrupted] = await ledger.listInterruptedBroadcasts(books.wallet);
        expect(interrupted?.status).toBe('opened');
        const id = interrupted?.networkTransaction.id ?? -1;

        const next = broadcaster(books);
        expect((await next.runOnce()).leased).toBe(false);
        await sleep(shortLeaseMs + 50);
        const run = await next.runOnce();
        expect(run.reconciled).toEqual([
          { networkTransactionId: id, result: 'held', reason: expect.stringContaining('void') },
        ]);
        expect(run.broadcasts).toEqual([]);
        crash.crash();
        await expect(running).rejects.toThrow('simulated crash');

        expect(await sendsOnNode(books)).toEqual([]);
        expect(await ledger.listInterruptedBroadcasts(books.wallet)).toEqual([]);
        const [held] = await ledger.listHeldBroadcasts(books.wallet);
        expect(held?.networkTransaction.id).toBe(id);
        expect(held?.status).toBe('held');
        expect(held?.holdReason).toContain('no transaction paying');
        expect((await ledger.listOpenBroadcasts(books.wallet)).map((b) => b.status)).toEqual([
          'held',
        ]);
        expect((await next.runOnce()).reconciled).toEqual([]);
        expect(await balance(books, alice)).toBe((before ?? 0n) - ltc('3'));

        const compensations = await ledger.voidBroadcast(id);
        expect(compensations.map((t) => [t.kind, t.amount, t.receivingAccountId])).toEqual([
          ['send_void', ltc('1'), alice.id],
          ['send_void', ltc('2'), alice.id],
        ]);
        expect(await balance(books, alice)).toBe(before);
        const sends = await ledger.listTransactions({ wallet: books.wallet, kind: 'send' });
        expect(sends.map((t) => [t.state, t.amount])).toEqual([
          ['voided', ltc('2')],
          ['voided', ltc('1')],
        ]);
        expect((await ledger.getBroadcast(id))?.status).toBe('voided');
        expect(await ledger.listHeldBroadcasts(books.wallet)).toEqual([]);
        expect(await ledger.listOpenBroadcasts(books.wallet)).toEqual([]);
        await expect(ledger.voidBroadcast(id)).rejects.toThrow(BadTransactionState);
        await expect(ledger.resolveBroadcast(id, 'a'.repeat(64))).rejects.toThrow(
          BadTransactionState,
        );
        await expectCleanAudit(books);

        // Nothing stuck: a later withdrawal goes out in a broadcast of its own.
        await ledger.send({ from: alice, address: await newPayeeAddress(books), amount: ltc('1') });
        const later = await next.runOnce();
        expect(later.broadcasts.map((b) => b.result)).toEqual(['sent']);
        expect(await sendsOnNode(books)).toHaveLength(1);
        await expectCleanAudit(books);
      });

      it('closes a broadcast interrupted after sending with the node’s txid, without resending', async () => {
        const books = await openBooks();
        const { ledger, alice } = books;
        const address = await newPayeeAddress(books);
        await ledger.send({ from: alice, address, amount: ltc('1.5') });
        await ledger.send({ from: alice, address, amount: ltc('0.25') });

        const crash = crashAt('sent');
        const running = new Broadcaster({
          ledger,
          backend: books.backend,
          wallet: books.wallet,
          logger: quietLogger,
          leaseMs: shortLeaseMs,
          pauseAt: crash.pauseAt,
        }).runOnce();
        await crash.atPoint;
        const onNode = await sendsOnNode(books);
        expect(onNode).toHaveLength(1);
        const [interrupted] = await ledger.listInterruptedBroadcasts(books.wallet);
        const id = interrupted?.networkTransaction.id ?? -1;
        expect(interrupted?.networkTransaction.txid).toBeNull();

        await sleep(shortLeaseMs + 50);
        const next = broadcaster(books);
        const run = await next.runOnce();
        crash.crash();
        await expect(running).rejects.toThrow('simulated crash');
        expect(run.reconciled).toEqual([
          { networkTransactionId: id, result: 'closed', txid: onNode[0] },
        ]);
        expect(run.broadcasts).toEqual([]);
        expect(await sendsOnNode(books)).toEqual(onNode);
        const network = await ledger.getNetworkTransaction(id);
        expect(network?.txid).toBe(onNode[0]);
        const sends = await ledger.listTransactions({ wallet: books.wallet, kind: 'send' });
        expect(sends.map((t) => t.state)).toEqual(['broadcasted', 'broadcasted']);
        const fee = (await books.backend.getTransaction(onNode[0] ?? ''))?.fee;
        expect((await ledger.getNetworkFeeAccount(books.wallet)).balance).toBe(-(fee ?? 0n));
        expect((await next.runOnce()).broadcasts).toEqual([]);
        expect(await sendsOnNode(books)).toEqual(onNode);
        await expectCleanAudit(books);
      });

      it('resolves a held broadcast that an operator sent by hand', async () => {
        const books = await openBooks();
        const { ledger, alice } = books;
        const address = await newPayeeAddress(books);
        await ledger.send({ from: alice, address, amount: ltc('0.75') });

        const crash = crashAt('opened');
        const running = new Broadcaster({
          ledger,
          backend: books.backend,
          wallet: books.wallet,
          logger: quietLogger,
          leaseMs: shortLeaseMs,
          pauseAt: crash.pauseAt,
        }).runOnce();
        await crash.atPoint;
        await sleep(shortLeaseMs + 50);
        const next = broadcaster(books);
        const [held] = (await next.runOnce()).reconciled;
        crash.crash();
        await expect(running).rejects.toThrow('simulated crash');
        expect(held?.result).toBe('held');
        const id = held?.networkTransactionId ?? -1;

        const txid = (await books.nodeWallet.rpc('sendmany', '', { [address]: '0.75' })) as string;
        const resolved = await next.resolve(id, txid);
        expect(resolved.status).toBe('closed');
        expect(resolved.networkTransaction.txid).toBe(txid);
        const [send] = await ledger.listTransactions({ wallet: books.wallet, kind: 'send' });
        expect(send?.state).toBe('broadcasted');
        const fee = (await books.backend.getTransaction(txid))?.fee;
        expect((await ledger.getNetworkFeeAccount(books.wallet)).balance).toBe(-(fee ?? 0n));
        expect(await ledger.listHeldBroadcasts(books.wallet)).toEqual([]);
        await expect(ledger.resolveBroadcast(id, txid)).rejects.toThrow(BadTransactionState);
        expect((await next.runOnce()).broadcasts).toEqual([]);
        expect(await sendsOnNode(books)).toEqual([txid]);
        await expectCleanAudit(books);
      });

      it('holds a send the node refuses, and loses nothing', async () => {
        const books = await openBooks(ltc('1'));
        const { ledger, alice, bob } = books;
        await ledger.transfer({
          from: bob,
          to: alice,
          amount: ltc('50'),
          allowNegativeBalance: true,
        });
        const before = await balance(books, alice);
        await ledger.send({
          from: alice,
          address: await newPayeeAddress(books),
          amount: ltc('40'),
        });

        const run = await broadcaster(books).runOnce();
        const [held] = run.broadcasts;
        expect(held?.result).toBe('held');
        expect(held?.result === 'held' ? held.reason : '').toMatch(/insufficient funds/i);
        expect(await sendsOnNode(books)).toEqual([]);
        const [listed] = await ledger.listHeldBroadcasts(books.wallet);
        expect(listed?.holdReason).toMatch(/-6/);
        expect(await balance(books, alice)).toBe((before ?? 0n) - ltc('40'));
        await expectCleanAudit(books);

        await ledger.voidBroadcast(held?.networkTransactionId ?? -1);
        expect(await balance(books, alice)).toBe(before);
        await expectCleanAudit(books);
      });

      it('lets one broadcaster hold the lease at a time', async () => {
        const books = await openBooks(ltc('1'));
        const { ledger } = books;
        const name = 'broadcaster:test';
        const lease = (owner: string, durationMs = 60_000) =>
          ledger.acquireLease({ name, owner, durationMs });
        expect(await lease('a')).toBe(true);
        expect(await lease('b')).toBe(false);
        expect(await lease('a')).toBe(true);
        expect((await ledger.getLease(name))?.owner).toBe('a');
        expect(await ledger.releaseLease({ name, owner: 'b' })).toBe(false);
        expect(await ledger.releaseLease({ name, owner: 'a' })).toBe(true);
        expect(await lease('b', 200)).toBe(true);
        expect(await lease('a')).toBe(false);
        await sleep(250);
        expect(await lease('a')).toBe(true);
        expect(await lease('b')).toBe(false);

        const first = broadcaster(books);
        const second = broadcaster(books);
        expect((await first.runOnce()).leased).toBe(true);
        expect((await second.runOnce()).leased).toBe(false);
        await first.stop();
        expect((await second.runOnce()).leased).toBe(true);
        await second.stop();
      });
    });
  }
});
