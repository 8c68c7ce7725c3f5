import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { Block } from '../block/types.js';
import type {
  BlockTemplate,
  BlockTemplateOptions,
  ChainEvents,
  SubmitBlockResult,
} from '../chain.js';
import { Miner, type MinerChain, mineBlocks } from './miner.js';

const sha256dNumber = (header: Uint8Array): bigint => {
  const digest = createHash('sha256').update(createHash('sha256').update(header).digest()).digest();
  return BigInt(`0x${Buffer.from(digest).reverse().toString('hex')}`);
};

/** A chain stand-in whose templates differ per height and whose blocks carry the raw header. */
class FakeChain extends EventEmitter<ChainEvents> {
  height = 0;
  target = (1n << 240n) - 1n;
  readonly submitted: { header: Uint8Array; height: number; tag: string }[] = [];

  blockTemplate(options: BlockTemplateOptions): BlockTemplate {
    const header = new Uint8Array(80);
    header.fill(this.height + 1, 0, 68);
    new DataView(header.buffer).setUint32(68, 1_700_000_000, true);
    return {
      header,
      target: this.target,
      bits: 0x207fffff,
      height: this.height + 1,
      prevHash: '0'.repeat(64),
      time: 1_700_000_000,
      transactions: [
        { version: 1, inputs: [], outputs: [{ amountMinor: 1n, address: options.minerTag }] },
      ],
    };
  }

  assembleBlock(template: BlockTemplate, nonce: number, timeS?: number): Block {
    const header = template.header.slice();
    const view = new DataView(header.buffer);
    view.setUint32(68, timeS ?? template.time, true);
    view.setUint32(76, nonce, true);
    return {
      header: {
        version: 1,
        prevHash: template.prevHash,
        merkleRoot: Buffer.from(header).toString('hex'),
        time: timeS ?? template.time,
        bits: template.bits,
        nonce,
      },
      transactions: template.transactions,
    };
  }

  submitBlock(block: Block): SubmitBlockResult {
    const header = Buffer.from(block.header.merkleRoot, 'hex');
    if (sha256dNumber(header) > this.target) return { status: 'invalid', hash: '', reason: 'pow' };
    this.height += 1;
    this.submitted.push({
      header,
      height: this.height,
      tag: block.transactions[0]?.outputs[0]?.address ?? '',
    });
    this.emit('tip', {
      height: this.height,
      hash: String(this.height),
      bits: 0,
      time: 0,
      chainWork: 0n,
    });
    return { status: 'connected', hash: String(this.height) };
  }
}

const asMinerChain = (chain: FakeChain): MinerChain => chain;

describe('miner', () => {
  let miner: Miner | undefined;
  afterEach(async () => {
    await miner?.close();
    miner = undefined;
  });

  it('mines valid blocks one height after another on worker threads', async () => {
    const chain = new FakeChain();
    miner = new Miner({
      chain: asMinerChain(chain),
      payoutAddress: () => 'x',
      minerTag: 'node-a',
      threads: 2,
    });
    miner.start();
    await new Promise<void>((resolve) => {
      const check = () => (chain.height >= 3 ? resolve() : setTimeout(check, 20));
      check();
    });
    await miner.stop();
    expect(chain.submitted.map((entry) => entry.height).slice(0, 3)).toEqual([1, 2, 3]);
    for (const entry of chain.submitted)
      expect(sha256dNumber(entry.header)).toBeLessThanOrEqual(chain.target);
    expect(chain.submitted[0]?.tag).toBe('node-a');
    expect(miner.stats.blocksFound).toBe(chain.submitted.length);
  });

  it('drops the work on a height when the tip changes', async () => {
    const chain = new FakeChain();
    chain.target = 0n; // nothing can be found: only a tip change ends the search
    miner = new Miner({ chain: asMinerChain(chain), payoutAddress: () => 'x', minerTag: 'a' });
    miner.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = miner.stats.templates;
    chain.height = 5;
    chain.emit('tip', { height: 5, hash: '5', bits: 0, time: 0, chainWork: 0n });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(miner.stats.templates).toBe(before + 1);
  });

  it('mines blocks instantly for generatetoaddress', async () => {
    const chain = new FakeChain();
    chain.target = (1n << 255n) - 1n;
    const hashes = await mineBlocks({
      chain: asMinerChain(chain),
      count: 5,
      payoutAddress: 'p',
      minerTag: 't',
    });
    expect(hashes).toEqual(['1', '2', '3', '4', '5']);
    await expect(
      mineBlocks({ chain: asMinerChain(chain), count: -1, payoutAddress: 'p', minerTag: 't' }),
    ).rejects.toThrow();
  });

  it('mines the next height when a peer wins the race for one', async () => {
    const chain = new FakeChain();
    chain.target = (1n << 255n) - 1n;
    let racesToLose = 2;
    const submit = chain.submitBlock.bind(chain);
    chain.submitBlock = (block) => {
      if (racesToLose-- > 0) return { status: 'side-chain', hash: 'lost' };
      return submit(block);
    };
    const options = { chain: asMinerChain(chain), payoutAddress: 'p', minerTag: 't' };
    expect(await mineBlocks({ ...options, count: 3 })).toEqual(['1', '2', '3']);
  });

  it('gives up with a clear error when the difficulty is too high for blocks on demand', async () => {
    const chain = new FakeChain();
    chain.target = 0n;
    const options = { chain: asMinerChain(chain), payoutAddress: 'p', minerTag: 't' };
    await expect(mineBlocks({ ...options, count: 1, timeMsMax: 200 })).rejects.toThrow(
      /mined 0 of 1 blocks in 0.2 s: the difficulty is too high .*--regtest/,
    );
  });
});
