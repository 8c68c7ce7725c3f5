// The devnet chain: block index with fork choice by most work, UTXO set, mempool, storage and events.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { CryptoassetsError, InvalidValueError } from '@cryptoassets/core';
import { blockHash, decodeBlock, encodeBlock, headerFor } from './block/codec.js';
import { decodeHeader, encodeHeader } from './block/header.js';
import type { Block, BlockHeader } from './block/types.js';
import { BlockIndex, type IndexEntry } from './chainstate/block-index.js';
import {
  chaindataDirName,
  chaindataHashAt,
  removeChaindataAbove,
  writeChaindataFile,
} from './chainstate/chaindata.js';
import { connectBlock, disconnectBlock, SignatureCache } from './chainstate/connect.js';
import { OrphanPool } from './chainstate/orphans.js';
import { coinbaseValueMinor, selectTransactions } from './chainstate/template.js';
import { genesisBlock, genesisHashHex } from './consensus/genesis.js';
import { type ChainParams, defaultChainParams, futureBlockTimeSMax } from './consensus/params.js';
import { bitsToTarget } from './consensus/pow.js';
import { checkBlockSanity } from './consensus/sanity.js';
import type { UtxoLookup } from './consensus/spend.js';
import { Mempool } from './mempool/mempool.js';
import { Store } from './storage/store.js';
import { addressFromHash, addressToHash } from './tx/address.js';
import { isCoinbase, makeCoinbase, readCoinbase, txid } from './tx/codec.js';
import type { Transaction } from './tx/types.js';

export type ChainOptions = {
  readonly dataDir: string;
  readonly params?: Partial<ChainParams>;
  /** Clock in milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
};

export type ChainTip = {
  readonly height: number;
  readonly hash: string;
  readonly bits: number;
  readonly time: number;
  readonly chainWork: bigint;
};

export type Reorg = {
  /** Blocks taken off the main chain, tip first. */
  readonly disconnected: Block[];
  /** Blocks put on the main chain, lowest first. */
  readonly connected: Block[];
};

export type SubmitBlockStatus = 'connected' | 'side-chain' | 'duplicate' | 'orphan' | 'invalid';

export type SubmitBlockResult = {
  readonly status: SubmitBlockStatus;
  readonly hash: string;
  readonly reason?: string;
  readonly reorg?: Reorg;
};

export type SubmitTransactionResult = {
  readonly status: 'accepted' | 'duplicate' | 'invalid';
  readonly txid: string;
  readonly reason?: string;
};

export type BlockTemplate = {
  /** 80-byte header with nonce 0 (bytes 76..79). */
  readonly header: Uint8Array;
  readonly target: bigint;
  readonly bits: number;
  readonly height: number;
  readonly prevHash: string;
  readonly time: number;
  /** Coinbase first. */
  readonly transactions: Transaction[];
};

export type BlockTemplateOptions = {
  readonly payoutAddress: string;
  readonly minerTag: string;
  readonly timeS?: number;
};

/** Where a block sits, for RPC (`getblock`) and wallets. */
export type BlockMeta = {
  readonly hash: string;
  readonly height: number;
  readonly chainWork: bigint;
  readonly inMainChain: boolean;
  /** 0 when not on the main chain. */
  readonly confirmations: number;
  readonly nextHash: string | undefined;
};

export type Utxo = {
  readonly txid: string;
  readonly vout: number;
  readonly amountMinor: bigint;
  readonly address: string;
  readonly height: number;
  readonly coinbase: boolean;
  readonly confirmations: number;
};

export type TransactionInfo = {
  readonly tx: Transaction;
  readonly txid: string;
  /** Undefined while in the mempool. */
  readonly blockHash: string | undefined;
  readonly height: number | undefined;
  readonly blockTime: number | undefined;
  /** 0 in the mempool. */
  readonly confirmations: number;
};

export type BlockEvent = {
  readonly block: Block;
  readonly hash: string;
  readonly height: number;
  /** Present on the first block connected by a reorganisation. */
  readonly reorg?: Reorg;
};

