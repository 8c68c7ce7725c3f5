// Devnets on one machine: several mining nodes that race and agree, a faucet paying from the
// funded node, `mine(n)`, and the devnet.json that tells other commands where the RPC listens.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Chain,
  callDevnetRpc,
  type Devnet,
  devnetInfoPath,
  readCoinbase,
  readDevnetInfo,
  startDevnet,
} from '@cryptoassets/chain';
import { afterEach, describe, expect, it } from 'vitest';

/** Generous: the machine running the tests may be busy with other work. */
const convergeWaitMs = 90_000;

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The miner tags of the blocks on a node's main chain. */
function minerTags(chain: Chain): Set<string> {
  const tags = new Set<string>();
  for (let height = 1; height <= chain.tip().height; height++) {
    const coinbase = chain.blockByHeight(height)?.transactions[0];
    const tag = coinbase && readCoinbase(coinbase)?.minerTag;
    if (tag) tags.add(tag);
  }
  return tags;
}

describe('startDevnet', () => {
  let dir: string | undefined;
  let devnet: Devnet | undefined;

  afterEach(async () => {
    await devnet?.stop();
    devnet = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs three mining nodes that race, agree on a tip, and record who mined what', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-devnet-'));
    devnet = await startDevnet({ nodes: 3, dataDir: dir, mine: true, fundingBlocks: 2 });
    const chains = devnet.nodes.map((handle) => handle.node!.chain);
    const targetHeight = chains[0]!.tip().height + 12;
    // The first blocks are at minimum difficulty and may all fall to one node; the race shows
    // once difficulty has risen, so run until some node other than the first winner won one.
    await waitFor(
      'every node past the target height, with blocks from more than one node',
      () =>
        chains.every((chain) => chain.tip().height >= targetHeight) &&
        minerTags(chains[0]!).size > 1
          ? true
          : undefined,
      convergeWaitMs,
    );
    await Promise.all(devnet.nodes.map((handle) => handle.node!.stopMining()));
    // Equal-work tips stay where they are (first seen wins): one more block settles any tie.
    await devnet.mine(1);
    for (const handle of devnet.nodes) await handle.node!.syncNow();
    const tip = await waitFor(
      'one tip everywhere',
      () => {
        const hashes = new Set(chains.map((chain) => chain.tip().hash));
        return hashes.size === 1 ? chains[0]!.tip() : undefined;
      },
      convergeWaitMs,
    );
    expect(tip.height).toBeGreaterThanOrEqual(targetHeight);
    const winners = minerTags(chains[0]!);
    expect(winners.size).toBeGreaterThan(1);
    expect([...winners].every((tag) => /^node[0-2]$/.test(tag))).toBe(true);
  }, 200_000);

  it('pays from the faucet, mines on demand, and tells other commands where it runs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cryptoassets-devnet-'));
    devnet = await startDevnet({ nodes: 2, dataDir: dir, regtest: true });
    expect(readDevnetInfo(dir)).toEqual({
      rpcUrl: devnet.rpcUrl,
      nodeUrls: devnet.nodes.map((node) => node.url),
      pid: process.pid,
    });
    expect(await devnet.balance()).toBeGreaterThan(0n);
    const wallet = await callDevnetRpc(devnet.rpcUrl, 'createwallet', ['receiver']);
    expect(wallet).toEqual({ name: 'receiver', warning: '' });
    const receiverUrl = new URL('wallet/receiver', devnet.rpcUrl).href;
    const address = String(await callDevnetRpc(receiverUrl, 'getnewaddress', ['from-faucet']));
    const txid = await devnet.faucet(address, 1_000_000_000n);
    expect(txid).toMatch(/^[0-9a-f]{64}$/);
    const [hash] = await devnet.mine(1);
    const tx = (await callDevnetRpc(receiverUrl, 'gettransaction', [txid])) as Record<
      string,
      unknown
    >;
    expect(tx.blockhash).toBe(hash);
    const second = devnet.nodes[1]!.node!.chain;
    await waitFor(
      'the block on node1',
      () => (second.tip().hash === hash ? true : undefined),
      15_000,
    );
    await devnet.stop();
    devnet = undefined;
    expect(existsSync(devnetInfoPath(dir))).toBe(false);
    expect(readDevnetInfo(dir)).toBeUndefined();
  });
});
