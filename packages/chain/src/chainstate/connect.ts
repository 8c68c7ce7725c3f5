// Connecting and disconnecting a block against the stored UTXO set, writing undo data and indexes.
// Callers run these inside a storage transaction; a returned reason means "roll back".
import type { Block } from '../block/types.js';
import { blockRewardMinor } from '../consensus/params.js';
import type { Reason } from '../consensus/sanity.js';
import { checkSpend, type UtxoEntry } from '../consensus/spend.js';
import type { Store } from '../storage/store.js';
import { txid } from '../tx/codec.js';
import type { Transaction } from '../tx/types.js';
import { decodeUndo, encodeUndo } from './undo.js';

const outpointKey = (id: string, vout: number): string => `${id}:${vout}`;

/** Transactions whose signatures were already verified (by the mempool), bounded. */
export class SignatureCache {
  static readonly entriesMax = 20_000;
  private readonly txids = new Set<string>();

  has(id: string): boolean {
    return this.txids.has(id);
  }

  add(id: string): void {
    if (this.txids.size >= SignatureCache.entriesMax) {
      const oldest = this.txids.values().next();
      if (!oldest.done) this.txids.delete(oldest.value);
    }
    this.txids.add(id);
  }
}

type BlockView = {
  readonly created: Map<string, UtxoEntry>;
  readonly spent: Set<string>;
  readonly undo: UtxoEntry[];
};

/** Validates the block's spends against the UTXO set and applies it. Returns a reason on failure. */
export function connectBlock(
  store: Store,
  block: Block,
  hash: string,
  height: number,
  signatures: SignatureCache,
): Reason {
  const view: BlockView = { created: new Map(), spent: new Set(), undo: [] };
  const lookup = (id: string, vout: number): UtxoEntry | undefined => {
    const key = outpointKey(id, vout);
    if (view.spent.has(key)) return undefined;
    return view.created.get(key) ?? store.utxo(id, vout);
  };
  let feesMinor = 0n;
  const [coinbase, ...rest] = block.transactions;
  if (coinbase === undefined) return 'bad-cb-missing';
  for (const tx of rest) {
    const id = txid(tx);
    const check = checkSpend(tx, lookup, height, !signatures.has(id));
    if ('reason' in check) return check.reason;
    feesMinor += check.feeMinor;
    spendInputs(tx, lookup, view);
    addOutputs(tx, id, height, false, view);
  }
  const coinbaseOut = coinbase.outputs.reduce((sum, output) => sum + output.amountMinor, 0n);
  if (coinbaseOut > blockRewardMinor + feesMinor) return 'bad-cb-amount';
  addOutputs(coinbase, txid(coinbase), height, true, view);
  writeConnection(store, block, hash, height, view);
  return undefined;
}

function spendInputs(
  tx: Transaction,
  lookup: (id: string, vout: number) => UtxoEntry | undefined,
  view: BlockView,
): void {
  for (const input of tx.inputs) {
    const entry = lookup(input.prevTxid, input.vout);
    if (entry === undefined) throw new Error('input vanished after its check');
    view.undo.push(entry);
    view.spent.add(outpointKey(input.prevTxid, input.vout));
  }
}

function addOutputs(
  tx: Transaction,
  id: string,
  height: number,
  coinbase: boolean,
  view: BlockView,
): void {
  tx.outputs.forEach((output, vout) => {
    view.created.set(outpointKey(id, vout), {
      amountMinor: output.amountMinor,
      address: output.address,
      height,
      coinbase,
    });
  });
}

function writeConnection(
  store: Store,
  block: Block,
  hash: string,
  height: number,
  view: BlockView,
): void {
  for (const key of view.spent) {
    if (view.created.has(key)) continue;
    const [id = '', vout = '0'] = key.split(':');
    store.deleteUtxo(id, Number(vout));
  }
  for (const [key, entry] of view.created) {
    if (view.spent.has(key)) continue;
    const [id = '', vout = '0'] = key.split(':');
    store.addUtxo({ ...entry, txid: id, vout: Number(vout) });
  }
  if (view.undo.length > 0) store.putUndo(hash, encodeUndo(view.undo));
  store.setMain(height, hash);
  indexTransactions(store, block, height, view.undo, true);
}

/** Adds or removes the txid and per-address indexes of a block's transactions. */
function indexTransactions(
  store: Store,
  block: Block,
  height: number,
  undo: readonly UtxoEntry[],
  add: boolean,
): void {
  let undoAt = 0;
  block.transactions.forEach((tx, position) => {
    const id = txid(tx);
    if (add) store.indexTx(id, height, position);
    else store.unindexTx(id);
    const addresses = new Set(tx.outputs.map((output) => output.address));
    if (position > 0) {
      for (let i = 0; i < tx.inputs.length; i++) {
        const spent = undo[undoAt++];
        if (spent) addresses.add(spent.address);
      }
    }
    for (const address of addresses) {
      if (add) store.indexAddressTx(address, height, id);
      else store.unindexAddressTx(address, height, id);
    }
  });
}

/** Undoes a main-chain tip block: removes its outputs and restores what it spent. */
export function disconnectBlock(store: Store, block: Block, hash: string, height: number): void {
  const undoBytes = store.undo(hash);
  const undo = undoBytes === undefined ? [] : decodeUndo(undoBytes);
  const spendCount = block.transactions.slice(1).reduce((sum, tx) => sum + tx.inputs.length, 0);
  if (undo.length !== spendCount) throw new Error(`undo data of ${hash} does not match the block`);
  indexTransactions(store, block, height, undo, false);
  let undoAt = undo.length;
  for (let t = block.transactions.length - 1; t >= 0; t--) {
    const tx = block.transactions[t] as Transaction;
    const id = txid(tx);
    for (let vout = 0; vout < tx.outputs.length; vout++) store.deleteUtxo(id, vout);
    if (t === 0) continue;
    undoAt -= tx.inputs.length;
    tx.inputs.forEach((input, i) => {
      const entry = undo[undoAt + i] as UtxoEntry;
      store.addUtxo({ ...entry, txid: input.prevTxid, vout: input.vout });
    });
  }
  store.deleteUndo(hash);
  store.unsetMain(height);
}
