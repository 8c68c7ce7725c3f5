// Blocks whose parent is not known yet, kept (bounded, oldest evicted) until the parent arrives.
import type { Block } from '../block/types.js';

export class OrphanPool {
  private readonly blocks = new Map<string, Block>();
  private readonly byPrev = new Map<string, Set<string>>();

  constructor(private readonly blocksMax: number) {}

  get size(): number {
    return this.blocks.size;
  }

  has(hash: string): boolean {
    return this.blocks.has(hash);
  }

  add(hash: string, block: Block): void {
    if (this.blocks.has(hash) || this.blocksMax <= 0) return;
    while (this.blocks.size >= this.blocksMax) {
      const oldest = this.blocks.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
    this.blocks.set(hash, block);
    const siblings = this.byPrev.get(block.header.prevHash) ?? new Set<string>();
    siblings.add(hash);
    this.byPrev.set(block.header.prevHash, siblings);
  }

  /** Removes and returns the orphans whose parent is `hash`. */
  takeChildren(hash: string): { hash: string; block: Block }[] {
    const children = [...(this.byPrev.get(hash) ?? [])];
    return children.flatMap((child) => {
      const block = this.blocks.get(child);
      this.remove(child);
      return block === undefined ? [] : [{ hash: child, block }];
    });
  }

  private remove(hash: string): void {
    const block = this.blocks.get(hash);
    if (block === undefined) return;
    this.blocks.delete(hash);
    const siblings = this.byPrev.get(block.header.prevHash);
    siblings?.delete(hash);
    if (siblings?.size === 0) this.byPrev.delete(block.header.prevHash);
  }
}
