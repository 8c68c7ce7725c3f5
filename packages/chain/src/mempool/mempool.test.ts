// Mempool: validation against confirmed outputs, conflicts, limits, chained spends and pruning.
import { describe, expect, it } from 'vitest';
import type { UtxoEntry, UtxoLookup } from '../consensus/spend.js';
import { addressFromPublicKey } from '../tx/address.js';
import { txid } from '../tx/codec.js';
import { newPrivateKey, publicKeyOf, signTransaction } from '../tx/sign.js';
import type { Transaction } from '../tx/types.js';
import { Mempool } from './mempool.js';

const privateKey = newPrivateKey();
const publicKey = publicKeyOf(privateKey);
const address = addressFromPublicKey(publicKey);
const limits = { txMax: 3, bytesMax: 100_000, minFeeRateMinorPerByte: 1n };

function spend(prevTxid: string, vout: number, amountMinor: bigint, outputs = 1): Transaction {
  const tx: Transaction = {
    version: 1,
    inputs: [{ prevTxid, vout, publicKey, signature: new Uint8Array(0) }],
    outputs: Array.from({ length: outputs }, () => ({ amountMinor, address })),
  };
  return signTransaction(tx, () => privateKey);
}

function confirmedSet(outpoints: string[]): { lookup: UtxoLookup; spend(key: string): void } {
  const set = new Map<string, UtxoEntry>(
    outpoints.map((key) => [key, { amountMinor: 1_000_000n, address, height: 1, coinbase: false }]),
  );
  return {
    lookup: (id, vout) => set.get(`${id}:${vout}`),
    spend: (key) => set.delete(key),
  };
}

const funding = 'ee'.repeat(32);

describe('Mempool', () => {
  it('accepts a valid spend, refuses duplicates and conflicting spends', () => {
    const utxos = confirmedSet([`${funding}:0`]);
    const pool = new Mempool(limits);
    const a = spend(funding, 0, 900_000n);
    const b = spend(funding, 0, 800_000n);
    expect(pool.accept(a, utxos.lookup, 10, 0).status).toBe('accepted');
    expect(pool.accept(a, utxos.lookup, 10, 0).status).toBe('duplicate');
    expect(pool.accept(b, utxos.lookup, 10, 0)).toEqual({
      status: 'invalid',
      reason: 'txn-mempool-conflict',
    });
    expect(pool.spender(funding, 0)).toBe(txid(a));
    expect(pool.get(txid(a))?.feeMinor).toBe(100_000n);
  });

  it('refuses unknown inputs and fees below the minimum rate', () => {
    const utxos = confirmedSet([`${funding}:0`]);
    const pool = new Mempool(limits);
    expect(pool.accept(spend(funding, 1, 1n), utxos.lookup, 10, 0)).toMatchObject({
      reason: 'bad-txns-inputs-missingorspent',
    });
    expect(pool.accept(spend(funding, 0, 999_990n), utxos.lookup, 10, 0)).toMatchObject({
      reason: 'min-fee-not-met',
    });
  });

  it('accepts chained spends and drops descendants when a block conflicts', () => {
    const utxos = confirmedSet([`${funding}:0`]);
    const pool = new Mempool(limits);
    const parent = spend(funding, 0, 900_000n);
    const child = spend(txid(parent), 0, 800_000n);
    expect(pool.accept(parent, utxos.lookup, 10, 0).status).toBe('accepted');
    expect(pool.accept(child, utxos.lookup, 10, 0).status).toBe('accepted');
    // A block confirms a different spend of the funding output.
    const rival = spend(funding, 0, 950_000n);
    utxos.spend(`${funding}:0`);
    pool.removeForBlock([rival], utxos.lookup);
    expect(pool.size).toBe(0);
    expect(pool.sizeBytes).toBe(0);
  });

  it('is bounded by count', () => {
    const outpoints = [0, 1, 2, 3].map((vout) => `${funding}:${vout}`);
    const utxos = confirmedSet(outpoints);
    const pool = new Mempool(limits);
    for (const vout of [0, 1, 2]) {
      expect(pool.accept(spend(funding, vout, 900_000n), utxos.lookup, 10, 0).status).toBe(
        'accepted',
      );
    }
    expect(pool.accept(spend(funding, 3, 900_000n), utxos.lookup, 10, 0)).toMatchObject({
      reason: 'mempool-full',
    });
  });
});