export type TxEvent = {
  readonly tx: Transaction;
  readonly txid: string;
  /** `mempool` when accepted, `block` when confirmed in a connected block. */
  readonly source: 'mempool' | 'block';
  readonly height?: number;
};

export type ChainEvents = {
  block: [BlockEvent];
  tx: [TxEvent];
  tip: [ChainTip];
};

/** The chain was used after `close()` or its storage is not consistent. */
export class ChainError extends CryptoassetsError {
  override name = 'ChainError';
  constructor(shortMessage: string, details?: string) {
    super('CHAIN', shortMessage, details === undefined ? {} : { details });
  }
}

/** Headers returned per `headersAfter` call at most. */
export const headersPerRequestMax = 2_000;
/** Invalid branches tried per activation before giving up until the next block. */
const activationAttemptsMax = 16;
/** Dense entries at the start of a block locator. */
const locatorDenseEntries = 10;

type Effect =
  | { readonly kind: 'connect'; readonly block: Block; readonly entry: IndexEntry; reorg?: Reorg }
  | { readonly kind: 'disconnect'; readonly block: Block; readonly entry: IndexEntry };

class ConnectFailure extends Error {
  constructor(
    readonly entry: IndexEntry,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function resolveParams(overrides: Partial<ChainParams> | undefined): ChainParams {
  const params = { ...defaultChainParams, ...overrides };
  const positive = (value: number, field: string, min = 1): void => {
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidValueError(`params.${field}`, `expected an integer ≥ ${min}`);
    }
  };
  positive(params.retargetWindowBlocks, 'retargetWindowBlocks', 2);
  positive(params.targetBlockTimeS, 'targetBlockTimeS');
  positive(params.mempoolTxMax, 'mempoolTxMax');
  positive(params.mempoolBytesMax, 'mempoolBytesMax');
  positive(params.orphanBlocksMax, 'orphanBlocksMax', 0);
  return params;
}

export class Chain extends EventEmitter<ChainEvents> {
  readonly params: ChainParams;
  readonly dataDir: string;
  readonly mempool: Mempool;
  readonly genesisHash = genesisHashHex;
  private readonly store: Store;
  private readonly now: () => number;
  private index: BlockIndex;
  private best: IndexEntry | undefined;
  private readonly orphans: OrphanPool;
  private readonly signatures = new SignatureCache();
  private effects: Effect[] = [];
  private depth = 0;
  private closed = false;

  private constructor(options: ChainOptions, params: ChainParams, store: Store) {
    super();
    this.params = params;
    this.dataDir = options.dataDir;
    this.store = store;
    this.now = options.now ?? Date.now;
    this.index = new BlockIndex(params);
    this.orphans = new OrphanPool(params.orphanBlocksMax);
    this.mempool = new Mempool({
      txMax: params.mempoolTxMax,
      bytesMax: params.mempoolBytesMax,
      minFeeRateMinorPerByte: params.minFeeRateMinorPerByte,
    });
  }

