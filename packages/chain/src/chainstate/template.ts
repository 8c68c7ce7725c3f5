// Block templates: mempool transactions that still connect, plus a coinbase paying reward + fees.
import { blockBytesMax, blockRewardMinor, blockTransactionsMax } from '../consensus/params.js';
import { checkSpend, type UtxoEntry, type UtxoLookup } from '../consensus/spend.js';
import type { MempoolEntry } from '../mempool/mempool.js';
import { txid } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';

/** Room left in a block for the header, the count and the coinbase. */
const coinbaseReserveBytes = 1_000;

export type Selection = { readonly transactions: Transaction[]; readonly feesMinor: bigint };

/** Picks mempool entries in arrival order while they connect and fit. */
export function selectTransactions(
  entries: readonly MempoolEntry[],
  confirmed: UtxoLookup,
  height: number,
): Selection {
  const created = new Map<string, UtxoEntry>();
  const spent = new Set<string>();
  const lookup: UtxoLookup = (id, vout) => {
    const key = `${id}:${vout}`;
    return spent.has(key) ? undefined : (created.get(key) ?? confirmed(id, vout));
  };
  const transactions: Transaction[] = [];
  let feesMinor = 0n;
  let bytes = coinbaseReserveBytes;
  for (const entry of entries) {
    if (transactions.length >= blockTransactionsMax - 1) break;
    if (bytes + entry.sizeBytes > blockBytesMax) continue;
    const check = checkSpend(entry.tx, lookup, height, false);
    if ('reason' in check) continue;
    for (const input of entry.tx.inputs) spent.add(`${input.prevTxid}:${input.vout}`);
    const id = txid(entry.tx);
    entry.tx.outputs.forEach((output, vout) => {
      created.set(`${id}:${vout}`, { ...output, height, coinbase: false });
    });
    transactions.push(entry.tx);
    feesMinor += check.feeMinor;
    bytes += entry.sizeBytes;
  }
  return { transactions, feesMinor };
}

export function coinbaseValueMinor(feesMinor: bigint): bigint {
  return blockRewardMinor + feesMinor;
}
