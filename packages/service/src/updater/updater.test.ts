import { createLogger } from '@cryptoassets/core';
import { testCoin } from '@cryptoassets/ledger/testing';
import { describe, expect, it } from 'vitest';
import type { BackendTransaction, WalletEntry } from '../backend.js';
import { receivedTxids } from './txids.js';
import { TransactionUpdater, type UpdaterBackend, type UpdaterLedger } from './updater.js';

const txid = (n: number) => n.toString(16).padStart(64, '0');
const entry = (n: number, category: WalletEntry['category']): WalletEntry => ({
  txid: txid(n),
  address: 'a',
  category,
  amount: 1n,
  confirmations: 0,
});

describe('receivedTxids', () => {
  it('keeps receive entries, each txid once, in first-seen order', () => {
    const entries = [
      entry(2, 'receive'),
      entry(1, 'send'),
      entry(3, 'receive'),
      entry(2, 'receive'),
    ];
    expect(receivedTxids(entries)).toEqual([txid(2), txid(3)]);
  });
});

describe('TransactionUpdater', () => {
  const seenAs = (id: string, confirmations = 3): BackendTransaction => ({
    txid: id,
    confirmations,
    blockHash: undefined,
    fee: undefined,
    received: [{ address: 'a', amount: 5n }],
    sent: [],
    time: 0,
  });
  /** A ledger that records each call and refuses observations of the txids in `bad`. */
  const fakeLedger = (bad: ReadonlySet<string> = new Set()) => {
    const calls: string[][] = [];
    const reversed: string[] = [];
    const ledger: UpdaterLedger = {
      coin: testCoin({ confirmations: 2 }),
      listUnconfirmedBroadcasts: () => Promise.resolve([]),
      recordBroadcastConfirmations: () => Promise.resolve(false),
      recordDepositObservations: (observations) => {
        calls.push(observations.map((observation) => observation.txid));
        if (observations.some((observation) => bad.has(observation.txid)))
          return Promise.reject(new Error('bad observation'));
        return Promise.resolve(
          observations.map((observation) => ({
            txid: observation.txid,
            confirmations: observation.confirmations,
            deposits: 1,
            creditedNow: observation.confirmations >= 2 ? 1 : 0,
            reversedNow: [],
          })),
        );
      },
      reverseDeposit: ({ txid: id }) => {
        reversed.push(id);
        return Promise.resolve({
          networkTransaction: undefined,
          deposits: [],
          addresses: [],
          reversedNow: [],
        });
      },
      listOpenDeposits: () =>
        Promise.resolve([{ networkTransactionId: 1, txid: txid(9), confirmations: 1 }]),
    };
    return { ledger, calls, reversed };
  };
  /** A node that knows the txids `lookup` returns a transaction for, asked in batches. */
  const fakeBackend = (lookup: (id: string) => BackendTransaction | undefined | Error) => {
    const batches: string[][] = [];
    let down = false;
    const backend: UpdaterBackend = {
      getTransaction: (id) => Promise.resolve(lookup(id) as BackendTransaction | undefined),
      getTransactions: (ids) => {
        batches.push([...ids]);
        if (down) return Promise.reject(new Error('connection refused'));
        return Promise.resolve(
          ids.map((id) => {
            const found = lookup(id);
            return found instanceof Error
              ? { txid: id, transaction: undefined, error: found }
              : { txid: id, transaction: found, error: undefined };
          }),
        );
      },
      listSinceBlock: () => Promise.reject(new Error('node down')),
    };
    return { backend, batches, setDown: (value: boolean) => (down = value) };
  };
  const quiet = createLogger({ write: () => undefined });

  it('changes nothing for a txid the node does not know', async () => {
    const { ledger, calls } = fakeLedger();
    const { backend } = fakeBackend(() => undefined);
    const updater = new TransactionUpdater({ ledger, backend, logger: quiet });
    const result = await updater.handleTxid(txid(1));
    expect(result.status).toBe('unknown');
    expect(calls).toEqual([]);
  });

  it('returns a failure instead of throwing when the node is down, and keeps going', async () => {
    const { ledger, calls } = fakeLedger();
    const node = fakeBackend((id) => seenAs(id));
    const updater = new TransactionUpdater({ ledger, backend: node.backend, logger: quiet });
    node.setDown(true);
    const first = await updater.handleTxid(txid(2));
    expect(first.status).toBe('failed');
    expect(first.error).toBeInstanceOf(Error);
    expect(calls).toEqual([]);
    node.setDown(false);
    const second = await updater.handleTxid(txid(2));
    expect(second).toMatchObject({ status: 'updated', creditedNow: 1, deposits: 1 });
    expect(calls).toEqual([[txid(2)]]);
  });

  it('handles a burst in batches: one node request and one write per batch', async () => {
    const { ledger, calls } = fakeLedger();
    const node = fakeBackend((id) => seenAs(id));
    const updater = new TransactionUpdater({
      ledger,
      backend: node.backend,
      logger: quiet,
      batchSize: 50,
    });
    const ids = Array.from({ length: 120 }, (_, index) => txid(100 + index));
    const updates = await Promise.all(ids.map((id) => updater.handleTxid(id)));
    expect(updates.map((update) => update.txid)).toEqual(ids);
    expect(updates.every((update) => update.status === 'updated')).toBe(true);
    // The first txid starts a batch alone; the rest wait together, at most 50 at a time.
    expect(node.batches.map((batch) => batch.length)).toEqual([1, 50, 50, 19]);
    expect(calls.flat()).toEqual(ids);
  });

  it('asks the node once for a txid notified twice while it waits', async () => {
    const { ledger } = fakeLedger();
    const node = fakeBackend((id) => seenAs(id));
    const updater = new TransactionUpdater({ ledger, backend: node.backend, logger: quiet });
    const [a, b, c] = await Promise.all([
      updater.handleTxid(txid(1)),
      updater.handleTxid(txid(2)),
      updater.handleTxid(txid(2)),
    ]);
    expect(node.batches).toEqual([[txid(1)], [txid(2)]]);
    expect([a?.status, b?.status, c?.status]).toEqual(['updated', 'updated', 'updated']);
    expect(b).toBe(c);
  });

  it('fails only the bad transaction of a batch, and only the txid the node could not read', async () => {
    const { ledger, calls } = fakeLedger(new Set([txid(5)]));
    const node = fakeBackend((id) => (id === txid(6) ? new Error('bad answer') : seenAs(id)));
    const updater = new TransactionUpdater({ ledger, backend: node.backend, logger: quiet });
    const ids = [txid(3), txid(4), txid(5), txid(6), txid(7)];
    const updates = await Promise.all(ids.map((id) => updater.handleTxid(id)));
    expect(updates.map((update) => update.status)).toEqual([
      'updated',
      'updated',
      'failed',
      'failed',
      'updated',
    ]);
    // The batch of four failed as a whole, then each was tried alone.
    expect(calls).toEqual([
      [txid(3)],
      [txid(4), txid(5), txid(7)],
      [txid(4)],
      [txid(5)],
      [txid(7)],
    ]);
  });

  it('reverses a tracked deposit the node forgot, and leaves an untracked one alone', async () => {
    const { ledger, reversed } = fakeLedger();
    const node = fakeBackend(() => undefined);
    const updater = new TransactionUpdater({ ledger, backend: node.backend, logger: quiet });
    expect((await updater.handleTxid(txid(8))).status).toBe('unknown');
    const poll = await updater.pollConfirmations();
    expect(poll.results.map((update) => update.status)).toEqual(['gone']);
    expect(reversed).toEqual([txid(9)]);
  });

  it('reports a rescan whose listing failed without throwing', async () => {
    const { ledger } = fakeLedger();
    const updater = new TransactionUpdater({
      ledger,
      backend: fakeBackend(() => undefined).backend,
      logger: quiet,
    });
    const result = await updater.rescan();
    expect(result.error).toBeInstanceOf(Error);
    expect(result.lastBlock).toBeUndefined();
  });

  it('refuses a batch size out of bounds', () => {
    const { ledger } = fakeLedger();
    const backend = fakeBackend(() => undefined).backend;
    expect(() => new TransactionUpdater({ ledger, backend, batchSize: 0 })).toThrow(RangeError);
    expect(() => new TransactionUpdater({ ledger, backend, batchSize: 1_001 })).toThrow(RangeError);
  });
});
