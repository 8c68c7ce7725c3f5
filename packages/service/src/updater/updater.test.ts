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
  const calls: string[] = [];
  const ledger: UpdaterLedger = {
    coin: testCoin({ confirmations: 2 }),
    listUnconfirmedBroadcasts: () => Promise.resolve([]),
    recordBroadcastConfirmations: () => Promise.resolve(false),
    recordDeposit: () => {
      calls.push('record');
      return Promise.resolve(undefined);
    },
    reverseDeposit: () => {
      calls.push('reverse');
      return Promise.resolve({
        networkTransaction: undefined,
        deposits: [],
        addresses: [],
        reversedNow: [],
      });
    },
    listOpenDeposits: () => Promise.resolve([]),
  };
  const updaterWith = (getTransaction: UpdaterBackend['getTransaction']) =>
    new TransactionUpdater({
      ledger,
      backend: {
        getTransaction,
        listSinceBlock: () => Promise.reject(new Error('node down')),
      },
      logger: createLogger({ write: () => undefined }),
    });

  it('changes nothing for a txid the node does not know', async () => {
    calls.length = 0;
    const result = await updaterWith(() => Promise.resolve(undefined)).handleTxid(txid(1));
    expect(result.status).toBe('unknown');
    expect(calls).toEqual([]);
  });

  it('returns a failure instead of throwing, and keeps going', async () => {
    let fail = true;
    const seen: BackendTransaction = {
      txid: txid(2),
      confirmations: 3,
      blockHash: undefined,
      fee: undefined,
      received: [{ address: 'a', amount: 5n }],
      sent: [],
      time: 0,
    };
    const updater = updaterWith(() =>
      fail ? Promise.reject(new Error('timeout')) : Promise.resolve(seen),
    );
    const first = await updater.handleTxid(txid(2));
    expect(first.status).toBe('failed');
    expect(first.error).toBeInstanceOf(Error);
    fail = false;
    calls.length = 0;
    expect((await updater.handleTxid(txid(2))).status).toBe('updated');
    expect(calls).toEqual(['record']);
  });

  it('asks the books to reverse below the threshold before recording new outputs', async () => {
    calls.length = 0;
    const updater = updaterWith((id) =>
      Promise.resolve({
        txid: id,
        confirmations: -1,
        blockHash: undefined,
        fee: undefined,
        received: [{ address: 'a', amount: 5n }],
        sent: [],
        time: 0,
      }),
    );
    expect((await updater.handleTxid(txid(3))).status).toBe('updated');
    expect(calls).toEqual(['reverse', 'record']);
  });

  it('reports a rescan whose listing failed without throwing', async () => {
    const result = await updaterWith(() => Promise.resolve(undefined)).rescan();
    expect(result.error).toBeInstanceOf(Error);
    expect(result.lastBlock).toBeUndefined();
  });
});
