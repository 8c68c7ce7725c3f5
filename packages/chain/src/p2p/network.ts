// The node's place in the network: headers-first sync with peers, block and transaction gossip
// (each relayed once), periodic tip comparison and peer exchange, and penalties for bad data.
import { headerHash } from '../block/header.js';
import type { Block, BlockHeader } from '../block/types.js';
import type { Chain, SubmitBlockResult } from '../chain.js';
import { checkProofOfWork } from '../consensus/sanity.js';
import type { Transaction } from '../tx/types.js';
import { PeerClient } from './client.js';
import { type P2pLimits, penaltyPoints } from './limits.js';
import { type Hello, linkedHashes, networkName, protocolVersion } from './messages.js';
import { PeerBook } from './peers.js';

export type NetworkEvent =
  | { readonly kind: 'synced'; readonly peer: string; readonly blocks: number }
  | {
      readonly kind: 'penalized';
      readonly peer: string;
      readonly reason: string;
      readonly banned: boolean;
    }
  | { readonly kind: 'peer-error'; readonly peer: string; readonly error: unknown };

export type P2pNetworkOptions = {
  readonly chain: Chain;
  readonly selfUrl: string;
  readonly limits: P2pLimits;
  /** Seed peers: always kept in the book. */
  readonly peers?: readonly string[];
  readonly onEvent?: (event: NetworkEvent) => void;
};

/** Source name of blocks this node mined (the miner submits with it). */
export const minerSource = 'miner';

/** A set that forgets its oldest entries beyond `max`. */
class RecentSet {
  readonly #items = new Set<string>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  has(item: string): boolean {
    return this.#items.has(item);
  }
  add(item: string): void {
    if (this.#items.has(item)) return;
    if (this.#items.size >= this.#max) {
      const oldest = this.#items.values().next();
      if (!oldest.done) this.#items.delete(oldest.value);
    }
    this.#items.add(item);
  }
}

