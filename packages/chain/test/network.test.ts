// Three nodes mining on loopback race for blocks, gossip them, and agree on one tip; more than one
// node wins blocks.
import type { DevnetNode } from '@cryptoassets/chain';
import {
  heal,
  minerTagsOf,
  partition,
  startTestNetwork,
  type TestNetwork,
  waitFor,
  waitForConvergence,
} from '@cryptoassets/chain/testing';
import { afterAll, describe, expect, it } from 'vitest';

/** Difficulty rises quickly from the minimum to about one block per second for the network. */
const chainParams = { targetBlockTimeS: 1, retargetWindowBlocks: 5 };
const heightWanted = 45;
const raceTimeoutMs = 45_000;

let network: TestNetwork | undefined;
let partitioned: TestNetwork | undefined;
afterAll(async () => {
  await network?.stop();
  await partitioned?.stop();
});

describe('three mining nodes', () => {
  it('race, converge on one tip, and more than one node wins blocks', async () => {
    network = await startTestNetwork({
      count: 3,
      mine: true,
      node: { chainParams, minerIntervalMsMin: 100 },
    });
    const nodes = network.nodes;
    await waitFor(
      `every node at height ${heightWanted}`,
      () => nodes.every((node) => node.chain.tip().height >= heightWanted),
      { timeoutMs: raceTimeoutMs, intervalMs: 200 },
    );
    // Two miners stop; the third keeps mining, so a tie between equal-work tips is broken by the
    // next block, as in Bitcoin.
    await Promise.all(nodes.slice(1).map((node) => node.stopMining()));
    const heightMin = Math.max(...nodes.map((node) => node.chain.tip().height)) + 1;
    await waitForConvergence(nodes, { timeoutMs: 20_000, heightMin });
    await nodes[0]?.stopMining();
    // Only one miner was left, so its last blocks extend the agreed chain: no tie is possible.
    const tip = await waitForConvergence(nodes, { timeoutMs: 10_000 });
    for (const node of nodes) expect(node.chain.tip().hash).toBe(tip);
    const tags = minerTagsOf(nodes[0] as DevnetNode);
    const winners = new Set(tags);
    expect(winners.size).toBeGreaterThan(1);
    for (const tag of winners) expect(nodes.map((node) => node.minerTag)).toContain(tag);
    // Honest racing peers are never penalised.
    for (const node of nodes) expect(node.network.book.bans()).toEqual([]);
    // Difficulty went up from the minimum: the race was a real proof-of-work race.
    expect(nodes[0]?.chain.tip().bits).not.toBe(0x207fffff);
  });

  it('mine two forks while partitioned; after healing all follow the fork with most work', async () => {
    partitioned = await startTestNetwork({
      count: 3,
      mine: true,
      node: { chainParams, minerIntervalMsMin: 100 },
    });
    const [a, b, c] = partitioned.nodes as [DevnetNode, DevnetNode, DevnetNode];
    await waitForConvergence([a, b, c], { heightMin: 3, timeoutMs: raceTimeoutMs });
    partition([[a], [b, c]]);
    const split = Math.max(a.chain.tip().height, b.chain.tip().height);
    await waitFor(
      'both sides to mine a fork',
      () => a.chain.tip().height >= split + 4 && b.chain.tip().height >= split + 4,
      { timeoutMs: raceTimeoutMs, intervalMs: 100 },
    );
    await Promise.all([a.stopMining(), c.stopMining()]);
    await b.stopMining();
    const before = [a, b].map((node) => node.chain.tip());
    const [minority, majority] = before as [(typeof before)[0], (typeof before)[0]];
    expect(minority.hash).not.toBe(majority.hash);
    expect(a.chain.headerByHash(majority.hash)).toBeUndefined();
    await heal([a, b, c]);
    // A tie in work would stay split until the next block: one miner breaks it.
    b.startMining();
    const heavier = minority.chainWork > majority.chainWork ? minority : majority;
    await waitFor(
      'every node on the heavier fork',
      () => [a, b, c].every((node) => node.chain.blockMeta(heavier.hash)?.inMainChain === true),
      { timeoutMs: raceTimeoutMs, intervalMs: 100 },
    );
    await b.stopMining();
    const tip = await waitForConvergence([a, b, c], { timeoutMs: 15_000 });
    for (const node of [a, b, c]) expect(node.chain.tip().hash).toBe(tip);
    const lighter = heavier === minority ? majority : minority;
    if (lighter.chainWork < heavier.chainWork)
      expect(a.chain.blockMeta(lighter.hash)?.inMainChain ?? false).toBe(false);
  });
});
