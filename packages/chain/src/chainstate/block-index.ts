// The in-memory block index: one small entry per known header, with cumulative work, and the
// main chain as an array by height. Headers only: bodies stay in storage.
import type { BlockHeader } from '../block/types.js';
import { nextBits } from '../consensus/difficulty.js';
import { type ChainParams, medianTimeBlocks } from '../consensus/params.js';
import { workFromBits } from '../consensus/pow.js';

export class IndexEntry {
  /** Set when the block, or one of its ancestors, broke a rule on connection. */
  invalid = false;

  constructor(
    readonly hash: string,
    readonly height: number,
    readonly time: number,
    readonly bits: number,
    readonly prev: IndexEntry | undefined,
    readonly chainWork: bigint,
  ) {}
}

export class BlockIndex {
  private readonly byHash = new Map<string, IndexEntry>();
  /** In insertion order, parents before children. */
  private readonly ordered: IndexEntry[] = [];
  readonly main: IndexEntry[] = [];

  constructor(private readonly params: ChainParams) {}

  get size(): number {
    return this.ordered.length;
  }

  get(hash: string): IndexEntry | undefined {
    return this.byHash.get(hash);
  }

  tip(): IndexEntry {
    const tip = this.main[this.main.length - 1];
    if (tip === undefined) throw new Error('block index has no main chain');
    return tip;
  }

  add(hash: string, header: BlockHeader, prev: IndexEntry | undefined): IndexEntry {
    const work = (prev?.chainWork ?? 0n) + workFromBits(header.bits);
    const height = prev === undefined ? 0 : prev.height + 1;
    const entry = new IndexEntry(hash, height, header.time, header.bits, prev, work);
    if (prev?.invalid) entry.invalid = true;
    this.byHash.set(hash, entry);
    this.ordered.push(entry);
    return entry;
  }

  isInMain(entry: IndexEntry): boolean {
    return this.main[entry.height] === entry;
  }

  /** The ancestor of `entry` at `height` (walks back; main-chain entries jump directly). */
  ancestor(entry: IndexEntry, height: number): IndexEntry | undefined {
    if (height > entry.height || height < 0) return undefined;
    let cursor: IndexEntry | undefined = entry;
    while (cursor !== undefined && cursor.height > height) {
      if (this.isInMain(cursor)) return this.main[height];
      cursor = cursor.prev;
    }
    return cursor;
  }

  /** Last common block of `a`'s and `b`'s chains. */
  fork(a: IndexEntry, b: IndexEntry): IndexEntry {
    let left: IndexEntry | undefined = this.ancestor(a, Math.min(a.height, b.height));
    let right: IndexEntry | undefined = this.ancestor(b, Math.min(a.height, b.height));
    while (left !== right && left !== undefined && right !== undefined) {
      left = left.prev;
      right = right.prev;
    }
    if (left === undefined) throw new Error('blocks share no ancestor');
    return left;
  }

  /** Median time of `entry` and up to 10 ancestors. */
  medianTimePast(entry: IndexEntry): number {
    const times: number[] = [];
    let cursor: IndexEntry | undefined = entry;
    for (let i = 0; i < medianTimeBlocks && cursor !== undefined; i++) {
      times.push(cursor.time);
      cursor = cursor.prev;
    }
    times.sort((x, y) => x - y);
    return times[Math.floor(times.length / 2)] ?? 0;
  }

  /** Bits a child of `prev` must carry. */
  expectedBits(prev: IndexEntry): number {
    const height = prev.height + 1;
    const first = this.ancestor(prev, Math.max(0, height - this.params.retargetWindowBlocks));
    return nextBits(
      { height, prevBits: prev.bits, lastTime: prev.time, firstTime: first?.time ?? prev.time },
      this.params,
    );
  }

  /** The valid entry with most work (first seen wins ties), or undefined. */
  bestValid(): IndexEntry | undefined {
    let best: IndexEntry | undefined;
    for (const entry of this.ordered) {
      if (!entry.invalid && (best === undefined || entry.chainWork > best.chainWork)) best = entry;
    }
    return best;
  }

  /** Marks `entry` and every known descendant invalid. */
  invalidate(entry: IndexEntry): void {
    entry.invalid = true;
    for (const other of this.ordered) {
      if (other.prev?.invalid) other.invalid = true;
    }
  }

  /** Replaces the main chain from `fork` upwards with `path` (lowest first). */
  setMainFrom(fork: IndexEntry, path: readonly IndexEntry[]): void {
    this.main.length = fork.height + 1;
    for (const entry of path) this.main.push(entry);
  }
}