export class P2pNetwork {
  readonly book: PeerBook;
  readonly client: PeerClient;
  readonly #chain: Chain;
  readonly #limits: P2pLimits;
  readonly #selfUrl: string;
  readonly #seeds: readonly string[];
  readonly #onEvent: (event: NetworkEvent) => void;
  readonly #relayedBlocks: RecentSet;
  readonly #relayedTxs: RecentSet;
  readonly #syncing = new Map<string, Promise<number>>();
  readonly #rounds = new Set<Promise<number>>();
  /** Blocks and transactions that arrived from this peer while its submit runs. */
  #source: string | undefined;
  #pendingTip: { block: Block; hash: string; source: string | undefined } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: P2pNetworkOptions) {
    this.#chain = options.chain;
    this.#limits = options.limits;
    this.#selfUrl = options.selfUrl;
    this.#onEvent = options.onEvent ?? (() => {});
    this.book = new PeerBook({ limits: options.limits, selfUrl: options.selfUrl });
    this.client = new PeerClient({ selfUrl: options.selfUrl, limits: options.limits });
    this.#relayedBlocks = new RecentSet(options.limits.seenHashesMax);
    this.#relayedTxs = new RecentSet(options.limits.seenHashesMax);
    for (const peer of options.peers ?? []) this.book.add(peer);
    this.#seeds = this.book.all().map((peer) => peer.url);
  }

  get seeds(): readonly string[] {
    return this.#seeds;
  }

  /** Listens to the chain for gossip and starts the periodic resync. */
  start(): void {
    this.#chain.on('block', this.#onBlock);
    this.#chain.on('tx', this.#onTx);
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#chain.off('block', this.#onBlock);
    this.#chain.off('tx', this.#onTx);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  /** Waits for every running sync to end. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#rounds, ...this.#syncing.values()]);
  }

  hello(): Hello {
    const tip = this.#chain.tip();
    return {
      version: protocolVersion,
      network: networkName,
      genesisHash: this.#chain.genesisHash,
      url: this.#selfUrl,
      tip: { height: tip.height, hash: tip.hash, chainWork: tip.chainWork },
    };
  }

  /** Penalises a peer (by URL or address id); true when this banned it. */
  penalize(id: string, points: number, reason: string): boolean {
    const banned = this.book.penalize(id, points, reason);
    this.#onEvent({ kind: 'penalized', peer: id, reason, banned });
    return banned;
  }

  /** Submits a block a peer sent; penalises invalid ones and syncs when the parent is missing. */
  acceptBlock(block: Block, from: string): SubmitBlockResult {
    const result = this.#withSource(from, () => this.#chain.submitBlock(block, from));
    if (result.status === 'invalid') {
      this.penalize(from, penaltyPoints.invalidBlock, `invalid block: ${result.reason ?? ''}`);
    } else if (result.status === 'orphan' && this.book.all().some((peer) => peer.url === from)) {
      void this.syncWith(from);
    }
    return result;
  }

  /** Submits a transaction a peer sent; a refused one costs the peer a little. */
  acceptTransaction(tx: Transaction, from: string): ReturnType<Chain['submitTransaction']> {
    const result = this.#withSource(from, () => this.#chain.submitTransaction(tx));
    if (result.status === 'invalid')
      this.penalize(from, penaltyPoints.invalidTx, `invalid transaction: ${result.reason ?? ''}`);
    return result;
  }

  /** Syncs with every reachable peer whose chain has more work, then exchanges peer lists. */
  syncAll(): Promise<number> {
    const run = this.#syncAll().catch((error: unknown) => {
      this.#onEvent({ kind: 'peer-error', peer: this.#selfUrl, error });
      return 0;
    });
    this.#rounds.add(run);
    void run.finally(() => this.#rounds.delete(run));
    return run;
  }

  async #syncAll(): Promise<number> {
    let imported = 0;
    for (const peer of this.book.list()) {
      if (this.#stopped) break;
      imported += await this.#checkPeer(peer.url);
    }
    return imported;
  }

  /** Headers-first sync with one peer; resolves to the number of blocks connected. */
  syncWith(peer: string): Promise<number> {
    const running = this.#syncing.get(peer);
    if (running !== undefined) return running;
    const sync = this.#sync(peer)
      .catch((error: unknown) => {
        this.#peerFailed(peer, error);
        return 0;
      })
      .finally(() => this.#syncing.delete(peer));
    this.#syncing.set(peer, sync);
    return sync;
  }

  async #checkPeer(peer: string): Promise<number> {
    let hello: Hello;
    try {
      hello = await this.client.hello(peer);
    } catch (error) {
      this.#peerFailed(peer, error);
      return 0;
    }
    if (this.#stopped) return 0;
    if (hello.network !== networkName || hello.genesisHash !== this.#chain.genesisHash) {
      this.book.remove(peer);
      return 0;
    }
    this.book.seen(peer);
    await this.#exchangePeers(peer);
    if (this.#stopped) return 0;
    if (hello.tip.chainWork <= this.#chain.tip().chainWork) return 0;
    return this.syncWith(peer);
  }

  async #exchangePeers(peer: string): Promise<void> {
    if (this.book.all().length >= this.#limits.peersMax) return;
    try {
      for (const url of await this.client.peers(peer)) this.book.add(url);
    } catch (error) {
      this.#peerFailed(peer, error);
    }
  }

  async #sync(peer: string): Promise<number> {
    let imported = 0;
    let locator = this.#chain.blockLocator();
    const limit = this.#limits.headersPerRequestMax;
    for (let round = 0; round < this.#limits.syncRoundsMax && !this.#stopped; round++) {
      const headers = await this.client.headers(peer, locator, limit);
      if (headers.length === 0 || this.#stopped) break;
      const hashes = this.#checkHeaders(peer, headers);
      if (hashes === undefined) break;
      const missing = hashes.filter((hash) => this.#chain.headerByHash(hash) === undefined);
      const connected = await this.#fetchBlocks(peer, missing);
      if (connected === undefined) break;
      imported += connected;
      if (headers.length < limit) break;
      locator = [hashes[hashes.length - 1] as string, ...this.#chain.blockLocator()];
    }
    this.book.seen(peer);
    if (imported > 0) this.#onEvent({ kind: 'synced', peer, blocks: imported });
    return imported;
  }

  /** Hashes of headers that link, meet their targets and start on a block we know. */
  #checkHeaders(peer: string, headers: readonly BlockHeader[]): string[] | undefined {
    let hashes: string[];
    try {
      hashes = linkedHashes(headers);
    } catch {
      this.penalize(peer, penaltyPoints.invalidHeaders, 'headers do not link');
      return undefined;
    }
    for (const [i, header] of headers.entries()) {
      const problem = checkProofOfWork(hashes[i] as string, header.bits);
      if (problem !== undefined) {
        this.penalize(peer, penaltyPoints.invalidHeaders, `header: ${problem}`);
        return undefined;
      }
    }
    const first = headers[0];
    if (first !== undefined && this.#chain.headerByHash(first.prevHash) === undefined) {
      this.penalize(peer, penaltyPoints.invalidHeaders, 'headers start on an unknown block');
      return undefined;
    }
    return hashes;
  }

  /** Downloads and imports `hashes` in batches; undefined when the peer misbehaved. */
  async #fetchBlocks(peer: string, hashes: readonly string[]): Promise<number | undefined> {
    let connected = 0;
    const batch = this.#limits.blocksPerRequestMax;
    let remaining = [...hashes];
    // Each request returns at least one block or ends the loop, so it runs ≤ hashes.length times.
    for (let request = 0; request <= hashes.length && remaining.length > 0; request++) {
      const wanted = remaining.slice(0, batch);
      const blocks = await this.client.blocks(peer, wanted);
      if (blocks.length === 0 || this.#stopped) return connected;
      for (const [i, block] of blocks.entries()) {
        if (headerHash(block.header) !== wanted[i]) {
          this.penalize(peer, penaltyPoints.malformed, 'blocks answer does not match the request');
          return undefined;
        }
      }
      const results = this.#withSource(peer, () => this.#chain.submitBlocks(blocks, peer));
      const invalid = results.find((result) => result.status === 'invalid');
      connected += results.filter((result) => result.status === 'connected').length;
      if (invalid !== undefined) {
        this.penalize(peer, penaltyPoints.invalidBlock, `invalid block: ${invalid.reason ?? ''}`);
        return undefined;
      }
      remaining = remaining.slice(blocks.length);
    }
    return connected;
  }

  #withSource<T>(source: string, run: () => T): T {
    const previous = this.#source;
    this.#source = source;
    try {
      return run();
    } finally {
      this.#source = previous;
    }
  }

  #peerFailed(peer: string, error: unknown): void {
    if (!this.#seeds.includes(peer)) this.book.failed(peer);
    this.#onEvent({ kind: 'peer-error', peer, error });
  }

  readonly #onBlock = (event: { block: Block; hash: string }): void => {
    // Batches connect many blocks at once: announce only the newest, after the batch.
    const first = this.#pendingTip === undefined;
    this.#pendingTip = { block: event.block, hash: event.hash, source: this.#source };
    if (first) setImmediate(() => this.#flushTip());
  };

  #flushTip(): void {
    const pending = this.#pendingTip;
    this.#pendingTip = undefined;
    if (pending === undefined || this.#stopped || this.#relayedBlocks.has(pending.hash)) return;
    if (this.#chain.tip().hash !== pending.hash) return;
    this.#relayedBlocks.add(pending.hash);
    for (const peer of this.book.list()) {
      if (peer.url === pending.source) continue;
      this.client.sendBlock(peer.url, pending.block).then(
        () => this.book.seen(peer.url),
        (error: unknown) => this.#peerFailed(peer.url, error),
      );
    }
  }

  readonly #onTx = (event: { tx: Transaction; txid: string; source: string }): void => {
    if (event.source !== 'mempool' || this.#stopped || this.#relayedTxs.has(event.txid)) return;
    this.#relayedTxs.add(event.txid);
    const from = this.#source;
    for (const peer of this.book.list()) {
      if (peer.url === from) continue;
      this.client.sendTransaction(peer.url, event.tx).then(
        () => this.book.seen(peer.url),
        (error: unknown) => this.#peerFailed(peer.url, error),
      );
    }
  };

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.syncAll().then(() => this.#schedule());
    }, this.#limits.resyncIntervalMs);
    this.#timer.unref();
  }
}
