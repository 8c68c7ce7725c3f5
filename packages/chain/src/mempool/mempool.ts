// The mempool: validated unconfirmed transactions, bounded by count and bytes. It refuses double
// spends against the UTXO set and against other mempool transactions, and drops what blocks confirm
// or conflict with.
import { checkTransactionSanity } from '../consensus/sanity.js';
import { checkSpend, type UtxoEntry, type UtxoLookup } from '../consensus/spend.js';
import { encodeTransaction, isCoinbase, txid } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';

export type MempoolEntry = {
  readonly tx: Transaction;
  readonly txid: string;
  readonly feeMinor: bigint;
  readonly sizeBytes: number;
  /** When it entered the mempool (ms since the epoch). */
  readonly addedMs: number;
};

export type MempoolLimits = {
  readonly txMax: number;
  readonly bytesMax: number;
  readonly minFeeRateMinorPerByte: bigint;
};

export type AcceptResult =
  | { readonly status: 'accepted'; readonly entry: MempoolEntry }
  | { readonly status: 'duplicate' }
  | { readonly status: 'invalid'; readonly reason: string };

const outpointKey = (id: string, vout: number): string => `${id}:${vout}`;

export class Mempool {
  private readonly byTxid = new Map<string, MempoolEntry>();
  /** Outpoint spent by a mempool transaction → that transaction's txid. */
  private readonly spentBy = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly limits: MempoolLimits) {}

  get size(): number {
    return this.byTxid.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Entries in arrival order (parents always before their children). */
  entries(): MempoolEntry[] {
    return [...this.byTxid.values()];
  }

  get(txid: string): MempoolEntry | undefined {
    return this.byTxid.get(txid);
  }

  has(txid: string): boolean {
    return this.byTxid.has(txid);
  }

  /** The mempool transaction spending an outpoint, if any. */
  spender(id: string, vout: number): string | undefined {
    return this.spentBy.get(outpointKey(id, vout));
  }

  /** A lookup over confirmed outputs plus mempool outputs, minus what the mempool spends. */
  lookupWith(confirmed: UtxoLookup, height: number): UtxoLookup {
    return (id, vout) => {
      if (this.spentBy.has(outpointKey(id, vout))) return undefined;
      return confirmed(id, vout) ?? this.outputOf(id, vout, height);
    };
  }

  private outputOf(id: string, vout: number, height: number): UtxoEntry | undefined {
    const output = this.byTxid.get(id)?.tx.outputs[vout];
    if (output === undefined) return undefined;
    return { amountMinor: output.amountMinor, address: output.address, height, coinbase: false };
  }

  /** Validates and adds `tx`, spending from `confirmed` outputs at height `spendHeight`. */
  accept(tx: Transaction, confirmed: UtxoLookup, spendHeight: number, nowMs: number): AcceptResult {
    const id = txid(tx);
    if (this.byTxid.has(id)) return { status: 'duplicate' };
    const reason = this.precheck(tx);
    if (reason) return { status: 'invalid', reason };
    const check = checkSpend(tx, this.lookupWith(confirmed, spendHeight), spendHeight);
    if ('reason' in check) return { status: 'invalid', reason: check.reason };
    const sizeBytes = encodeTransaction(tx).length;
    if (check.feeMinor < BigInt(sizeBytes) * this.limits.minFeeRateMinorPerByte) {
      return { status: 'invalid', reason: 'min-fee-not-met' };
    }
    if (this.byTxid.size + 1 > this.limits.txMax || this.bytes + sizeBytes > this.limits.bytesMax) {
      return { status: 'invalid', reason: 'mempool-full' };
    }
    const entry: MempoolEntry = {
      tx,
      txid: id,
      feeMinor: check.feeMinor,
      sizeBytes,
      addedMs: nowMs,
    };
    this.insert(entry);
    return { status: 'accepted', entry };
  }

  private precheck(tx: Transaction): string | undefined {
    if (isCoinbase(tx)) return 'coinbase';
    const reason = checkTransactionSanity(tx);
    if (reason) return reason;
    for (const input of tx.inputs) {
      if (this.spentBy.has(outpointKey(input.prevTxid, input.vout))) return 'txn-mempool-conflict';
    }
    return undefined;
  }

  private insert(entry: MempoolEntry): void {
    this.byTxid.set(entry.txid, entry);
    this.bytes += entry.sizeBytes;
    for (const input of entry.tx.inputs) {
      this.spentBy.set(outpointKey(input.prevTxid, input.vout), entry.txid);
    }
  }

  /** Removes one transaction (not its descendants; `prune` handles those). */
  remove(id: string): MempoolEntry | undefined {
    const entry = this.byTxid.get(id);
    if (entry === undefined) return undefined;
    this.byTxid.delete(id);
    this.bytes -= entry.sizeBytes;
    for (const input of entry.tx.inputs) {
      const key = outpointKey(input.prevTxid, input.vout);
      if (this.spentBy.get(key) === id) this.spentBy.delete(key);
    }
    return entry;
  }

  /**
   * Drops the block's transactions and everything that conflicts with them, then every
   * transaction whose inputs no longer exist (descendants of what was dropped).
   */
  removeForBlock(transactions: readonly Transaction[], confirmed: UtxoLookup): void {
    for (const tx of transactions) {
      this.remove(txid(tx));
      for (const input of tx.inputs) {
        const spender = this.spentBy.get(outpointKey(input.prevTxid, input.vout));
        if (spender !== undefined) this.remove(spender);
      }
    }
    this.prune(confirmed);
  }

  /** Removes transactions whose inputs are neither confirmed nor in the mempool; bounded passes. */
  prune(confirmed: UtxoLookup): MempoolEntry[] {
    const removed: MempoolEntry[] = [];
    for (let pass = 0; pass <= this.limits.txMax; pass++) {
      const orphaned = this.entries().filter((entry) =>
        entry.tx.inputs.some(
          (input) =>
            confirmed(input.prevTxid, input.vout) === undefined &&
            this.byTxid.get(input.prevTxid)?.tx.outputs[input.vout] === undefined,
        ),
      );
      if (orphaned.length === 0) break;
      for (const entry of orphaned) {
        this.remove(entry.txid);
        removed.push(entry);
      }
    }
    return removed;
  }

  clear(): void {
    this.byTxid.clear();
    this.spentBy.clear();
    this.bytes = 0;
  }
}