  /** Opens (or creates) the chain in `dataDir`, rebuilding the index and checking consistency. */
  static async open(options: ChainOptions): Promise<Chain> {
    const params = resolveParams(options.params);
    const store = new Store(options.dataDir);
    try {
      const chain = new Chain(options, params, store);
      chain.load();
      if (params.chaindata) chain.syncChaindata();
      return chain;
    } catch (error) {
      store.close();
      throw error;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new ChainError('the chain is closed');
  }

  // --- loading -----------------------------------------------------------------------------------

  private load(): void {
    this.index = new BlockIndex(this.params);
    if (this.store.mainChain().length === 0) this.storeGenesis();
    for (const stored of this.store.headers()) {
      const header = decodeHeader(stored.header);
      const prev = this.index.get(header.prevHash);
      if (prev === undefined && stored.hash !== genesisHashHex) {
        throw new ChainError('storage holds a block without its parent', stored.hash);
      }
      const entry = this.index.add(stored.hash, header, prev);
      if (stored.invalid) entry.invalid = true;
    }
    this.loadMainChain();
    this.best = this.index.bestValid();
    this.batch(() => this.activateBestChain());
  }

  private storeGenesis(): void {
    const header = encodeHeader(genesisBlock.header);
    this.store.transaction(() => {
      this.store.insertBlock(genesisHashHex, 0, header, encodeBlock(genesisBlock));
      this.store.setMain(0, genesisHashHex);
      this.store.setMeta('genesis', genesisHashHex);
    });
  }

  private loadMainChain(): void {
    const rows = this.store.mainChain();
    if (rows[0]?.hash !== genesisHashHex) {
      throw new ChainError('the data directory belongs to another chain (genesis differs)');
    }
    let prev: IndexEntry | undefined;
    for (const row of rows) {
      const entry = this.index.get(row.hash);
      if (entry === undefined || entry.height !== row.height || entry.prev !== prev) {
        throw new ChainError('stored main chain is not linked', `at height ${row.height}`);
      }
      this.index.main.push(entry);
      prev = entry;
    }
  }

  private reload(): void {
    this.effects = [];
    this.mempool.clear();
    this.load();
  }

  // --- reading -----------------------------------------------------------------------------------

  tip(): ChainTip {
    this.assertOpen();
    const tip = this.index.tip();
    return {
      height: tip.height,
      hash: tip.hash,
      bits: tip.bits,
      time: tip.time,
      chainWork: tip.chainWork,
    };
  }

  hashAtHeight(height: number): string | undefined {
    return this.index.main[height]?.hash;
  }

  blockByHeight(height: number): Block | undefined {
    const hash = this.hashAtHeight(height);
    return hash === undefined ? undefined : this.blockByHash(hash);
  }

  blockByHash(hash: string): Block | undefined {
    this.assertOpen();
    const body = this.store.blockBody(hash);
    return body === undefined ? undefined : decodeBlock(body);
  }

  headerByHash(hash: string): BlockHeader | undefined {
    this.assertOpen();
    const bytes = this.store.blockHeader(hash);
    return bytes === undefined ? undefined : decodeHeader(bytes);
  }

  /** True when the block is in the index (valid or not) or waiting in the orphan pool. */
  hasBlock(hash: string): boolean {
    return this.index.get(hash) !== undefined || this.orphans.has(hash);
  }

  blockMeta(hash: string): BlockMeta | undefined {
    const entry = this.index.get(hash);
    if (entry === undefined) return undefined;
    const inMainChain = this.index.isInMain(entry);
    const tip = this.index.tip();
    return {
      hash,
      height: entry.height,
      chainWork: entry.chainWork,
      inMainChain,
      confirmations: inMainChain ? tip.height - entry.height + 1 : 0,
      nextHash: inMainChain ? this.index.main[entry.height + 1]?.hash : undefined,
    };
  }

  /** Main-chain headers after the first locator hash on the main chain, at most `limit`. */
  headersAfter(locator: readonly string[], limit: number): BlockHeader[] {
    this.assertOpen();
    const count = Math.max(0, Math.min(Math.floor(limit), headersPerRequestMax));
    let start = 1;
    for (const hash of locator.slice(0, 2 * locatorDenseEntries + 64)) {
      const entry = this.index.get(hash);
      if (entry !== undefined && this.index.isInMain(entry)) {
        start = entry.height + 1;
        break;
      }
    }
    const headers: BlockHeader[] = [];
    for (let h = start; h < start + count && h < this.index.main.length; h++) {
      const hash = this.index.main[h]?.hash;
      const header = hash === undefined ? undefined : this.headerByHash(hash);
      if (header) headers.push(header);
    }
    return headers;
  }

  /** Hashes from the tip back to genesis, dense then exponentially sparse (Bitcoin style). */
  blockLocator(): string[] {
    const hashes: string[] = [];
    let step = 1;
    for (let height = this.index.tip().height; height > 0; height -= step) {
      const hash = this.index.main[height]?.hash;
      if (hash !== undefined) hashes.push(hash);
      if (hashes.length >= locatorDenseEntries) step *= 2;
    }
    hashes.push(genesisHashHex);
    return hashes;
  }

  // --- blocks ------------------------------------------------------------------------------------

  submitBlock(block: Block, _source?: string): SubmitBlockResult {
    this.assertOpen();
    return this.batch(() => this.acceptBlock(block));
  }

  /** Imports a batch in one storage transaction (fast sync). */
  submitBlocks(blocks: readonly Block[], _source?: string): SubmitBlockResult[] {
    this.assertOpen();
    return this.batch(() => blocks.map((block) => this.acceptBlock(block)));
  }

  /** Runs `fn` in one storage transaction; events and mempool updates follow the outermost commit. */
  private batch<T>(fn: () => T): T {
    if (this.depth > 0) return this.store.transaction(fn);
    this.depth = 1;
    let result: T;
    try {
      result = this.store.transaction(fn);
    } catch (error) {
      // Storage rolled back; the in-memory index may be ahead of it: rebuild it from storage.
      this.depth = 0;
      this.reload();
      throw error;
    }
    this.depth = 0;
    this.flushEffects();
    return result;
  }

  private acceptBlock(block: Block): SubmitBlockResult {
    const hash = blockHash(block);
    const known = this.index.get(hash);
    if (known !== undefined) {
      return known.invalid
        ? { status: 'invalid', hash, reason: 'duplicate-invalid' }
        : { status: 'duplicate', hash };
    }
    if (this.orphans.has(hash)) return { status: 'duplicate', hash };
    const sanity = checkBlockSanity(block);
    if (sanity) return { status: 'invalid', hash, reason: sanity };
    const prev = this.index.get(block.header.prevHash);
    if (prev === undefined) {
      this.orphans.add(hash, block);
      return { status: 'orphan', hash };
    }
    const result = this.acceptWithParent(block, hash, prev);
    this.acceptOrphansOf(hash);
    return result;
  }

  private acceptOrphansOf(hash: string): void {
    const queue = [hash];
    for (let i = 0; i < queue.length && i <= this.params.orphanBlocksMax; i++) {
      const parent = this.index.get(queue[i] as string);
      if (parent === undefined) continue;
      for (const child of this.orphans.takeChildren(parent.hash)) {
        this.acceptWithParent(child.block, child.hash, parent);
        queue.push(child.hash);
      }
    }
  }

  private acceptWithParent(block: Block, hash: string, prev: IndexEntry): SubmitBlockResult {
    if (prev.invalid) return { status: 'invalid', hash, reason: 'bad-prevblk' };
    const reason = this.checkContext(block, prev);
    if (reason) return { status: 'invalid', hash, reason };
    this.store.insertBlock(hash, prev.height + 1, encodeHeader(block.header), encodeBlock(block));
    const entry = this.index.add(hash, block.header, prev);
    if (this.best === undefined || entry.chainWork > this.best.chainWork) this.best = entry;
    const { reorg, failures } = this.activateBestChain(new Map([[hash, block]]));
    if (entry.invalid) {
      return { status: 'invalid', hash, reason: failures.get(hash) ?? 'bad-prevblk' };
    }
    if (!this.index.isInMain(entry)) return { status: 'side-chain', hash };
    return reorg === undefined
      ? { status: 'connected', hash }
      : { status: 'connected', hash, reorg };
  }

  /** Rules that depend on the parent: difficulty bits, time window, coinbase height. */
  private checkContext(block: Block, prev: IndexEntry): string | undefined {
    const { header } = block;
    if (header.bits !== this.index.expectedBits(prev)) return 'bad-diffbits';
    if (header.time <= this.index.medianTimePast(prev)) return 'time-too-old';
    if (header.time > Math.floor(this.now() / 1000) + futureBlockTimeSMax) return 'time-too-new';
    const coinbase = block.transactions[0];
    const data = coinbase === undefined ? undefined : readCoinbase(coinbase);
    if (data?.height !== prev.height + 1) return 'bad-cb-height';
    return undefined;
  }

  /** Moves the main chain to the valid branch with most work, marking failing blocks invalid. */
  private activateBestChain(inHand = new Map<string, Block>()): {
    reorg: Reorg | undefined;
    failures: Map<string, string>;
  } {
    const failures = new Map<string, string>();
    let reorg: Reorg | undefined;
    for (let attempt = 0; attempt < activationAttemptsMax; attempt++) {
      const tip = this.index.tip();
      const target = this.best;
      if (target === undefined || target.chainWork <= tip.chainWork) break;
      const outcome = this.switchTo(tip, target, inHand);
      if (!(outcome instanceof ConnectFailure)) {
        if (outcome.disconnected.length > 0) reorg = outcome;
        break;
      }
      failures.set(outcome.entry.hash, outcome.reason);
      this.store.markInvalid(outcome.entry.hash);
      this.index.invalidate(outcome.entry);
      this.best = this.index.bestValid();
    }
    return { reorg, failures };
  }

  /** Disconnects to the fork point and connects the branch to `target`, atomically. */
  private switchTo(
    tip: IndexEntry,
    target: IndexEntry,
    inHand: ReadonlyMap<string, Block>,
  ): Reorg | ConnectFailure {
    const fork = this.index.fork(tip, target);
    const path: IndexEntry[] = [];
    for (let e: IndexEntry | undefined = target; e !== undefined && e !== fork; e = e.prev) {
      path.push(e);
    }
    path.reverse();
    const reorg: Reorg = { disconnected: [], connected: [] };
    const effects: Effect[] = [];
    try {
      this.store.transaction(() => {
        for (let e: IndexEntry | undefined = tip; e !== undefined && e !== fork; e = e.prev) {
          const block = this.storedBlock(e.hash, inHand);
          disconnectBlock(this.store, block, e.hash, e.height);
          reorg.disconnected.push(block);
          effects.push({ kind: 'disconnect', block, entry: e });
        }
        for (const e of path) {
          const block = this.storedBlock(e.hash, inHand);
          const reason = connectBlock(this.store, block, e.hash, e.height, this.signatures);
          if (reason) throw new ConnectFailure(e, reason);
          reorg.connected.push(block);
          effects.push({ kind: 'connect', block, entry: e });
        }
      });
    } catch (error) {
      if (error instanceof ConnectFailure) return error;
      throw error;
    }
    this.index.setMainFrom(fork, path);
    const firstConnect = effects.find((effect) => effect.kind === 'connect');
    if (firstConnect && reorg.disconnected.length > 0) firstConnect.reorg = reorg;
    this.effects.push(...effects);
    return reorg;
  }

  private storedBlock(hash: string, inHand: ReadonlyMap<string, Block>): Block {
    const block = inHand.get(hash) ?? this.blockByHash(hash);
    if (block === undefined) throw new ChainError('a stored block is missing', hash);
    return block;
  }

  // --- effects after commit ----------------------------------------------------------------------

  private flushEffects(): void {
    const effects = this.effects;
    this.effects = [];
    if (effects.length === 0) return;
    const confirmed = this.confirmedLookup();
    for (const effect of effects) {
      if (effect.kind === 'connect')
        this.mempool.removeForBlock(effect.block.transactions, confirmed);
    }
    this.returnToMempool(effects);
    if (this.params.chaindata) this.writeChaindata(effects);
    this.emitEffects(effects);
  }

  /** Transactions of disconnected blocks go back to the mempool when they still connect. */
  private returnToMempool(effects: readonly Effect[]): void {
    const disconnected = effects.filter((effect) => effect.kind === 'disconnect').reverse();
    const tipHeight = this.index.tip().height;
    const nowMs = this.now();
    for (const effect of disconnected) {
      for (const tx of effect.block.transactions) {
        if (isCoinbase(tx)) continue;
        this.mempool.accept(tx, this.confirmedLookup(), tipHeight + 1, nowMs);
      }
    }
    if (disconnected.length > 0) this.mempool.prune(this.confirmedLookup());
  }

  private emitEffects(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.kind !== 'connect' || !this.index.isInMain(effect.entry)) continue;
      const { block, entry } = effect;
      const event: BlockEvent =
        effect.reorg === undefined
          ? { block, hash: entry.hash, height: entry.height }
          : { block, hash: entry.hash, height: entry.height, reorg: effect.reorg };
      this.emit('block', event);
      for (const tx of block.transactions) {
        this.emit('tx', { tx, txid: txid(tx), source: 'block', height: entry.height });
      }
    }
    this.emit('tip', this.tip());
  }

  private chaindataDir(): string {
    return join(this.dataDir, chaindataDirName);
  }

  private writeChaindata(effects: readonly Effect[]): void {
    const dir = this.chaindataDir();
    removeChaindataAbove(dir, this.index.tip().height);
    for (const effect of effects) {
      if (effect.kind === 'connect' && this.index.isInMain(effect.entry)) {
        writeChaindataFile(dir, effect.block);
      }
    }
  }

  /** After a restart: rewrites missing or stale files from the tip down, drops files above it. */
  private syncChaindata(): void {
    const dir = this.chaindataDir();
    removeChaindataAbove(dir, this.index.tip().height);
    for (let height = this.index.tip().height; height >= 0; height--) {
      const hash = this.index.main[height]?.hash;
      if (hash === undefined || chaindataHashAt(dir, height) === hash) break;
      const block = this.blockByHash(hash);
      if (block) writeChaindataFile(dir, block);
    }
  }

  /** Writes the tutorial's chaindata: one JSON file per main-chain block; returns the count. */
  async exportChaindata(dir: string): Promise<number> {
    this.assertOpen();
    const tipHeight = this.index.tip().height;
    removeChaindataAbove(dir, tipHeight);
    for (let height = 0; height <= tipHeight; height++) {
      const block = this.blockByHeight(height);
      if (block) writeChaindataFile(dir, block);
      if (height % 1_000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    return tipHeight + 1;
  }

  // --- transactions ------------------------------------------------------------------------------

  private confirmedLookup(): UtxoLookup {
    return (id, vout) => this.store.utxo(id, vout);
  }

  submitTransaction(tx: Transaction): SubmitTransactionResult {
    this.assertOpen();
    const id = txid(tx);
    if (this.store.txLocation(id) !== undefined) return { status: 'duplicate', txid: id };
    const spendHeight = this.index.tip().height + 1;
    const result = this.mempool.accept(tx, this.confirmedLookup(), spendHeight, this.now());
    if (result.status === 'invalid') return { status: 'invalid', txid: id, reason: result.reason };
    if (result.status === 'duplicate') return { status: 'duplicate', txid: id };
    this.signatures.add(id);
    this.emit('tx', { tx, txid: id, source: 'mempool' });
    return { status: 'accepted', txid: id };
  }

  /** Outputs of the addresses on the main chain (mempool spends not subtracted). */
  utxosFor(addresses: readonly string[]): Utxo[] {
    this.assertOpen();
    const tipHeight = this.index.tip().height;
    return [...new Set(addresses)].flatMap((address) =>
      this.store.utxosByAddress(address).map((utxo) => ({
        ...utxo,
        confirmations: tipHeight - utxo.height + 1,
      })),
    );
  }

  /** Every unspent output of the main chain, ordered by txid and index (for audits and tests). */
  *allUtxos(): Generator<Utxo> {
    this.assertOpen();
    const tipHeight = this.index.tip().height;
    for (const utxo of this.store.allUtxos()) {
      yield { ...utxo, confirmations: tipHeight - utxo.height + 1 };
    }
  }

  transactionById(id: string): TransactionInfo | undefined {
    this.assertOpen();
    const pending = this.mempool.get(id);
    if (pending !== undefined) return this.mempoolInfo(pending.tx, id);
    const location = this.store.txLocation(id);
    if (location === undefined) return undefined;
    const block = this.blockByHeight(location.height);
    const tx = block?.transactions[location.position];
    if (block === undefined || tx === undefined) return undefined;
    return this.confirmedInfo(tx, id, block, location.height);
  }

  private mempoolInfo(tx: Transaction, id: string): TransactionInfo {
    return {
      tx,
      txid: id,
      blockHash: undefined,
      height: undefined,
      blockTime: undefined,
      confirmations: 0,
    };
  }

  private confirmedInfo(
    tx: Transaction,
    id: string,
    block: Block,
    height: number,
  ): TransactionInfo {
    return {
      tx,
      txid: id,
      blockHash: blockHash(block),
      height,
      blockTime: block.header.time,
      confirmations: this.index.tip().height - height + 1,
    };
  }

  /**
   * Main-chain transactions touching any of the addresses (outputs paid to them or inputs spending
   * their outputs) from `fromHeight` on, oldest first, then matching mempool transactions.
   */
  transactionsFor(
    addresses: readonly string[],
    options: { fromHeight?: number } = {},
  ): TransactionInfo[] {
    this.assertOpen();
    const wanted = new Set(addresses);
    const found = new Map<string, number>();
    for (const address of wanted) {
      for (const row of this.store.addressTxs(address)) {
        if (row.height >= (options.fromHeight ?? 0)) found.set(row.txid, row.height);
      }
    }
    const sorted = [...found].sort((a, b) => a[1] - b[1]);
    const blocks = new Map<number, Block | undefined>();
    const infos: TransactionInfo[] = [];
    for (const [id, height] of sorted) {
      if (!blocks.has(height)) blocks.set(height, this.blockByHeight(height));
      const block = blocks.get(height);
      const tx = block?.transactions.find((candidate) => txid(candidate) === id);
      if (block && tx) infos.push(this.confirmedInfo(tx, id, block, height));
    }
    return [...infos, ...this.mempoolTransactionsFor(wanted)];
  }

  private mempoolTransactionsFor(wanted: ReadonlySet<string>): TransactionInfo[] {
    const addressOf = (id: string, vout: number): string | undefined =>
      this.store.utxo(id, vout)?.address ?? this.mempool.get(id)?.tx.outputs[vout]?.address;
    const touches = (tx: Transaction): boolean =>
      tx.outputs.some((output) => wanted.has(output.address)) ||
      tx.inputs.some((input) => wanted.has(addressOf(input.prevTxid, input.vout) ?? ''));
    return this.mempool
      .entries()
      .filter((entry) => touches(entry.tx))
      .map((entry) => this.mempoolInfo(entry.tx, entry.txid));
  }

  // --- mining ------------------------------------------------------------------------------------

  blockTemplate(options: BlockTemplateOptions): BlockTemplate {
    this.assertOpen();
    const payoutAddress = addressFromHash(addressToHash(options.payoutAddress, 'payoutAddress'));
    const tip = this.index.tip();
    const height = tip.height + 1;
    const bits = this.index.expectedBits(tip);
    const nowS = options.timeS ?? Math.floor(this.now() / 1000);
    const time = Math.max(nowS, this.index.medianTimePast(tip) + 1);
    const selection = selectTransactions(this.mempool.entries(), this.confirmedLookup(), height);
    const coinbase = makeCoinbase({
      height,
      minerTag: options.minerTag,
      outputs: [{ amountMinor: coinbaseValueMinor(selection.feesMinor), address: payoutAddress }],
    });
    const transactions = [coinbase, ...selection.transactions];
    const header = headerFor(
      { version: 1, prevHash: tip.hash, time, bits, nonce: 0 },
      transactions,
    );
    return {
      header: encodeHeader(header),
      target: bitsToTarget(bits),
      bits,
      height,
      prevHash: tip.hash,
      time,
      transactions,
    };
  }

  assembleBlock(template: BlockTemplate, nonce: number, timeS?: number): Block {
    const header = decodeHeader(template.header);
    return {
      header: { ...header, nonce: nonce >>> 0, time: timeS ?? header.time },
      transactions: template.transactions,
    };
  }
}
